//! `veille demo`: the main job, offline, on bundled sample feeds.
//!
//! The sample feeds (French and English, about fictitious brands) are embedded in the binary with their
//! dates as offsets from now, so that the demo always shows recent events. They are written to a temporary
//! directory with a configuration, polled once through the real pipeline into a fresh SQLite file, and what
//! veille found is printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;

use crate::config::Config;
use crate::daemon::Daemon;
use crate::store::{MentionFilter, Store};

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

/// The last two hours on a social network: angry customers after the product recall.
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
        let at = now - chrono::Duration::minutes(110 - 14 * i as i64);
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

fn write_demo(dir: &Path, db: &Path) -> anyhow::Result<PathBuf> {
    let now = Utc::now();
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds)
        .with_context(|| format!("cannot create {}", feeds.display()))?;
    let mut config = format!(
        "database = {:?}\nrules = \"rules\"\ninterval = \"10m\"\n",
        db.display().to_string()
    );
    for (name, file, template, tag) in FEEDS {
        std::fs::write(feeds.join(file), render(template, now))?;
        config.push_str(&format!(
            "\n[[source]]\nname = {name:?}\nurl = \"feeds/{file}\"\ntags = [{tag:?}]\n"
        ));
    }
    std::fs::write(feeds.join("reseau-social.xml"), burst_feed(now))?;
    config.push_str("\n[[source]]\nname = \"reseau-social\"\nurl = \"feeds/reseau-social.xml\"\ntags = [\"social\"]\n");
    std::fs::write(dir.join("historique.xml"), history_feed(now))?;
    std::fs::create_dir_all(dir.join("rules"))?;
    for (name, text) in RULES {
        std::fs::write(dir.join("rules").join(name), text)?;
    }
    let path = dir.join("veille.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}

pub fn run(db: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::Builder::new()
        .prefix("veille-demo-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let db = db.unwrap_or_else(|| tmp.path().join("veille.db"));
    let config_path = write_demo(tmp.path(), &db)?;
    let config = Config::load(&config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "veille demo — {} sample feeds, database {}",
        FEEDS.len(),
        db.display()
    )?;
    writeln!(out)?;
    // First what veille would have learnt over three weeks (the brand's usual level), replayed with each
    // item's own time as the clock; then one poll of the sample feeds, now.
    let analyzer = crate::daemon::build_analyzer(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let history =
        crate::pipeline::replay::replay(&[tmp.path().join("historique.xml")], &analyzer, &db)?;
    writeln!(
        out,
        "History: {} ordinary mentions over three weeks replayed (the usual level).",
        history.mentions
    )?;
    let rt = super::runtime()?;
    let summary = rt.block_on(async { Daemon::start(config)?.run_once().await })?;
    writeln!(out, "Poll: {summary}")?;
    writeln!(out)?;
    let store = Store::open_read_only(&db)?;
    let mentions = store.mentions(&MentionFilter {
        since: Some(Utc::now() - chrono::Duration::days(10)),
        ..MentionFilter::default()
    })?;
    writeln!(
        out,
        "Mentions of the last ten days ({}), newest first:",
        mentions.len()
    )?;
    for m in &mentions {
        writeln!(
            out,
            "  {}  {:<16} {:<5} {:<3} {:>5.2}  {}",
            m.published.unwrap_or(m.fetched).format("%d/%m %H:%M"),
            m.source,
            m.lang.as_str(),
            m.label.as_str(),
            m.score,
            m.title
                .clone()
                .unwrap_or_else(|| super::inspect::excerpt(&m.text, 70))
        )?;
        for rm in &m.matches {
            let terms = super::inspect::distinct_terms(rm);
            writeln!(
                out,
                "      ↳ règle {} ({}) : {}",
                rm.rule,
                rm.severity,
                terms.join(", ")
            )?;
        }
    }
    writeln!(out)?;
    let incidents = store.incidents(false, None)?;
    writeln!(out, "Incidents ({}):", incidents.len())?;
    for i in &incidents {
        writeln!(
            out,
            "  #{} {} — {} ({}), ouvert le {}{}",
            i.id,
            i.severity.to_uppercase(),
            i.watch.as_deref().or(i.rule.as_deref()).unwrap_or("?"),
            i.kind,
            i.opened_at.format("%d/%m %H:%M"),
            if i.resolved_at.is_some() {
                ", résolu"
            } else {
                ""
            }
        )?;
        if let Some(x) = i
            .explanation
            .as_deref()
            .and_then(|x| serde_json::from_str::<crate::detect::Explanation>(x).ok())
        {
            let v = crate::i18n::Voice::french();
            for line in crate::i18n::words::explanation(&v, &x, crate::i18n::words::Metric::Negative, true).lines() {
                writeln!(out, "      {line}")?;
            }
        } else if let Some(e) = store.incident_events(i.id)?.first() {
            writeln!(out, "      {}", e.text_fr)?;
        }
    }
    // The email veille would send first for the most serious incident (rendered, not sent).
    let rows = store.outbox(None, 100)?;
    let first = rows
        .iter()
        .filter(|r| r.notification.kind == crate::model::NotificationKind::IncidentOpened)
        .max_by_key(|r| (r.notification.severity, std::cmp::Reverse(r.id)))
        .or(rows.last());
    if let Some(row) = first {
        let email = crate::notify::render(&row.notification, crate::notify::Locale::Fr);
        writeln!(out)?;
        writeln!(
            out,
            "The email veille would send ({} notification(s) queued; nothing is sent in the demo):",
            rows.len()
        )?;
        writeln!(out, "  Subject: {}", email.subject)?;
        for line in email.text.lines() {
            writeln!(out, "  | {line}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
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
