//! The `[email]` table of `veille.toml`: where mail goes, to whom, when, and how often.
//!
//! In: the TOML table, deserialized by the configuration's `section` helper. Out: an [`EmailConfig`] whose
//! [`EmailConfig::problems`] lists every mistake (with the key it concerns) for `veille check`, and the
//! parsed pieces the notifier uses ([`EmailConfig::schedule`], [`EmailConfig::server_url`]).
//!
//! ```toml
//! [email]
//! server = "smtp://mail.example.fr:587"   # STARTTLS (required unless loopback); smtps:// = implicit TLS
//! from = "veille <veille@example.fr>"
//! to = ["communication@example.fr"]
//! locale = "fr"                           # or "en"
//! username = "veille"
//! password_file = "smtp-password"         # or password_env = "VEILLE_SMTP_PASSWORD"
//! timeout = "30s"
//! ca_file = "ca.pem"                     # extra roots to trust, for a private CA
//! max_per_hour = 6                        # immediate emails per recipient per hour
//! timezone = "Europe/Paris"
//! digest = { at = "08:30", every = "day", max_mentions = 20, to = ["equipe@example.fr"] }
//! quiet = { from = "20:00", until = "08:00", weekends = true }
//!
//! [[email.route]]                          # critical notifications also go to the on-call list
//! severity = "critical"
//! to = ["astreinte@example.fr"]
//! ```

use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use serde::Deserialize;

use crate::model::{Interval, Severity};

pub use crate::model::Locale;

/// The `[email]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// `smtp://host[:port]` (STARTTLS) or `smtps://host[:port]` (implicit TLS).
    pub server: String,
    /// The sender, `name <address>` or `address`.
    pub from: String,
    /// Who gets every notification.
    pub to: Vec<String>,
    #[serde(default)]
    pub locale: Locale,
    #[serde(default)]
    pub username: Option<String>,
    /// A file holding the password (relative: to `$CREDENTIALS_DIRECTORY` when it has it, else to the
    /// configuration's directory).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// An environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// A PEM file of extra root certificates to trust for the server (a private CA); relative to the
    /// configuration's directory.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Bound on connecting, on each SMTP command, and on one email's whole exchange.
    #[serde(default = "default_timeout")]
    pub timeout: Interval,
    /// Immediate emails per recipient per hour; past it, alerts fold into the next digest.
    #[serde(default = "default_max_per_hour")]
    pub max_per_hour: u32,
    /// The time zone of `digest.at` and `quiet`, e.g. `Europe/Paris`.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default)]
    pub digest: DigestConfig,
    #[serde(default)]
    pub quiet: Option<QuietConfig>,
    /// Extra recipients by severity and watch.
    #[serde(default)]
    pub route: Vec<RouteConfig>,
}

fn default_timeout() -> Interval {
    Interval::secs(30)
}

fn default_max_per_hour() -> u32 {
    6
}

fn default_timezone() -> String {
    "Europe/Paris".into()
}

/// `[email.digest]`: when held notifications are gathered and sent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DigestConfig {
    /// Local time of the daily digest (`HH:MM`); with `every = "hour"`, only its minutes count.
    pub at: String,
    /// `day` or `hour`.
    pub every: String,
    /// Most mentions shown in one digest; the rest are counted.
    pub max_mentions: usize,
    /// Who gets digests; empty means `to`.
    pub to: Vec<String>,
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            at: "08:30".into(),
            every: "day".into(),
            max_mentions: 20,
            to: Vec::new(),
        }
    }
}

/// `[email.quiet]`: when only critical incidents are sent at once.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietConfig {
    /// Local time quiet hours start (`HH:MM`).
    pub from: String,
    /// Local time they end (`HH:MM`); earlier than `from` means the next morning.
    pub until: String,
    /// Saturdays and Sundays are quiet all day.
    #[serde(default)]
    pub weekends: bool,
}

/// `[[email.route]]`: more recipients for some notifications.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Matches notifications of this severity or higher.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Matches notifications of this watch only.
    #[serde(default)]
    pub watch: Option<String>,
    /// Matches notifications of this kind of incident only: `bad_buzz`, `critical_mention`, `buzz` or
    /// `source` (a source that can no longer be heard).
    #[serde(default)]
    pub kind: Option<String>,
    /// The notifications it matches go to its `to` only, not to the general `to` nor to routes without
    /// `only` (e.g. the sources that go blind to the system administrator alone).
    #[serde(default)]
    pub only: bool,
    pub to: Vec<String>,
}

/// The kinds of incident a route may select.
pub const ROUTE_KINDS: &[&str] = &["bad_buzz", "critical_mention", "buzz", "source"];

/// The digest's rhythm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Day,
    Hour,
}

/// The parsed time settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub tz: chrono_tz::Tz,
    pub digest_at: NaiveTime,
    pub every: Every,
    pub quiet: Option<(NaiveTime, NaiveTime, bool)>,
}

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://` to a remote host: STARTTLS or nothing.
    StartTls,
    /// `smtp://` to loopback: STARTTLS when offered, plain otherwise.
    Opportunistic,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

/// The parsed `server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.security == Security::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

fn parse_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| format!("{s:?} is not a time of day; write HH:MM, e.g. \"08:30\""))
}

/// Whether `host` names this machine's loopback interface.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl EmailConfig {
    /// A configuration sending to `server` from `from` to `to`, every other key at its default.
    pub fn new(server: &str, from: &str, to: &[&str]) -> EmailConfig {
        EmailConfig {
            server: server.into(),
            from: from.into(),
            to: to.iter().map(|s| (*s).to_owned()).collect(),
            locale: Locale::Fr,
            username: None,
            password_file: None,
            password_env: None,
            ca_file: None,
            timeout: default_timeout(),
            max_per_hour: default_max_per_hour(),
            timezone: default_timezone(),
            digest: DigestConfig::default(),
            quiet: None,
            route: Vec::new(),
        }
    }

    /// The parsed `server`.
    ///
    /// # Errors
    /// What is wrong with it, in words.
    pub fn server_url(&self) -> Result<ServerUrl, String> {
        let url = url::Url::parse(&self.server).map_err(|e| {
            format!(
                "server {:?} is not a URL ({e}); write smtp://host:587 or smtps://host:465",
                self.server
            )
        })?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("server {:?} has no host", self.server))?
            .to_owned();
        let (security, default_port) = match url.scheme() {
            "smtp" if is_loopback(&host) => (Security::Opportunistic, 25),
            "smtp" => (Security::StartTls, 587),
            "smtps" => (Security::Implicit, 465),
            other => {
                return Err(format!(
                    "server scheme {other:?} is not supported; use smtp:// (STARTTLS) or smtps:// (TLS)"
                ));
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "server must not carry credentials; use username and password_file or password_env"
                    .into(),
            );
        }
        Ok(ServerUrl {
            host,
            port: url.port().unwrap_or(default_port),
            security,
        })
    }

    /// The parsed time zone, digest and quiet-hour times.
    ///
    /// # Errors
    /// What is wrong, in words.
    pub fn schedule(&self) -> Result<Schedule, String> {
        let tz = crate::model::Timezone::parse(&self.timezone)?.0;
        let digest_at = parse_time(&self.digest.at).map_err(|e| format!("digest.at: {e}"))?;
        let every = match self.digest.every.as_str() {
            "day" | "daily" => Every::Day,
            "hour" | "hourly" => Every::Hour,
            other => {
                return Err(format!(
                    "digest.every: {other:?} is not a rhythm; write \"day\" or \"hour\""
                ));
            }
        };
        let quiet = match &self.quiet {
            None => None,
            Some(q) => Some((
                parse_time(&q.from).map_err(|e| format!("quiet.from: {e}"))?,
                parse_time(&q.until).map_err(|e| format!("quiet.until: {e}"))?,
                q.weekends,
            )),
        };
        Ok(Schedule {
            tz,
            digest_at,
            every,
            quiet,
        })
    }

    /// Every problem of the table, each with the key it concerns, for the configuration's report.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Err(e) = self.server_url() {
            out.push(("server", e));
        }
        if let Err(e) = self.from.parse::<lettre::message::Mailbox>() {
            out.push((
                "from",
                format!("from {:?} is not an address: {e}", self.from),
            ));
        }
        if self.to.is_empty() {
            out.push(("to", "to must list at least one address".into()));
        }
        let all = self
            .to
            .iter()
            .map(|a| ("to", a))
            .chain(self.digest.to.iter().map(|a| ("digest", a)))
            .chain(
                self.route
                    .iter()
                    .flat_map(|r| r.to.iter().map(|a| ("route", a))),
            );
        for (key, a) in all {
            if let Err(e) = a.parse::<lettre::message::Mailbox>() {
                out.push((key, format!("{a:?} is not an address: {e}")));
            }
        }
        for r in &self.route {
            if let Some(k) = r.kind.as_deref().filter(|k| !ROUTE_KINDS.contains(k)) {
                out.push((
                    "route",
                    format!(
                        "route kind {k:?} is not a kind of incident: give one of {}",
                        ROUTE_KINDS.join(", ")
                    ),
                ));
            }
        }
        if let Err(e) = self.schedule() {
            let key = if e.starts_with("timezone") {
                "timezone"
            } else if e.starts_with("quiet") {
                "quiet"
            } else {
                "digest"
            };
            out.push((key, e));
        }
        if self.password_file.is_some() && self.password_env.is_some() {
            out.push((
                "password_file",
                "give password_file or password_env, not both".into(),
            ));
        }
        if (self.password_file.is_some() || self.password_env.is_some()) && self.username.is_none()
        {
            out.push(("username", "a password needs a username".into()));
        }
        if self.timeout.as_secs() == 0 {
            out.push(("timeout", "timeout must be at least 1s".into()));
        }
        if self.digest.max_mentions == 0 {
            out.push(("digest", "digest.max_mentions must be at least 1".into()));
        }
        for r in &self.route {
            if r.to.is_empty() {
                out.push((
                    "route",
                    "a route must list at least one address in to".into(),
                ));
            }
        }
        out
    }

    /// Where the password file is: an absolute path as is; a relative one in `$CREDENTIALS_DIRECTORY`
    /// (systemd `LoadCredential=`) when it is there, else beside the configuration.
    pub fn password_path(&self, config_dir: &Path) -> Option<PathBuf> {
        let p = self.password_file.as_ref()?;
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

    /// Who gets an immediate notification of `severity` about `watch`: `to` and every matching route,
    /// without duplicates, in the order written.
    pub fn recipients(&self, severity: Severity, watch: Option<&str>, kind: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let routed: Vec<&RouteConfig> = self
            .route
            .iter()
            .filter(|r| {
                r.severity.is_none_or(|s| severity >= s)
                    && r.watch.as_deref().is_none_or(|w| Some(w) == watch)
                    && r.kind.as_deref().is_none_or(|k| k == kind)
            })
            .collect();
        let only: Vec<&RouteConfig> = routed.iter().copied().filter(|r| r.only).collect();
        let addresses: Vec<&String> = if only.is_empty() {
            self.to
                .iter()
                .chain(routed.iter().flat_map(|r| r.to.iter()))
                .collect()
        } else {
            only.iter().flat_map(|r| r.to.iter()).collect()
        };
        for a in addresses {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(a)) {
                out.push(a.clone());
            }
        }
        out
    }

    /// Who gets digests.
    pub fn digest_recipients(&self) -> Vec<String> {
        if self.digest.to.is_empty() {
            self.to.clone()
        } else {
            self.digest.to.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_parse_with_their_security() {
        let mut c = EmailConfig::new("smtp://mail.example.fr", "v@example.fr", &["a@example.fr"]);
        let s = c.server_url().unwrap();
        assert_eq!((s.port, s.security), (587, Security::StartTls));
        c.server = "smtp://127.0.0.1:2525".into();
        assert_eq!(c.server_url().unwrap().security, Security::Opportunistic);
        c.server = "smtp://localhost".into();
        assert_eq!(c.server_url().unwrap().port, 25);
        c.server = "smtps://mail.example.fr".into();
        let s = c.server_url().unwrap();
        assert_eq!((s.port, s.security), (465, Security::Implicit));
        c.server = "http://mail.example.fr".into();
        assert!(c.server_url().unwrap_err().contains("not supported"));
        c.server = "smtp://user:pw@mail.example.fr".into();
        assert!(c.server_url().unwrap_err().contains("credentials"));
    }

    #[test]
    fn problems_are_all_listed() {
        let mut c = EmailConfig::new("ftp://x", "not an address", &[]);
        c.timezone = "Mars/Olympus".into();
        c.password_env = Some("X".into());
        let keys: Vec<&str> = c.problems().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, vec!["server", "from", "to", "timezone", "username"]);
        let ok = EmailConfig::new(
            "smtp://127.0.0.1:25",
            "veille <v@example.fr>",
            &["a@example.fr"],
        );
        assert!(ok.problems().is_empty(), "{:?}", ok.problems());
    }

    #[test]
    fn routes_add_recipients_by_severity_and_watch() {
        let mut c = EmailConfig::new("smtp://127.0.0.1", "v@example.fr", &["team@example.fr"]);
        c.route.push(RouteConfig {
            severity: Some(Severity::Critical),
            watch: None,
            kind: None,
            only: false,
            to: vec!["oncall@example.fr".into(), "TEAM@example.fr".into()],
        });
        c.route.push(RouteConfig {
            severity: None,
            watch: Some("acme".into()),
            kind: None,
            only: false,
            to: vec!["acme@example.fr".into()],
        });
        assert_eq!(
            c.recipients(Severity::Warning, None, "bad_buzz"),
            vec!["team@example.fr"]
        );
        assert_eq!(
            c.recipients(Severity::Critical, Some("acme"), "bad_buzz"),
            vec!["team@example.fr", "oncall@example.fr", "acme@example.fr"]
        );
    }

    #[test]
    fn a_route_can_take_the_sources_that_go_blind_for_itself() {
        let mut c = EmailConfig::new("smtp://127.0.0.1", "v@example.fr", &["team@example.fr"]);
        c.route.push(RouteConfig {
            severity: None,
            watch: None,
            kind: Some("source".into()),
            only: true,
            to: vec!["sysadmin@example.fr".into()],
        });
        c.route.push(RouteConfig {
            severity: None,
            watch: None,
            kind: Some("bad_buzz".into()),
            only: false,
            to: vec!["press@example.fr".into()],
        });
        assert_eq!(
            c.recipients(Severity::Warning, None, "source"),
            vec!["sysadmin@example.fr"]
        );
        assert_eq!(
            c.recipients(Severity::Warning, Some("acme"), "bad_buzz"),
            vec!["team@example.fr", "press@example.fr"]
        );
        assert_eq!(
            c.recipients(Severity::Critical, None, "critical_mention"),
            vec!["team@example.fr"]
        );
        c.route[0].kind = Some("sources".into());
        assert!(
            c.problems()
                .iter()
                .any(|(k, p)| *k == "route" && p.contains("\"sources\" is not a kind of incident")),
            "{:?}",
            c.problems()
        );
    }
}
