//! `veille notify test` and `veille outbox`: try the mail and channel settings, and see what the outbox
//! holds.
//!
//! `notify test` sends one email with the configured settings, straight to the server (not through the
//! outbox), and prints exactly what the server answered: its code and text, or its refusal; with
//! `--channel NAME` it sends one test message to that `[[channel]]` the same way. `outbox` opens the
//! database read-only and lists pending, held, sent and failed notifications of every channel (email
//! included); it shows a channel by name, never its URL or secret.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use chrono::Utc;

use crate::model::{Headline, Notification, NotificationKind, Severity};
use crate::notify::channels::{Card, Channel};
use crate::notify::mailer::{Envelope, MailError, Mailer};
use crate::notify::render::{RenderOptions, render_with};
use crate::store::outbox::OutboxState;

use super::{Place, error, load_config, open_read_only, runtime};

/// `veille notify test [--to ADDR]`.
pub fn test(config_path: &Path, to: Option<String>) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(Place {
        config: config_path,
        db: None,
    }) else {
        return Ok(ExitCode::from(1));
    };
    let Some(email) = &config.email else {
        error(format_args!(
            "{} has no [email] table: nothing can be sent",
            config_path.display()
        ));
        return Ok(ExitCode::from(1));
    };
    let now = Utc::now();
    let mut n = Notification::new(
        NotificationKind::IncidentOpened,
        Severity::Info,
        "veille",
        now,
    );
    n.headline = Headline::default();
    let voice = crate::i18n::Voice::new(email.locale, config.timezone.0);
    n.explanation_fr = Some(
        crate::i18n::Voice::new(crate::i18n::Locale::Fr, config.timezone.0)
            .word("email-test-sentence"),
    );
    n.explanation_en = Some(
        crate::i18n::Voice::new(crate::i18n::Locale::En, config.timezone.0)
            .word("email-test-sentence"),
    );
    let mut email_text = render_with(&n, &RenderOptions::new(voice));
    email_text.subject = voice.word("email-test-subject");
    let recipients = to.map_or_else(|| email.to.clone(), |a| vec![a]);
    let envelope = Envelope {
        to: recipients.clone(),
        message_id: String::new(),
        date: now,
        thread: None,
        email: email_text,
    };
    let dir = crate::notify::worker::config_dir(&config.path);
    let rt = runtime()?;
    // The SMTP client's connection pool lives on the runtime: build, use and drop it there.
    let outcome = rt.block_on(async {
        let mailer = Mailer::build(email, &dir)?;
        let server = mailer.server().to_string();
        let envelope = Envelope {
            message_id: format!("veille.test.{}@{}", now.timestamp_millis(), mailer.domain()),
            ..envelope
        };
        mailer.send(0, &envelope).await.map(|a| (server, a))
    });
    match outcome {
        Ok((server, accepted)) => {
            println!(
                "{server}: accepted for {}: {accepted}",
                recipients.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            match &e {
                MailError::Smtp {
                    code: Some(code), ..
                } => {
                    error(format_args!("refused ({code}): {e}"));
                }
                _ => error(format_args!("{e}")),
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// `veille notify test --channel NAME`.
pub fn test_channel(config_path: &Path, name: &str) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(Place {
        config: config_path,
        db: None,
    }) else {
        return Ok(ExitCode::from(1));
    };
    let Some(c) = config.channels.iter().find(|c| c.name == name) else {
        let known: Vec<&str> = config.channels.iter().map(|c| c.name.as_str()).collect();
        error(format_args!(
            "no [[channel]] named {name:?} in {} (known: {})",
            config_path.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
        return Ok(ExitCode::from(1));
    };
    let dir = crate::notify::worker::config_dir(&config.path);
    let rt = runtime()?;
    let outcome = rt.block_on(async {
        let channel = Channel::build(c, &dir, config.locale, config.timezone.0)?;
        let now = Utc::now();
        let (n, card) = Card::test(&channel.voice, now);
        let key = n.key.clone().unwrap_or_default();
        let out = channel.request(&n, &card, &key, now);
        channel.send(&out).await
    });
    match outcome {
        Ok(answer) => {
            println!("{name} ({}): accepted: {answer}", c.kind.as_str());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            error(format_args!("{name} ({}): {e}", c.kind.as_str()));
            Ok(ExitCode::from(1))
        }
    }
}

/// `veille outbox [--json]`.
pub fn outbox(place: Place<'_>, json: bool, limit: usize) -> anyhow::Result<ExitCode> {
    let Some((_config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    let rows = store.outbox(None, limit)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        for r in &rows {
            let line = serde_json::json!({
                "id": r.id,
                "created": r.created.to_rfc3339(),
                "state": r.state,
                "channel": r.channel.as_deref().unwrap_or("email"),
                "event": r.event_key,
                "kind": r.notification.kind,
                "severity": r.notification.severity,
                "incident": r.notification.incident,
                "watch": r.notification.watch,
                "brand": r.notification.brand,
                "attempts": r.attempts,
                "next_attempt": (r.state == OutboxState::Pending).then(|| r.next_attempt.to_rfc3339()),
                "sent": r.sent.map(|t| t.to_rfc3339()),
                "response": r.last_response,
                "error": r.last_error,
                "digest": r.digest,
            });
            serde_json::to_writer(&mut out, &line)?;
            writeln!(out)?;
        }
    } else {
        let counts = store.outbox_counts()?;
        let summary: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        writeln!(
            out,
            "outbox: {}",
            if summary.is_empty() {
                "empty".into()
            } else {
                summary.join(", ")
            }
        )?;
        for r in &rows {
            let n = &r.notification;
            let detail = match r.state {
                OutboxState::Sent => r.last_response.clone().unwrap_or_default(),
                OutboxState::Pending if r.attempts > 0 => format!(
                    "attempt {} at {}: {}",
                    r.attempts + 1,
                    r.next_attempt.format("%Y-%m-%d %H:%M:%S"),
                    r.last_error.as_deref().unwrap_or("")
                ),
                _ => r.last_error.clone().unwrap_or_default(),
            };
            writeln!(
                out,
                "{:>5}  {}  {:<12}  {:<9}  {:<18}  {:<8}  {}  {}",
                r.id,
                r.created.format("%Y-%m-%d %H:%M"),
                r.channel.as_deref().unwrap_or("email"),
                r.state.as_str(),
                n.kind.as_str(),
                n.severity.as_str(),
                n.brand,
                detail
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
