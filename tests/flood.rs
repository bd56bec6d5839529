//! A flood of critical mentions through the real binary (issue 16, item 8): one feed of 10,000 items that
//! all match a critical rule went through `veille run --once` as 10,000 alerts, 10,000 timeline lines and
//! an outbox row per mention and channel. It must be one incident that counts them all, a bounded number
//! of outbox rows per channel, and a database that grows by a few kilobytes per mention, not more.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, Utc};
use common::{Response, Server, run, stderr, stdout, write_config};
use serde_json::Value;

/// Items in the flood.
const ITEMS: usize = 10_000;

/// An RSS feed of `n` distinct posts calling for a boycott of « Maison Brioche », a few minutes old.
fn write_flood(path: &Path, n: usize) {
    let published = (Utc::now() - Duration::minutes(5)).to_rfc2822();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Forum conso</title><link>https://forum.example/</link><description>Avis</description>\
         <language>fr</language>\n",
    );
    for i in 0..n {
        xml.push_str(&format!(
            "<item><guid>post-{i}</guid><title>Boycott de Maison Brioche ({i})</title>\
             <link>https://forum.example/t/{i}</link><author>client{i}@example.org (Client {i})</author>\
             <pubDate>{published}</pubDate><description>Appel au boycott de Maison Brioche, \
             message numéro {i} : n'achetez plus chez eux, c'est une honte.</description></item>\n"
        ));
    }
    xml.push_str("</channel></rss>\n");
    std::fs::write(path, xml).unwrap();
}

fn veille_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "veille {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn json_lines(args: &[&str]) -> Vec<Value> {
    veille_ok(args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The database's size on disk, its write-ahead log included.
fn database_bytes(dir: &Path) -> u64 {
    ["veille.db", "veille.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

#[test]
fn ten_thousand_critical_items_make_one_incident_and_a_bounded_outbox() {
    let hook = Server::start(|_, _| Response::ok(""));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"forum\"\nurl = \"forum.xml\"\n\
             [[channel]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{}\"\nsecret_file = \"secret\"\n",
            hook.url("/hook")
        ),
    );
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/maison-brioche.toml"),
        dir.path().join("rules/maison-brioche.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("secret"),
        "a key for signing the webhook's payloads",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    // An empty run first: the size of a database with no mention.
    write_flood(&dir.path().join("forum.xml"), 0);
    veille_ok(&["run", "--once", "--config", config]);
    let empty = database_bytes(dir.path());

    write_flood(&dir.path().join("forum.xml"), ITEMS);
    veille_ok(&["run", "--once", "--config", config]);

    let mentions = json_lines(&["mentions", "--json", "--limit", "20000", "--config", config]);
    assert_eq!(mentions.len(), ITEMS, "every item is a mention");

    let incidents = json_lines(&["incidents", "--json", "--config", config]);
    assert_eq!(incidents.len(), 1, "one incident: {incidents:?}");
    let incident = &incidents[0];
    assert_eq!(incident["kind"], "critical_mention");
    assert_eq!(incident["rule"], "brioche-boycott");
    assert_eq!(incident["mentions"], ITEMS as u64, "every mention counted");

    let alerts = json_lines(&["alerts", "--json", "--config", config]);
    assert_eq!(
        alerts.len(),
        1,
        "one alert, at the opening: {}",
        alerts.len()
    );

    // Outbox rows per channel: the opening, and nothing per mention.
    let mut per_channel: BTreeMap<String, usize> = BTreeMap::new();
    for row in json_lines(&["outbox", "--json", "--limit", "100000", "--config", config]) {
        let channel = row["channel"].as_str().unwrap_or("email").to_owned();
        *per_channel.entry(channel).or_default() += 1;
    }
    assert!(
        per_channel.values().all(|&n| n <= 2) && per_channel.contains_key("ops"),
        "{per_channel:?}"
    );
    assert_eq!(
        hook.requests().len(),
        per_channel["ops"],
        "delivered once each"
    );

    // What the channel received is the opening: one critical mention, told at once.
    let body: Value = serde_json::from_slice(&hook.requests()[0].body).unwrap();
    assert_eq!(body["kind"], "critical_mention", "{body}");

    // The timeline: the opening and the count recorded after the batch, not a line per mention.
    let id = incident["id"].to_string();
    let shown = veille_ok(&["incidents", "show", &id, "--config", config]);
    assert!(
        shown.contains("10\u{202f}000 mentions critiques"),
        "the count is said: {shown}"
    );
    assert!(shown.lines().count() < 80, "{shown}");

    let per_mention = (database_bytes(dir.path()) - empty) / ITEMS as u64;
    println!("database: {per_mention} bytes per critical mention");
    assert!(
        per_mention <= 3 * 1024,
        "{per_mention} bytes per mention, for a mention of 200 characters"
    );
}
