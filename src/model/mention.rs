//! A mention and what analysis says about it: severity, language, sentiment, matched rules.

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
    /// The kind of source it was read from.
    #[serde(default)]
    pub kind: super::SourceKind,
    /// Who wrote it and how far it went, where the service says.
    #[serde(default)]
    pub reach: Reach,
}

/// The author's handle and audience and the post's engagement, as a service reports them at the time of
/// the fetch; `None` where the service does not say (feeds never do).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reach {
    /// The author's handle on the service (`@alice@piaille.fr`, `alice.bsky.social`, `u/alice`).
    pub handle: Option<String>,
    /// How many follow the author.
    pub followers: Option<u64>,
    pub likes: Option<u64>,
    /// Boosts, reposts, shares.
    pub reposts: Option<u64>,
    /// Replies or comments.
    pub replies: Option<u64>,
    /// A service's own score (Hacker News points, an App Store rating).
    pub score: Option<i64>,
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

/// A text's MinHash signature: the smallest hash of its word pairs in each of 64 bins, by its low 16 bits
/// ([`crate::analysis::story`]). Two texts agree on each minimum about as often as they share word pairs.
pub type Signature = [u16; 64];

/// Everything analysis says about one mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Analysis {
    pub lang: Lang,
    pub sentiment: Sentiment,
    pub matches: Vec<RuleMatch>,
    /// Ids of the watches the mention counts towards.
    #[serde(default)]
    pub watches: Vec<String>,
    /// The MinHash signature of its folded title and text, to group rewritten copies into one story
    /// ([`crate::analysis::story`]); `None` for a text without words. Not stored: the story it led to is.
    #[serde(skip)]
    pub near: Option<Signature>,
    /// Whether its source is the press or a social network, from the source's tags and kind; `None` when
    /// not known (read back from the store: the kind then decides).
    #[serde(skip)]
    pub medium: Option<super::Medium>,
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
