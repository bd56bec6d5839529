//! `veille demo`: the main job, offline, on bundled sample feeds.
//!
//! The sample feeds (French and English, about fictitious brands) are embedded in the binary with their
//! dates as offsets from the demo's clock, a fixed moment ([`DEMO_NOW`]), so that two runs print the same
//! thing. They are written to a temporary directory with a configuration and the example rules, and run
//! through the real pipeline (parsing, analysis, storage, detection, the outbox) into a fresh SQLite file,
//! with the items' own time as the clock, as `veille replay` does: first three weeks of ordinary talk (the
//! brand's usual level), then the sample feeds. Two sources are query kinds (`mastodon-tag` and
//! `hn-search`): the demo starts a small HTTP server on 127.0.0.1 that answers like Mastodon's tag timeline
//! and Algolia's Hacker News search ([`services`]), reaches it through `base_url`, and reads them with the
//! kinds' real requests and parsers. Then what veille found is printed in one language, on the
//! Paris clock: the mentions, the incidents with their figures, and the email, the Teams card and the
//! webhook payload it would send.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;

use crate::config::Config;
use crate::i18n::words::{self, Metric};
use crate::i18n::{Locale, Voice};
use crate::store::{MentionFilter, Store};
use crate::views::IncidentView;

/// The demo's clock: Tuesday 10 March 2026, 11:30 in Paris.
const DEMO_NOW: &str = "2026-03-10T10:30:00Z";

fn demo_now() -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(DEMO_NOW)
        .expect("the demo's clock is a valid time")
        .to_utc()
}

/// (source name, file name, template bytes, tags).
const FEEDS: &[(&str, &str, &[u8], &str)] = &[
    (
        "journal-gourmets",
        "presse-fr.xml",
        include_bytes!("../../examples/demo/presse-fr.xml.in"),
        "presse",
    ),
    (
        "forum-conso",
        "forum-fr.atom",
        include_bytes!("../../examples/demo/forum-fr.atom.in"),
        "forum",
    ),
    (
        "gadget-weekly",
        "tech-en.json",
        include_bytes!("../../examples/demo/tech-en.json.in"),
        "presse",
    ),
    (
        "mastodon-acme",
        "social-en.atom",
        include_bytes!("../../examples/demo/social-en.atom.in"),
        "social",
    ),
    // Two press sites that pick up the journal's recall, rewritten: one story, told as a pickup.
    (
        "actu-lyon",
        "actu-lyon.xml",
        include_bytes!("../../examples/demo/actu-lyon.xml.in"),
        "presse",
    ),
    (
        "fil-conso",
        "fil-conso.xml",
        include_bytes!("../../examples/demo/fil-conso.xml.in"),
        "presse",
    ),
];

/// The example rule files of the repository, as the demo installs them.
const RULES: &[(&str, &str)] = &[
    (
        "maison-brioche.toml",
        include_str!("../../rules/maison-brioche.toml"),
    ),
    (
        "acme-telecom.toml",
        include_str!("../../rules/acme-telecom.toml"),
    ),
];

/// Replaces `@@RFC2822-5h@@` and `@@RFC3339-5h@@` with the date five hours before `now`.
fn render(template: &[u8], now: chrono::DateTime<Utc>) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.windows(2).position(|w| w == b"@@") {
        out.extend_from_slice(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.windows(2).position(|w| w == b"@@") else {
            out.extend_from_slice(&rest[start..]);
            return out;
        };
        let token = String::from_utf8_lossy(&after[..end]);
        let rendered = token.split_once('-').and_then(|(format, ago)| {
            let ago = crate::model::Interval::parse(ago).ok()?;
            let t = now - chrono::Duration::from_std(ago.0).ok()?;
            Some(match format {
                "RFC2822" => t.to_rfc2822(),
                _ => t.to_rfc3339(),
            })
        });
        match rendered {
            Some(r) => out.extend_from_slice(r.as_bytes()),
            None => out.extend_from_slice(&rest[start..start + 4 + end]),
        }
        rest = &after[end + 2..];
    }
    out.extend_from_slice(rest);
    out
}

/// Ordinary talk about Maison Brioche over the three weeks before now: what veille learns the brand's usual
/// level from. Deterministic, so every demo tells the same story.
fn history_feed(now: chrono::DateTime<Utc>) -> String {
    const ORDINARY: &[&str] = &[
        "Les croissants de Maison Brioche sont vraiment bons ce matin",
        "Maison Brioche ouvre une boutique près de chez moi, accueil sympa",
        "Pause café chez Maison Brioche avec les collègues",
        "La galette de Maison Brioche était excellente",
        "Maison Brioche : file d'attente un peu longue mais personnel agréable",
        "Maison Brioche propose une nouvelle baguette aux céréales",
    ];
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut items = String::new();
    for day in 1..=21 {
        for k in 0..3 {
            let at = now - chrono::Duration::days(day)
                + chrono::Duration::hours(k * 5 - 6)
                + chrono::Duration::minutes(rng.i64(0..50));
            let text = ORDINARY[rng.usize(..ORDINARY.len())];
            items.push_str(&format!(
                "<item><guid>h-{day}-{k}</guid><title>{text}</title><author>client{}@forum.example (client{})</author>\
                 <pubDate>{}</pubDate><description>{text}</description></item>",
                rng.u32(..30),
                rng.u32(..30),
                at.to_rfc2822()
            ));
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Archives</title><language>fr</language>{items}</channel></rss>"
    )
}

/// The last half hour on a social network: angry customers after the product recall.
fn burst_feed(now: chrono::DateTime<Utc>) -> String {
    const ANGRY: &[(&str, &str)] = &[
        (
            "lea_m",
            "Ma fille a été malade après une brioche de Maison Brioche, je suis furieuse",
        ),
        (
            "karim75",
            "Maison Brioche ne répond à personne, service client injoignable, c'est honteux",
        ),
        (
            "jdupont",
            "Plus jamais Maison Brioche, aucune excuse après le rappel",
        ),
        (
            "sandrine.b",
            "Déçue par Maison Brioche, ils minimisent le problème, scandaleux",
        ),
        (
            "tom_r",
            "Maison Brioche devrait avoir honte de sa communication, lamentable",
        ),
        (
            "amelie",
            "Remboursement refusé chez Maison Brioche, très mauvaise expérience",
        ),
        (
            "nico_b",
            "Maison Brioche : toujours aucune information claire, c'est inadmissible",
        ),
        (
            "fatou",
            "J'ai jeté toutes mes brioches Maison Brioche, je n'ai plus confiance",
        ),
    ];
    let mut items = String::new();
    for (i, (author, text)) in ANGRY.iter().enumerate() {
        // All within the hour in progress, as a burst after a recall is.
        let at = now - chrono::Duration::seconds(1680 - 210 * i as i64);
        items.push_str(&format!(
            "<item><guid>s-{i}</guid><author>{author}@social.example ({author})</author><pubDate>{}</pubDate>\
             <description>{text}</description></item>",
            at.to_rfc2822()
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>#MaisonBrioche</title><language>fr</language>{items}</channel></rss>"
    )
}

/// The services the demo's query sources ask, answered on loopback: what `#MaisonBrioche` says on a
/// Mastodon instance, and what Hacker News says of Acme Telecom. Deterministic, dated from the demo's clock.
mod services {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::{SocketAddr, TcpListener, TcpStream};

    use chrono::{DateTime, Utc};

    /// Mastodon statuses: (minutes ago, account, display name, followers, favourites, boosts, text).
    const TOOTS: &[(i64, &str, &str, u64, u64, u64, &str)] = &[
        (
            52,
            "claire",
            "Claire B.",
            840,
            12,
            9,
            "Quelqu'un sait si les brioches de Maison Brioche achetées samedi sont concernées par le rappel ? #MaisonBrioche",
        ),
        (
            44,
            "boulangerie_libre@piaille.fr",
            "La Boulangerie libre",
            3100,
            41,
            27,
            "Rappel de brioches chez Maison Brioche : vérifiez vos numéros de lot avant de les jeter #MaisonBrioche",
        ),
        (
            37,
            "marc",
            "Marc",
            95,
            3,
            1,
            "Toujours pas de réponse de Maison Brioche au téléphone, c'est désolant #MaisonBrioche",
        ),
    ];

    /// Hacker News hits: (minutes ago, id, author, points, comments, title or comment, is a comment).
    const HITS: &[(i64, u64, &str, i64, u64, &str, bool)] = &[
        (
            150,
            4_200_101,
            "netops",
            212,
            87,
            "Acme Telecom outage: a BGP leak took down their backbone",
            false,
        ),
        (
            95,
            4_200_187,
            "kbeck",
            0,
            0,
            "Acme Telecom support told me to reboot my router three times. Worst support I have dealt with.",
            true,
        ),
    ];

    fn json_escape(s: &str) -> String {
        serde_json::Value::String(s.to_owned()).to_string()
    }

    /// The tag timeline, newest first, as Mastodon's `/api/v1/timelines/tag/{tag}` gives it.
    pub(super) fn tag_timeline(now: DateTime<Utc>) -> String {
        let mut toots: Vec<_> = TOOTS.iter().enumerate().collect();
        toots.sort_by_key(|(_, t)| t.0);
        let items: Vec<String> = toots
            .into_iter()
            .map(|(i, (ago, acct, name, followers, likes, boosts, text))| {
                let id = 112_000 + i;
                let at = (now - chrono::Duration::minutes(*ago)).to_rfc3339();
                let user = acct.split('@').next().unwrap_or(acct);
                format!(
                    r#"{{"id":"{id}","uri":"https://demo.social/users/{user}/statuses/{id}","url":"https://demo.social/@{user}/{id}","created_at":"{at}","content":{},"spoiler_text":"","language":"fr","replies_count":2,"reblogs_count":{boosts},"favourites_count":{likes},"account":{{"acct":"{acct}","display_name":{},"followers_count":{followers}}}}}"#,
                    json_escape(&format!("<p>{text}</p>")),
                    json_escape(name)
                )
            })
            .collect();
        format!("[{}]", items.join(","))
    }

    /// One page of Algolia's `search_by_date` answer.
    pub(super) fn hn_search(now: DateTime<Utc>) -> String {
        let hits: Vec<String> = HITS
            .iter()
            .map(|(ago, id, author, points, comments, text, comment)| {
                let at = now - chrono::Duration::minutes(*ago);
                let (title, body, story_title) = if *comment {
                    ("null".to_owned(), json_escape(text), json_escape(HITS[0].5))
                } else {
                    (json_escape(text), "null".to_owned(), "null".to_owned())
                };
                format!(
                    r#"{{"objectID":"{id}","created_at":"{}","created_at_i":{},"title":{title},"url":null,"author":"{author}","points":{points},"story_text":null,"comment_text":{body},"num_comments":{comments},"story_title":{story_title},"_tags":["{}"]}}"#,
                    at.to_rfc3339(),
                    at.timestamp(),
                    if *comment { "comment" } else { "story" }
                )
            })
            .collect();
        format!(
            r#"{{"hits":[{}],"nbHits":{},"page":0,"nbPages":1,"hitsPerPage":50}}"#,
            hits.join(","),
            HITS.len()
        )
    }

    /// Starts the server on 127.0.0.1, port 0; it answers until the process ends.
    pub(super) fn start(now: DateTime<Utc>) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let (toots, hits) = (tag_timeline(now), hn_search(now));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                answer(stream, &toots, &hits);
            }
        });
        Ok(addr)
    }

    fn answer(stream: TcpStream, toots: &str, hits: &str) {
        let mut reader = BufReader::new(&stream);
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        // The headers are read and ignored: only the path says what is asked.
        let mut header = String::new();
        while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
            header.clear();
        }
        let path = line.split_whitespace().nth(1).unwrap_or("");
        let (status, body) = if path.starts_with("/api/v1/timelines/tag/") {
            ("200 OK", toots)
        } else if path.starts_with("/api/v1/search_by_date") {
            ("200 OK", hits)
        } else {
            ("404 Not Found", "{}")
        };
        let mut out = &stream;
        let _ = write!(
            out,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = out.flush();
    }
}

/// Writes the feeds (each named after its source), the history, the rules and a configuration whose query
/// sources reach the demo's services at `services`.
fn write_demo(
    dir: &Path,
    db: &Path,
    now: chrono::DateTime<Utc>,
    services: std::net::SocketAddr,
) -> anyhow::Result<PathBuf> {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds)
        .with_context(|| format!("cannot create {}", feeds.display()))?;
    let mut config = format!(
        "database = {:?}\nrules = \"rules\"\ninterval = \"10m\"\n",
        db.display().to_string()
    );
    for (name, file, template, tag) in FEEDS {
        let ext = Path::new(file)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("xml");
        std::fs::write(feeds.join(format!("{name}.{ext}")), render(template, now))?;
        config.push_str(&format!(
            "\n[[source]]\nname = {name:?}\nurl = \"feeds/{name}.{ext}\"\ntags = [{tag:?}]\n"
        ));
    }
    std::fs::write(feeds.join("reseau-social.xml"), burst_feed(now))?;
    config.push_str("\n[[source]]\nname = \"reseau-social\"\nurl = \"feeds/reseau-social.xml\"\ntags = [\"social\"]\n");
    config.push_str(&format!(
        "\n[[source]]\nname = \"piaille-brioche\"\nkind = \"mastodon-tag\"\ninstance = \"piaille.fr\"\ntag = \"MaisonBrioche\"\nbase_url = \"http://{services}\"\ntags = [\"social\"]\n\
         \n[[source]]\nname = \"hn-acme\"\nkind = \"hn-search\"\nquery = \"Acme Telecom\"\nbase_url = \"http://{services}\"\ntags = [\"forum\"]\n\
         \n[http]\nallow = [\"127.0.0.1/32\"]\n"
    ));
    std::fs::write(dir.join("historique.xml"), history_feed(now))?;
    std::fs::create_dir_all(dir.join("rules"))?;
    for (name, text) in RULES {
        std::fs::write(dir.join("rules").join(name), text)?;
    }
    let path = dir.join("veille.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}

/// Runs the demo and prints what veille found, in `lang` (default: the environment's, else French).
///
/// # Errors
/// When the temporary directory, the database or standard output fail.
pub fn run(db: Option<PathBuf>, lang: Option<Locale>, no_web: bool) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::Builder::new()
        .prefix("veille-demo-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let kept = db.is_some();
    let db = db.unwrap_or_else(|| tmp.path().join("veille.db"));
    let now = demo_now();
    let services = services::start(now).context("cannot start the demo's local services")?;
    let config_path = write_demo(tmp.path(), &db, now, services)?;
    let config = Config::load(&config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let v = super::voice(&config, lang);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(
        out,
        "{}",
        v.say(
            "demo-title",
            &[
                (
                    "feeds",
                    config
                        .sources
                        .iter()
                        .filter(|s| s.kind == crate::model::SourceKind::Feed)
                        .count()
                        .into(),
                ),
                ("now", v.time(now).into()),
                (
                    "db",
                    if kept {
                        db.display().to_string()
                    } else {
                        String::new()
                    }
                    .into()
                ),
            ],
        )
    )?;
    writeln!(out)?;
    // First what veille would have learnt over three weeks (the brand's usual level), then the sample
    // feeds, each with its items' own time as the clock.
    let analyzer = crate::daemon::build_analyzer(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let history = crate::pipeline::replay::replay_at(
        &[tmp.path().join("historique.xml")],
        &analyzer,
        &db,
        now,
    )?;
    writeln!(
        out,
        "{}",
        v.say("demo-history", &[("count", history.mentions.into())])
    )?;
    let files: Vec<PathBuf> = config
        .sources
        .iter()
        .filter_map(|s| match &s.location {
            crate::sources::fetch::Location::File(p) => Some(p.clone()),
            crate::sources::fetch::Location::Http(_) => None,
        })
        .collect();
    // The query sources, asked through their kinds' real requests, on the demo's local services.
    let fetcher = config.http.build().map_err(|e| anyhow::anyhow!("{e}"))?;
    let runtime = super::runtime()?;
    let mut read = Vec::new();
    let mut queried = Vec::new();
    for s in config
        .sources
        .iter()
        .filter(|s| !matches!(s.target, crate::sources::kinds::Target::Feed))
    {
        let found = runtime
            .block_on(crate::sources::kinds::harvest(
                &fetcher, &s.target, &s.name, None, now,
            ))
            .map(|h| h.mentions)
            .map_err(|e| anyhow::anyhow!("{}: {e}", s.name))?;
        queried.push(v.say(
            "demo-queried-source",
            &[
                ("name", s.name.as_str().into()),
                ("kind", s.kind.as_str().into()),
                ("count", found.len().into()),
            ],
        ));
        read.extend(found);
    }
    let asked = read.len();
    let tags = config
        .sources
        .iter()
        .map(|s| (s.name.clone(), s.tags.clone()))
        .collect();
    let polled = crate::pipeline::replay::replay_with(&files, read, &tags, &analyzer, &db, now)?;
    writeln!(
        out,
        "{}",
        v.say(
            "demo-poll",
            &[
                ("feeds", polled.files.into()),
                ("failed", polled.failed.len().into()),
                ("count", (polled.mentions - asked).into()),
            ],
        )
    )?;
    for (path, e) in &polled.failed {
        writeln!(out, "  {}: {e}", path.display())?;
    }
    writeln!(out, "{}", v.say("demo-queried", &[]))?;
    for q in &queried {
        writeln!(out, "  {q}")?;
    }
    writeln!(out)?;
    let store = Store::open_read_only(&db)?;
    mentions(&mut out, &v, &store, now)?;
    writeln!(out)?;
    incidents(&mut out, &v, &store, &config, now)?;
    email(&mut out, &v, &store)?;
    channel_payloads(&mut out, &v, &store)?;
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        v.say("times-in", &[("zone", v.zone(now).into())])
    )?;
    out.flush()?;
    drop(out);
    if !no_web {
        serve_console(&config, &v, now)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves the console on the demo's database on loopback until Ctrl-C, with a one-time account.
fn serve_console(config: &Config, v: &Voice, now: chrono::DateTime<Utc>) -> anyhow::Result<()> {
    let password = crate::web::auth::random_token();
    let hash = crate::web::auth::password_hash(&password)?;
    let mut store = Store::open(&config.database)?;
    store.remove_user("demo")?;
    store.add_user(
        "demo",
        crate::web::auth::Role::Admin.as_str(),
        &hash,
        Utc::now(),
    )?;
    drop(store);
    // The usual port when it is free, else any free one: the demo must not fail on a busy machine.
    let mut web = crate::web::WebConfig::default();
    let mut console = crate::web::Console::new(web.clone(), config);
    let listener = match console.bind() {
        Ok(l) => l,
        Err(_) => {
            web.listen.set_port(0);
            console = crate::web::Console::new(web, config);
            console.bind()?
        }
    };
    // The pages show the demo's moment, so that its incidents are recent and its charts full.
    console.set_clock(now);
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        v.say(
            "demo-web",
            &[
                ("url", format!("http://{addr}/").into()),
                ("user", "demo".into()),
                ("password", password.as_str().into()),
            ],
        )
    )?;
    out.flush()?;
    drop(out);
    let token = tokio_util::sync::CancellationToken::new();
    super::runtime()?.block_on(async move {
        let stop = token.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
        console.serve(listener, token).await
    })?;
    Ok(())
}

fn mentions(
    out: &mut impl Write,
    v: &Voice,
    store: &Store,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    // The sample feeds' mentions; the three weeks of history are the usual level, not news.
    let mentions: Vec<_> = store
        .mentions(&MentionFilter {
            since: Some(now - chrono::Duration::days(10)),
            ..MentionFilter::default()
        })?
        .into_iter()
        .filter(|m| m.source != "historique")
        .collect();
    writeln!(
        out,
        "{}",
        v.say("demo-mentions", &[("count", mentions.len().into())])
    )?;
    for m in &mentions {
        let title = m
            .title
            .clone()
            .unwrap_or_else(|| super::inspect::excerpt(&m.text, 70));
        writeln!(out, "  {}", super::inspect::heading(v, m, title))?;
        for rm in &m.matches {
            writeln!(out, "      ↳ {}", super::inspect::rule_match(v, rm))?;
        }
    }
    Ok(())
}

fn incidents(
    out: &mut impl Write,
    v: &Voice,
    store: &Store,
    config: &Config,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    let rules = crate::config::rules::load_rules(&config.rules).ok();
    let rows = store.incidents(false, None)?;
    writeln!(
        out,
        "{}",
        v.say("demo-incidents", &[("count", rows.len().into())])
    )?;
    for row in &rows {
        let Some(view) = IncidentView::load(store, row.id, rules.as_ref(), now)? else {
            continue;
        };
        let name = view
            .watch_name
            .clone()
            .or_else(|| row.watch.clone())
            .or_else(|| row.rule.clone())
            .unwrap_or_default();
        writeln!(
            out,
            "  {}",
            v.say(
                "demo-incident",
                &[
                    ("id", row.id.to_string().into()),
                    ("severity", row.severity.as_str().into()),
                    ("name", name.into()),
                    ("kind", words::incident_kind(v, &row.kind).into()),
                    ("opened", v.moment(row.opened_at).into()),
                    ("status", words::status(v, view.status.as_str()).into()),
                ],
            )
        )?;
        let said = match (&view.explanation, view.latest_turn()) {
            (_, Some(d)) => words::decision(v, d),
            (Some(x), None) => words::explanation(v, x, Metric::Negative, true),
            (None, None) => view
                .decisions()
                .next()
                .map(|d| words::decision(v, d))
                .unwrap_or_default(),
        };
        for line in said.lines() {
            writeln!(out, "      {line}")?;
        }
    }
    Ok(())
}

/// The email veille would send first for the most serious incident (rendered, not sent).
fn email(out: &mut impl Write, v: &Voice, store: &Store) -> anyhow::Result<()> {
    let rows = store.outbox(None, 100)?;
    let Some(row) = first_shown(&rows) else {
        return Ok(());
    };
    let email = crate::notify::render::render_with(
        &row.notification,
        &crate::notify::render::RenderOptions::new(*v),
    );
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        v.say(
            "demo-email",
            &[("shown", 1.into()), ("queued", rows.len().into())]
        )
    )?;
    writeln!(
        out,
        "  {}",
        v.say(
            "demo-email-subject",
            &[("subject", email.subject.as_str().into())]
        )
    )?;
    for line in email.text.lines() {
        writeln!(out, "  | {line}")?;
    }
    Ok(())
}

/// The notification the demo shows: the most serious incident opened, the earliest of them.
fn first_shown(
    rows: &[crate::store::outbox::OutboxRow],
) -> Option<&crate::store::outbox::OutboxRow> {
    rows.iter()
        .filter(|r| r.notification.kind == crate::model::NotificationKind::IncidentOpened)
        .max_by_key(|r| (r.notification.severity, std::cmp::Reverse(r.id)))
        .or(rows.last())
}

/// The Teams card and the webhook payload veille would post for the same notification as the email,
/// built from the same facts (shown, not sent; the webhook's signature needs its secret, so only its
/// event header is shown).
fn channel_payloads(out: &mut impl Write, v: &Voice, store: &Store) -> anyhow::Result<()> {
    use crate::notify::channels::{Card, teams, webhook};
    let rows = store.outbox(None, 100)?;
    let Some(row) = first_shown(&rows) else {
        return Ok(());
    };
    let n = &row.notification;
    let card = Card::of(n, v, 3, None);
    let key = n
        .key
        .clone()
        .unwrap_or_else(|| format!("outbox/{}", row.id));
    for (id, json) in [
        ("channel-demo-teams", teams::message(&card)),
        ("channel-demo-webhook", webhook::payload(n, &card, &key)),
    ] {
        writeln!(out)?;
        writeln!(out, "{}", v.word(id))?;
        for line in serde_json::to_string_pretty(&json)?.lines() {
            writeln!(out, "  | {line}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_render_relative_to_now() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-05-10T12:00:00Z")
            .unwrap()
            .to_utc();
        let out = render(b"<a>@@RFC3339-2h@@</a><b>@@RFC2822-1d@@</b>", now);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<a>2026-05-10T10:00:00+00:00</a><b>Sat, 9 May 2026 12:00:00 +0000</b>"
        );
    }

    #[test]
    fn unknown_tokens_stay() {
        let now = Utc::now();
        assert_eq!(render(b"x @@nope@@ y", now), b"x @@nope@@ y");
        assert_eq!(render(b"x @@open", now), b"x @@open");
    }
}
