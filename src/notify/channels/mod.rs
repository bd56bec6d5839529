//! Chat channels and webhooks: where the team already talks (Teams, Slack, Mattermost, Google Chat,
//! Matrix, ntfy) and anything else that takes a signed JSON POST.
//!
//! In: outbox rows of a channel (one per decision and channel, written by detection in the transaction of
//! its cause, see [`crate::store::outbox::enqueue_in`]), the `[[channel]]` settings ([`ChannelConfig`]).
//! Out: one HTTP request per row, built by the channel's kind from the same facts as the email
//! ([`crate::notify::said::Said`]), and what the service answered ([`Answer`] or [`ChannelError`]).
//! The outbox worker ([`crate::notify::worker::ChannelNotifier`]) sends the rows and marks them.
//!
//! - [`config`]: the `[[channel]]` tables and their validation.
//! - [`card`]: the words of a message (a [`Card`]), said once for every kind, and the escaping each
//!   format needs.
//! - one file per kind ([`teams`], [`slack`], [`mattermost`], [`google_chat`], [`matrix`], [`ntfy`],
//!   [`webhook`]): the request that kind's service documents. Pure.
//!
//! Everything from a feed is data: each kind escapes it for its format, and `@mentions` never ping a
//! room. Redirects are not followed (a webhook that moved is a mistake to fix, not a hop to take), and
//! the channel's secret is only ever put in the request, never in a log, an error or `veille outbox`.
//! Channels are the administrator's choice: the sources' address guard does not apply to them (an
//! intranet Mattermost is normal).

pub mod card;
pub mod config;
pub mod google_chat;
pub mod matrix;
pub mod mattermost;
pub mod ntfy;
pub mod slack;
pub mod teams;
pub mod webhook;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use card::Card;
pub use config::{ChannelConfig, ChannelKind};

use crate::i18n::Voice;
use crate::model::{Locale, Notification};

/// A request to a channel's service, built by its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// `POST` or `PUT`.
    pub method: &'static str,
    pub url: String,
    /// Headers besides `Content-Type`.
    pub headers: Vec<(String, String)>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// What the service answered when it took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The start of its body, one line.
    pub body: String,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&status_words(self.status, &self.body))
    }
}

/// Why a message did not reach a channel.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChannelError {
    /// The service refused it for good (a 4xx other than 429, or a redirect).
    #[error("{service} refused the message: {}", status_words(*status, body))]
    Refused {
        service: &'static str,
        status: u16,
        body: String,
    },
    /// The service is busy or failing (429, 5xx): try again, after `retry_after` when it said.
    #[error("{service} is unavailable: {}", status_words(*status, body))]
    Unavailable {
        service: &'static str,
        status: u16,
        body: String,
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused or reset, or no answer within the timeout.
    #[error("{service} did not answer: {reason}")]
    Network {
        service: &'static str,
        reason: String,
        /// Whether the request may have reached the service (false only when no connection was made).
        may_have_arrived: bool,
    },
    /// The channel cannot be set up (its secret cannot be read…): fix the configuration.
    #[error("channel {channel:?}: {reason}")]
    Setup { channel: String, reason: String },
}

impl ChannelError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ChannelError::Unavailable { .. } | ChannelError::Network { .. }
        )
    }

    /// Whether the service may have taken the message although no answer said so: the request went out
    /// and the answer never came (a timeout, a connection reset).
    pub fn may_have_arrived(&self) -> bool {
        matches!(
            self,
            ChannelError::Network {
                may_have_arrived: true,
                ..
            }
        )
    }

    /// How long the service asked to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ChannelError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// `400 Bad card`, or `400` when the service said nothing more.
fn status_words(status: u16, body: &str) -> String {
    if body.is_empty() {
        status.to_string()
    } else {
        format!("{status} {body}")
    }
}

/// A channel ready to send: its settings, its secret, its HTTP client.
pub struct Channel {
    pub config: ChannelConfig,
    /// The language and clock of its messages.
    pub voice: Voice,
    secret: Option<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret and the URL (which often is a secret itself) stay out of debug output.
        f.debug_struct("Channel")
            .field("name", &self.config.name)
            .field("kind", &self.config.kind)
            .finish_non_exhaustive()
    }
}

impl Channel {
    /// Reads the channel's secret and builds its HTTP client (no redirects, the channel's timeout, no
    /// proxy). `locale` and `tz` are the configuration's, for a channel that names no language.
    ///
    /// # Errors
    /// [`ChannelError::Setup`] when the secret file cannot be read or is empty, or TLS cannot be set up.
    pub fn build(
        config: &ChannelConfig,
        config_dir: &Path,
        locale: Locale,
        tz: chrono_tz::Tz,
    ) -> Result<Channel, ChannelError> {
        let setup = |reason: String| ChannelError::Setup {
            channel: config.name.clone(),
            reason,
        };
        let secret = match config.secret_path(config_dir) {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    setup(format!(
                        "cannot read secret_file {}: {e}; check the path and its permissions",
                        path.display()
                    ))
                })?;
                let text = text.trim().to_owned();
                if text.is_empty() {
                    return Err(setup(format!(
                        "secret_file {} is empty; put the secret in it",
                        path.display()
                    )));
                }
                Some(text)
            }
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("veille/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout.0)
            .connect_timeout(config.timeout.0)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| setup(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Channel {
            voice: Voice::new(config.locale.unwrap_or(locale), tz),
            config: config.clone(),
            secret,
            client,
        })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The request this channel's kind makes of `card` for notification `n`, keyed `key`, at `now`
    /// (the webhook signs with that time).
    pub fn request(
        &self,
        n: &Notification,
        card: &Card,
        key: &str,
        now: DateTime<Utc>,
    ) -> Outgoing {
        let c = &self.config;
        let secret = self.secret.as_deref();
        match c.kind {
            ChannelKind::Teams => teams::request(&c.url, card),
            ChannelKind::Slack => slack::request(&c.url, card),
            ChannelKind::Mattermost => mattermost::request(&c.url, card),
            ChannelKind::GoogleChat => google_chat::request(&c.url, card, key),
            ChannelKind::Matrix => matrix::request(
                &c.url,
                c.room.as_deref().unwrap_or_default(),
                secret.unwrap_or_default(),
                card,
                key,
            ),
            ChannelKind::Ntfy => ntfy::request(&c.url, secret, card),
            ChannelKind::Webhook => {
                webhook::request(&c.url, secret.unwrap_or_default(), n, card, key, now)
            }
        }
    }

    /// Sends `out` and says what came of it: the service's answer when it took the message (2xx), else
    /// why not, transient (429, 5xx, no answer) or permanent (other statuses, redirects included).
    ///
    /// # Errors
    /// A [`ChannelError`]; its words never hold the secret, nor the URL (which may be one).
    pub async fn send(&self, out: &Outgoing) -> Result<Answer, ChannelError> {
        let service = self.config.kind.service();
        let method = if out.method == "PUT" {
            reqwest::Method::PUT
        } else {
            reqwest::Method::POST
        };
        let mut req = self
            .client
            .request(method, &out.url)
            .header(reqwest::header::CONTENT_TYPE, out.content_type)
            .body(out.body.clone());
        for (k, v) in &out.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let response = req.send().await.map_err(|e| ChannelError::Network {
            service,
            reason: network_reason(&e),
            may_have_arrived: !e.is_connect(),
        })?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        let body = match tokio::time::timeout(self.config.timeout.0, response.bytes()).await {
            Ok(Ok(b)) => one_line_of(&b),
            _ => String::new(),
        };
        match status {
            200..=299 => Ok(Answer { status, body }),
            429 | 500..=599 => Err(ChannelError::Unavailable {
                service,
                status,
                body,
                retry_after,
            }),
            300..=399 => Err(ChannelError::Refused {
                service,
                status,
                body: "a redirect, not followed: check the channel's url".into(),
            }),
            _ => Err(ChannelError::Refused {
                service,
                status,
                body,
            }),
        }
    }
}

/// Why a request got no answer, without the URL reqwest puts in its errors (it may hold a secret).
fn network_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer within the timeout".into();
    }
    if e.is_connect() {
        return "cannot connect".into();
    }
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    match e.url() {
        Some(u) => reason.replace(u.as_str(), "…"),
        None => reason,
    }
}

/// `Retry-After` as seconds or as an HTTP date, at most an hour (a longer wait is the backoff's job).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let secs = match value.parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(value).ok()?;
            (at.with_timezone(&Utc) - now).num_seconds().max(0) as u64
        }
    };
    Some(Duration::from_secs(secs.min(3600)))
}

/// The first 200 characters of an answer's body, on one line.
fn one_line_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_within_an_hour() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Tue, 10 Mar 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("999999", now),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn only_busy_and_failing_services_are_tried_again() {
        let busy = ChannelError::Unavailable {
            service: "Teams",
            status: 503,
            body: String::new(),
            retry_after: Some(Duration::from_secs(2)),
        };
        assert!(busy.is_transient());
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(2)));
        let refused = ChannelError::Refused {
            service: "Teams",
            status: 400,
            body: "Bad card".into(),
        };
        assert!(!refused.is_transient());
        assert_eq!(
            refused.to_string(),
            "Teams refused the message: 400 Bad card"
        );
    }
}
