//! Configuration: the daemon's TOML file and the rules it names, read and validated.
//!
//! In: the path of `veille.toml`. Out: a [`Config`] ready to build the running stages, or **every** problem
//! found, each on one line naming the file, the line and the column from the TOML parser's own spans
//! (`veille.toml:14:1: source "presse": unknown key "urll"`). [`load_with_rules`] reads the file and the
//! rule files in one pass and lists the problems of both: `veille check`, `veille run` at start and the
//! daemon on SIGHUP all call it, so they agree. [`Config::load`] reads the file alone, for the commands that
//! only need its paths.
//!
//! Values that would be changed silently (`concurrency = 0`) or that cannot work at run time (an interval
//! of `20000000w`) are refused here, with their place, rather than adjusted or left to fail later. The work
//! is linear in the size of the file: keys are checked against sets, duplicate names through a hash map,
//! and places are computed once, in one pass, after every problem is known.
//!
//! Relative paths in the file (database, rules directory, sources given as paths) are relative to the file's
//! directory, so a configuration directory can be moved as a whole.

mod channels;
mod problems;
pub mod rules;
mod sources;
mod sources_dir;
mod table;

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use crate::analysis::rules::RuleSet;
use crate::metrics::MetricsConfig;
use crate::model::Interval;
use crate::sources::fetch::{HttpConfig, Location};
use problems::Problems;
use table::{Value, as_integer, as_str, kind, place_of, read_table};

/// Where the configuration is when `--config` is not given.
pub const DEFAULT_PATH: &str = "/etc/veille/veille.toml";

/// One problem in a configuration or rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// From 1; `None` for a problem with the whole file (it cannot be read).
    pub line: Option<usize>,
    /// From 1, in characters.
    pub column: Option<usize>,
    /// One line, no place in it.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.display();
        match (self.line, self.column) {
            _ if self.file.as_os_str().is_empty() => f.write_str(&self.message),
            (Some(line), Some(column)) => write!(f, "{file}:{line}:{column}: {}", self.message),
            (Some(line), None) => write!(f, "{file}:{line}: {}", self.message),
            _ => write!(f, "{file}: {}", self.message),
        }
    }
}

/// Every problem found in a configuration and its rules; never empty. `Display` gives one line per problem.
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
    /// Chat channels and webhooks (`[[channel]]`); empty when there is none.
    pub channels: Vec<crate::notify::channels::ChannelConfig>,
    /// The language of the daemon's words (emails, status line); the CLI follows `--lang` or `LANG` first.
    pub locale: crate::model::Locale,
    /// The clock every time a person reads is shown on.
    pub timezone: crate::model::Timezone,
    /// The web console; `None` when the file has no `[web]` table (nothing is served).
    pub web: Option<crate::web::WebConfig>,
    /// The directory whose `*.toml` files hold more `[[source]]` tables (`sources_dir`, resolved; by
    /// default `sources.d` beside the file). Its sources are in [`Config::sources`] already.
    pub sources_dir: PathBuf,
    /// When a source that cannot be heard becomes an incident (`[health]`).
    pub health: HealthConfig,
}

/// The `[health]` table: when a source that cannot be heard opens a `source` incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// A source failing (or rate-limited) for longer than this opens an incident.
    pub alert_after: Interval,
}

impl Default for HealthConfig {
    fn default() -> HealthConfig {
        HealthConfig {
            alert_after: Interval::secs(6 * 3600),
        }
    }
}

/// The least and the most `[health] alert_after` may be: below a minute every blip would page someone.
const ALERT_AFTER: Bounds = Bounds::secs(60, 30 * DAY);

/// The keys at the top of the file.
const TOP_KEYS: &[&str] = &[
    "database",
    "rules",
    "retention_days",
    "interval",
    "http",
    "metrics",
    "source",
    "email",
    "channel",
    "locale",
    "timezone",
    "web",
    "sources_dir",
    "health",
];

/// The bounds of a length of time in the configuration: below the least it cannot work, past the most it
/// is a mistake (and could overflow the clock arithmetic of the daemon).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    least: Duration,
    most: Duration,
}

impl Bounds {
    pub(crate) const fn secs(least: u64, most: u64) -> Bounds {
        Bounds {
            least: Duration::from_secs(least),
            most: Duration::from_secs(most),
        }
    }

    /// Why `i` is out of bounds, if it is.
    pub(crate) fn problem(self, i: Interval) -> Option<String> {
        if i.0 < self.least {
            Some(format!(
                "\"{i}\" is too short: the least is {}",
                Interval(self.least)
            ))
        } else if i.0 > self.most {
            Some(format!(
                "\"{i}\" is too long: the most is {}",
                Interval(self.most)
            ))
        } else {
            None
        }
    }
}

const DAY: u64 = 86_400;
/// A poll interval: every 10 s at the most often, every 30 days at the least.
pub(crate) const POLL_INTERVAL: Bounds = Bounds::secs(10, 30 * DAY);
/// An HTTP timeout.
const TIMEOUT: Bounds = Bounds::secs(1, 3_600);
/// The longest wait between two attempts on a failing source.
const BACKOFF: Bounds = Bounds::secs(1, 30 * DAY);
/// The CPU time one poll may spend reading its document: 10 ms at the least (a small feed must fit), an hour
/// at the most.
const READ_BUDGET: Bounds = Bounds {
    least: Duration::from_millis(10),
    most: Duration::from_secs(3_600),
};
/// At most this many fetches at once, all hosts together or on one host.
const MAX_CONCURRENCY: usize = 10_000;

impl Config {
    /// Reads and validates the configuration at `path`, without its rules (see [`load_with_rules`]).
    ///
    /// # Errors
    /// Every problem found, each with file, line and column; a file that cannot be read is one problem.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = read(path)?;
        Config::from_text(path, &text)
    }

    /// Validates configuration text as if read from `path` (relative paths resolve against its directory).
    ///
    /// # Errors
    /// Every problem found.
    pub fn from_text(path: &Path, text: &str) -> Result<Config, ConfigErrors> {
        let (config, problems, _) = read_text(path, text);
        match config {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(ConfigErrors(problems)),
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
            channels: Vec::new(),
            locale: crate::model::Locale::default(),
            timezone: crate::model::Timezone(crate::i18n::DEFAULT_TZ),
            web: None,
            sources_dir: PathBuf::from("sources.d"),
            health: HealthConfig::default(),
        }
    }
}

/// The sources directory the configuration at `path` names (`sources_dir`, relative to the file's
/// directory; `sources.d` beside it by default), read without judging the rest of the file: where
/// `veille sources import` and `veille sources add --write` write. A file that does not exist yet gives
/// the default.
///
/// # Errors
/// When the file cannot be read, is not TOML, or its `sources_dir` is not a path.
pub fn sources_dir_of(path: &Path) -> Result<PathBuf, ConfigErrors> {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(base.join("sources.d")),
        Err(_) => return Err(read(path).err().unwrap_or(ConfigErrors(Vec::new()))),
    };
    let mut p = Problems::new(path, &text);
    let (doc, syntax) = DeTable::parse_recoverable(&text);
    for e in &syntax {
        p.at(
            e.span().map_or(0, |s| s.start),
            format!("TOML syntax error: {}", e.message().trim_end()),
        );
    }
    let dir = match doc.get_ref().get("sources_dir") {
        Some(v) => path_value(&mut p, "sources_dir", v, &base),
        None => Some(base.join("sources.d")),
    };
    match dir {
        Some(d) if p.is_empty() => Ok(d),
        _ => Err(ConfigErrors(p.into_errors())),
    }
}

/// Reads the configuration at `path` and the rules it names, and lists the problems of both in one pass:
/// what `veille check` judges, what the daemon starts with and what it reloads to on SIGHUP. The rules are
/// read even when the file has problems, from the directory it names (or the default one), so that one
/// run shows everything to fix.
///
/// # Errors
/// Every problem of the file, then every problem of the rule files, each with its place.
pub fn load_with_rules(path: &Path) -> Result<(Config, RuleSet), ConfigErrors> {
    let text = read(path)?;
    let (config, mut problems, rules_dir) = read_text(path, &text);
    let rules = match rules_dir {
        Some(dir) => match rules::load_checked(&dir) {
            Ok(set) => Some(set),
            Err(errors) => {
                problems.extend(errors);
                None
            }
        },
        None => None,
    };
    match (config, rules) {
        (Some(c), Some(r)) if problems.is_empty() => Ok((c, r)),
        _ => Err(ConfigErrors(problems)),
    }
}

fn read(path: &Path) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: path.to_owned(),
            line: None,
            column: None,
            message: format!("cannot read the configuration: {e}"),
        }])
    })
}

/// Reads the text: the configuration when it has no problem, every problem, and the rules directory it
/// names (`None` when that key itself is wrong).
fn read_text(path: &Path, text: &str) -> (Option<Config>, Vec<ConfigError>, Option<PathBuf>) {
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut p = Problems::new(path, text);
    let (doc, syntax) = DeTable::parse_recoverable(text);
    let mut doc = doc.into_inner();
    if !syntax.is_empty() {
        for e in &syntax {
            let at = e.span().map_or(0, |s| s.start);
            p.at(at, format!("TOML syntax error: {}", e.message().trim_end()));
        }
        // What is after a syntax error may be read wrongly; only the rules directory is taken from the
        // rest, so that the rules are checked too.
        let rules = match doc.remove("rules") {
            Some(v) => path_value(&mut Problems::new(path, text), "rules", &v, &base),
            None => Some(base.join("rules")),
        };
        return (None, p.into_errors(), rules);
    }
    let mut take = |key: &str| doc.remove(key);
    let database = take("database");
    let rules = take("rules");
    let retention = take("retention_days");
    let interval = take("interval");
    let http = take("http");
    let metrics = take("metrics");
    let source = take("source");
    let email = take("email");
    let channel = take("channel");
    let locale = take("locale");
    let timezone = take("timezone");
    let web = take("web");
    let sources_dir = take("sources_dir");
    let health = take("health");
    for (key, _) in doc.iter() {
        p.at(
            key.span().start,
            format!(
                "unknown key {:?} (known keys: {})",
                key.get_ref(),
                TOP_KEYS.join(", ")
            ),
        );
    }

    let database = match &database {
        Some(v) => path_value(&mut p, "database", v, &base),
        None => Some(base.join("veille.db")),
    };
    let rules = match &rules {
        Some(v) => path_value(&mut p, "rules", v, &base),
        None => Some(base.join("rules")),
    };
    let retention_days = match &retention {
        None => Some(180),
        Some(v) => match as_integer(v) {
            Some(n) if (1..=36_500).contains(&n) => u32::try_from(n).ok(),
            _ => {
                p.at(
                    v.span().start,
                    format!(
                        "retention_days must be a number of days from 1 to 36500, not {}",
                        shown(text, v)
                    ),
                );
                None
            }
        },
    };
    let interval = match &interval {
        None => Some(Interval::secs(15 * 60)),
        Some(v) => duration(&mut p, v, "interval", POLL_INTERVAL),
    };
    let http = match http {
        None => Some(HttpConfig::default()),
        Some(v) => {
            let table_start = v.span().start;
            let keys = v.get_ref().as_table().cloned().unwrap_or_default();
            read_table::<HttpConfig>(&mut p, "http", v)
                .filter(|h| http_sound(&mut p, h, &keys, table_start))
        }
    };
    let locale = match &locale {
        None => Some(crate::model::Locale::default()),
        Some(v) => {
            let l = as_str(v).and_then(crate::model::Locale::from_tag);
            if l.is_none() {
                p.at(
                    v.span().start,
                    format!("locale must be \"fr\" or \"en\", not {}", shown(text, v)),
                );
            }
            l
        }
    };
    let timezone = match &timezone {
        None => Some(crate::model::Timezone(crate::i18n::DEFAULT_TZ)),
        Some(v) => match as_str(v).map(crate::model::Timezone::parse) {
            Some(Ok(tz)) => Some(tz),
            Some(Err(e)) => {
                p.at(v.span().start, e);
                None
            }
            None => {
                p.at(
                    v.span().start,
                    format!(
                        "timezone must be a time zone name such as \"Europe/Paris\", not {}",
                        shown(text, v)
                    ),
                );
                None
            }
        },
    };
    // The email's clock is the configuration's unless `[email]` names its own.
    let email_sets_zone = email
        .as_ref()
        .and_then(|v| v.get_ref().as_table())
        .is_some_and(|t| t.contains_key("timezone"));
    let metrics = match metrics {
        None => Some(None),
        Some(v) => {
            let at = v
                .get_ref()
                .as_table()
                .map_or(v.span().start, |t| place_of(t, "listen", v.span().start));
            match read_table::<MetricsConfig>(&mut p, "metrics", v) {
                Some(m) => match m.validate() {
                    Ok(()) => Some(Some(m)),
                    Err(e) => {
                        p.at(at, e);
                        None
                    }
                },
                None => None,
            }
        }
    };
    let email = match email {
        None => Some(None),
        Some(v) => read_email(&mut p, v).map(Some),
    };
    let channels = match channel {
        None => Some(Vec::new()),
        Some(v) => channels::read(&mut p, v),
    };
    let web = match web {
        None => Some(None),
        Some(v) => {
            let start = v.span().start;
            let keys = v.get_ref().as_table().cloned().unwrap_or_default();
            read_table::<crate::web::WebConfig>(&mut p, "web", v).and_then(|w| {
                let problems = w.problems();
                for (key, problem) in &problems {
                    p.at(place_of(&keys, key, start), problem.clone());
                }
                problems.is_empty().then_some(Some(w))
            })
        }
    };
    let sources_dir = match &sources_dir {
        Some(v) => path_value(&mut p, "sources_dir", v, &base),
        None => Some(base.join("sources.d")),
    };
    let health = match health {
        None => Some(HealthConfig::default()),
        Some(v) => {
            let at = v.get_ref().as_table().map_or(v.span().start, |t| {
                place_of(t, "alert_after", v.span().start)
            });
            read_table::<HealthConfig>(&mut p, "health", v).filter(|h| {
                match ALERT_AFTER.problem(h.alert_after) {
                    None => true,
                    Some(e) => {
                        p.at(at, format!("[health] alert_after: {e}"));
                        false
                    }
                }
            })
        }
    };
    let sources = match (&source, interval) {
        (None, _) => Some(Vec::new()),
        (Some(v), Some(default)) => Some(sources::read(&mut p, v, &base, default)),
        (Some(v), None) => {
            // Read for their problems all the same; the default interval is wrong and reported.
            sources::read(&mut p, v, &base, Interval::secs(15 * 60));
            None
        }
    };
    // The sources directory's files, each with its own problems; names are unique across all of them.
    let (sources, dir_problems) = match (sources, &sources_dir, interval) {
        (Some(mut sources), Some(dir), Some(default)) => {
            let mut seen = sources_dir::Seen::default();
            seen.note(path, text, source.as_ref());
            let (more, problems) = sources_dir::read(dir, default, &mut seen);
            sources.extend(more);
            (Some(sources), problems)
        }
        (sources, _, _) => (sources, Vec::new()),
    };
    let config = match (
        (database, rules.clone(), retention_days, interval),
        (http, metrics, sources, email),
        (locale, timezone, channels, web),
        (sources_dir, health),
    ) {
        (
            (Some(database), Some(rules), Some(retention_days), Some(interval)),
            (Some(http), Some(metrics), Some(sources), Some(mut email)),
            (Some(locale), Some(timezone), Some(channels), Some(web)),
            (Some(sources_dir), Some(health)),
        ) if p.is_empty() && dir_problems.is_empty() => {
            if let Some(e) = email.as_mut().filter(|_| !email_sets_zone) {
                e.timezone = timezone.to_string();
            }
            Some(Config {
                path: path.to_owned(),
                database,
                rules,
                retention_days,
                interval,
                http,
                metrics,
                sources,
                email,
                channels,
                locale,
                timezone,
                web,
                sources_dir,
                health,
            })
        }
        _ => None,
    };
    let mut problems = p.into_errors();
    problems.extend(dir_problems);
    (config, problems, rules)
}

/// A value as written in the file, for messages.
fn shown(text: &str, v: &Value<'_>) -> String {
    let raw = text.get(v.span()).unwrap_or("").trim();
    if raw.chars().count() > 40 {
        format!("{}…", raw.chars().take(40).collect::<String>())
    } else {
        raw.to_owned()
    }
}

fn path_value(p: &mut Problems<'_>, key: &str, v: &Value<'_>, base: &Path) -> Option<PathBuf> {
    match as_str(v) {
        Some(s) if !s.trim().is_empty() => {
            let path = PathBuf::from(s);
            Some(if path.is_relative() {
                base.join(path)
            } else {
                path
            })
        }
        _ => {
            p.at(
                v.span().start,
                format!("{key} must be a path (a non-empty string), not {}", kind(v)),
            );
            None
        }
    }
}

/// A length of time written as a string (`"10m"`), within `bounds`; `label` names it in messages.
pub(crate) fn duration(
    p: &mut Problems<'_>,
    v: &Value<'_>,
    label: &str,
    bounds: Bounds,
) -> Option<Interval> {
    let parsed = match as_str(v) {
        Some(s) => Interval::parse(s),
        None => Err(format!(
            "expected a duration such as \"90s\", \"10m\" or \"1h\", not a {}",
            kind(v)
        )),
    };
    let problem = match parsed {
        Ok(i) => match bounds.problem(i) {
            None => return Some(i),
            Some(e) => e,
        },
        Err(e) => e,
    };
    p.at(v.span().start, format!("{label}: {problem}"));
    None
}

/// Refuses `[http]` values the fetcher would otherwise adjust or fail on; `true` when all are sound.
fn http_sound(p: &mut Problems<'_>, h: &HttpConfig, table: &DeTable<'_>, header: usize) -> bool {
    let mut sound = true;
    let mut refuse = |key: &str, message: String| {
        p.at(
            place_of(table, key, header),
            format!("[http] {key}: {message}"),
        );
        sound = false;
    };
    for (key, value, bounds) in [
        ("timeout", h.timeout, TIMEOUT),
        ("connect_timeout", h.connect_timeout, TIMEOUT),
        ("max_backoff", h.max_backoff, BACKOFF),
        ("read_budget", h.read_budget, READ_BUDGET),
    ] {
        if let Some(e) = bounds.problem(value) {
            refuse(key, e);
        }
    }
    for (key, value) in [("concurrency", h.concurrency), ("per_host", h.per_host)] {
        if !(1..=MAX_CONCURRENCY).contains(&value) {
            refuse(
                key,
                format!(
                    "{value} fetches at once cannot work: give a number from 1 to {MAX_CONCURRENCY}"
                ),
            );
        }
    }
    if h.max_body_bytes == 0 {
        refuse(
            "max_body_bytes",
            "0 would refuse every document: give a size in bytes, e.g. 10485760 (10 MiB)".into(),
        );
    }
    // Each `allow` entry at its own place in the list.
    let entries = table.get("allow").and_then(|v| v.get_ref().as_array());
    for (i, entry) in h.allow.iter().enumerate() {
        if let Err(e) = crate::sources::guard::AllowEntry::parse(entry) {
            let at = entries
                .and_then(|a| a.get(i))
                .map_or(place_of(table, "allow", header), |v| v.span().start);
            p.at(at, format!("[http] allow: {e}"));
            sound = false;
        }
    }
    sound
}

/// The `[email]` table: the password must not be written there; every other problem at its key.
fn read_email(p: &mut Problems<'_>, v: Value<'_>) -> Option<crate::notify::EmailConfig> {
    let header = v.span().start;
    let mut v = v;
    if let DeValue::Table(t) = v.get_mut()
        && let Some(password) = t.remove("password")
    {
        p.at(
            password.span().start,
            "[email]: the password must not be written in the configuration; put it in a file \
             (password_file, e.g. from systemd LoadCredential=) or an environment variable (password_env)",
        );
    }
    let keys = v.get_ref().as_table().cloned().unwrap_or_default();
    let email: crate::notify::EmailConfig = read_table(p, "email", v)?;
    let mut sound = true;
    for (key, problem) in email.problems() {
        p.at(place_of(&keys, key, header), format!("[email]: {problem}"));
        sound = false;
    }
    // Too short is among `problems()`; too long is refused here, with the other bounds.
    if let Some(e) = TIMEOUT
        .problem(email.timeout)
        .filter(|_| email.timeout.0 > TIMEOUT.most)
    {
        p.at(
            place_of(&keys, "timeout", header),
            format!("[email] timeout: {e}"),
        );
        sound = false;
    }
    sound.then_some(email)
}

#[cfg(test)]
mod tests;
