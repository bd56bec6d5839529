//! The shared nouns of veille: what a source is, what a mention is, what analysis says about it, and the
//! alerts and incidents detection makes of it.
//!
//! Every other module speaks in these types; this one depends on nothing else in the crate. Times are UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How serious an alert or a rule match is. Ordered: `Info < Warning < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// Parses `info`, `warning` or `critical`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mention: one item of one source, cleaned to plain text, as it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    /// The name of the source it came from.
    pub source: String,
    /// Stable id within the source: the entry id, else the canonical link, else a hash of title and date.
    pub id: String,
    /// Canonical link: tracking parameters and fragment removed, redirectors unwrapped.
    pub link: Option<String>,
    pub title: Option<String>,
    /// Plain text of the body (HTML stripped, entities decoded, whitespace collapsed).
    pub text: String,
    pub author: Option<String>,
    /// The language the feed declares for the item or itself, if any (a hint, not the truth).
    pub lang: Option<String>,
    /// When the item says it was published.
    pub published: Option<DateTime<Utc>>,
    /// When veille fetched it.
    pub fetched: DateTime<Utc>,
    /// Hash of the folded title and text: the same story seen through several sources shares it.
    pub story: u64,
}

impl Mention {
    /// The time the mention counts at: its published time, else when it was first seen.
    pub fn time(&self) -> DateTime<Utc> {
        self.published.unwrap_or(self.fetched)
    }
}

/// A language veille tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Fr,
    En,
    #[default]
    Other,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
            Lang::Other => "other",
        }
    }

    /// Reads a language tag such as `fr`, `fr-FR`, `en_US`, `EN`; anything else is `Other`.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("fr") || primary.eq_ignore_ascii_case("fra") {
            Lang::Fr
        } else if primary.eq_ignore_ascii_case("en") || primary.eq_ignore_ascii_case("eng") {
            Lang::En
        } else {
            Lang::Other
        }
    }
}

/// The sentiment label of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Neg,
    #[default]
    Neu,
    Pos,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Neg => "neg",
            Label::Neu => "neu",
            Label::Pos => "pos",
        }
    }

    /// The label of a compound score: `pos` from 0.05, `neg` from -0.05, else `neu`.
    pub fn of_score(score: f32) -> Label {
        if score >= 0.05 {
            Label::Pos
        } else if score <= -0.05 {
            Label::Neg
        } else {
            Label::Neu
        }
    }
}

/// A word or expression that moved the sentiment score, with its signed weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermWeight {
    pub term: String,
    pub weight: f32,
}

/// What the sentiment scorer says about a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Sentiment {
    /// Compound score in [-1, 1].
    pub score: f32,
    pub label: Label,
    /// The terms that contributed, in text order.
    pub terms: Vec<TermWeight>,
}

/// Which part of a mention a matched term was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TextField {
    Title,
    #[default]
    Text,
    Author,
}

impl TextField {
    pub fn as_str(self) -> &'static str {
        match self {
            TextField::Title => "title",
            TextField::Text => "text",
            TextField::Author => "author",
        }
    }
}

/// A term of a rule found in a text, with its byte range in the original text of `field`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedTerm {
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// The field `start` and `end` point into (the text when absent from stored JSON).
    #[serde(default)]
    pub field: TextField,
}

/// One rule matching one text, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleMatch {
    pub rule: String,
    pub severity: Severity,
    pub terms: Vec<MatchedTerm>,
}

/// Everything analysis says about one mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Analysis {
    pub lang: Lang,
    pub sentiment: Sentiment,
    pub matches: Vec<RuleMatch>,
    /// Ids of the watches the mention counts towards.
    #[serde(default)]
    pub watches: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
        assert_eq!(Severity::parse("critical"), Some(Severity::Critical));
        assert_eq!(Severity::parse("Critical"), None);
    }

    #[test]
    fn lang_reads_tags() {
        assert_eq!(Lang::from_tag("fr-FR"), Lang::Fr);
        assert_eq!(Lang::from_tag("en_US"), Lang::En);
        assert_eq!(Lang::from_tag("de"), Lang::Other);
        assert_eq!(Lang::from_tag(""), Lang::Other);
    }

    #[test]
    fn labels_follow_thresholds() {
        assert_eq!(Label::of_score(0.05), Label::Pos);
        assert_eq!(Label::of_score(-0.05), Label::Neg);
        assert_eq!(Label::of_score(0.0), Label::Neu);
    }
}

/// A length of time as people write it in config and rule files: `"90s"`, `"10m"`, `"1h"`, `"14d"`, `"2w"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Interval(pub std::time::Duration);

impl Interval {
    pub const fn secs(s: u64) -> Interval {
        Interval(std::time::Duration::from_secs(s))
    }

    pub fn as_secs(self) -> u64 {
        self.0.as_secs()
    }

    /// Parses `<number><unit>` with unit `ms`, `s`, `m`, `h`, `d` or `w`; several may follow each other
    /// (`"1h30m"`).
    ///
    /// # Errors
    /// A message saying what is wrong and what is expected.
    pub fn parse(text: &str) -> Result<Interval, String> {
        let s = text.trim();
        if s.is_empty() {
            return Err(
                "empty duration: write a number and a unit, e.g. \"90s\", \"10m\", \"1h\"".into(),
            );
        }
        let mut total_ms: u128 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return Err(format!(
                    "invalid duration {text:?}: expected a number, e.g. \"90s\", \"10m\", \"1h\""
                ));
            }
            let n: u128 = rest[..digits]
                .parse()
                .map_err(|_| format!("invalid duration {text:?}: number too large"))?;
            rest = rest[digits..].trim_start();
            let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
            let unit = &rest[..unit_len];
            rest = rest[unit_len..].trim_start();
            let ms = match unit {
                "ms" => 1,
                "s" | "sec" | "secs" | "second" | "seconds" => 1000,
                "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
                "h" | "hour" | "hours" => 3_600_000,
                "d" | "day" | "days" => 86_400_000,
                "w" | "week" | "weeks" => 7 * 86_400_000,
                "" => {
                    return Err(format!(
                        "invalid duration {text:?}: missing unit (s, m, h, d or w)"
                    ));
                }
                other => {
                    return Err(format!(
                        "invalid duration {text:?}: unknown unit {other:?} (use s, m, h, d or w)"
                    ));
                }
            };
            total_ms = total_ms.saturating_add(n.saturating_mul(ms));
        }
        let ms =
            u64::try_from(total_ms).map_err(|_| format!("invalid duration {text:?}: too large"))?;
        Ok(Interval(std::time::Duration::from_millis(ms)))
    }
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.as_secs();
        if s == 0 {
            return write!(f, "{}ms", self.0.as_millis());
        }
        for (unit, len) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s % len == 0 {
                return write!(f, "{}{unit}", s / len);
            }
        }
        write!(f, "{s}s")
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Interval::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Interval {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod interval_tests {
    use super::Interval;

    #[test]
    fn parses_units_and_sums() {
        assert_eq!(Interval::parse("90s").unwrap().as_secs(), 90);
        assert_eq!(Interval::parse("10m").unwrap().as_secs(), 600);
        assert_eq!(Interval::parse("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(Interval::parse("14d").unwrap().as_secs(), 14 * 86400);
        assert_eq!(Interval::parse(" 2w ").unwrap().as_secs(), 14 * 86400);
        assert_eq!(Interval::parse("5 minutes").unwrap().as_secs(), 300);
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in ["", "10", "h", "10x", "-5m", "1.5h"] {
            assert!(Interval::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn displays_in_the_largest_whole_unit() {
        assert_eq!(Interval::secs(3600).to_string(), "1h");
        assert_eq!(Interval::secs(90).to_string(), "90s");
        assert_eq!(Interval::secs(86400 * 14).to_string(), "2w");
    }
}

/// How a watch decides what is bad buzz: the `[watch.detection]` table of a rule file. Every key has a
/// default a communications team can reason about; see `rules/README.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// Size of a counting bucket.
    pub bucket: Interval,
    /// How far back the usual level is learnt.
    pub baseline: Interval,
    /// No bad-buzz alert before this much history (critical mentions alert from the start).
    pub warmup: Interval,
    /// Robust z-score the negative count must reach.
    pub min_z: f64,
    /// Multiple of the usual level the negative count must reach.
    pub min_ratio: f64,
    /// Floor: at least this many negative mentions in the window…
    pub min_negative: u32,
    /// …from at least this many distinct authors.
    pub min_authors: u32,
    /// The negative share must exceed its usual value by at least this much (0.10 = ten points).
    pub min_share_rise: f64,
    /// Multiple of the usual level at which an incident escalates to critical.
    pub critical_ratio: f64,
    /// An incident resolves once the count has been back near its usual level this long.
    pub resolve_after: Interval,
    /// After a resolution, no new incident for the same watch before this much time.
    pub cooldown: Interval,
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            bucket: Interval::secs(3600),
            baseline: Interval::secs(14 * 86_400),
            warmup: Interval::secs(3 * 86_400),
            min_z: 3.5,
            min_ratio: 2.0,
            min_negative: 5,
            min_authors: 3,
            min_share_rise: 0.10,
            critical_ratio: 5.0,
            resolve_after: Interval::secs(6 * 3600),
            cooldown: Interval::secs(2 * 3600),
        }
    }
}

/// What veille remembers of a source between fetches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SourceState {
    pub name: String,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// The last error, in words, or `None` once the source works again.
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub consecutive_errors: u32,
    /// Items parsed over the source's life (new or not).
    pub items_seen: u64,
    /// Mentions stored from it over its life.
    pub mentions: u64,
    pub next_due: Option<DateTime<Utc>>,
}
