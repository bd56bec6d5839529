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
    /// Size of a counting bucket (the window judged at once). Hour-of-day and hour-of-week comparisons need
    /// a bucket that divides a day.
    pub bucket: Interval,
    /// How far back the usual level is learnt (the same-hour-of-week comparison looks back four weeks at
    /// least).
    pub baseline: Interval,
    /// No bad-buzz or buzz alert before this much history (critical mentions alert from the start).
    pub warmup: Interval,
    /// Robust z-score the negative count must reach; an incident calms below half of it.
    pub min_z: f64,
    /// Multiple of the usual level the negative count must reach; also what a volume surge (buzz) needs.
    pub min_ratio: f64,
    /// Floor: at least this many distinct negative stories in the window (twenty copies of one article
    /// are one story)…
    pub min_negative: u32,
    /// …from at least this many distinct authors, none of whom carries more than half of them.
    pub min_authors: u32,
    /// The negative share must exceed its usual value by at least this much (0.10 = ten points).
    pub min_share_rise: f64,
    /// Multiple of the usual level at which an incident escalates to critical (with a z twice `min_z`).
    pub critical_ratio: f64,
    /// An incident resolves once the count has been back near its usual level this long; a critical-rule
    /// incident once no critical mention came for this long.
    pub resolve_after: Interval,
    /// After a resolution, no new incident for the same watch before this much time; also how long a
    /// volume surge must pause before a new buzz is told.
    pub cooldown: Interval,
    /// The clock of the audience: "the same hour of day" is 20:00 in this zone, summer and winter alike,
    /// so that the evening peak is still compared with evenings after a change of daylight-saving time.
    pub timezone: Timezone,
}

/// An IANA time zone (`"Europe/Paris"`, `"UTC"`), read and written by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(pub chrono_tz::Tz);

impl Timezone {
    pub const UTC: Timezone = Timezone(chrono_tz::Tz::UTC);

    pub fn parse(name: &str) -> Result<Timezone, String> {
        name.trim().parse().map(Timezone).map_err(|_| {
            format!(
                "timezone {name:?} is unknown; write an IANA name such as \"Europe/Paris\" or \"UTC\""
            )
        })
    }
}

impl std::fmt::Display for Timezone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for Timezone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timezone::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Timezone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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
            timezone: Timezone(chrono_tz::Tz::Europe__Paris),
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

/// What a notification is about. Detection chooses it; notification only words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A new incident: a surge of negative mentions, or a first critical mention, of a watch.
    IncidentOpened,
    /// A running incident got worse (a higher severity or a new peak).
    IncidentEscalated,
    /// An incident is over: the counts have been back near their usual level long enough.
    IncidentResolved,
    /// One mention matched a critical rule.
    CriticalMention,
    /// Several held notifications gathered in one email (built by the notifier, never by detection).
    Digest,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::IncidentOpened => "incident_opened",
            NotificationKind::IncidentEscalated => "incident_escalated",
            NotificationKind::IncidentResolved => "incident_resolved",
            NotificationKind::CriticalMention => "critical_mention",
            NotificationKind::Digest => "digest",
        }
    }

    /// Whether the notification is about an incident (opened, escalated or resolved).
    pub fn is_incident(self) -> bool {
        matches!(
            self,
            NotificationKind::IncidentOpened
                | NotificationKind::IncidentEscalated
                | NotificationKind::IncidentResolved
        )
    }
}

/// The figures that justify a notification, as detection computed them. Every field is optional: a
/// critical mention has no baseline, a surge has no single mention.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Headline {
    /// Negative (or matching) mentions in the window.
    pub count: Option<u32>,
    /// The window the count covers, as people say it ("1 h", "30 min").
    pub window: Option<String>,
    /// The usual count for such a window (median of the baseline).
    pub baseline: Option<f64>,
    /// `count / baseline`.
    pub ratio: Option<f64>,
    /// Robust z-score of the count.
    pub z: Option<f64>,
    /// Share of negative mentions now, in [0, 1].
    pub negative_share: Option<f64>,
    /// Usual share of negative mentions, in [0, 1].
    pub usual_negative_share: Option<f64>,
    /// Distinct sources the mentions came from.
    pub sources: Option<u32>,
    /// How long the incident lasted, in seconds (resolutions).
    pub duration_secs: Option<u64>,
    /// The highest count of the incident (resolutions).
    pub peak: Option<u32>,
}

/// A mention as an email shows it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifiedMention {
    pub source: String,
    pub time: Option<DateTime<Utc>>,
    pub title: Option<String>,
    /// A short excerpt of the text (detection or the store cuts it; the notifier cuts again if too long).
    pub excerpt: String,
    pub score: Option<f32>,
    pub label: Option<Label>,
    pub link: Option<String>,
    /// Terms that made it matter (rule terms, sentiment terms).
    pub terms: Vec<String>,
}

impl NotifiedMention {
    /// Longest excerpt kept, in characters: an email shows a glimpse, not the article.
    pub const EXCERPT_CHARS: usize = 280;

    /// A mention and its analysis as an email shows them (before or after they are stored): the terms are
    /// those its rules matched, then those that moved its sentiment.
    pub fn of(m: &Mention, a: &Analysis) -> NotifiedMention {
        let mut terms: Vec<String> = Vec::new();
        let rule_terms = a
            .matches
            .iter()
            .flat_map(|rm| rm.terms.iter().map(|t| &t.text));
        for t in rule_terms.chain(a.sentiment.terms.iter().map(|t| &t.term)) {
            if !terms.contains(t) {
                terms.push(t.clone());
            }
        }
        NotifiedMention {
            source: m.source.clone(),
            time: Some(m.time()),
            title: m.title.clone(),
            excerpt: NotifiedMention::excerpt_of(&m.text),
            score: Some(a.sentiment.score),
            label: Some(a.sentiment.label),
            link: m.link.clone(),
            terms,
        }
    }

    /// The first [`NotifiedMention::EXCERPT_CHARS`] characters of `text`, with an ellipsis when cut.
    pub fn excerpt_of(text: &str) -> String {
        match text.char_indices().nth(Self::EXCERPT_CHARS) {
            Some((i, _)) => format!("{}…", text[..i].trim_end()),
            None => text.to_owned(),
        }
    }
}

/// One notification: everything an email needs, and nothing else. Stored as JSON in the outbox row written
/// in the same transaction as the change that causes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: NotificationKind,
    pub severity: Severity,
    #[serde(default)]
    pub incident: Option<i64>,
    /// The watch (brand or topic) it is about, by id.
    #[serde(default)]
    pub watch: Option<String>,
    /// The rule that matched, for a critical mention.
    #[serde(default)]
    pub rule: Option<String>,
    /// The display name of the brand.
    pub brand: String,
    /// When the thing happened (detection's clock).
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub headline: Headline,
    /// The most telling mentions, most telling first.
    #[serde(default)]
    pub mentions: Vec<NotifiedMention>,
    /// Terms matched across the mentions.
    #[serde(default)]
    pub terms: Vec<String>,
    /// The watch is silenced: the notification is recorded for the record and the digest.
    #[serde(default)]
    pub silenced: bool,
    /// Detection's explanation, already written, in French.
    #[serde(default)]
    pub explanation_fr: Option<String>,
    /// Detection's explanation, already written, in English.
    #[serde(default)]
    pub explanation_en: Option<String>,
    /// For a digest: the notifications it gathers, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Notification>,
}

impl Notification {
    /// A notification with the given kind, severity, brand and time, and nothing else yet.
    pub fn new(
        kind: NotificationKind,
        severity: Severity,
        brand: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Notification {
        Notification {
            kind,
            severity,
            incident: None,
            watch: None,
            rule: None,
            brand: brand.into(),
            at,
            headline: Headline::default(),
            mentions: Vec::new(),
            terms: Vec::new(),
            silenced: false,
            explanation_fr: None,
            explanation_en: None,
            items: Vec::new(),
        }
    }
}

/// A watch as detection needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchSpec {
    pub id: String,
    /// Display name (the brand).
    pub name: String,
    pub settings: WatchSettings,
}

/// What the rule files say that detection needs: the watches, and the rules that only count (they never
/// alert on their own).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectionSpec {
    pub watches: Vec<WatchSpec>,
    pub count_only_rules: std::collections::HashSet<String>,
}
