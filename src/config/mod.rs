//! Configuration: the daemon's TOML file, read and validated.
//!
//! In: the path of `veille.toml`. Out: a [`Config`] ready to build the running stages, or **every** problem
//! found, each naming the file, the line and the key (`veille.toml:14: source "presse": unknown key "urll"`).
//! `veille check`, the daemon at start and the daemon on SIGHUP all call [`Config::load`], so they agree.
//!
//! Relative paths in the file (database, rules directory, sources given as paths) are relative to the file's
//! directory, so a configuration directory can be moved as a whole.

pub mod lines;
pub mod rules;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::metrics::MetricsConfig;
use crate::model::Interval;
use crate::sources::fetch::{HttpConfig, Location};
use lines::{Section, TomlLines};

/// Where the configuration is when `--config` is not given.
pub const DEFAULT_PATH: &str = "/etc/veille/veille.toml";

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            _ if self.file.as_os_str().is_empty() => f.write_str(&self.message),
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Every problem found in a configuration; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A configured source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    pub name: String,
    /// The URL as written in the file.
    pub url: String,
    /// Where the bytes come from, relative paths resolved.
    pub location: Location,
    pub interval: Interval,
    pub tags: Vec<String>,
    pub enabled: bool,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub database: PathBuf,
    pub rules: PathBuf,
    /// Mentions older than this many days are pruned daily.
    pub retention_days: u32,
    /// Poll interval of sources that set none.
    pub interval: Interval,
    pub http: HttpConfig,
    /// The Prometheus endpoint, when configured.
    pub metrics: Option<MetricsConfig>,
    pub sources: Vec<SourceConfig>,
    /// Where alert emails go; `None` when the file has no `[email]` table (nothing is sent).
    pub email: Option<crate::notify::EmailConfig>,
    /// The language of the daemon's words (emails, status line); the CLI follows `--lang` or `LANG` first.
    pub locale: crate::model::Locale,
    /// The clock every time a person reads is shown on.
    pub timezone: crate::model::Timezone,
    /// The web console; `None` when the file has no `[web]` table (nothing is served).
    pub web: Option<crate::web::WebConfig>,
}

const TOP_KEYS: &[&str] = &[
    "database",
    "rules",
    "retention_days",
    "interval",
    "http",
    "metrics",
    "source",
    "email",
    "locale",
    "timezone",
    "web",
];
const SOURCE_KEYS: &[&str] = &["name", "url", "interval", "tags", "enabled"];
const MIN_INTERVAL: u64 = 10;

/// Collects problems while a file is read.
struct Problems<'a> {
    file: &'a Path,
    lines: TomlLines<'a>,
    errors: Vec<ConfigError>,
}

impl Problems<'_> {
    fn at(&mut self, section: &Section, key: Option<&str>, message: String) {
        let line = self.lines.line_of(section, key);
        self.errors.push(ConfigError {
            file: self.file.to_owned(),
            line,
            message,
        });
    }
}

impl Config {
    /// Reads and validates the configuration at `path`.
    ///
    /// # Errors
    /// Every problem found, each with file, line and key; a file that cannot be read is one problem.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                file: path.to_owned(),
                line: None,
                message: format!("cannot read the configuration: {e}"),
            }])
        })?;
        Config::from_text(path, &text)
    }

    /// Validates configuration text as if read from `path` (relative paths resolve against its directory).
    ///
    /// # Errors
    /// Every problem found.
    pub fn from_text(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let table: toml::Table = match toml::from_str(text) {
            Ok(t) => t,
            Err(e) => {
                let line = e
                    .span()
                    .map(|s| crate::sources::parse::line_column(text, s.start).0);
                return Err(ConfigErrors(vec![ConfigError {
                    file: path.to_owned(),
                    line,
                    message: format!("TOML syntax error: {}", e.message()),
                }]));
            }
        };
        let mut p = Problems {
            file: path,
            lines: TomlLines::new(text),
            errors: Vec::new(),
        };
        let top = Section::Top;
        for key in table.keys() {
            if !TOP_KEYS.contains(&key.as_str()) {
                p.at(
                    &top,
                    Some(key),
                    format!("unknown key {key:?} (known keys: {})", TOP_KEYS.join(", ")),
                );
            }
        }
        let database =
            path_key(&mut p, &table, "database", &base).unwrap_or_else(|| base.join("veille.db"));
        let rules = path_key(&mut p, &table, "rules", &base).unwrap_or_else(|| base.join("rules"));
        let retention_days = match table.get("retention_days") {
            None => 180,
            Some(toml::Value::Integer(n)) if (1..=36_500).contains(n) => *n as u32,
            Some(v) => {
                p.at(
                    &top,
                    Some("retention_days"),
                    format!("retention_days must be a number of days from 1 to 36500, not {v}"),
                );
                180
            }
        };
        let interval =
            interval_key(&mut p, &top, &table, "interval", "").unwrap_or(Interval::secs(15 * 60));
        let http: HttpConfig = section(&mut p, &table, "http").unwrap_or_default();
        for entry in &http.allow {
            if let Err(e) = crate::sources::guard::AllowEntry::parse(entry) {
                p.at(
                    &Section::Table("http".into()),
                    Some("allow"),
                    format!("[http] allow: {e}"),
                );
            }
        }
        let metrics: Option<MetricsConfig> = section(&mut p, &table, "metrics");
        if let Some(Err(e)) = metrics.as_ref().map(MetricsConfig::validate) {
            p.at(&Section::Table("metrics".into()), Some("listen"), e);
        }
        let sources = read_sources(&mut p, &table, &base, interval);
        let locale = match table.get("locale") {
            None => crate::model::Locale::default(),
            Some(toml::Value::String(s)) if crate::model::Locale::from_tag(s).is_some() => {
                crate::model::Locale::from_tag(s).unwrap_or_default()
            }
            Some(v) => {
                p.at(
                    &top,
                    Some("locale"),
                    format!("locale must be \"fr\" or \"en\", not {v}"),
                );
                crate::model::Locale::default()
            }
        };
        let timezone = match table.get("timezone") {
            None => crate::model::Timezone(crate::i18n::DEFAULT_TZ),
            Some(toml::Value::String(s)) => match crate::model::Timezone::parse(s) {
                Ok(tz) => tz,
                Err(e) => {
                    p.at(&top, Some("timezone"), e);
                    crate::model::Timezone(crate::i18n::DEFAULT_TZ)
                }
            },
            Some(v) => {
                p.at(
                    &top,
                    Some("timezone"),
                    format!("timezone must be a time zone name such as \"Europe/Paris\", not {v}"),
                );
                crate::model::Timezone(crate::i18n::DEFAULT_TZ)
            }
        };
        let password_written = table
            .get("email")
            .and_then(toml::Value::as_table)
            .is_some_and(|t| t.contains_key("password"));
        let email: Option<crate::notify::EmailConfig> = if password_written {
            p.at(
                &Section::Table("email".into()),
                Some("password"),
                "[email]: the password must not be written in the configuration; put it in a file \
                 (password_file, e.g. from systemd LoadCredential=) or an environment variable (password_env)"
                    .into(),
            );
            None
        } else {
            section(&mut p, &table, "email")
        };
        // The email's clock is the configuration's unless `[email]` names its own.
        let email_sets_zone = table
            .get("email")
            .and_then(toml::Value::as_table)
            .is_some_and(|t| t.contains_key("timezone"));
        if let Some(e) = &email {
            let sec = Section::Table("email".into());
            for (key, problem) in e.problems() {
                p.at(&sec, Some(key), format!("[email]: {problem}"));
            }
        }
        let web: Option<crate::web::WebConfig> = section(&mut p, &table, "web");
        for (key, problem) in web.iter().flat_map(crate::web::WebConfig::problems) {
            p.at(&Section::Table("web".into()), Some(key), problem);
        }
        if p.errors.is_empty() {
            let mut email = email;
            if let Some(e) = email.as_mut().filter(|_| !email_sets_zone) {
                e.timezone = timezone.to_string();
            }
            Ok(Config {
                path: path.to_owned(),
                database,
                rules,
                retention_days,
                interval,
                http,
                metrics,
                sources,
                email,
                locale,
                timezone,
                web,
            })
        } else {
            Err(ConfigErrors(p.errors))
        }
    }

    /// A configuration with no file behind it: the given database and rules, no sources.
    pub fn bare(database: PathBuf, rules: PathBuf) -> Config {
        Config {
            path: PathBuf::new(),
            database,
            rules,
            retention_days: 180,
            interval: Interval::secs(15 * 60),
            http: HttpConfig::default(),
            metrics: None,
            sources: Vec::new(),
            email: None,
            locale: crate::model::Locale::default(),
            timezone: crate::model::Timezone(crate::i18n::DEFAULT_TZ),
            web: None,
        }
    }
}

fn path_key(p: &mut Problems, table: &toml::Table, key: &str, base: &Path) -> Option<PathBuf> {
    match table.get(key)? {
        toml::Value::String(s) if !s.trim().is_empty() => {
            let path = PathBuf::from(s);
            Some(if path.is_relative() {
                base.join(path)
            } else {
                path
            })
        }
        v => {
            p.at(
                &Section::Top,
                Some(key),
                format!("{key} must be a path (a non-empty string), not {v}"),
            );
            None
        }
    }
}

fn interval_key(
    p: &mut Problems,
    section: &Section,
    table: &toml::Table,
    key: &str,
    label: &str,
) -> Option<Interval> {
    let value = table.get(key)?;
    let parsed = match value {
        toml::Value::String(s) => Interval::parse(s),
        v => Err(format!(
            "expected a duration such as \"90s\", \"10m\" or \"1h\", not {v}"
        )),
    };
    match parsed {
        Ok(i) if i.as_secs() >= MIN_INTERVAL => Some(i),
        Ok(i) => {
            p.at(
                section,
                Some(key),
                format!("{label}{key} = \"{i}\" is too short: the minimum is {MIN_INTERVAL}s"),
            );
            None
        }
        Err(e) => {
            p.at(section, Some(key), format!("{label}{key}: {e}"));
            None
        }
    }
}

/// Deserializes the table `key` into `T`, reporting a problem (with the offending key's line when the
/// message names it) and returning `None` when it does not fit.
fn section<T: DeserializeOwned>(p: &mut Problems, table: &toml::Table, key: &str) -> Option<T> {
    let value = table.get(key)?.clone();
    let sec = Section::Table(key.to_owned());
    if !value.is_table() {
        p.at(
            &Section::Top,
            Some(key),
            format!("{key} must be a table ([{key}])"),
        );
        return None;
    }
    match T::deserialize(value) {
        Ok(t) => Some(t),
        Err(e) => {
            let message = e.to_string();
            let named = message.split('`').nth(1).map(str::to_owned);
            let line_key = named
                .as_deref()
                .filter(|k| p.lines.line_of(&sec, Some(k)).is_some());
            p.at(&sec, line_key, format!("[{key}]: {}", message.trim()));
            None
        }
    }
}

fn read_sources(
    p: &mut Problems,
    table: &toml::Table,
    base: &Path,
    default_interval: Interval,
) -> Vec<SourceConfig> {
    let Some(value) = table.get("source") else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        p.at(
            &Section::Top,
            Some("source"),
            "source must be a list of [[source]] tables".into(),
        );
        return Vec::new();
    };
    let mut sources: Vec<SourceConfig> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let sec = Section::ArrayItem("source".into(), index);
        let Some(t) = item.as_table() else {
            p.at(&sec, None, format!("source #{} must be a table", index + 1));
            continue;
        };
        let label = match t.get("name").and_then(|v| v.as_str()) {
            Some(n) => format!("source {n:?}"),
            None => format!("source #{}", index + 1),
        };
        for key in t.keys() {
            if !SOURCE_KEYS.contains(&key.as_str()) {
                p.at(
                    &sec,
                    Some(key),
                    format!(
                        "{label}: unknown key {key:?} (known keys: {})",
                        SOURCE_KEYS.join(", ")
                    ),
                );
            }
        }
        let name = match t.get("name") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(_) => {
                p.at(
                    &sec,
                    Some("name"),
                    format!("{label}: name must be a non-empty string"),
                );
                None
            }
            None => {
                p.at(&sec, None, format!("{label}: missing key \"name\""));
                None
            }
        };
        if let Some(n) = &name {
            if sources.iter().any(|s| &s.name == n) {
                p.at(
                    &sec,
                    Some("name"),
                    format!("{label}: duplicate source name {n:?}; names must be unique"),
                );
            }
        }
        let (url, location) = match t.get("url") {
            Some(toml::Value::String(s)) => match Location::parse(s, Some(base)) {
                Ok(l) => (Some(s.clone()), Some(l)),
                Err(e) => {
                    p.at(&sec, Some("url"), format!("{label}: {e}"));
                    (None, None)
                }
            },
            Some(_) => {
                p.at(&sec, Some("url"), format!("{label}: url must be a string"));
                (None, None)
            }
            None => {
                p.at(&sec, None, format!("{label}: missing key \"url\""));
                (None, None)
            }
        };
        let interval =
            interval_key(p, &sec, t, "interval", &format!("{label}: ")).unwrap_or(default_interval);
        let tags = match t.get("tags") {
            None => Vec::new(),
            Some(toml::Value::Array(a)) if a.iter().all(toml::Value::is_str) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(_) => {
                p.at(
                    &sec,
                    Some("tags"),
                    format!("{label}: tags must be a list of strings"),
                );
                Vec::new()
            }
        };
        let enabled = match t.get("enabled") {
            None => true,
            Some(toml::Value::Boolean(b)) => *b,
            Some(_) => {
                p.at(
                    &sec,
                    Some("enabled"),
                    format!("{label}: enabled must be true or false"),
                );
                true
            }
        };
        if let (Some(name), Some(url), Some(location)) = (name, url, location) {
            sources.push(SourceConfig {
                name,
                url,
                location,
                interval,
                tags,
                enabled,
            });
        }
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigErrors> {
        Config::from_text(Path::new("/etc/veille/veille.toml"), text)
    }

    #[test]
    fn a_full_file_reads() {
        let c = load(
            r#"
database = "/var/lib/veille/veille.db"
rules = "rules"
retention_days = 90
interval = "10m"

[http]
timeout = "20s"
per_host = 1

[[source]]
name = "presse"
url = "https://presse.example/rss"
tags = ["presse", "fr"]

[[source]]
name = "local"
url = "feeds/local.xml"
interval = "1h"
enabled = false
"#,
        )
        .unwrap();
        assert_eq!(c.database, PathBuf::from("/var/lib/veille/veille.db"));
        assert_eq!(c.rules, PathBuf::from("/etc/veille/rules"));
        assert_eq!(c.retention_days, 90);
        assert_eq!(c.http.timeout, Interval::secs(20));
        assert_eq!(c.http.per_host, 1);
        assert_eq!(c.sources.len(), 2);
        assert_eq!(c.sources[0].interval, Interval::secs(600));
        assert_eq!(
            c.sources[1].location,
            Location::File(PathBuf::from("/etc/veille/feeds/local.xml"))
        );
        assert_eq!(c.sources[1].interval, Interval::secs(3600));
        assert!(!c.sources[1].enabled);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let err = load(
            r#"database = "x.db"
colour = "blue"

[[source]]
name = "a"
url = "ftp://a.example/x"

[[source]]
name = "b"
urll = "https://b.example/"
interval = "5 fortnights"
"#,
        )
        .unwrap_err();
        let text = err.to_string();
        let lines: Vec<Option<usize>> = err.0.iter().map(|e| e.line).collect();
        assert_eq!(err.0.len(), 5, "{text}");
        assert!(
            text.contains("veille.toml:8: source \"b\": missing key \"url\""),
            "{text}"
        );
        assert!(
            text.contains("veille.toml:2: unknown key \"colour\""),
            "{text}"
        );
        assert!(
            text.contains("veille.toml:6: source \"a\": unsupported URL scheme"),
            "{text}"
        );
        assert!(
            text.contains("veille.toml:10: source \"b\": unknown key \"urll\""),
            "{text}"
        );
        assert!(
            text.contains("veille.toml:11: source \"b\": interval: invalid duration"),
            "{text}"
        );
        assert!(lines.iter().all(Option::is_some));
    }

    #[test]
    fn missing_keys_name_the_table() {
        let err = load("[[source]]\nname = \"a\"\n").unwrap_err();
        assert_eq!(
            err.0[0].to_string(),
            "/etc/veille/veille.toml:1: source \"a\": missing key \"url\""
        );
    }

    #[test]
    fn duplicate_names_are_refused() {
        let err = load("[[source]]\nname = \"a\"\nurl = \"a.xml\"\n[[source]]\nname = \"a\"\nurl = \"b.xml\"\n").unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert!(
            err.0[0]
                .to_string()
                .contains(":5: source \"a\": duplicate source name"),
            "{}",
            err
        );
    }

    #[test]
    fn http_table_unknown_key_names_its_line() {
        let err = load("[http]\ntimeout = \"5s\"\nspeed = 3\n").unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert!(
            err.0[0]
                .to_string()
                .starts_with("/etc/veille/veille.toml:3: [http]: unknown field `speed`"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_give_the_line() {
        let err = load("database = \"x.db\"\n[[source]\nname = 1\n").unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].line, Some(2), "{err}");
        assert!(err.0[0].message.starts_with("TOML syntax error"));
    }

    #[test]
    fn too_short_interval_is_refused() {
        let err = load("interval = \"1s\"\n").unwrap_err();
        assert!(
            err.to_string()
                .contains(":1: interval = \"1s\" is too short"),
            "{err}"
        );
    }

    #[test]
    fn metrics_must_stay_on_loopback_unless_allowed() {
        let err = load("[metrics]\nlisten = \"0.0.0.0:9808\"\n").unwrap_err();
        assert!(
            err.to_string()
                .contains(":2: [metrics] listen = \"0.0.0.0:9808\" is not a loopback address"),
            "{err}"
        );
        let ok = load("[metrics]\nlisten = \"0.0.0.0:9808\"\nallow_remote = true\n").unwrap();
        assert!(ok.metrics.is_some());
    }

    #[test]
    fn http_allow_entries_are_checked_with_their_line() {
        let ok = load("[http]\nallow_private = true\nallow = [\"10.1.2.0/24\", \"rss.intranet\", \"*.corp.example\"]\n")
            .unwrap();
        assert!(ok.http.allow_private);
        assert_eq!(ok.http.allow.len(), 3);
        let err = load("[http]\ntimeout = \"5s\"\nallow = [\"10.1.2.3/24\", \"rss intranet\"]\n")
            .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        let text = err.to_string();
        assert!(
            text.contains(":3: [http] allow: \"10.1.2.3/24\" has bits set past its /24 prefix"),
            "{text}"
        );
        assert!(
            text.contains(":3: [http] allow: \"rss intranet\" is neither a host name"),
            "{text}"
        );
        let err = load("[http]\nallow_private = \"yes\"\n").unwrap_err();
        assert!(
            err.to_string().contains(":2: [http]: invalid type"),
            "{err}"
        );
    }

    #[test]
    fn defaults_apply() {
        let c = load("").unwrap();
        assert_eq!(c.database, PathBuf::from("/etc/veille/veille.db"));
        assert_eq!(c.retention_days, 180);
        assert_eq!(c.interval, Interval::secs(900));
        assert_eq!(c.http.max_body_bytes, 10 * 1024 * 1024);
        assert!(!c.http.allow_private && c.http.allow.is_empty());
    }
}
