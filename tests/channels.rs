//! Chat channels and webhooks, end to end: outbox rows sent by the channel notifier to real HTTP receivers
//! on loopback (`common::Server`), read back as each service would read them. Time-based behaviour
//! (Retry-After, the hourly cap, quiet hours) runs on an injected clock: each pass is given its `now`.
//! The crash test kills the real daemon with SIGKILL after the receiver has the message and before the
//! daemon can mark it, and restarts it.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, TimeZone as _, Utc};
use common::{Request, Response, Server};
use hmac::{Hmac, Mac as _};
use serde_json::Value;
use sha2::Sha256;
use veille::model::{
    Headline, Interval, Label, Locale, Notification, NotificationKind, NotifiedMention, Severity,
};
use veille::notify::channels::{ChannelConfig, ChannelKind};
use veille::notify::config::QuietConfig;
use veille::notify::worker::{ChannelNotifier, outbox_channels};
use veille::store::Store;
use veille::store::outbox::{OutboxRow, OutboxState};

const WAIT: Duration = Duration::from_secs(20);

/// A title from a feed holding Markdown, HTML, an Adaptive Card expression, a link and a mention of
/// everyone: it must reach every receiver as inert text.
const HOSTILE: &str = "**Boycott** <b>Acme</b> ${env.SECRET} [clic](javascript:alert(1)) @channel";

const SECRET: &str = "s3cret-not-for-logs";

fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Paris
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A Wednesday noon.
fn noon() -> DateTime<Utc> {
    paris(2026, 11, 18, 12, 0)
}

fn surge(at: DateTime<Utc>, incident: i64, severity: Severity) -> Notification {
    let mut n = Notification::new(NotificationKind::IncidentOpened, severity, "Acme", at);
    n.incident = Some(incident);
    n.watch = Some("acme".into());
    n.key = Some(format!("acme/{incident}/opened"));
    n.explanation_en = Some("Negative mentions of Acme surge: 47 in the last hour.".into());
    n.explanation_fr = Some("Les mentions négatives d'Acme s'envolent : 47 en une heure.".into());
    n.headline = Headline {
        count: Some(47),
        window: Some("1 h".into()),
        baseline: Some(8.0),
        ratio: Some(5.875),
        sources: Some(4),
        ..Headline::default()
    };
    n.mentions.push(NotifiedMention {
        source: "forum-conso".into(),
        time: Some(at),
        title: Some(HOSTILE.into()),
        excerpt: "Le service est lamentable.".into(),
        score: Some(-0.72),
        label: Some(Label::Neg),
        link: Some("https://forum.example/t/42".into()),
        terms: vec!["boycott".into()],
    });
    n
}

fn channel(kind: ChannelKind, url: &str) -> ChannelConfig {
    let mut c = ChannelConfig::new("team", kind, url);
    c.timeout = Interval::secs(5);
    c.locale = Some(Locale::En);
    c.secret_file = Some("secret".into());
    if kind == ChannelKind::Matrix {
        c.room = Some("!room:example.org".into());
    }
    c
}

fn db(dir: &Path) -> PathBuf {
    dir.join("veille.db")
}

/// The database with `channels` registered, as the daemon does at start, and the secret file beside.
fn setup(dir: &Path, channels: &[ChannelConfig]) {
    std::fs::write(dir.join("secret"), format!("{SECRET}\n")).unwrap();
    let mut store = Store::open(&db(dir)).unwrap();
    store
        .set_outbox_channels(&outbox_channels(channels))
        .unwrap();
}

fn enqueue(dir: &Path, n: &Notification) {
    Store::open(&db(dir)).unwrap().enqueue(n, n.at).unwrap();
}

fn notifier(dir: &Path, channels: &[ChannelConfig]) -> ChannelNotifier {
    let (n, errors) = ChannelNotifier::open(
        channels,
        dir,
        &db(dir),
        Locale::En,
        chrono_tz::Europe::Paris,
    )
    .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    n
}

fn rows(dir: &Path) -> Vec<OutboxRow> {
    let mut rows = Store::open_read_only(&db(dir))
        .unwrap()
        .outbox(None, 100)
        .unwrap();
    rows.retain(|r| r.channel.is_some());
    rows.sort_by_key(|r| r.id);
    rows
}

fn json(r: &Request) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&r.body)))
}

fn ok() -> Response {
    Response::ok("ok").header("Content-Type", "text/plain")
}

/// Sends one hostile surge through a channel of `kind` and returns what the receiver got.
async fn one_message(kind: ChannelKind, path: &str) -> (Request, String) {
    let server = Server::start(|_, _| ok());
    let dir = tempfile::tempdir().unwrap();
    let c = channel(kind, &server.url(path));
    setup(dir.path(), std::slice::from_ref(&c));
    enqueue(dir.path(), &surge(noon(), 7, Severity::Critical));
    let mut notifier = notifier(dir.path(), &[c]);
    let report = notifier.pass(noon()).await.unwrap();
    assert_eq!(report.sent, 1, "{kind:?}: {report:?}");
    let got = server.requests();
    assert_eq!(got.len(), 1, "{kind:?}");
    let row = &rows(dir.path())[0];
    assert_eq!(row.state, OutboxState::Sent);
    assert_eq!(row.last_response.as_deref(), Some("200 ok"));
    let body = String::from_utf8(got[0].body.clone()).unwrap();
    (got[0].clone(), body)
}

/// No construct of the hostile title survives as markup, in any receiver's text.
fn assert_inert(kind: ChannelKind, text: &str) {
    assert!(
        !text.contains("@channel"),
        "{kind:?} pings everyone: {text}"
    );
    assert!(!text.contains("${"), "{kind:?} keeps an expression: {text}");
    assert!(
        !text.contains("](javascript"),
        "{kind:?} keeps a link: {text}"
    );
    assert!(!text.contains("<b>"), "{kind:?} keeps HTML: {text}");
}

#[tokio::test]
async fn teams_gets_a_workflows_message_with_one_adaptive_card() {
    let (r, body) = one_message(ChannelKind::Teams, "/workflows/x").await;
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    let v = json(&r);
    assert_eq!(v["type"], "message");
    let a = &v["attachments"][0];
    assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
    let card = &a["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    let runs: Vec<&Value> = card["body"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "RichTextBlock")
        .flat_map(|b| b["inlines"].as_array().unwrap())
        .collect();
    assert!(runs.iter().all(|r| r["type"] == "TextRun"));
    assert_eq!(runs[0]["color"], "Attention", "critical is red");
    assert!(runs[0]["text"].as_str().unwrap().contains("CRITICAL"));
    let mention = runs
        .iter()
        .find(|r| r["text"].as_str().unwrap().contains("Boycott"))
        .unwrap();
    assert_eq!(
        mention["selectAction"]["url"], "https://forum.example/t/42",
        "the mention links to its page"
    );
    // TextRuns render no Markdown; the expression is broken by a zero-width space.
    assert!(
        mention["text"]
            .as_str()
            .unwrap()
            .starts_with("**Boycott** <b>Acme</b> $\u{200b}{env.SECRET}"),
        "{mention}"
    );
    let facts = card["body"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "FactSet")
        .unwrap();
    assert!(
        facts["facts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["title"] == "Negative mentions" && f["value"] == "47 in 1 h"),
        "the figures are the email's: {facts}"
    );
    assert!(!body.contains("${"), "{body}");
    assert!(!body.contains("@channel"), "{body}");
}

#[tokio::test]
async fn slack_gets_block_kit_with_feed_text_as_plain_text() {
    let (r, _) = one_message(ChannelKind::Slack, "/services/T/B/X").await;
    let v = json(&r);
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    let mention = blocks
        .iter()
        .find(|b| {
            b["text"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("Boycott"))
        })
        .unwrap();
    assert_eq!(
        mention["text"]["type"], "plain_text",
        "no mrkdwn from feeds"
    );
    assert_eq!(mention["accessory"]["url"], "https://forum.example/t/42");
    let text = mention["text"]["text"].as_str().unwrap();
    assert!(!text.contains("@channel"), "{text}");
    let fallback = v["text"].as_str().unwrap();
    assert!(!fallback.contains('<'), "{fallback}");
    assert!(fallback.starts_with("CRITICAL — Acme"), "{fallback}");
}

#[tokio::test]
async fn mattermost_gets_markdown_with_every_feed_construct_escaped() {
    let (r, _) = one_message(ChannelKind::Mattermost, "/hooks/abc").await;
    let v = json(&r);
    let text = v["text"].as_str().unwrap();
    assert!(
        text.contains(
            r"\*\*Boycott\*\* \<b\>Acme\<\/b\> \$\{env\.SECRET\} \[clic\]\(javascript\:alert\(1\)\)"
        ),
        "{text}"
    );
    assert!(
        text.contains("[Read](<https://forum.example/t/42>)"),
        "{text}"
    );
    assert!(text.starts_with("#### veille · CRITICAL — Acme"), "{text}");
    assert_inert(ChannelKind::Mattermost, text);
}

#[tokio::test]
async fn google_chat_gets_a_cards_v2_message_with_html_escaped() {
    let (r, body) = one_message(ChannelKind::GoogleChat, "/v1/spaces/S/messages").await;
    let v = json(&r);
    assert!(
        v.get("text").is_none(),
        "no top-level text to mention anyone in"
    );
    let card = &v["cardsV2"][0];
    assert_eq!(card["cardId"], "veille-acme-7-opened");
    // Keyed by the decision, so that Chat answers a resend with the message it made the first time.
    let id = veille::notify::channels::google_chat::message_id("acme/7/opened");
    assert!(id.starts_with("client-") && id.len() <= 63, "{id}");
    assert!(
        id[7..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "{id}"
    );
    assert_eq!(
        r.path,
        format!("/v1/spaces/S/messages?requestId={id}&messageId={id}")
    );
    assert!(
        card["card"]["header"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Acme")
    );
    let sections = card["card"]["sections"].as_array().unwrap();
    let mention = sections
        .iter()
        .flat_map(|s| s["widgets"].as_array().unwrap())
        .find_map(|w| {
            w["decoratedText"]["text"]
                .as_str()
                .filter(|t| t.contains("Boycott"))
                .map(|_| &w["decoratedText"])
        })
        .unwrap();
    assert!(
        mention["text"]
            .as_str()
            .unwrap()
            .contains("&lt;b&gt;Acme&lt;/b&gt;"),
        "{mention}"
    );
    assert_eq!(
        mention["button"]["onClick"]["openLink"]["url"],
        "https://forum.example/t/42"
    );
    assert!(!body.contains("<b>"), "{body}");
}

#[tokio::test]
async fn matrix_puts_the_event_with_the_decision_key_as_transaction_id() {
    let (r, _) = one_message(ChannelKind::Matrix, "").await;
    assert_eq!(r.method, "PUT");
    assert_eq!(
        r.path,
        "/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/acme%2F7%2Fopened"
    );
    assert_eq!(
        r.header("Authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    let v = json(&r);
    assert_eq!(v["msgtype"], "m.text");
    assert_eq!(v["format"], "org.matrix.custom.html");
    let html = v["formatted_body"].as_str().unwrap();
    assert!(html.contains("&lt;b&gt;Acme&lt;/b&gt;"), "{html}");
    assert!(
        html.contains("<a href=\"https://forum.example/t/42\">Read</a>"),
        "{html}"
    );
    assert!(!html.contains("<b>"), "{html}");
    assert!(!html.contains("@channel"), "{html}");
    let plain = v["body"].as_str().unwrap();
    assert!(!plain.contains("@channel"), "{plain}");
}

#[tokio::test]
async fn ntfy_publishes_to_the_topic_with_priority_title_and_tags() {
    let (r, body) = one_message(ChannelKind::Ntfy, "/veille-crise").await;
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/veille-crise");
    assert_eq!(r.header("Priority"), Some("5"), "critical is urgent");
    assert_eq!(r.header("Tags"), Some("rotating_light,veille"));
    assert_eq!(
        r.header("Authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    let title = r.header("Title").unwrap();
    let b64 = title
        .strip_prefix("=?UTF-8?B?")
        .and_then(|t| t.strip_suffix("?="))
        .unwrap_or_else(|| panic!("not RFC 2047: {title}"));
    let title = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    assert!(
        title.starts_with("CRITICAL — Acme: 47 negative mentions"),
        "{title}"
    );
    assert!(
        r.header("Click").is_none(),
        "no console served, no click link"
    );
    assert!(
        body.starts_with("Negative mentions of Acme surge"),
        "{body}"
    );
    assert!(!body.contains("@channel"), "{body}");
}

fn hex_hmac(secret: &str, data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(data);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the signature as a receiver would, and returns its time.
fn verify(r: &Request) -> i64 {
    let sig = r.header("X-Veille-Signature").unwrap();
    let (t, v1) = sig
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap_or_else(|| panic!("{sig}"));
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&r.body);
    assert_eq!(v1, hex_hmac(SECRET, &signed), "the signature checks out");
    t.parse().unwrap()
}

#[tokio::test]
async fn the_webhook_posts_the_versioned_payload_signed_and_keyed() {
    let (r, _) = one_message(ChannelKind::Webhook, "/hook").await;
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("X-Veille-Event"), Some("acme/7/opened"));
    assert_eq!(verify(&r), noon().timestamp());
    let v = json(&r);
    assert_eq!(v["version"], 1);
    assert_eq!(v["event"], "acme/7/opened");
    assert_eq!(v["kind"], "incident_opened");
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["watch"], "acme");
    assert_eq!(v["incident"], 7);
    assert_eq!(
        v["summary"],
        "Negative mentions of Acme surge: 47 in the last hour."
    );
    assert_eq!(v["figures"]["count"], 47);
    assert_eq!(v["figures"]["baseline"], 8.0);
    assert!(
        v["figures"].get("z").is_none(),
        "absent figures are left out"
    );
    let m = &v["mentions"][0];
    assert_eq!(m["title"], HOSTILE, "data stays data in JSON");
    assert_eq!(m["link"], "https://forum.example/t/42");
    assert_eq!(m["source"], "forum-conso");
    assert_eq!(m["published"], "2026-11-18T11:00:00Z");
    assert_eq!(v["at"], "2026-11-18T11:00:00Z");
    assert!((m["score"].as_f64().unwrap() + 0.72).abs() < 1e-6);
    assert!(v["incident_url"].is_null());
    // A tampered body no longer matches.
    let mut forged = r.clone();
    forged.body = String::from_utf8(r.body.clone())
        .unwrap()
        .replace("critical", "info")
        .into_bytes();
    assert!(std::panic::catch_unwind(|| verify(&forged)).is_err());
}

#[tokio::test]
async fn past_the_hourly_cap_alerts_fold_into_one_summary() {
    let server = Server::start(|_, _| ok());
    let dir = tempfile::tempdir().unwrap();
    let mut c = channel(ChannelKind::Webhook, &server.url("/hook"));
    c.max_per_hour = 2;
    setup(dir.path(), std::slice::from_ref(&c));
    for i in 1..=5 {
        enqueue(dir.path(), &surge(noon(), i, Severity::Warning));
    }
    let mut notifier = notifier(dir.path(), &[c]);
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!((r.sent, r.held), (2, 3), "{r:?}");
    let r = notifier
        .pass(noon() + chrono::Duration::minutes(30))
        .await
        .unwrap();
    assert_eq!(r.sent, 0, "still within the hour of the first two: {r:?}");
    let r = notifier
        .pass(noon() + chrono::Duration::minutes(61))
        .await
        .unwrap();
    assert_eq!((r.digests, r.sent), (1, 1), "{r:?}");
    let got = server.requests();
    assert_eq!(
        got.len(),
        3,
        "two alerts, then one summary instead of three"
    );
    let events: Vec<Value> = got.iter().map(json).collect();
    assert_eq!(events[0]["event"], "acme/1/opened");
    assert_eq!(events[1]["event"], "acme/2/opened");
    let summary = &events[2];
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["title"], "3 alerts folded");
    let folded: Vec<&str> = summary["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["event"].as_str().unwrap())
        .collect();
    assert_eq!(folded, ["acme/3/opened", "acme/4/opened", "acme/5/opened"]);
    let states: Vec<OutboxState> = rows(dir.path()).iter().map(|r| r.state).collect();
    use OutboxState::{Digested, Sent};
    assert_eq!(states, [Sent, Sent, Digested, Digested, Digested, Sent]);
}

#[tokio::test]
async fn quiet_hours_hold_all_but_critical_incidents_until_they_end() {
    let server = Server::start(|_, _| ok());
    let dir = tempfile::tempdir().unwrap();
    let mut c = channel(ChannelKind::Webhook, &server.url("/hook"));
    c.quiet = Some(QuietConfig {
        from: "20:00".into(),
        until: "08:00".into(),
        weekends: false,
    });
    setup(dir.path(), std::slice::from_ref(&c));
    let night = paris(2026, 11, 18, 22, 0);
    enqueue(dir.path(), &surge(night, 1, Severity::Warning));
    enqueue(dir.path(), &surge(night, 2, Severity::Critical));
    let mut notifier = notifier(dir.path(), &[c]);
    let r = notifier.pass(night).await.unwrap();
    assert_eq!((r.sent, r.held), (1, 1), "{r:?}");
    assert_eq!(json(&server.requests()[0])["event"], "acme/2/opened");
    let held = &rows(dir.path())[0];
    assert_eq!(held.state, OutboxState::Held);
    assert_eq!(held.last_error.as_deref(), Some("quiet hours"));
    let r = notifier.pass(paris(2026, 11, 19, 7, 59)).await.unwrap();
    assert_eq!(r.sent, 0, "{r:?}");
    let r = notifier.pass(paris(2026, 11, 19, 8, 0)).await.unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let summary = json(&server.requests()[1]);
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["items"][0]["event"], "acme/1/opened");
}

#[tokio::test]
async fn a_503_is_retried_after_the_time_retry_after_asks() {
    let server = Server::start(|_, n| {
        if n == 0 {
            Response::status(503).header("Retry-After", "120")
        } else {
            ok()
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let c = channel(ChannelKind::Slack, &server.url("/services/x"));
    setup(dir.path(), std::slice::from_ref(&c));
    enqueue(dir.path(), &surge(noon(), 1, Severity::Critical));
    let mut notifier = notifier(dir.path(), &[c]);
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!(r.deferred, 1, "{r:?}");
    let row = &rows(dir.path())[0];
    assert_eq!(row.state, OutboxState::Pending);
    assert_eq!(row.attempts, 1);
    assert_eq!(row.next_attempt, noon() + chrono::Duration::seconds(120));
    assert_eq!(row.last_error.as_deref(), Some("Slack is unavailable: 503"));
    notifier
        .pass(noon() + chrono::Duration::seconds(119))
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 1, "not before Retry-After");
    let r = notifier
        .pass(noon() + chrono::Duration::seconds(120))
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(server.requests().len(), 2);
    assert_eq!(rows(dir.path())[0].state, OutboxState::Sent);
}

#[tokio::test]
async fn a_400_is_refused_for_good_in_words_and_the_next_message_goes() {
    let server = Server::start(|_, n| {
        if n == 0 {
            let mut r = Response::status(400);
            r.body = b"Bad card payload".to_vec();
            r
        } else {
            ok()
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let c = channel(ChannelKind::Teams, &server.url("/workflows/x"));
    setup(dir.path(), std::slice::from_ref(&c));
    enqueue(dir.path(), &surge(noon(), 1, Severity::Critical));
    enqueue(dir.path(), &surge(noon(), 2, Severity::Critical));
    let mut notifier = notifier(dir.path(), &[c]);
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!((r.failed, r.sent), (1, 1), "{r:?}");
    let rows = rows(dir.path());
    assert_eq!(rows[0].state, OutboxState::Failed);
    assert_eq!(
        rows[0].last_error.as_deref(),
        Some("Teams refused the message: 400 Bad card payload")
    );
    assert_eq!(rows[1].state, OutboxState::Sent);
    notifier
        .flush(noon() + chrono::Duration::hours(2), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        server.requests().len(),
        2,
        "a refused message is not retried"
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let target = Server::start(|_, _| ok());
    let location = target.url("/elsewhere");
    let server = Server::start(move |_, _| Response::status(302).header("Location", &location));
    let dir = tempfile::tempdir().unwrap();
    let c = channel(ChannelKind::Mattermost, &server.url("/hooks/x"));
    setup(dir.path(), std::slice::from_ref(&c));
    enqueue(dir.path(), &surge(noon(), 1, Severity::Critical));
    let mut notifier = notifier(dir.path(), &[c]);
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!(r.failed, 1, "{r:?}");
    assert!(target.requests().is_empty(), "the redirect was followed");
    let row = &rows(dir.path())[0];
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .starts_with("Mattermost refused the message: 302 a redirect, not followed"),
        "{:?}",
        row.last_error
    );
}

#[tokio::test]
async fn a_stalled_receiver_times_out_and_the_row_waits() {
    let server = Server::start(|_, _| {
        let mut r = ok();
        r.stall = Some(Duration::from_secs(4));
        r
    });
    let dir = tempfile::tempdir().unwrap();
    let mut c = channel(ChannelKind::Webhook, &server.url("/hook"));
    c.timeout = Interval::secs(1);
    setup(dir.path(), std::slice::from_ref(&c));
    enqueue(dir.path(), &surge(noon(), 1, Severity::Critical));
    let mut notifier = notifier(dir.path(), &[c]);
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!(r.deferred, 1, "{r:?}");
    let row = &rows(dir.path())[0];
    assert_eq!(row.state, OutboxState::Pending);
    assert_eq!(
        row.last_error.as_deref(),
        Some("The webhook did not answer: no answer within the timeout")
    );
    assert_eq!(row.next_attempt, noon() + chrono::Duration::seconds(30));
}

/// Guards the lost answer of a service without an idempotency key: Slack takes the message and never
/// answers; sending it again could make a second message, so the row becomes uncertain, and no later
/// pass sends it. The same stall on the webhook is retried (the existing test above).
#[tokio::test]
async fn a_stall_on_a_service_without_a_key_leaves_the_row_uncertain_and_unsent() {
    let server = Server::start(|_, _| {
        let mut r = ok();
        r.stall = Some(Duration::from_secs(4));
        r
    });
    let dir = tempfile::tempdir().unwrap();
    let mut c = channel(ChannelKind::Slack, &server.url("/services/T/B/X"));
    c.timeout = Interval::secs(1);
    setup(dir.path(), std::slice::from_ref(&c));
    enqueue(dir.path(), &surge(noon(), 1, Severity::Critical));
    let mut notifier = notifier(dir.path(), &[c]);
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!(r.uncertain, 1, "{r:?}");
    assert_eq!(r.deferred, 0, "{r:?}");
    let row = &rows(dir.path())[0];
    assert_eq!(row.state, OutboxState::Uncertain);
    let error = row.last_error.as_deref().unwrap();
    assert!(
        error
            .starts_with("Slack did not answer: no answer within the timeout; it may have reached"),
        "{error}"
    );
    let later = noon() + chrono::Duration::hours(1);
    assert_eq!(notifier.flush(later, WAIT).await.unwrap().sent, 0);
    assert_eq!(server.requests().len(), 1, "never sent a second time");
}

/// A request that never connected cannot have arrived: even without a key, it is retried.
#[tokio::test]
async fn a_refused_connection_is_retried_even_without_a_key() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let c = channel(
        ChannelKind::Teams,
        &format!("http://127.0.0.1:{port}/workflow"),
    );
    setup(dir.path(), std::slice::from_ref(&c));
    enqueue(dir.path(), &surge(noon(), 1, Severity::Critical));
    let mut notifier = notifier(dir.path(), &[c]);
    let r = notifier.pass(noon()).await.unwrap();
    assert_eq!((r.deferred, r.uncertain), (1, 0), "{r:?}");
    assert_eq!(rows(dir.path())[0].state, OutboxState::Pending);
}

fn config_with(dir: &Path, channels: &str) -> PathBuf {
    // No `[http] allow`: channels are the administrator's choice, not subject to the sources' guard.
    common::write_config_as_is(dir, &format!("locale = \"en\"\n{channels}"))
}

#[test]
fn run_once_delivers_pending_channel_rows_and_outbox_shows_no_secret() {
    let server = Server::start(|_, _| ok());
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/hook/token-in-the-url");
    let config = config_with(
        dir.path(),
        &format!(
            "[[channel]]\nname = \"ops-hook\"\nkind = \"webhook\"\nurl = \"{url}\"\nsecret_file = \"secret\"\n"
        ),
    );
    let c = channel(ChannelKind::Webhook, &url);
    let mut c = c;
    c.name = "ops-hook".into();
    setup(dir.path(), &[c]);
    enqueue(dir.path(), &surge(Utc::now(), 3, Severity::Critical));
    let out = common::run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let got = server.requests();
    assert_eq!(got.len(), 1, "sent before exit: {}", common::stderr(&out));
    assert_eq!(got[0].header("X-Veille-Event"), Some("acme/3/opened"));
    verify(&got[0]);
    for text in [common::stderr(&out), common::stdout(&out)] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("token-in-the-url"), "{text}");
    }
    let out = common::run(&["outbox", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let listed = common::stdout(&out);
    assert!(
        listed
            .lines()
            .any(|l| l.contains("ops-hook") && l.contains("sent") && l.contains("200 ok")),
        "{listed}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.contains("email") && l.contains("pending")),
        "{listed}"
    );
    let out = common::run(&["outbox", "--json", "--config", config.to_str().unwrap()]);
    let json_rows = common::stdout(&out);
    let hook: Vec<Value> = json_rows
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["channel"] == "ops-hook")
        .collect();
    assert_eq!(hook.len(), 1, "{json_rows}");
    assert_eq!(hook[0]["event"], "acme/3/opened");
    assert_eq!(hook[0]["state"], "sent");
    for text in [&listed, &json_rows] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("token-in-the-url"), "{text}");
    }
}

#[test]
fn notify_test_channel_sends_a_test_message_and_prints_the_answer() {
    let server = Server::start(|_, _| {
        Response::ok("{\"ok\":true}").header("Content-Type", "application/json")
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret"), SECRET).unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "[[channel]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\nsecret_file = \"secret\"\n",
            server.url("/hook")
        ),
    );
    let out = common::run(&[
        "notify",
        "test",
        "--channel",
        "hook",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(
        common::stdout(&out).trim(),
        "hook (webhook): accepted: 200 {\"ok\":true}"
    );
    let got = server.requests();
    verify(&got[0]);
    let v = json(&got[0]);
    assert_eq!(v["kind"], "test");
    assert_eq!(v["title"], "Test message");

    let out = common::run(&[
        "notify",
        "test",
        "--channel",
        "nope",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("no [[channel]] named \"nope\""),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn notify_test_channel_reports_a_refusal_in_words() {
    let server = Server::start(|_, _| {
        let mut r = Response::status(400);
        r.body = b"invalid_payload".to_vec();
        r
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "[[channel]]\nname = \"chat\"\nkind = \"slack\"\nurl = \"{}\"\n",
            server.url("/services/x")
        ),
    );
    let out = common::run(&[
        "notify",
        "test",
        "--channel",
        "chat",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        common::stderr(&out).trim(),
        "veille: error: chat (slack): Slack refused the message: 400 invalid_payload"
    );
}

#[test]
fn check_reports_channel_problems_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        "[[channel]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"https://hooks.example/x\"\n\n[[channel]]\nname = \"room\"\nkind = \"matrix\"\nurl = \"not a url\"\nsecret_file = \"t\"\nroom = \"!r:example.org\"\n",
    );
    let out = common::run(&["check", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(
        err.contains("veille.toml:4:1: [[channel]] channel \"hook\": a webhook needs secret_file"),
        "{err}"
    );
    assert!(
        err.contains(
            "veille.toml:12:7: [[channel]] channel \"room\": url must be an absolute http"
        ),
        "{err}"
    );
}

#[test]
fn a_kill_between_the_receivers_200_and_the_mark_resends_once_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let daemon_pid = Arc::new(AtomicI32::new(0));
    let pid = Arc::clone(&daemon_pid);
    // The receiver takes the message (it has it, whole, and would answer 200), then the daemon is killed
    // before it can read that answer and mark the row: the worst moment for exactly-once.
    let server = Server::start(move |_, n| {
        if n == 0 {
            let p = pid.load(Ordering::SeqCst);
            assert!(p > 0);
            // SAFETY: sending a signal to our own child process, by its pid.
            unsafe {
                libc::kill(p, libc::SIGKILL);
            }
        }
        ok()
    });
    let url = server.url("/hook");
    let config = config_with(
        dir.path(),
        &format!(
            "[[channel]]\nname = \"team\"\nkind = \"webhook\"\nurl = \"{url}\"\nsecret_file = \"secret\"\n"
        ),
    );
    setup(dir.path(), &[channel(ChannelKind::Webhook, &url)]);
    let (mut notify, socket) = common::daemon::NotifySocket::bind(dir.path());
    let mut child = common::daemon::start(&config, &socket, &[]);
    daemon_pid.store(child.id() as i32, Ordering::SeqCst);
    assert!(
        notify.wait_for("READY=1", WAIT).is_some(),
        "{}",
        common::daemon::log(&config)
    );
    enqueue(dir.path(), &surge(Utc::now(), 9, Severity::Critical));
    let status = common::daemon::wait_exit(&mut child, WAIT).expect("the daemon was killed");
    assert!(!status.success());
    assert_eq!(server.requests().len(), 1);
    assert_eq!(
        rows(dir.path())[0].state,
        OutboxState::Pending,
        "killed before the mark"
    );

    drop(notify);
    std::fs::remove_file(&socket).unwrap();
    let (mut notify, socket) = common::daemon::NotifySocket::bind(dir.path());
    let mut child = common::daemon::start(&config, &socket, &[]);
    assert!(
        notify.wait_for("READY=1", WAIT).is_some(),
        "{}",
        common::daemon::log(&config)
    );
    let resent = common::daemon::eventually(WAIT, || server.requests().len() >= 2)
        && common::daemon::eventually(WAIT, || rows(dir.path())[0].state == OutboxState::Sent);
    common::daemon::signal(&child, "TERM");
    let status = common::daemon::wait_exit(&mut child, WAIT);
    assert!(resent, "{}", common::daemon::log(&config));
    assert!(
        status.is_some_and(|s| s.success()),
        "{}",
        common::daemon::log(&config)
    );
    let got = server.requests();
    assert_eq!(
        got.len(),
        2,
        "sent once more after the restart, and only once"
    );
    // The resend is the same event: a receiver keyed on X-Veille-Event delivers it once.
    let events: Vec<&str> = got
        .iter()
        .map(|r| r.header("X-Veille-Event").unwrap())
        .collect();
    assert_eq!(events, ["acme/9/opened", "acme/9/opened"]);
    assert_eq!(json(&got[0]), json(&got[1]), "the same payload");
    verify(&got[1]);
    let log = common::daemon::log(&config);
    assert!(!log.contains(SECRET), "{log}");
}

/// Guards the duplicate after a crash on a service without an idempotency key (Teams): the daemon is
/// killed once the receiver has the whole request and before the daemon reads its `200`. The restarted
/// daemon must not post it again (Teams would show it twice): the row is uncertain, `veille outbox`
/// lists it, and the log says so once.
#[test]
fn a_kill_between_a_teams_200_and_the_mark_leaves_the_row_uncertain_and_never_posts_twice() {
    let dir = tempfile::tempdir().unwrap();
    let daemon_pid = Arc::new(AtomicI32::new(0));
    let pid = Arc::clone(&daemon_pid);
    let server = Server::start(move |_, n| {
        if n == 0 {
            let p = pid.load(Ordering::SeqCst);
            assert!(p > 0);
            // SAFETY: sending a signal to our own child process, by its pid.
            unsafe {
                libc::kill(p, libc::SIGKILL);
            }
        }
        ok()
    });
    let url = server.url("/workflows/run");
    let config = config_with(
        dir.path(),
        &format!("[[channel]]\nname = \"team\"\nkind = \"teams\"\nurl = \"{url}\"\n"),
    );
    setup(dir.path(), &[channel(ChannelKind::Teams, &url)]);
    let (mut notify, socket) = common::daemon::NotifySocket::bind(dir.path());
    let mut child = common::daemon::start(&config, &socket, &[]);
    daemon_pid.store(child.id() as i32, Ordering::SeqCst);
    assert!(
        notify.wait_for("READY=1", WAIT).is_some(),
        "{}",
        common::daemon::log(&config)
    );
    enqueue(dir.path(), &surge(Utc::now(), 9, Severity::Critical));
    let status = common::daemon::wait_exit(&mut child, WAIT).expect("the daemon was killed");
    assert!(!status.success());
    assert_eq!(server.requests().len(), 1);
    assert_eq!(
        rows(dir.path())[0].state,
        OutboxState::Pending,
        "killed before the mark"
    );

    drop(notify);
    std::fs::remove_file(&socket).unwrap();
    let (mut notify, socket) = common::daemon::NotifySocket::bind(dir.path());
    let mut child = common::daemon::start(&config, &socket, &[]);
    assert!(
        notify.wait_for("READY=1", WAIT).is_some(),
        "{}",
        common::daemon::log(&config)
    );
    // The worker settles the row when it starts, before its first pass: once uncertain, it is no longer
    // pending and no pass can send it.
    let settled =
        common::daemon::eventually(WAIT, || rows(dir.path())[0].state == OutboxState::Uncertain);
    common::daemon::signal(&child, "TERM");
    let status = common::daemon::wait_exit(&mut child, WAIT);
    let log = common::daemon::log(&config);
    assert!(settled, "{log}");
    assert!(status.is_some_and(|s| s.success()), "{log}");
    assert_eq!(server.requests().len(), 1, "posted once, never again");
    assert_eq!(
        log.matches("Channel message may have arrived before the stop")
            .count(),
        1,
        "{log}"
    );

    let out = common::run(&["outbox", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 uncertain"), "{text}");
    let line = text.lines().find(|l| l.contains("team")).unwrap();
    assert!(
        line.contains("uncertain")
            && line.contains("the daemon stopped before the answer was recorded"),
        "{line}"
    );
    // `veille status` tells the person to look in the channel.
    let out = common::run(&["status", "--config", config.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 channel message may have arrived without the service's answer"),
        "{text}{}",
        common::stderr(&out)
    );
}

/// Channels follow SIGHUP, not only a restart: one removed, one added, one whose URL changed. After the
/// reload, a new alert reaches the added channel and the changed one at its new address, and nothing is
/// queued for the removed one.
#[test]
fn sighup_applies_added_removed_and_changed_channels() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(|_, _| ok());
    let channels = |list: &[(&str, &str, &str)]| -> String {
        list.iter()
            .map(|(name, kind, path)| {
                let secret = if *kind == "webhook" {
                    "secret_file = \"secret\"\n"
                } else {
                    ""
                };
                format!(
                    "[[channel]]\nname = \"{name}\"\nkind = \"{kind}\"\nurl = \"{}\"\n{secret}",
                    server.url(path)
                )
            })
            .collect()
    };
    let config = config_with(
        dir.path(),
        &channels(&[("gone", "slack", "/gone"), ("moved", "mattermost", "/old")]),
    );
    std::fs::write(dir.path().join("secret"), format!("{SECRET}\n")).unwrap();
    let (mut notify, socket) = common::daemon::NotifySocket::bind(dir.path());
    let mut child = common::daemon::start(&config, &socket, &[]);
    assert!(
        notify.wait_for("READY=1", WAIT).is_some(),
        "{}",
        common::daemon::log(&config)
    );
    let paths = || -> Vec<String> { server.requests().iter().map(|r| r.path.clone()).collect() };
    enqueue(dir.path(), &surge(Utc::now(), 1, Severity::Critical));
    assert!(
        common::daemon::eventually(WAIT, || paths().len() == 2),
        "{:?} {}",
        paths(),
        common::daemon::log(&config)
    );

    config_with(
        dir.path(),
        &channels(&[
            ("moved", "mattermost", "/new"),
            ("added", "webhook", "/added"),
        ]),
    );
    common::daemon::signal(&child, "HUP");
    assert!(
        common::daemon::eventually(WAIT, || common::daemon::log(&config)
            .contains("Channels reloaded.")),
        "{}",
        common::daemon::log(&config)
    );
    enqueue(dir.path(), &surge(Utc::now(), 2, Severity::Critical));
    let delivered = common::daemon::eventually(WAIT, || paths().len() == 4);
    common::daemon::signal(&child, "TERM");
    let status = common::daemon::wait_exit(&mut child, WAIT);
    let log = common::daemon::log(&config);
    assert!(delivered, "{:?} {log}", paths());
    assert!(status.is_some_and(|s| s.success()), "{log}");
    let mut got = paths();
    got.sort();
    assert_eq!(got, ["/added", "/gone", "/new", "/old"], "{log}");
    let second: Vec<Option<String>> = rows(dir.path())
        .iter()
        .filter(|r| r.event_key.as_deref() == Some("acme/2/opened"))
        .map(|r| r.channel.clone())
        .collect();
    assert_eq!(
        second.len(),
        2,
        "no row for the removed channel: {second:?}"
    );
    assert!(!second.contains(&Some("gone".into())), "{second:?}");
    for line in ["Channel added.", "Channel changed.", "Channel removed;"] {
        assert_eq!(log.matches(line).count(), 1, "{line} {log}");
    }
    verify(
        server
            .requests()
            .iter()
            .find(|r| r.path == "/added")
            .unwrap(),
    );
}

#[test]
fn the_secret_file_is_found_in_the_systemd_credentials_directory_first() {
    let server = Server::start(|_, _| ok());
    let dir = tempfile::tempdir().unwrap();
    let credentials = tempfile::tempdir().unwrap();
    // Beside the configuration, a decoy: the credentials directory wins.
    std::fs::write(dir.path().join("hook-key"), "the-wrong-key").unwrap();
    std::fs::write(credentials.path().join("hook-key"), format!("{SECRET}\n")).unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "[[channel]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}\"\nsecret_file = \"hook-key\"\n",
            server.url("/hook")
        ),
    );
    let out = common::veille()
        .args(["notify", "test", "--channel", "hook", "--config"])
        .arg(&config)
        .env("CREDENTIALS_DIRECTORY", credentials.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    verify(&server.requests()[0]);

    // An unreadable secret is a setup error that names the file, not its content.
    std::fs::remove_file(credentials.path().join("hook-key")).unwrap();
    std::fs::remove_file(dir.path().join("hook-key")).unwrap();
    let out = common::run(&[
        "notify",
        "test",
        "--channel",
        "hook",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains("cannot read secret_file") && err.contains("hook-key"),
        "{err}"
    );
}
