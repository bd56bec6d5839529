//! Alert emails, end to end: outbox rows sent by the notifier through lettre to a real SMTP server on
//! loopback (`common/smtp.rs`), parsed back with mail-parser. Time-based behaviour (backoff, throttle,
//! quiet hours, digests) runs on an injected clock: each pass is given its `now`.
//!
//! The crash test simulates a process dying after the server's `250` and before the row is marked: the
//! notifier's after-accept hook stops the pass at exactly that point, and a new notifier on the same
//! database plays the restarted process.

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use mail_parser::MessageParser;
use smtp::{Mode, SmtpServer, free_port};
use veille::model::{Headline, Label, Notification, NotificationKind, NotifiedMention, Severity};
use veille::notify::config::QuietConfig;
use veille::notify::{EmailConfig, Notifier};
use veille::store::Store;
use veille::store::outbox::OutboxState;

const WAIT: Duration = Duration::from_secs(20);

fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Paris
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A Wednesday noon, far from quiet hours and digest time.
fn noon() -> DateTime<Utc> {
    paris(2026, 11, 18, 12, 0)
}

fn email(server: &str) -> EmailConfig {
    let mut c = EmailConfig::new(server, "veille <veille@example.fr>", &["comms@example.fr"]);
    c.timeout = veille::model::Interval::secs(5);
    c
}

fn surge(at: DateTime<Utc>, incident: i64) -> Notification {
    let mut n = Notification::new(
        NotificationKind::IncidentOpened,
        Severity::Critical,
        "Acme",
        at,
    );
    n.incident = Some(incident);
    n.watch = Some("acme".into());
    n.headline = Headline {
        count: Some(47),
        window: Some("1 h".into()),
        baseline: Some(8.0),
        ratio: Some(5.875),
        z: Some(6.1),
        negative_share: Some(0.71),
        usual_negative_share: Some(0.2),
        sources: Some(4),
        ..Headline::default()
    };
    n.mentions.push(NotifiedMention {
        source: "forum-conso".into(),
        time: Some(at),
        title: Some(
            "<script>alert('x')</script> Café infect chez Acme\r\nBcc: x@evil.example".into(),
        ),
        excerpt: "Le service est <b>lamentable</b>, j'arrête.".into(),
        score: Some(-0.72),
        label: Some(Label::Neg),
        link: Some("https://forum.example/t/42".into()),
        terms: vec!["lamentable".into()],
    });
    n.terms = vec!["lamentable".into(), "boycott".into()];
    n
}

fn warning(at: DateTime<Utc>, incident: i64) -> Notification {
    let mut n = surge(at, incident);
    n.severity = Severity::Warning;
    n
}

fn db(dir: &Path) -> std::path::PathBuf {
    dir.join("veille.db")
}

fn enqueue(dir: &Path, n: &Notification, at: DateTime<Utc>) -> i64 {
    Store::open(&db(dir)).unwrap().enqueue(n, at).unwrap()
}

fn state(dir: &Path, id: i64) -> OutboxState {
    Store::open_read_only(&db(dir))
        .unwrap()
        .outbox_row(id)
        .unwrap()
        .unwrap()
        .state
}

fn message_ids(server: &SmtpServer) -> Vec<String> {
    server
        .received()
        .iter()
        .map(|r| r.raw_header("Message-ID").unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_delivered_incident_email_reads_back_whole() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let id = enqueue(dir.path(), &surge(noon(), 7), noon());
    let mut notifier = Notifier::open(&email(&server.url()), dir.path(), &db(dir.path())).unwrap();
    let report = notifier.pass(noon()).await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let got = server.wait_for(1, WAIT);
    assert_eq!(got[0].to, vec!["<comms@example.fr>"]);

    let msg = MessageParser::default().parse(&got[0].data).unwrap();
    assert_eq!(
        msg.subject().unwrap(),
        "[veille] CRITIQUE — Acme\u{a0}: 47 mentions négatives en 1 h (×5,9 la normale)"
    );
    assert_eq!(
        msg.message_id().unwrap(),
        format!("veille.outbox.{id}.{}@example.fr", noon().timestamp())
    );
    assert_eq!(
        msg.from().unwrap().first().unwrap().address().unwrap(),
        "veille@example.fr"
    );
    assert_eq!(
        got[0].raw_header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert_eq!(
        got[0].raw_header("References").as_deref(),
        Some("<veille.incident.7@example.fr>"),
        "emails about one incident make one thread"
    );
    let text = msg.body_text(0).unwrap();
    let html = msg.body_html(0).unwrap();
    for figure in [
        "47",
        "×5,9",
        "71\u{202f}%",
        "habituellement 20\u{202f}%",
        "Sources\u{a0}: 4",
        "négatif (-0,72)",
    ] {
        assert!(text.contains(figure), "{figure} missing from:\n{text}");
    }
    assert!(text.contains("veille incidents ack 7"), "{text}");
    assert!(
        text.contains("veille silence add --watch acme --for 2h"),
        "{text}"
    );
    assert!(
        text.contains("https://forum.example/t/42 (forum.example)"),
        "{text}"
    );
    assert!(
        text.contains("Termes repérés\u{a0}: lamentable, boycott"),
        "{text}"
    );
    assert!(html.contains("Mentions négatives"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<b>lamentable</b>"), "{html}");
    assert!(!html.to_ascii_lowercase().contains("<img"), "{html}");
    assert!(
        html.contains("— forum.example —"),
        "the real host is shown: {html}"
    );
    assert!(
        // minijinja escapes `/` too; a browser reads the attribute back as the real URL.
        html.contains(r#"<a href="https:&#x2f;&#x2f;forum.example&#x2f;t&#x2f;42">"#),
        "{html}"
    );

    let row = Store::open_read_only(&db(dir.path()))
        .unwrap()
        .outbox_row(id)
        .unwrap()
        .unwrap();
    assert_eq!(row.state, OutboxState::Sent);
    assert!(
        row.last_response.as_deref().unwrap().starts_with("250 "),
        "{:?}",
        row.last_response
    );
    // Nothing is sent twice.
    assert_eq!(notifier.pass(noon()).await.unwrap().sent, 0);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn feed_text_never_reaches_a_header() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut n = surge(noon(), 1);
    n.brand = "Acme\r\nBcc: x@evil.example".into();
    n.kind = NotificationKind::CriticalMention;
    n.mentions[0].source = "forum\r\nX-Injected: yes".into();
    enqueue(dir.path(), &n, noon());
    let mut notifier = Notifier::open(&email(&server.url()), dir.path(), &db(dir.path())).unwrap();
    notifier.pass(noon()).await.unwrap();
    let got = server.wait_for(1, WAIT);
    assert_eq!(got[0].to, vec!["<comms@example.fr>"], "no extra recipient");
    assert_eq!(got[0].raw_header("Bcc"), None);
    assert_eq!(got[0].raw_header("X-Injected"), None);
    let msg = MessageParser::default().parse(&got[0].data).unwrap();
    let subject = msg.subject().unwrap();
    assert!(subject.contains("Acme Bcc: x@evil.example"), "{subject}");
    assert!(
        !subject.contains('\n') && !subject.contains('\r'),
        "{subject:?}"
    );
    assert!(
        msg.body_text(0)
            .unwrap()
            .contains("Café infect chez Acme Bcc: x@evil.example")
    );
}

#[tokio::test]
async fn a_dead_server_gets_everything_once_in_order_when_it_comes_back() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<i64> = (1..=3)
        .map(|i| enqueue(dir.path(), &surge(noon(), i), noon()))
        .collect();
    let config = email(&format!("smtp://127.0.0.1:{port}"));
    let mut notifier = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
    // Connection refused: transient; the pass stops at the first row to keep the order.
    let report = notifier.pass(noon()).await.unwrap();
    assert_eq!((report.sent, report.deferred), (0, 1), "{report:?}");
    let row = notifier.store().outbox_row(ids[0]).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Pending);
    assert_eq!(row.attempts, 1);
    assert_eq!(row.next_attempt, noon() + chrono::Duration::seconds(30));
    assert!(
        row.last_error.as_deref().unwrap().contains("127.0.0.1"),
        "{:?}",
        row.last_error
    );

    let server = SmtpServer::start_on(port);
    // Not yet due: the backoff holds the first row, and the others wait behind it.
    let early = notifier
        .pass(noon() + chrono::Duration::seconds(10))
        .await
        .unwrap();
    assert_eq!(early.sent, 0, "{early:?}");
    let report = notifier
        .pass(noon() + chrono::Duration::seconds(31))
        .await
        .unwrap();
    assert_eq!(report.sent, 3, "{report:?}");
    server.wait_for(3, WAIT);
    let expected: Vec<String> = ids
        .iter()
        .map(|id| format!("<veille.outbox.{id}.{}@example.fr>", noon().timestamp()))
        .collect();
    assert_eq!(message_ids(&server), expected, "each once, in order");
    for id in &ids {
        assert_eq!(state(dir.path(), *id), OutboxState::Sent);
    }
    assert_eq!(
        notifier
            .pass(noon() + chrono::Duration::hours(2))
            .await
            .unwrap()
            .sent,
        0
    );
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn after_recovery_rows_go_in_the_order_they_were_queued() {
    let server = SmtpServer::start();
    server.set_mode(Mode::Unavailable);
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<i64> = (1..=3)
        .map(|i| enqueue(dir.path(), &surge(noon(), i), noon()))
        .collect();
    let mut notifier = Notifier::open(&email(&server.url()), dir.path(), &db(dir.path())).unwrap();
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!((r.sent, r.deferred), (0, 1), "{r:?}");
    server.set_mode(Mode::Accept);
    // The flush of `run --once` ignores backoff: every pending row goes, oldest first.
    let r = notifier.flush(noon(), WAIT).await.unwrap();
    assert_eq!(r.sent, 3, "{r:?}");
    let expected: Vec<String> = ids
        .iter()
        .map(|id| format!("<veille.outbox.{id}.{}@example.fr>", noon().timestamp()))
        .collect();
    assert_eq!(message_ids(&server), expected);
}

#[tokio::test]
async fn a_crash_between_acceptance_and_marking_resends_once_with_the_same_message_id() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let id = enqueue(dir.path(), &surge(noon(), 9), noon());
    let config = email(&server.url());
    {
        let mut dying = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
        dying.set_after_accept(Box::new(|_| false));
        let r = dying.pass(noon()).await.unwrap();
        assert_eq!(r.sent, 0);
    }
    server.wait_for(1, WAIT);
    assert_eq!(
        state(dir.path(), id),
        OutboxState::Pending,
        "the crash came before the mark"
    );

    let mut restarted = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
    let r = restarted
        .pass(noon() + chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(r.sent, 1);
    let ids = message_ids(&server);
    assert_eq!(ids.len(), 2, "one resend");
    assert_eq!(
        ids[0], ids[1],
        "the resend is recognisable as the same email"
    );
    assert_eq!(state(dir.path(), id), OutboxState::Sent);
    restarted
        .pass(noon() + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(server.received().len(), 2, "at most one resend");
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_and_not_retried() {
    let server = SmtpServer::start();
    server.set_mode(Mode::RejectRecipients);
    let dir = tempfile::tempdir().unwrap();
    let bad = enqueue(dir.path(), &surge(noon(), 1), noon());
    let mut notifier = Notifier::open(&email(&server.url()), dir.path(), &db(dir.path())).unwrap();
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!((r.failed, r.sent), (1, 0), "{r:?}");
    let row = notifier.store().outbox_row(bad).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Failed);
    let error = row.last_error.unwrap();
    assert!(error.contains("550"), "{error}");
    assert!(error.contains("smtp://127.0.0.1"), "{error}");
    let transactions = server.transactions();
    for hours in 1..4 {
        notifier
            .flush(noon() + chrono::Duration::hours(hours), WAIT)
            .await
            .unwrap();
    }
    assert_eq!(
        server.transactions(),
        transactions,
        "a failed row is not tried again"
    );
}

#[tokio::test]
async fn a_4xx_reply_is_retried_after_the_backoff() {
    let server = SmtpServer::start();
    server.set_mode(Mode::DeferData);
    let dir = tempfile::tempdir().unwrap();
    let id = enqueue(dir.path(), &surge(noon(), 1), noon());
    let mut notifier = Notifier::open(&email(&server.url()), dir.path(), &db(dir.path())).unwrap();
    assert_eq!(notifier.pass(noon()).await.unwrap().deferred, 1);
    let row = notifier.store().outbox_row(id).unwrap().unwrap();
    assert!(
        row.last_error.as_deref().unwrap().contains("451"),
        "{:?}",
        row.last_error
    );
    server.set_mode(Mode::Accept);
    assert_eq!(
        notifier
            .pass(noon() + chrono::Duration::seconds(20))
            .await
            .unwrap()
            .sent,
        0
    );
    assert_eq!(
        notifier
            .pass(noon() + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .sent,
        1
    );
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn the_throttle_folds_alerts_into_the_digest_and_says_so() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = email(&server.url());
    config.max_per_hour = 2;
    config.digest.at = "08:30".into();
    let first_pass = paris(2026, 11, 18, 8, 0);
    let mut notifier = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
    // Starts the digest schedule.
    notifier.pass(first_pass).await.unwrap();
    let ids: Vec<i64> = (1..=3)
        .map(|i| enqueue(dir.path(), &warning(noon(), i), noon()))
        .collect();
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!((r.sent, r.held), (2, 1), "{r:?}");
    let got = server.wait_for(2, WAIT);
    let second = MessageParser::default().parse(&got[1].data).unwrap();
    let text = second.body_text(0).unwrap();
    assert!(
        text.contains("Limite d'envois atteinte pour comms@example.fr"),
        "the email that hits the cap says so:\n{text}"
    );
    let first = MessageParser::default().parse(&got[0].data).unwrap();
    assert!(!first.body_text(0).unwrap().contains("Limite d'envois"));
    assert_eq!(state(dir.path(), ids[2]), OutboxState::Held);

    // An hour later the cap is free again, but the held alert waits for the digest.
    assert_eq!(
        notifier
            .pass(noon() + chrono::Duration::minutes(61))
            .await
            .unwrap()
            .sent,
        0
    );
    // The next morning at 08:30 the digest carries it.
    let r = notifier.pass(paris(2026, 11, 19, 8, 31)).await.unwrap();
    assert_eq!((r.digests, r.sent), (1, 1), "{r:?}");
    let got = server.wait_for(3, WAIT);
    let digest = MessageParser::default().parse(&got[2].data).unwrap();
    assert_eq!(
        digest.subject().unwrap(),
        "[veille] Résumé — 1 notification en attente"
    );
    assert!(
        digest
            .body_text(0)
            .unwrap()
            .contains("47 mentions négatives")
    );
    assert_eq!(state(dir.path(), ids[2]), OutboxState::Digested);
    // Nothing left to say: no second digest.
    let r = notifier.pass(paris(2026, 11, 20, 8, 31)).await.unwrap();
    assert_eq!((r.digests, r.sent), (0, 0), "{r:?}");
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn quiet_hours_hold_all_but_critical_incidents_until_the_morning_digest() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = email(&server.url());
    config.quiet = Some(QuietConfig {
        from: "20:00".into(),
        until: "08:00".into(),
        weekends: true,
    });
    config.digest.max_mentions = 1;
    let night = paris(2026, 11, 18, 23, 0);
    let mut notifier = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
    notifier.pass(night).await.unwrap();
    let held = enqueue(dir.path(), &warning(night, 1), night);
    let mut mention = surge(night, 2);
    mention.kind = NotificationKind::CriticalMention;
    mention.incident = None;
    let held_too = enqueue(dir.path(), &mention, night);
    let urgent = enqueue(dir.path(), &surge(night, 3), night);
    let r = notifier.pass(night).await.unwrap();
    assert_eq!((r.sent, r.held), (1, 2), "{r:?}");
    assert_eq!(state(dir.path(), urgent), OutboxState::Sent);
    assert_eq!(state(dir.path(), held), OutboxState::Held);
    assert_eq!(state(dir.path(), held_too), OutboxState::Held);
    // 08:29 is no longer quiet, but the digest is not due yet.
    let r = notifier.pass(paris(2026, 11, 19, 8, 29)).await.unwrap();
    assert_eq!(r.sent, 0, "{r:?}");
    let r = notifier.pass(paris(2026, 11, 19, 8, 30)).await.unwrap();
    assert_eq!((r.digests, r.sent), (1, 1), "{r:?}");
    let got = server.wait_for(2, WAIT);
    let digest = MessageParser::default().parse(&got[1].data).unwrap();
    let text = digest.body_text(0).unwrap();
    assert_eq!(
        digest.subject().unwrap(),
        "[veille] Résumé — 2 notifications en attente"
    );
    assert!(
        text.contains("… et 1 autre mention"),
        "at most max_mentions shown:\n{text}"
    );
}

#[test]
fn run_once_hands_pending_rows_to_the_server_before_exiting() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config(
        dir.path(),
        &format!(
            "\n[email]\nserver = \"{}\"\nfrom = \"veille <veille@example.fr>\"\nto = [\"comms@example.fr\"]\nlocale = \"en\"\nusername = \"veille\"\npassword_file = \"smtp-password\"\n",
            server.url()
        ),
    );
    std::fs::write(dir.path().join("smtp-password"), "not-a-real-secret\n").unwrap();
    let now = Utc::now();
    let id = enqueue(dir.path(), &surge(now, 5), now);
    let out = common::run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let got = server.received();
    assert_eq!(got.len(), 1, "sent before exit");
    let msg = MessageParser::default().parse(&got[0].data).unwrap();
    assert_eq!(
        msg.subject().unwrap(),
        "[veille] CRITICAL — Acme: 47 negative mentions in 1 h (×5.9 the usual)"
    );
    assert_eq!(
        server.auth(),
        vec!["\0veille\0not-a-real-secret".to_owned()]
    );
    assert!(!common::stderr(&out).contains("not-a-real-secret"));
    assert!(!common::stdout(&out).contains("not-a-real-secret"));

    let out = common::run(&["outbox", "--json", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let rows: Vec<serde_json::Value> = common::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], id);
    assert_eq!(rows[0]["state"], "sent");
    assert!(
        rows[0]["response"].as_str().unwrap().starts_with("250"),
        "{}",
        rows[0]
    );
}

#[test]
fn run_once_with_the_server_down_leaves_rows_pending_for_the_next_run() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config(
        dir.path(),
        &format!(
            "\n[email]\nserver = \"smtp://127.0.0.1:{port}\"\nfrom = \"veille@example.fr\"\nto = [\"comms@example.fr\"]\ntimeout = \"5s\"\n"
        ),
    );
    let now = Utc::now();
    enqueue(dir.path(), &surge(now, 5), now);
    let out = common::run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = common::run(&["outbox", "--config", config.to_str().unwrap()]);
    let text = common::stdout(&out);
    assert!(text.starts_with("outbox: 1 pending"), "{text}");

    let server = SmtpServer::start_on(port);
    let out = common::run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(server.received().len(), 1);
    let out = common::run(&["outbox", "--config", config.to_str().unwrap()]);
    assert!(
        common::stdout(&out).starts_with("outbox: 1 sent"),
        "{}",
        common::stdout(&out)
    );
}

#[test]
fn notify_test_reports_what_the_server_said() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config(
        dir.path(),
        &format!(
            "\n[email]\nserver = \"{}\"\nfrom = \"veille@example.fr\"\nto = [\"comms@example.fr\"]\n",
            server.url()
        ),
    );
    let out = common::run(&[
        "notify",
        "test",
        "--to",
        "someone@example.fr",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert!(text.contains("250 2.0.0 Ok: queued as TEST1"), "{text}");
    assert_eq!(server.received()[0].to, vec!["<someone@example.fr>"]);

    server.set_mode(Mode::RejectRecipients);
    let out = common::run(&["notify", "test", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("550"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn check_reports_email_problems_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config(
        dir.path(),
        "\n[email]\nserver = \"smtp://mail.example.fr\"\nfrom = \"nobody\"\nto = []\ntimezone = \"Mars/Olympus\"\n",
    );
    let out = common::run(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    let file = config.display().to_string();
    assert!(
        err.contains(&format!("{file}:6:8: [email]: from \"nobody\"")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{file}:7:6: [email]: to must list")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{file}:8:12: [email]: timezone")),
        "{err}"
    );
}

#[test]
fn the_running_daemon_sends_rows_queued_while_it_runs() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config(
        dir.path(),
        &format!(
            "\n[email]\nserver = \"{}\"\nfrom = \"veille@example.fr\"\nto = [\"comms@example.fr\"]\ntimezone = \"UTC\"\n",
            server.url()
        ),
    );
    // The database exists before the daemon starts, so that the test can queue into it.
    drop(Store::open(&db(dir.path())).unwrap());
    let mut child = common::veille()
        .args([
            "run",
            "--config",
            config.to_str().unwrap(),
            "--log-format",
            "text",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let now = Utc::now();
    let id = enqueue(dir.path(), &surge(now, 3), now);
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.wait_for(1, WAIT)));
    // Stop our own child by its pid, whatever happened.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(outcome.is_ok(), "the daemon sent nothing; its log:\n{log}");
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("Mail sent."), "{log}");
    assert_eq!(state(dir.path(), id), OutboxState::Sent);
}

async fn deliver_over(
    security: impl Fn(std::sync::Arc<rustls::ServerConfig>) -> smtp::Security,
    scheme: &str,
) -> smtp::Received {
    let (tls, pem) = smtp::tls_config();
    let server = SmtpServer::start_with(0, security(tls));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), pem).unwrap();
    let mut config = email(&format!("{scheme}://localhost:{}", server.port));
    config.ca_file = Some("ca.pem".into());
    config.username = Some("veille".into());
    config.password_file = Some("smtp-password".into());
    std::fs::write(dir.path().join("smtp-password"), "made-up\n").unwrap();
    enqueue(dir.path(), &surge(noon(), 1), noon());
    let mut notifier = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
    let r = notifier.pass(noon()).await.unwrap();
    let row = notifier.store().outbox(None, 1).unwrap().remove(0);
    assert_eq!(r.sent, 1, "{r:?}: {:?}", row.last_error);
    assert_eq!(server.auth(), vec!["\0veille\0made-up".to_owned()]);
    server.wait_for(1, WAIT).remove(0)
}

#[tokio::test]
async fn starttls_is_used_when_the_server_offers_it() {
    let got = deliver_over(smtp::Security::StartTls, "smtp").await;
    assert!(got.tls, "the message went in clear");
}

#[tokio::test]
async fn smtps_speaks_tls_from_the_first_byte() {
    let got = deliver_over(smtp::Security::Implicit, "smtps").await;
    assert!(got.tls);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_nothing_goes_in_clear() {
    let (tls, _pem) = smtp::tls_config();
    let server = SmtpServer::start_with(0, smtp::Security::Implicit(tls));
    let dir = tempfile::tempdir().unwrap();
    let id = enqueue(dir.path(), &surge(noon(), 1), noon());
    let config = email(&format!("smtps://localhost:{}", server.port));
    let mut notifier = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!((r.sent, r.deferred), (0, 1), "{r:?}");
    let row = notifier.store().outbox_row(id).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Pending);
    assert!(server.received().is_empty());
    assert_eq!(server.transactions(), 0);
}

#[tokio::test]
async fn a_silent_server_times_out_and_the_row_waits() {
    let server = SmtpServer::start();
    server.set_mode(Mode::Stall);
    let dir = tempfile::tempdir().unwrap();
    let id = enqueue(dir.path(), &surge(noon(), 1), noon());
    let mut config = email(&server.url());
    config.timeout = veille::model::Interval::secs(1);
    let mut notifier = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
    let started = std::time::Instant::now();
    let r = notifier.pass(noon()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((r.sent, r.deferred), (0, 1), "{r:?}");
    assert_eq!(state(dir.path(), id), OutboxState::Pending);
    server.set_mode(Mode::Accept);
    let r = notifier
        .pass(noon() + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
}

#[test]
fn veille_outbox_shows_a_refused_notification_and_why() {
    let server = SmtpServer::start();
    server.set_mode(Mode::RejectRecipients);
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config(
        dir.path(),
        &format!(
            "\n[email]\nserver = \"{}\"\nfrom = \"veille@example.fr\"\nto = [\"nobody@example.fr\"]\n",
            server.url()
        ),
    );
    let now = Utc::now();
    let id = enqueue(dir.path(), &surge(now, 5), now);
    let out = common::run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("Mail refused for good"),
        "{}",
        common::stderr(&out)
    );
    let out = common::run(&["outbox", "--config", config.to_str().unwrap()]);
    let text = common::stdout(&out);
    assert!(text.starts_with("outbox: 1 failed"), "{text}");
    assert!(text.contains("550"), "{text}");
    let out = common::run(&["outbox", "--json", "--config", config.to_str().unwrap()]);
    let row: serde_json::Value = serde_json::from_str(common::stdout(&out).trim()).unwrap();
    assert_eq!(row["id"], id);
    assert_eq!(row["state"], "failed");
    assert!(
        row["error"].as_str().unwrap().contains("No such user here"),
        "{row}"
    );
}

#[tokio::test]
async fn each_recipient_is_delivered_once_whatever_happens_to_the_others() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = email(&server.url());
    config.to = vec![
        "a@example.fr".into(),
        "busy@example.fr".into(),
        "gone@example.fr".into(),
    ];
    let id = enqueue(dir.path(), &surge(noon(), 1), noon());
    let mut notifier = Notifier::open(&config, dir.path(), &db(dir.path())).unwrap();
    server.set_mode(Mode::DeferOne("busy@example.fr"));
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!(r.deferred, 1, "{r:?}");
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec!["<a@example.fr>"]);
    // Every recipient sees who else it went to; the envelope names only one.
    assert!(got[0].raw_header("To").unwrap().contains("gone@example.fr"));

    server.set_mode(Mode::RejectOne("gone@example.fr"));
    let r = notifier
        .pass(noon() + chrono::Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let to: Vec<Vec<String>> = server.received().into_iter().map(|m| m.to).collect();
    assert_eq!(
        to,
        vec![
            vec!["<a@example.fr>".to_owned()],
            vec!["<busy@example.fr>".to_owned()]
        ],
        "a@ is not sent it twice"
    );
    let row = notifier.store().outbox_row(id).unwrap().unwrap();
    assert_eq!(row.state, OutboxState::Sent);
    let error = row.last_error.unwrap();
    assert!(
        error.starts_with("gone@example.fr: ") && error.contains("550"),
        "{error}"
    );
}

#[test]
fn the_password_file_is_found_in_the_systemd_credentials_directory() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let credentials = tempfile::tempdir().unwrap();
    std::fs::write(credentials.path().join("smtp"), "from-credentials\n").unwrap();
    let config = common::write_config(
        dir.path(),
        &format!(
            "\n[email]\nserver = \"{}\"\nfrom = \"veille@example.fr\"\nto = [\"comms@example.fr\"]\nusername = \"veille\"\npassword_file = \"smtp\"\n",
            server.url()
        ),
    );
    let out = common::veille()
        .args(["notify", "test", "--config", config.to_str().unwrap()])
        .env("CREDENTIALS_DIRECTORY", credentials.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(server.auth(), vec!["\0veille\0from-credentials".to_owned()]);
    assert!(!common::stdout(&out).contains("from-credentials"));

    // Without the credentials directory, the file is looked for beside the configuration, and its
    // absence is said in words.
    let out = common::run(&["notify", "test", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("cannot read the password file"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn a_password_in_the_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config(
        dir.path(),
        "\n[email]\nserver = \"smtp://127.0.0.1\"\nfrom = \"v@example.fr\"\nto = [\"a@example.fr\"]\nusername = \"v\"\npassword = \"hunter2\"\n",
    );
    let out = common::run(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "{}:9:12: [email]: the password must not be written",
            config.display()
        )),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}
