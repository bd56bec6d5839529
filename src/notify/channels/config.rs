//! The `[[channel]]` tables of `veille.toml`: where chat messages and webhooks go, which notifications
//! each takes, when, and how often.
//!
//! In: one `[[channel]]` table, deserialized by the configuration's reader (`config::channels`, which puts
//! each problem at its line). Out: a [`ChannelConfig`] whose [`ChannelConfig::problems`] lists every
//! mistake with the key it concerns, for `veille check`. The daemon builds the running channels from them
//! ([`super::Channel::build`]).
//!
//! ```toml
//! [[channel]]
//! name = "crise-teams"
//! kind = "teams"                  # teams, slack, mattermost, google-chat, matrix, ntfy, webhook
//! url = "https://….logic.azure.com/workflows/…"
//! severity = "warning"            # the least severity sent (default "warning")
//! watches = ["acme"]              # default: every watch
//! locale = "fr"                   # default: the configuration's
//! secret_file = "webhook-secret"  # webhook: HMAC secret; matrix, ntfy: access token
//! max_per_hour = 6                # past it, alerts fold into one summary message
//! quiet = { from = "20:00", until = "08:00", weekends = true }
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::{Interval, Locale, Severity};
use crate::notify::config::QuietConfig;

/// Which service a channel speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelKind {
    /// A Microsoft Teams Workflows (Power Automate) webhook: an Adaptive Card.
    Teams,
    /// A Slack incoming webhook: Block Kit.
    Slack,
    /// A Mattermost incoming webhook: Markdown.
    Mattermost,
    /// A Google Chat space webhook: cards v2.
    GoogleChat,
    /// A Matrix room, through the client-server API.
    Matrix,
    /// An ntfy topic: a push on the phone.
    Ntfy,
    /// A generic JSON POST, signed.
    Webhook,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Teams => "teams",
            ChannelKind::Slack => "slack",
            ChannelKind::Mattermost => "mattermost",
            ChannelKind::GoogleChat => "google-chat",
            ChannelKind::Matrix => "matrix",
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Webhook => "webhook",
        }
    }

    /// The service's name as people know it, for messages.
    /// Whether the service recognises a resend of one decision by its key, so that sending it again after
    /// a lost answer cannot make a second message: the webhook (`X-Veille-Event`, for the receiver),
    /// Matrix (the transaction id) and Google Chat (`requestId`). Teams, Slack, Mattermost and ntfy take
    /// no such key.
    pub fn idempotent(self) -> bool {
        matches!(
            self,
            ChannelKind::Webhook | ChannelKind::Matrix | ChannelKind::GoogleChat
        )
    }

    pub fn service(self) -> &'static str {
        match self {
            ChannelKind::Teams => "Teams",
            ChannelKind::Slack => "Slack",
            ChannelKind::Mattermost => "Mattermost",
            ChannelKind::GoogleChat => "Google Chat",
            ChannelKind::Matrix => "Matrix",
            ChannelKind::Ntfy => "ntfy",
            ChannelKind::Webhook => "The webhook",
        }
    }
}

/// One `[[channel]]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// How the channel is called in logs, `veille outbox` and `veille notify test --channel`.
    pub name: String,
    pub kind: ChannelKind,
    /// The webhook's URL; for ntfy the topic's URL; for Matrix the homeserver's base URL.
    pub url: String,
    /// The least severity sent.
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// The watches whose notifications it takes; `None` for all.
    #[serde(default)]
    pub watches: Option<Vec<String>>,
    /// The language of its messages; `None` for the configuration's.
    #[serde(default)]
    pub locale: Option<Locale>,
    /// A file holding the secret: the webhook's HMAC key, the Matrix or ntfy access token (relative: to
    /// `$CREDENTIALS_DIRECTORY` when it has it, else to the configuration's directory).
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// The Matrix room id (`!abc:example.org`).
    #[serde(default)]
    pub room: Option<String>,
    /// Messages per hour; past it, alerts fold into one summary message.
    #[serde(default = "default_max_per_hour")]
    pub max_per_hour: u32,
    /// When only critical incidents are sent at once; the rest fold into one summary afterwards.
    #[serde(default)]
    pub quiet: Option<QuietConfig>,
    /// Bound on one request, connection included.
    #[serde(default = "default_timeout")]
    pub timeout: Interval,
    /// Most mentions shown in one message.
    #[serde(default = "default_max_mentions")]
    pub max_mentions: usize,
}

fn default_severity() -> Severity {
    Severity::Warning
}

fn default_max_per_hour() -> u32 {
    6
}

fn default_timeout() -> Interval {
    Interval::secs(10)
}

fn default_max_mentions() -> usize {
    3
}

impl ChannelConfig {
    /// A channel of `kind` called `name` posting to `url`, every other key at its default.
    pub fn new(name: &str, kind: ChannelKind, url: &str) -> ChannelConfig {
        ChannelConfig {
            name: name.into(),
            kind,
            url: url.into(),
            severity: default_severity(),
            watches: None,
            locale: None,
            secret_file: None,
            room: None,
            max_per_hour: default_max_per_hour(),
            quiet: None,
            timeout: default_timeout(),
            max_mentions: default_max_mentions(),
        }
    }

    /// Every problem of the table, each with the key it concerns.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().any(char::is_control) {
            out.push(("name", "name must be a non-empty line of text".into()));
        }
        match url::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                if !u.username().is_empty() || u.password().is_some() {
                    out.push((
                        "url",
                        "url must not carry credentials; put the token in secret_file".into(),
                    ));
                }
            }
            // The URL often carries the webhook's secret: never repeat it in a message.
            _ => out.push((
                "url",
                "url must be an absolute http:// or https:// URL".into(),
            )),
        }
        match self.kind {
            ChannelKind::Webhook if self.secret_file.is_none() => out.push((
                "secret_file",
                "a webhook needs secret_file (the key its payloads are signed with)".into(),
            )),
            ChannelKind::Matrix => {
                if self.secret_file.is_none() {
                    out.push((
                        "secret_file",
                        "a Matrix channel needs secret_file (the bot account's access token)"
                            .into(),
                    ));
                }
                if !self
                    .room
                    .as_deref()
                    .is_some_and(|r| r.starts_with('!') && r.contains(':'))
                {
                    out.push((
                        "room",
                        "a Matrix channel needs room, the room's id (\"!abc:example.org\")".into(),
                    ));
                }
            }
            _ => {}
        }
        if self.room.is_some() && self.kind != ChannelKind::Matrix {
            out.push(("room", "room is for Matrix channels only".into()));
        }
        if self.watches.as_ref().is_some_and(Vec::is_empty) {
            out.push((
                "watches",
                "watches must list at least one watch id (leave it out for every watch)".into(),
            ));
        }
        if self.max_per_hour == 0 {
            out.push(("max_per_hour", "max_per_hour must be at least 1".into()));
        }
        if self.timeout.as_secs() == 0 {
            out.push(("timeout", "timeout must be at least 1s".into()));
        }
        if self.max_mentions == 0 {
            out.push(("max_mentions", "max_mentions must be at least 1".into()));
        }
        if let Err(e) = self.quiet_times() {
            out.push(("quiet", e));
        }
        out
    }

    /// The quiet hours, parsed: from, until, weekends.
    ///
    /// # Errors
    /// What is wrong, in words.
    pub fn quiet_times(
        &self,
    ) -> Result<Option<(chrono::NaiveTime, chrono::NaiveTime, bool)>, String> {
        let parse = |s: &str| {
            chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
                .map_err(|_| format!("{s:?} is not a time of day; write HH:MM, e.g. \"08:30\""))
        };
        self.quiet
            .as_ref()
            .map(|q| {
                Ok((
                    parse(&q.from).map_err(|e| format!("quiet.from: {e}"))?,
                    parse(&q.until).map_err(|e| format!("quiet.until: {e}"))?,
                    q.weekends,
                ))
            })
            .transpose()
    }

    /// Where the secret file is: an absolute path as is; a relative one in `$CREDENTIALS_DIRECTORY`
    /// (systemd `LoadCredential=`) when it is there, else beside the configuration — as the SMTP password.
    pub fn secret_path(&self, config_dir: &Path) -> Option<PathBuf> {
        let p = self.secret_file.as_ref()?;
        if p.is_absolute() {
            return Some(p.clone());
        }
        if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
            let candidate = Path::new(&dir).join(p);
            if candidate.exists() {
                return Some(candidate);
            }
        }
        Some(config_dir.join(p))
    }

    /// Whether a notification of `severity` about `watch` is for this channel.
    pub fn takes(&self, severity: Severity, watch: Option<&str>) -> bool {
        severity >= self.severity
            && self
                .watches
                .as_ref()
                .is_none_or(|ws| watch.is_some_and(|w| ws.iter().any(|x| x == w)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> ChannelConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_full_table_reads_with_its_defaults() {
        let c = read(
            r#"
            name = "crise"
            kind = "google-chat"
            url = "https://chat.googleapis.com/v1/spaces/X/messages?key=k"
            "#,
        );
        assert!(c.problems().is_empty(), "{:?}", c.problems());
        assert_eq!(c.kind, ChannelKind::GoogleChat);
        assert_eq!(c.severity, Severity::Warning);
        assert_eq!(c.max_per_hour, 6);
        assert!(c.takes(Severity::Warning, None));
        assert!(!c.takes(Severity::Info, None));
        let c = read(
            r#"
            name = "hook"
            kind = "webhook"
            url = "http://10.0.0.5/hook"
            secret_file = "hook-secret"
            severity = "critical"
            watches = ["acme"]
            locale = "en"
            quiet = { from = "20:00", until = "08:00" }
            "#,
        );
        assert!(c.problems().is_empty(), "{:?}", c.problems());
        assert_eq!(c.locale, Some(Locale::En));
        assert!(c.takes(Severity::Critical, Some("acme")));
        assert!(!c.takes(Severity::Critical, Some("other")));
        assert!(!c.takes(Severity::Warning, Some("acme")));
    }

    #[test]
    fn every_problem_is_listed_with_its_key() {
        let c = read(
            r#"
            name = "m"
            kind = "matrix"
            url = "ftp://x"
            max_per_hour = 0
            quiet = { from = "8h", until = "08:00" }
            "#,
        );
        let keys: Vec<&str> = c.problems().iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            ["url", "secret_file", "room", "max_per_hour", "quiet"],
            "{:?}",
            c.problems()
        );
        let c = read(
            r#"
            name = "w"
            kind = "webhook"
            url = "https://user:pw@hooks.example/x"
            room = "!r:example.org"
            "#,
        );
        let problems = c.problems();
        let keys: Vec<&str> = problems.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["url", "secret_file", "room"], "{problems:?}");
        assert!(
            !problems.iter().any(|(_, m)| m.contains("pw")),
            "a URL's credentials are never repeated"
        );
        assert!(
            toml::from_str::<ChannelConfig>(
                "name = \"z\"\nkind = \"telegram\"\nurl = \"https://x\""
            )
            .is_err()
        );
    }
}
