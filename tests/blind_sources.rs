//! Sources that go blind, through the real binary with its clock driven by `veille run --once --at`: a
//! source that keeps failing opens a `source` incident once it has failed for longer than `[health]
//! alert_after`, mailed to the system administrator alone through an `[[email.route]]` of `kind =
//! "source"` with `only = true`, shown by `veille incidents` and `veille status`; it resolves with a notice
//! when the source answers again.

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use common::{Response, Server, read_fixture, stderr, stdout, veille, write_config};
use smtp::SmtpServer;

const WAIT: Duration = Duration::from_secs(20);

fn run_at(config: &Path, at: &str) -> String {
    let out = veille()
        .args(["run", "--once", "--at", at, "--config"])
        .arg(config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

fn say(config: &Path, args: &[&str]) -> String {
    let out = veille()
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap();
    stdout(&out)
}

/// The text of a received message.
fn body_text(data: &[u8]) -> String {
    mail_parser::MessageParser::default()
        .parse(data)
        .unwrap()
        .body_text(0)
        .unwrap()
        .into_owned()
}

fn assert_says_presse_is_blind(subject: &str) {
    assert!(
        subject.contains("presse") && subject.contains("aveugle"),
        "{subject:?}"
    );
}

fn subjects(smtp: &SmtpServer) -> Vec<(Vec<String>, String)> {
    smtp.received()
        .iter()
        .map(|r| {
            let msg = mail_parser::MessageParser::default()
                .parse(&r.data)
                .unwrap();
            (r.to.clone(), msg.subject().unwrap_or_default().to_owned())
        })
        .collect()
}

/// A feed server whose answer's status the test sets, an SMTP server, a webhook channel, and a
/// configuration with one source `presse` feeding the watch `acme`, whose `source` incidents a route sends
/// to the sysadmin alone.
struct World {
    status: Arc<AtomicU16>,
    server: Server,
    smtp: SmtpServer,
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

fn world() -> World {
    let status = Arc::new(AtomicU16::new(200));
    let answer = status.clone();
    let feed = read_fixture("feeds/rss2.xml");
    let server = Server::start(move |req, _| {
        if req.path == "/hook" {
            return Response::ok("{}").header("Content-Type", "application/json");
        }
        match answer.load(Ordering::SeqCst) {
            200 => Response::ok(feed.clone()),
            s => Response::status(s),
        }
    });
    let smtp = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "timezone = \"UTC\"\n\n[health]\nalert_after = \"6h\"\n\n[[source]]\nname = \"presse\"\nurl = \"{}\"\n\n\
             [email]\nserver = \"{}\"\nfrom = \"veille@example.fr\"\nto = [\"comms@example.fr\"]\nmax_per_hour = 100\n\
             timeout = \"5s\"\n\n[[email.route]]\nkind = \"source\"\nonly = true\nto = [\"sysadmin@example.fr\"]\n\n\
             [[channel]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"{}\"\nsecret_file = \"secret\"\n",
            server.url("/rss"),
            smtp.url(),
            server.url("/hook")
        ),
    );
    std::fs::write(dir.path().join("secret"), "a-test-secret-of-some-length").unwrap();
    // A watch its items count towards: the incident says the source feeds it.
    std::fs::write(
        dir.path().join("rules/acme.toml"),
        "[[watch]]\nid = \"acme\"\nname = \"Acme France\"\nquery = \"acme\"\n",
    )
    .unwrap();
    World {
        status,
        server,
        smtp,
        _dir: dir,
        config,
    }
}

#[test]
fn a_source_failing_past_alert_after_opens_a_source_incident_mailed_to_the_sysadmin_and_resolves() {
    let World {
        status,
        server,
        smtp,
        _dir,
        config,
    } = world();
    assert!(run_at(&config, "2026-03-02T08:00:00Z").contains("1 sources ok"));
    status.store(500, Ordering::SeqCst);
    assert!(run_at(&config, "2026-03-02T09:00:00Z").contains("1 failed"));
    // Five hours of failures: not yet.
    run_at(&config, "2026-03-02T14:00:00Z");
    assert_eq!(say(&config, &["incidents"]).trim(), "Aucun incident.");
    assert!(smtp.received().is_empty());

    // Seven hours: the incident opens, said and mailed once.
    run_at(&config, "2026-03-02T16:00:00Z");
    let list = say(&config, &["incidents"]);
    let line = list.lines().nth(1).unwrap_or_default();
    assert!(
        line.contains("source") && line.contains("presse") && line.contains("en cours"),
        "{list}"
    );
    assert!(
        line.contains("Source «\u{a0}presse\u{a0}» aveugle depuis 02/03 à 09:00\u{a0}: aucune lecture ne réussit."),
        "{list}"
    );
    let status_en = say(&config, &["status", "--lang", "en"]);
    assert!(
        status_en
            .contains("source presse has been blind since 2026-03-02 09:00: no fetch succeeds"),
        "{status_en}"
    );
    assert!(
        status_en.contains("HTTP 500"),
        "the last error in words: {status_en}"
    );
    let json: serde_json::Value =
        serde_json::from_str(say(&config, &["status", "--json"]).trim()).unwrap();
    assert_eq!(json["health"]["blind_sources"], 1, "{json}");
    let listed: serde_json::Value =
        serde_json::from_str(say(&config, &["incidents", "--json"]).trim()).unwrap();
    assert_eq!(
        (&listed["kind"], &listed["source"], &listed["status"]),
        (&"source".into(), &"presse".into(), &"open".into()),
        "{listed}"
    );
    let mails = smtp.wait_for(1, WAIT);
    assert_eq!(mails.len(), 1);
    let got = subjects(&smtp);
    assert_eq!(
        got[0].0,
        ["<sysadmin@example.fr>"],
        "the route sends it to the sysadmin alone"
    );
    assert_says_presse_is_blind(&got[0].1);
    let body = body_text(&mails[0].data);
    assert!(
        body.contains(
            "Dernière erreur\u{a0}: HTTP 500 Internal Server Error (3 échecs de suite). Elle alimente la \
             veille «\u{a0}Acme France\u{a0}»."
        ),
        "{body}"
    );

    // Still failing later: nothing new is opened nor mailed.
    run_at(&config, "2026-03-02T18:00:00Z");
    assert_eq!(
        say(&config, &["incidents"]).lines().count(),
        3,
        "header, one incident, the zone"
    );

    // It answers again: resolved, with a notice to the same person.
    status.store(200, Ordering::SeqCst);
    assert!(run_at(&config, "2026-03-02T19:00:00Z").contains("1 sources ok"));
    let list = say(&config, &["incidents"]);
    assert!(
        list.lines().nth(1).unwrap_or_default().contains("terminé"),
        "{list}"
    );
    let shown = say(&config, &["incidents", "show", "1", "--lang", "en"]);
    assert!(
        shown
            .lines()
            .any(|l| l.trim_start().starts_with("source") && l.trim_end().ends_with("presse")),
        "the incident names its source: {shown}"
    );
    assert!(
        !shown
            .lines()
            .any(|l| l.trim_start().starts_with("mentions")),
        "a source has no mentions of its own: {shown}"
    );
    assert!(
        shown.contains("Source “presse” heard again, after 10 h without it."),
        "{shown}"
    );
    let mails = smtp.wait_for(2, WAIT);
    assert_eq!(mails.len(), 2);
    let got = subjects(&smtp);
    assert_eq!(got[1].0, ["<sysadmin@example.fr>"]);
    assert!(got[1].1.contains("de nouveau entendue"), "{:?}", got[1].1);
    let json: serde_json::Value =
        serde_json::from_str(say(&config, &["status", "--json"]).trim()).unwrap();
    assert_eq!(json["health"]["blind_sources"], 0, "{json}");

    // The chat channels hear it too, as source_down then source_recovered.
    let hooks: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/hook")
        .map(|r| {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            v["kind"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(hooks, ["source_down", "source_recovered"]);
}

/// A planned outage: `veille silence add --source` before the source goes blind. Its incident opens and
/// shows as silenced, and nothing is sent; once the silence is lifted and the source is still blind, the
/// sysadmin is told, once; the recovery then follows.
#[test]
fn a_silenced_source_opens_its_incident_unsent_and_speaks_when_the_silence_ends() {
    let w = world();
    run_at(&w.config, "2026-03-02T08:00:00Z");
    let added = veille()
        .args(["silence", "add", "--source", "presse", "--for", "400d"])
        .args(["--reason", "migration du site", "--by", "admin", "--config"])
        .arg(&w.config)
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stdout(&added).starts_with("Silence 1\u{a0}: source presse en sourdine jusqu'au"),
        "{}",
        stdout(&added)
    );
    let unknown = veille()
        .args([
            "silence", "add", "--source", "pres", "--for", "1d", "--reason", "x", "--config",
        ])
        .arg(&w.config)
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1), "a typo silences nothing");
    assert!(
        stderr(&unknown).contains("no source \"pres\""),
        "{}",
        stderr(&unknown)
    );

    w.status.store(500, Ordering::SeqCst);
    run_at(&w.config, "2026-03-02T09:00:00Z");
    run_at(&w.config, "2026-03-02T16:00:00Z");
    let listed: serde_json::Value =
        serde_json::from_str(say(&w.config, &["incidents", "--json"]).trim()).unwrap();
    assert_eq!(
        (&listed["kind"], &listed["source"], &listed["status"]),
        (&"source".into(), &"presse".into(), &"silenced".into()),
        "{listed}"
    );
    let shown = say(&w.config, &["incidents", "show", "1"]);
    assert!(
        shown.contains("(Non notifié\u{a0}: silence jusqu'au")
            && shown.contains("«\u{a0}migration du site\u{a0}»"),
        "{shown}"
    );
    let queued = say(&w.config, &["outbox", "--json"]);
    assert_eq!(queued.trim(), "", "nothing queued while silenced: {queued}");

    // Lifted while the source is still blind: told now, once.
    let removed = veille()
        .args(["silence", "remove", "1", "--config"])
        .arg(&w.config)
        .output()
        .unwrap();
    assert!(removed.status.success(), "{}", stderr(&removed));
    run_at(&w.config, "2026-03-02T17:00:00Z");
    run_at(&w.config, "2026-03-02T18:00:00Z");
    let mails = w.smtp.wait_for(1, WAIT);
    let got = subjects(&w.smtp);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_says_presse_is_blind(&got[0].1);
    let body = body_text(&mails[0].data);
    assert!(
        body.contains("veille silence add --source presse"),
        "{body}"
    );

    // Heard again: the recovery is told to the one who heard of the outage.
    w.status.store(200, Ordering::SeqCst);
    run_at(&w.config, "2026-03-02T19:00:00Z");
    w.smtp.wait_for(2, WAIT);
    let got = subjects(&w.smtp);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[1].1.contains("de nouveau entendue"), "{:?}", got[1].1);
}
