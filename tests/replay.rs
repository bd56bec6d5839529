//! Detection end to end: feed files with timestamps, generated here, through `veille replay` (the real
//! parser, analyser, store and detector, with the items' own times as the clock).

mod common;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{run, stderr, stdout};

const NEUTRAL: &[&str] = &[
    "Maison Brioche ouvre une nouvelle boutique à Nantes",
    "Les croissants de Maison Brioche sont très bons, accueil agréable",
    "Maison Brioche présente sa galette des rois",
    "J'ai pris un café chez Maison Brioche ce matin",
];
const NEGATIVE: &[&str] = &[
    "Maison Brioche, service client nul et personnel désagréable, je suis furieux",
    "Franchement déçu par Maison Brioche, c'est honteux",
    "Maison Brioche : qualité en chute libre, scandaleux",
    "Plus jamais Maison Brioche, accueil horrible et pain rassis",
    "Maison Brioche m'a vraiment déçue, très mauvaise expérience",
    "Honte à Maison Brioche, commande ratée et aucune excuse",
];

/// A complaint in one person's own words: a negative sentence, then what happened to them, told with words
/// no other complaint uses, so that no two complaints read as copies of one story.
fn own_words(i: i64) -> String {
    let details: String = (0..10).map(|k| format!(" détail{i}x{k}")).collect();
    format!(
        "{} — message {i} :{details}",
        NEGATIVE[i as usize % NEGATIVE.len()]
    )
}

struct Item {
    at: DateTime<Utc>,
    author: String,
    text: String,
}

fn rss(items: &[Item], tag: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>",
    );
    for (i, it) in items.iter().enumerate() {
        out.push_str(&format!(
            "<item><guid>{tag}-{i}</guid><title>{} ({tag} {i})</title><author>{}@forum.example ({})</author><pubDate>{}</pubDate><description>{}</description></item>",
            it.text,
            it.author,
            it.author,
            it.at.to_rfc2822(),
            it.text
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn rules_dir(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/maison-brioche.toml"),
        rules.join("maison-brioche.toml"),
    )
    .unwrap();
    rules
}

fn replay(dir: &Path, feeds: &[(&str, String)]) -> Vec<serde_json::Value> {
    let feed_dir = dir.join("feeds");
    std::fs::create_dir_all(&feed_dir).unwrap();
    for (name, body) in feeds {
        std::fs::write(feed_dir.join(format!("{name}.xml")), body).unwrap();
    }
    let rules = rules_dir(dir);
    let db = dir.join("replay.db");
    let out = run(&[
        "replay",
        "--rules",
        rules.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--json",
        feed_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

/// Two weeks of quiet talk: a few ordinary mentions a day, some by the same people.
fn quiet(days: i64) -> Vec<Item> {
    let mut items = Vec::new();
    let mut rng = fastrand::Rng::with_seed(7);
    for d in 0..days {
        for k in 0..3 {
            items.push(Item {
                at: t0()
                    + Duration::days(d)
                    + Duration::hours(9 + 4 * k)
                    + Duration::minutes(rng.i64(0..50)),
                author: format!("client{}", rng.u32(0..40)),
                text: NEUTRAL[rng.usize(..NEUTRAL.len())].to_owned(),
            });
        }
    }
    items
}

#[test]
fn a_negative_burst_after_a_quiet_fortnight_opens_one_incident_that_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = quiet(14);
    let burst = t0() + Duration::days(14) + Duration::hours(10);
    // Sixty negative mentions from thirty people in two hours, each its own story (in its own words:
    // the same sentence posted by many is one story).
    for i in 0..60 {
        items.push(Item {
            at: burst + Duration::minutes(i * 2),
            author: format!("colere{}", i % 30),
            text: own_words(i),
        });
    }
    // Then calm: ordinary mentions for a day.
    for h in 0..24 {
        items.push(Item {
            at: burst + Duration::hours(4 + h),
            author: format!("client{}", h % 7),
            text: NEUTRAL[h as usize % NEUTRAL.len()].to_owned(),
        });
    }
    let incidents = replay(dir.path(), &[("forum", rss(&items, "f"))]);
    let bad: Vec<&serde_json::Value> = incidents
        .iter()
        .filter(|i| i["kind"] == "bad_buzz")
        .collect();
    assert_eq!(bad.len(), 1, "{incidents:#?}");
    let i = bad[0];
    assert_eq!(i["watch"], "maison-brioche");
    let opened: DateTime<Utc> = i["opened_at"].as_str().unwrap().parse().unwrap();
    assert!(
        opened >= burst - Duration::hours(1) && opened < burst + Duration::hours(1),
        "opened at {opened}"
    );
    assert!(
        !i["resolved_at"].is_null(),
        "the incident must resolve after the calm: {i}"
    );
    assert!(i["peak_count"].as_u64().unwrap() >= 10, "{i}");
    assert!(i["baseline"].as_f64().unwrap() < 2.0, "{i}");
    assert_eq!(
        i["severity"], "critical",
        "a burst ten times the usual level escalates: {i}"
    );
    let summary = i["summary_fr"].as_str().unwrap();
    assert!(
        summary.contains("36 mentions négatives le 16/03 entre 12 h et 13 h"),
        "the explanation is the surge's, not the calm's: {i}"
    );
}

#[test]
fn isolated_negative_posts_open_nothing_but_a_critical_rule_alerts_even_in_warm_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = quiet(1);
    items.push(Item {
        at: t0() + Duration::hours(15),
        author: "a".into(),
        text: NEGATIVE[0].to_owned(),
    });
    items.push(Item {
        at: t0() + Duration::hours(16),
        author: "b".into(),
        text: NEGATIVE[1].to_owned(),
    });
    let incidents = replay(dir.path(), &[("forum", rss(&items, "q"))]);
    assert!(incidents.is_empty(), "{incidents:#?}");

    let dir = tempfile::tempdir().unwrap();
    items.push(Item {
        at: t0() + Duration::hours(17),
        author: "c".into(),
        text: "Appel au boycott de Maison Brioche après le scandale".into(),
    });
    let incidents = replay(dir.path(), &[("forum", rss(&items, "q"))]);
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    assert_eq!(incidents[0]["kind"], "critical_mention");
    assert_eq!(incidents[0]["rule"], "brioche-boycott");
    assert_eq!(incidents[0]["severity"], "critical");
}

#[test]
fn replaying_twice_records_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = quiet(1);
    items.push(Item {
        at: t0() + Duration::hours(17),
        author: "c".into(),
        text: "Appel au boycott de Maison Brioche".into(),
    });
    let feeds = [("forum", rss(&items, "r"))];
    let first = replay(dir.path(), &feeds);
    let second = replay(dir.path(), &feeds);
    assert_eq!(first.len(), 1);
    assert_eq!(second.len(), 1, "{second:#?}");
    let store = veille::store::Store::open_read_only(&dir.path().join("replay.db")).unwrap();
    assert_eq!(store.alerts(None).unwrap().len(), 1);
}

/// A restart in the middle of an incident: the second run rebuilds detection from the database, the
/// incident goes on (it does not reopen) and nothing is recorded or queued twice.
#[test]
fn a_restart_mid_incident_neither_reopens_nor_resends() {
    let dir = tempfile::tempdir().unwrap();
    let mut before = quiet(14);
    let burst = t0() + Duration::days(14) + Duration::hours(10);
    let angry = |i: i64| Item {
        at: burst + Duration::minutes(i * 2),
        author: format!("colere{}", i % 30),
        text: own_words(i),
    };
    before.extend((0..30).map(angry));
    let first = replay(dir.path(), &[("forum-1", rss(&before, "a"))]);
    assert_eq!(
        first.iter().filter(|i| i["kind"] == "bad_buzz").count(),
        1,
        "{first:#?}"
    );
    assert!(first[0]["resolved_at"].is_null());

    // The process stops here. The next run brings the rest of the burst, then calm.
    let mut after: Vec<Item> = (30..60).map(angry).collect();
    for h in 0..24 {
        after.push(Item {
            at: burst + Duration::hours(4 + h),
            author: format!("client{}", h % 7),
            text: NEUTRAL[h as usize % NEUTRAL.len()].to_owned(),
        });
    }
    std::fs::remove_file(dir.path().join("feeds/forum-1.xml")).unwrap();
    let second = replay(dir.path(), &[("forum-2", rss(&after, "b"))]);
    let bad: Vec<&serde_json::Value> = second.iter().filter(|i| i["kind"] == "bad_buzz").collect();
    assert_eq!(
        bad.len(),
        1,
        "the incident must go on, not reopen: {second:#?}"
    );
    assert_eq!(bad[0]["incident"], first[0]["incident"]);
    assert!(!bad[0]["resolved_at"].is_null(), "{second:#?}");

    let store = veille::store::Store::open_read_only(&dir.path().join("replay.db")).unwrap();
    let queued: Vec<String> = store
        .outbox(None, 1000)
        .unwrap()
        .iter()
        .map(|r| format!("{:?}", r.notification.kind))
        .collect();
    let opened = queued
        .iter()
        .filter(|k| k.as_str() == "IncidentOpened")
        .count();
    let resolved = queued
        .iter()
        .filter(|k| k.as_str() == "IncidentResolved")
        .count();
    assert_eq!((opened, resolved), (1, 1), "{queued:?}");
}
