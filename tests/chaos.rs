//! `kill -9` while the daemon writes: many items per poll (so that each transaction is long), sources that
//! answer after random delays (so that polls meet in the writer's group commits at varying points), an
//! SMTP server taking the alert emails, and the kill itself at a random moment of the run — all from one
//! seed, so that a failing trial can be replayed.
//!
//! After each kill: the database passes `PRAGMA integrity_check`; a clean `veille run --once` then leaves
//! every item stored exactly once, the same alerts and outbox rows as an uninterrupted run, and no
//! notification sent twice under different Message-IDs (a resend after the kill keeps its Message-ID).
//!
//! The existing kill test (`tests/daemon.rs`) kills while a source is stuck in its HTTP read, with no
//! transaction open; this one aims at the commits. `VEILLE_CHAOS_TRIALS` (default 20) raises the number of
//! trials, `VEILLE_CHAOS_SEED` replays another series; with `--nocapture` it prints one line per trial and
//! a summary table:
//!
//! ```text
//! VEILLE_CHAOS_TRIALS=200 cargo test --release --test chaos -- --nocapture
//! ```

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::daemon::{NotifySocket, eventually, log, signal, start, wait_exit};
use common::{Response, Server, run, stderr, stdout};
use smtp::SmtpServer;

const T: Duration = Duration::from_secs(60);
const SOURCES: usize = 6;
const ITEMS: usize = 300;
/// Items of each source that call for a boycott (a critical rule: an alert and an email each).
const CRITICAL: usize = 2;

/// Source `s`'s feed: `ITEMS` items, the first `CRITICAL` of them critical.
fn feed(s: usize) -> String {
    let now = chrono::Utc::now();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Forum</title>\
         <link>https://forum.example/</link><description>Avis</description><language>fr</language>\n",
    );
    for i in 0..ITEMS {
        let (title, text) = if i < CRITICAL {
            (
                format!("Boycott de Maison Brioche ({s}-{i})"),
                format!("Appel au boycott de Maison Brioche, n'achetez plus chez eux ({s}-{i}). "),
            )
        } else {
            (
                format!("Avis {s}-{i}"),
                format!("Une nouvelle boutique ouvre en ville, les clients en parlent ({s}-{i}). "),
            )
        };
        xml.push_str(&format!(
            "<item><guid>s{s}-{i}</guid><title>{title}</title><link>https://forum.example/{s}/{i}</link>\
             <pubDate>{}</pubDate><description>{}</description></item>\n",
            (now - chrono::Duration::seconds((i % 300) as i64 + 60)).to_rfc2822(),
            text.repeat(12),
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml
}

/// A run's setting: its directory, configuration and database.
struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
}

fn setup(feeds: &Server, smtp: &SmtpServer) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mut body = format!(
        "database = \"veille.db\"\nrules = \"rules\"\n\n[http]\nallow = [\"127.0.0.1/32\"]\n\n[email]\nserver = \"{}\"\nfrom = \"veille@example.fr\"\n\
         to = [\"comms@example.fr\"]\ntimezone = \"UTC\"\nmax_per_hour = 10000\ntimeout = \"5s\"\n\n",
        smtp.url()
    );
    for s in 0..SOURCES {
        body.push_str(&format!(
            "[[source]]\nname = \"s{s}\"\nurl = \"{}\"\n",
            feeds.url(&format!("/{s}"))
        ));
    }
    let config = dir.path().join("veille.toml");
    std::fs::write(&config, body).unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/maison-brioche.toml"),
        dir.path().join("rules/maison-brioche.toml"),
    )
    .unwrap();
    let db = dir.path().join("veille.db");
    Setup { dir, config, db }
}

/// What a finished database holds, to compare with an uninterrupted run.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    /// Every stored item, as `source/guid`, with how many times it is stored.
    items: BTreeMap<String, u32>,
    /// Alerts by kind and rule: which mention opened a rule's incident depends on which poll committed
    /// first, so the mention is not part of the key.
    alerts: BTreeMap<String, u32>,
    /// Incidents by kind and rule, and the mentions each counted: a flood is one incident that counts
    /// every critical item once, whatever the kills and restarts.
    incidents: BTreeMap<String, u32>,
    counted: BTreeMap<String, u32>,
    /// Outbox rows by kind and state.
    outbox: BTreeMap<String, u32>,
}

fn outcome(db: &Path) -> (Outcome, BTreeSet<String>) {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let count = |sql: &str| -> BTreeMap<String, u32> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let items = count("SELECT source || '/' || guid, count(*) FROM mention GROUP BY 1");
    let alerts = count("SELECT kind || ' ' || coalesce(rule, '-'), count(*) FROM alert GROUP BY 1");
    let incidents =
        count("SELECT kind || ' ' || coalesce(rule, '-'), count(*) FROM incident GROUP BY 1");
    let counted =
        count("SELECT kind || ' ' || coalesce(rule, '-'), sum(mentions) FROM incident GROUP BY 1");
    let outbox = count("SELECT kind || ' ' || state, count(*) FROM outbox GROUP BY 1");
    // The Message-ID each sent row went out with (the same for every attempt of that row).
    let mut stmt = conn
        .prepare("SELECT id, created FROM outbox WHERE state = 'sent'")
        .unwrap();
    let ids = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
        .map(|row| {
            let (id, created) = row.unwrap();
            let created = chrono::DateTime::from_timestamp(created, 0).unwrap();
            format!(
                "<{}>",
                veille::notify::mailer::message_id(id, created, "example.fr")
            )
        })
        .collect();
    (
        Outcome {
            items,
            alerts,
            incidents,
            counted,
            outbox,
        },
        ids,
    )
}

/// The Message-IDs the server received, with how many times each.
fn received_ids(smtp: &SmtpServer) -> BTreeMap<String, u32> {
    let mut ids = BTreeMap::new();
    for r in smtp.received() {
        *ids.entry(r.raw_header("Message-ID").unwrap_or_default())
            .or_insert(0) += 1;
    }
    ids
}

/// The feeds, each answered after a delay drawn from `seed` (0–`max_ms` ms), so that polls reach the
/// writer at different moments from trial to trial.
fn feeds(seed: u64, max_ms: u64) -> Server {
    let bodies: Vec<String> = (0..SOURCES).map(feed).collect();
    Server::start(move |req, n| {
        let s: usize = req.path.trim_start_matches('/').parse().unwrap_or(0);
        let mut rng = fastrand::Rng::with_seed(seed ^ ((n as u64) << 8) ^ s as u64);
        Response {
            stall: Some(Duration::from_millis(rng.u64(0..=max_ms))),
            ..Response::ok(bodies[s % SOURCES].clone())
        }
    })
}

/// When the kill came, as the files showed it: inside a commit (the write-ahead log ends with frames no
/// commit frame closes), before any item was stored, between two commits, or after the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum KilledAt {
    InsideACommit,
    BeforeAnyCommit,
    BetweenCommits,
    AfterTheLast,
}

/// Frames at the end of the write-ahead log `wal` that no commit frame closes: pages of a transaction
/// that was being committed when the process died (SQLite ignores them on recovery). Frames of an older
/// generation of the log (other salts) are not counted.
fn uncommitted_frames(wal: &Path) -> usize {
    let Ok(b) = std::fs::read(wal) else {
        return 0;
    };
    if b.len() < 32 {
        return 0;
    }
    let be = |x: &[u8]| u32::from_be_bytes([x[0], x[1], x[2], x[3]]);
    let frame = 24 + be(&b[8..12]) as usize;
    let salts = &b[16..24];
    let (mut at, mut open) = (32, 0);
    while at + frame <= b.len() && &b[at + 8..at + 16] == salts {
        // Bytes 4..8 of a frame header: the database size after a commit, 0 for other frames.
        open = if be(&b[at + 4..at + 8]) != 0 {
            0
        } else {
            open + 1
        };
        at += frame;
    }
    open
}

/// How many "Feed fetched." lines (one per committed poll) the daemon has logged.
fn commits_logged(config: &Path) -> usize {
    log(config).matches("Feed fetched.").count()
}

#[test]
fn kill_9_during_writes_keeps_the_database_whole_and_nothing_twice() {
    let trials: u64 = std::env::var("VEILLE_CHAOS_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("VEILLE_CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_c4a0);
    let total = SOURCES * ITEMS;
    let max_stall = 150;

    // An uninterrupted run: what every trial must end with, and how long the daemon takes to store it all
    // (the kills are spread over that time).
    let reference_smtp = SmtpServer::start();
    let reference_feeds = feeds(seed, max_stall);
    let reference = setup(&reference_feeds, &reference_smtp);
    let (mut notify, socket) = NotifySocket::bind(reference.dir.path());
    let started = Instant::now();
    let mut child = start(&reference.config, &socket, &[]);
    assert!(
        notify.wait_for("READY=1", T).is_some(),
        "{}",
        log(&reference.config)
    );
    let stored = |db: &Path| {
        veille::store::Store::open_read_only(db)
            .and_then(|s| s.mention_count())
            .unwrap_or(0) as usize
    };
    assert!(
        eventually(T, || stored(&reference.db) == total),
        "the reference run stored {} of {total}; log: {}",
        stored(&reference.db),
        log(&reference.config)
    );
    let full_run = started.elapsed();
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(20)).is_some_and(|s| s.success()));
    let out = run(&[
        "run",
        "--once",
        "--config",
        reference.config.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (expected, expected_ids) = outcome(&reference.db);
    assert_eq!(expected.items.len(), total);
    // The critical items of every source are one incident, opened by one alert, counting them all.
    assert_eq!(
        expected.counted.get("critical_mention brioche-boycott"),
        Some(&((SOURCES * CRITICAL) as u32)),
        "{expected:?}"
    );
    assert_eq!(
        expected.alerts.get("critical_mention brioche-boycott"),
        Some(&1),
        "{expected:?}"
    );
    assert!(!expected_ids.is_empty(), "the reference run sent no email");
    assert_eq!(
        received_ids(&reference_smtp)
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>(),
        expected_ids
    );

    let mut rng = fastrand::Rng::with_seed(seed);
    // A third of the kills come at a random moment of the whole run; a third shortly after a random number
    // of polls were committed, when the next ones are being written; a third as soon as the write-ahead
    // log is seen growing, that is while a commit writes its pages.
    let window = full_run.as_millis() as u64 * 5 / 4;
    let mut seen: BTreeMap<KilledAt, u32> = BTreeMap::new();
    let mut resent = 0;
    for trial in 0..trials {
        let smtp = SmtpServer::start();
        let feeds = feeds(rng.u64(..), max_stall);
        let s = setup(&feeds, &smtp);
        let (mut notify, socket) = NotifySocket::bind(s.dir.path());
        let (after_commits, delay, on_growth) = match rng.u8(0..3) {
            0 => (0, Duration::from_millis(rng.u64(0..=window)), false),
            1 => (
                rng.usize(1..SOURCES),
                Duration::from_millis(rng.u64(0..=40)),
                false,
            ),
            _ => (0, Duration::ZERO, true),
        };
        let trial_start = Instant::now();
        let mut child = start(&s.config, &socket, &[]);
        if on_growth {
            // The n-th growth after the start (whose migrations write too), n drawn from the seed, so that
            // later transactions are hit too. A transaction larger than SQLite's page cache spills pages
            // into the log before its commit, so growth is seen while it is still open.
            assert!(
                notify.wait_for("READY=1", T).is_some(),
                "{}",
                log(&s.config)
            );
            let growths = rng.usize(1..=SOURCES);
            let wal = s.dir.path().join("veille.db-wal");
            let (mut seen, mut last) = (0, std::fs::metadata(&wal).map_or(0, |m| m.len()));
            let deadline = Instant::now() + T;
            while seen < growths && Instant::now() < deadline {
                let len = std::fs::metadata(&wal).map_or(0, |m| m.len());
                if len > last {
                    seen += 1;
                    last = len;
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        } else if after_commits > 0 {
            assert!(
                eventually(T, || commits_logged(&s.config) >= after_commits),
                "trial {trial}: fewer than {after_commits} polls committed; log: {}",
                log(&s.config)
            );
        }
        // The kill's moment is the chaos; it synchronises nothing.
        std::thread::sleep(delay);
        // SAFETY: kill(2) on our own child's pid; no memory is involved. Called directly rather than
        // through kill(1), whose start would let a commit seen in progress finish first.
        let killed = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        assert_eq!(killed, 0, "kill -9 failed");
        let exit =
            wait_exit(&mut child, Duration::from_secs(10)).expect("kill -9 ends the process");
        assert!(!exit.success());
        let killed_after = trial_start.elapsed();
        let _ = notify.wait_for("READY=1", Duration::ZERO);
        let torn = uncommitted_frames(&s.dir.path().join("veille.db-wal"));
        let before = stored(&s.db);
        let at = match before {
            _ if torn > 0 => KilledAt::InsideACommit,
            0 => KilledAt::BeforeAnyCommit,
            n if n < total => KilledAt::BetweenCommits,
            _ => KilledAt::AfterTheLast,
        };
        // A poll is one transaction: each source has all of its items or none.
        assert_eq!(before % ITEMS, 0, "trial {trial}: a poll was half-written");
        *seen.entry(at).or_insert(0) += 1;

        let store = veille::store::Store::open_read_only(&s.db);
        if let Ok(store) = &store {
            assert!(
                store.integrity_ok().unwrap(),
                "trial {trial}: integrity check failed after kill -9 at {delay:?}"
            );
        }
        drop(store);
        let out = run(&["run", "--once", "--config", s.config.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "trial {trial}: the clean rerun failed: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let store = veille::store::Store::open_read_only(&s.db).unwrap();
        assert!(store.integrity_ok().unwrap(), "trial {trial}");
        drop(store);
        let (got, sent_ids) = outcome(&s.db);
        assert_eq!(
            got.items.len(),
            total,
            "trial {trial} (kill at {delay:?}): items lost"
        );
        assert!(
            got.items.values().all(|&n| n == 1),
            "trial {trial}: an item stored twice"
        );
        assert_eq!(got, expected, "trial {trial} (kill at {delay:?})");
        // Every email that went out is one of the sent rows' Message-IDs, and each sent row went out: a
        // notification sent again after the kill went under its own Message-ID, never a new one.
        let received = received_ids(&smtp);
        assert_eq!(
            received.keys().cloned().collect::<BTreeSet<_>>(),
            sent_ids,
            "trial {trial} (kill at {delay:?}): emails and sent rows differ"
        );
        resent += received.values().filter(|&&n| n > 1).count();
        println!(
            "trial {trial:>4}: kill after {:>5} ms, {before:>5} of {total} stored then, {torn:>4} uncommitted frames ({at:?}), {} emails",
            killed_after.as_millis(),
            received.values().sum::<u32>()
        );
    }
    println!(
        "\n| trials | killed inside a commit | before any commit | between commits | after the last | emails resent (same Message-ID) | failures |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {trials} | {} | {} | {} | {} | {resent} | 0 |",
        seen.get(&KilledAt::InsideACommit).unwrap_or(&0),
        seen.get(&KilledAt::BeforeAnyCommit).unwrap_or(&0),
        seen.get(&KilledAt::BetweenCommits).unwrap_or(&0),
        seen.get(&KilledAt::AfterTheLast).unwrap_or(&0),
    );
}
