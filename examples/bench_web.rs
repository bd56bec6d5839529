//! Console benchmark: a database of 1,000,000 mentions and 2,000 incidents (generated), the console served
//! on loopback, and a writer adding mentions the whole time as the daemon's ingestion would; then the median
//! and 90th percentile time to serve the overview, an incident's page and a mention search.
//!
//! `cargo run --release --example bench_web -- [MENTIONS] [INCIDENTS] [REQUESTS]` (default 1000000 2000 30).
//! The generator writes rows with plain SQL in large transactions (generating through the pipeline would
//! take the time of a real ingest benchmark, which `bench_ingest` measures), as a database of a build
//! without the search index would hold them; the store's back-fill then indexes them (timed). The writer
//! beside the console writes through the store, as the daemon's does, so its mentions are indexed in
//! their transaction.

use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const WORDS: &[&str] = &[
    "brioche",
    "croissant",
    "boutique",
    "prix",
    "service",
    "client",
    "livraison",
    "qualité",
    "pain",
    "réseau",
    "panne",
    "fibre",
    "forfait",
    "facture",
    "opérateur",
    "magasin",
    "ouverture",
    "recette",
    "été",
    "hiver",
    "promotion",
    "nouveau",
    "attente",
    "délicieux",
    "cher",
    "retard",
    "accueil",
];

fn text(rng: &mut fastrand::Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.usize(..WORDS.len())]);
    }
    s
}

fn generate(
    db: &std::path::Path,
    mentions: usize,
    incidents: usize,
    now: i64,
) -> anyhow::Result<()> {
    drop(veille::store::Store::open(db)?);
    let mut conn = rusqlite::Connection::open(db)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    let mut rng = fastrand::Rng::with_seed(7);
    let tx = conn.transaction()?;
    {
        let mut st = tx.prepare(
            "INSERT INTO mention (source, guid, link, title, text, author, published, fetched, at, story, lang, score, label)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7, ?8, 'fr', ?9, ?10)",
        )?;
        for i in 0..mentions {
            let at = now - 180 * 86_400 + (i as i64 * 180 * 86_400) / mentions as i64;
            let mut title = text(&mut rng, 6);
            // One mention in a hundred calls for a boycott: a search that matches often.
            if rng.u8(..100) == 0 {
                title.push_str(" boycott Maison Brioche");
            }
            let score: f64 = rng.f64() * 2.0 - 1.0;
            let label = if score < -0.05 {
                "neg"
            } else if score > 0.05 {
                "pos"
            } else {
                "neu"
            };
            st.execute(rusqlite::params![
                format!("s{}", i % 500),
                format!("g{i}"),
                format!("https://site{}.example/{i}", i % 500),
                title,
                text(&mut rng, 40),
                format!("author{}", rng.u32(..20_000)),
                at,
                i as i64,
                score,
                label
            ])?;
        }
        let mut inc = tx.prepare(
            "INSERT INTO incident (key, kind, watch, rule, severity, opened_at, updated_at, resolved_at, peak_count, mentions)
             VALUES (?1, 'critical_mention', 'maison-brioche', 'brioche-boycott', 'critical', ?2, ?2, ?3, 3, 1)",
        )?;
        let mut ev = tx.prepare(
            "INSERT INTO incident_event (incident, key, at, kind, severity, notify, text_fr, text_en)
             VALUES (?1, ?2, ?3, 'opened', 'critical', 1, 'Incident ouvert.', 'Incident opened.')",
        )?;
        for i in 0..incidents {
            let at = now - 180 * 86_400 + (i as i64 * 180 * 86_400) / incidents as i64;
            // The last twenty are still open.
            let resolved = (i + 20 < incidents).then_some(at + 7200);
            inc.execute(rusqlite::params![format!("i{i}"), at, resolved])?;
            let id = tx.last_insert_rowid();
            ev.execute(rusqlite::params![id, format!("e{i}"), at])?;
        }
    }
    tx.commit()?;
    // The rows above were written without the search index, as by a build before it: the store's
    // back-fill indexes them, in the batches the daemon's writer runs while idle.
    conn.execute_batch(
        "DELETE FROM mention_fts;
         INSERT OR REPLACE INTO meta (key, value)
            SELECT 'search_backfill_below', CAST(max(id) + 1 AS TEXT) FROM mention;",
    )?;
    drop(conn);
    let mut store = veille::store::Store::open(db)?;
    let t = Instant::now();
    while store.search_backfill(500)? {}
    let secs = t.elapsed().as_secs_f64();
    println!(
        "search index back-filled: {mentions} mentions in {secs:.1} s ({:.0} mentions/s)",
        mentions as f64 / secs
    );
    Ok(())
}

fn get(addr: SocketAddr, path: &str, cookie: &str) -> (u16, usize) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: veille_session={cookie}\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let head = String::from_utf8_lossy(&out[..out.len().min(20)]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    (status, out.len())
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mentions: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let incidents: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2000);
    let requests: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(30);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules)?;
    for (name, text) in [
        (
            "maison-brioche.toml",
            include_str!("../rules/maison-brioche.toml"),
        ),
        (
            "acme-telecom.toml",
            include_str!("../rules/acme-telecom.toml"),
        ),
    ] {
        std::fs::write(rules.join(name), text)?;
    }
    let now = chrono::Utc::now().timestamp();
    let t = Instant::now();
    generate(&db, mentions, incidents, now)?;
    println!(
        "generated {mentions} mentions and {incidents} incidents in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // A session, as sign-in makes one (sign-in itself is argon2's deliberate cost, not the console's).
    let cookie = veille::web::auth::random_token();
    {
        let mut store = veille::store::Store::open(&db)?;
        let hash = veille::web::auth::password_hash("bench-password")?;
        store.add_user("bench", "veilleur", &hash, chrono::Utc::now())?;
        store.create_session(
            &veille::web::auth::session_hash(&cookie),
            "bench",
            "csrf",
            chrono::Utc::now(),
        )?;
    }

    // Ingestion beside: 500 new mentions a second, in transactions of 50 (the daemon's writer commits one
    // poll at a time), all newer than everything else, so every search reads through them first.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (stop, written, db) = (stop.clone(), written.clone(), db.clone());
        std::thread::spawn(move || -> anyhow::Result<()> {
            let mut store = veille::store::Store::open(&db)?;
            let mut rng = fastrand::Rng::with_seed(9);
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let now = chrono::Utc::now();
                let mentions = (0..50)
                    .map(|_| {
                        n += 1;
                        veille::store::AnalysedMention {
                            mention: veille::model::Mention {
                                source: "live".into(),
                                id: format!("live{n}"),
                                link: None,
                                title: Some(text(&mut rng, 6)),
                                text: text(&mut rng, 40),
                                author: None,
                                lang: Some("fr".into()),
                                published: Some(now),
                                fetched: now,
                                story: n,
                            },
                            analysis: veille::model::Analysis::default(),
                        }
                    })
                    .collect();
                store.write_polls(&[&veille::store::Poll {
                    state: veille::model::SourceState {
                        name: "live".into(),
                        url: "live.xml".into(),
                        ..veille::model::SourceState::default()
                    },
                    mentions,
                }])?;
                written.fetch_add(50, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        })
    };

    let mut config = veille::config::Config::bare(db.clone(), rules);
    let web = veille::web::WebConfig {
        listen: "127.0.0.1:0".parse()?,
        ..veille::web::WebConfig::default()
    };
    config.web = Some(web.clone());
    let console = veille::web::Console::new(web, &config);
    let listener = console.bind()?;
    let addr = listener.local_addr()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let token = tokio_util::sync::CancellationToken::new();
    let server = {
        let token = token.clone();
        rt.spawn(async move { console.serve(listener, token).await })
    };

    let incident = incidents as i64; // the newest, open
    let pages = [
        ("overview", "/".to_owned()),
        ("incident page", format!("/incidents/{incident}")),
        ("search (1 % of mentions)", "/mentions?q=boycott".to_owned()),
        (
            "search (phrase, AND)",
            "/mentions?q=%22maison+brioche%22+AND+boycott".to_owned(),
        ),
        (
            "search (in every mention)",
            "/mentions?q=brioche".to_owned(),
        ),
        ("search (no mention)", "/mentions?q=introuvable".to_owned()),
        ("search (prefix)", "/mentions?q=boyc*".to_owned()),
        (
            "search (NEAR, NOT)",
            "/mentions?q=boycott+NEAR%2F2+maison+-hiver".to_owned(),
        ),
        (
            "search (title:, accent)",
            "/mentions?q=title%3AR%C3%89SEAU".to_owned(),
        ),
        ("search (2nd page)", String::new()),
    ];
    println!(
        "{:<30} {:>10} {:>10} {:>10}",
        "page", "median ms", "p90 ms", "bytes"
    );
    for (name, path) in &pages {
        let path = if path.is_empty() {
            // The cursor of the first page's last mention, as the "older" link carries it.
            let body = {
                let mut s = std::net::TcpStream::connect(addr)?;
                write!(
                    s,
                    "GET /mentions?q=boycott HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: veille_session={cookie}\r\n\r\n"
                )?;
                let mut out = String::new();
                s.read_to_string(&mut out)?;
                out
            };
            let at = body.find("after=").map(|i| i + 6).unwrap_or(0);
            let end = body[at..].find('"').map(|e| at + e).unwrap_or(at);
            format!("/mentions?q=boycott&after={}", &body[at..end])
        } else {
            path.clone()
        };
        let mut times = Vec::with_capacity(requests);
        let mut bytes = 0;
        for _ in 0..requests {
            let t = Instant::now();
            let (status, n) = get(addr, &path, &cookie);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(status == 200, "{path}: status {status}");
            bytes = n;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<30} {:>10.1} {:>10.1} {bytes:>10}",
            times[times.len() / 2],
            times[times.len() * 9 / 10]
        );
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("the writer thread")?;
    token.cancel();
    let _ = rt.block_on(server);
    println!(
        "mentions written meanwhile: {}",
        written.load(Ordering::Relaxed)
    );
    Ok(())
}
