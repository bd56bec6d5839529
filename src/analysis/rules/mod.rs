//! Watch rules and watches: compiled once from the rule files' text, then matched against every mention.
//!
//! In: the text of every rule file ([`RuleFile`]: a name for messages and its TOML text; reading them is
//! `config::rules`' job) and, per mention, a [`MentionView`] of already-folded fields. Out: a [`RuleSet`]
//! (or every problem found, as [`RuleError`]s with file, line and column), and for each mention an
//! [`Outcome`]: the rules that match with the terms that made them match (positions in the original text),
//! and the watches the mention counts towards. Called by the daemon's analysis stage, `veille rules check`
//! and `veille rules test`. Pure: no I/O, no clock, no global state, so a reload just builds a new
//! `RuleSet` and the caller keeps the old one if the new files are wrong.
//!
//! The file format is documented in `rules/README.md`; the query language in [`crate::analysis::query`].
//!
//! How matching stays fast with a thousand rules: each phrase of every query is anchored on its longest
//! word, and the anchor words go into one hash index (`index`). A mention's title and text are cut into
//! words once; each word is looked up (a bit filter turns most away), and a found word is checked word by
//! word against the phrases anchored on it, so the cost per word does not grow with the number of rules. Each rule is indexed under the few
//! phrases that must appear for it to be true (for `brand AND (boycott OR scam)`, only `brand`), so a
//! common word such as `boycott` does not wake every rule that mentions it; only the rules woken by a hit,
//! and the few that cannot be indexed (a lone `regex:`, `author:` or `site:`), have their boolean tree
//! evaluated.
//!
//! Hostile text does not make it slow either: every hit carries the numbers of its first and last words,
//! and `NEAR` pairs its two sides in one sweep over them (sorted), so a title repeating both sides of a
//! `NEAR` thousands of times costs a few steps per hit, not one per pair ([`RuleSet::evaluate_counted`]
//! counts them). Queries nest at most [`crate::analysis::query::MAX_DEPTH`] levels deep, which bounds every
//! recursion over their trees.

mod compile;
mod error;
mod index;
mod matcher;

use std::collections::HashMap;

pub use compile::{REGEX_SIZE_LIMIT, compile};
pub use error::{Location, RuleError, Snippet};
pub(crate) use matcher::MAX_FIELD_BYTES;

use crate::analysis::fold::Folded;
use crate::model::{Label, Lang, RuleMatch, Sentiment, Severity, WatchSettings};

/// One rule file handed to the compiler: `name` is how messages refer to it (its path, usually).
#[derive(Debug, Clone, Copy)]
pub struct RuleFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// What a matching rule does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Raise an alert for the mention.
    #[default]
    Alert,
    /// Record the match (and count the mention towards the rule's watch, if any) without alerting.
    Count,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Count => "count",
        }
    }
}

/// The filters a rule or watch may carry besides its query. An empty list means "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub languages: Vec<Lang>,
    pub sources: Vec<String>,
    pub tags: Vec<String>,
    /// Folded author names.
    pub authors: Vec<String>,
}

/// A condition on the sentiment of a mention; checked only when the sentiment is known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SentimentCondition {
    pub label: Option<Label>,
    pub min_score: Option<f32>,
    pub max_score: Option<f32>,
}

impl SentimentCondition {
    pub fn is_empty(&self) -> bool {
        self.label.is_none() && self.min_score.is_none() && self.max_score.is_none()
    }

    fn accepts(&self, s: &Sentiment) -> bool {
        self.label.is_none_or(|l| l == s.label)
            && self.min_score.is_none_or(|m| s.score >= m)
            && self.max_score.is_none_or(|m| s.score <= m)
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// The query as written.
    pub query: String,
    pub severity: Severity,
    pub action: Action,
    /// The watch a match counts towards, besides the watch's own query.
    pub watch: Option<String>,
    pub filters: Filters,
    pub sentiment: SentimentCondition,
    /// Where the rule is defined.
    pub location: Location,
    expr: matcher::Expr,
}

/// A compiled watch: a brand or topic whose volume of negative mentions the detector follows.
#[derive(Debug, Clone)]
pub struct Watch {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub query: String,
    pub filters: Filters,
    pub detection: WatchSettings,
    pub location: Location,
    expr: matcher::Expr,
}

/// One field of a mention: the original text (for showing matches) and its folded form (for matching).
#[derive(Debug, Clone, Copy)]
pub struct FieldText<'a> {
    pub original: &'a str,
    pub folded: &'a Folded,
}

/// What the matcher needs to know of a mention. Fields are folded once by the caller, not once per rule.
#[derive(Debug, Clone, Copy)]
pub struct MentionView<'a> {
    pub title: Option<FieldText<'a>>,
    pub text: FieldText<'a>,
    pub author: Option<&'a str>,
    /// The link's host (`www.acme.fr`); a full URL is accepted too.
    pub site: Option<&'a str>,
    /// `None` when unknown (`veille rules test` without `--lang`): language filters are then not applied
    /// and `lang:` in a query is false.
    pub lang: Option<Lang>,
    /// The source's name.
    pub source: &'a str,
    /// The source's tags.
    pub tags: &'a [String],
    /// `None` when not scored yet: sentiment conditions are then not applied.
    pub sentiment: Option<&'a Sentiment>,
}

/// What matching one mention gives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome<'r> {
    /// Matching rules, most severe first, then in definition order.
    pub matches: Vec<RuleMatch>,
    /// Ids of the watches the mention counts towards, in definition order.
    pub watches: Vec<&'r str>,
}

/// The work matching one mention took, in units that do not depend on the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Work {
    /// Occurrences of the rules' words and phrases found in the title and text.
    pub hits: u64,
    /// Steps of the `NEAR` evaluations: a hit gathered into a side, or passed over by the sweep that pairs
    /// the sides. At most a few per hit and `NEAR`, however many times the sides repeat.
    pub near_steps: u64,
}

/// Every rule and watch of the rule files, compiled into one matcher.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    watches: Vec<Watch>,
    by_id: HashMap<String, usize>,
    matcher: matcher::Matcher,
}

impl RuleSet {
    /// A rule set without rules, e.g. before the first load.
    pub fn empty() -> RuleSet {
        // Compiling nothing cannot fail.
        compile(&[]).unwrap_or_else(|_| unreachable!("an empty rule set always compiles"))
    }

    /// The rules, in file-name order then file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The watches, in file-name order then file order.
    pub fn watches(&self) -> &[Watch] {
        &self.watches
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// Matches one mention against every rule and watch, in one pass over its text.
    pub fn evaluate<'r>(&'r self, m: &MentionView<'_>) -> Outcome<'r> {
        self.matcher.evaluate(self, m).0
    }

    /// [`RuleSet::evaluate`], with a count of the work it took: what tests and benchmarks check grows in
    /// step with the text, whatever it repeats.
    pub fn evaluate_counted<'r>(&'r self, m: &MentionView<'_>) -> (Outcome<'r>, Work) {
        self.matcher.evaluate(self, m)
    }

    /// The rules that match, most severe first, with the terms that made them match.
    pub fn matches(&self, m: &MentionView<'_>) -> Vec<RuleMatch> {
        self.evaluate(m).matches
    }

    /// The ids of the watches a mention counts towards.
    pub fn watches_matched<'r>(&'r self, m: &MentionView<'_>) -> Vec<&'r str> {
        self.evaluate(m).watches
    }
}

impl Filters {
    fn accepts(&self, m: &MentionView<'_>, folded_author: impl FnOnce() -> Option<String>) -> bool {
        if let Some(lang) = m.lang
            && !self.languages.is_empty()
            && !self.languages.contains(&lang)
        {
            return false;
        }
        if !self.sources.is_empty() && !self.sources.iter().any(|s| s == m.source) {
            return false;
        }
        if !self.tags.is_empty() && !self.tags.iter().any(|t| m.tags.contains(t)) {
            return false;
        }
        if !self.authors.is_empty() {
            let Some(author) = folded_author() else {
                return false;
            };
            if !self.authors.contains(&author) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests;
