//! Counting: analysed mentions in, per-bucket counts out.
//!
//! Detection never looks at raw items: it compares counts of one bucket (an hour by default) with counts of
//! past buckets. The daemon aggregates each bucket with [`BucketCounts::aggregate`] and the store keeps the
//! result; `veille replay` calls the same function on stored mentions, so both count exactly alike.
//!
//! Besides raw counts a bucket counts *distinct* sources, authors and stories. A story is the content hash of
//! a mention ([`crate::model::Mention::story`]): one article syndicated on twenty sites is twenty mentions
//! but one story, and detection reasons in stories so that syndication does not look like a crowd.

use chrono::{DateTime, TimeDelta, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::model::{Analysis, Interval, Label, Medium, Mention, RuleMatch, Severity, TermWeight};

/// What detection needs to know about one analysed mention of a watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysedMention {
    /// Stable key of the mention, unique across sources (`source` and item id): critical alerts are keyed by
    /// it so that a mention never alerts twice.
    pub key: String,
    /// When it counts: published time, else first seen, and never after first seen.
    pub time: DateTime<Utc>,
    pub source: String,
    pub author: Option<String>,
    /// Content hash: the same story seen through several sources shares it.
    pub story: u64,
    pub label: Label,
    /// Compound sentiment score in [-1, 1].
    pub score: f32,
    pub title: Option<String>,
    pub link: Option<String>,
    /// The terms that moved the sentiment score.
    pub terms: Vec<TermWeight>,
    /// The rules that matched.
    pub matches: Vec<RuleMatch>,
    /// Whether its source is the press ([`crate::model::Medium`]): an explanation names the press sites
    /// that picked a story up.
    #[serde(default)]
    pub press: bool,
}

impl AnalysedMention {
    /// Builds the detection view of a stored mention and its analysis.
    pub fn new(mention: &Mention, analysis: &Analysis) -> AnalysedMention {
        AnalysedMention {
            key: format!("{}/{}", mention.source, mention.id),
            // Never later than when veille saw it: a publication date in the future is a feed's mistake.
            time: mention.time().min(mention.fetched),
            source: mention.source.clone(),
            author: mention.author.clone(),
            story: mention.story,
            label: analysis.sentiment.label,
            score: analysis.sentiment.score,
            // Posts without a title (most social ones) are shown by the start of their text.
            title: mention.title.clone().or_else(|| {
                let text = mention.text.trim();
                (!text.is_empty()).then(|| match text.char_indices().nth(80) {
                    Some((i, _)) => format!("{}…", text[..i].trim_end()),
                    None => text.to_owned(),
                })
            }),
            link: mention.link.clone(),
            terms: analysis.sentiment.terms.clone(),
            matches: analysis.matches.clone(),
            press: analysis
                .medium
                .unwrap_or_else(|| Medium::of(&[], Some(mention.kind.as_str())))
                == Medium::Press,
        }
    }

    /// Who spoke, for counting distinct voices: the author within its source, or the source itself when the
    /// item names no author (a news site without bylines is one voice).
    pub fn voice(&self) -> String {
        match &self.author {
            Some(a) if !a.trim().is_empty() => format!("{} · {}", a.trim(), self.source),
            _ => self.source.clone(),
        }
    }

    /// The names of the critical rules that matched, each once, in order.
    pub fn critical_rules(&self) -> Vec<&str> {
        let mut rules: Vec<&str> = Vec::new();
        for m in &self.matches {
            if m.severity == Severity::Critical && !rules.contains(&m.rule.as_str()) {
                rules.push(&m.rule);
            }
        }
        rules
    }
}

/// The counts of one watch in one bucket. `start` is the bucket's start; the length is the watch's bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketCounts {
    pub start: DateTime<Utc>,
    /// All mentions.
    pub total: u32,
    /// Negative mentions.
    pub negative: u32,
    /// Distinct sources.
    pub sources: u32,
    /// Distinct voices (see [`AnalysedMention::voice`]).
    pub authors: u32,
    /// Distinct stories (content hashes).
    pub stories: u32,
    /// Distinct stories among negative mentions: the count detection compares with its baseline.
    pub negative_stories: u32,
    /// Distinct voices among negative mentions.
    pub negative_authors: u32,
    /// Negative stories of the loudest voice: a surge carried by one voice is one angry customer, not a crowd.
    #[serde(default)]
    pub loudest_negative: u32,
}

impl BucketCounts {
    /// A bucket with nothing in it: what a missing bucket in the history means.
    pub fn empty(start: DateTime<Utc>) -> BucketCounts {
        BucketCounts {
            start,
            total: 0,
            negative: 0,
            sources: 0,
            authors: 0,
            stories: 0,
            negative_stories: 0,
            negative_authors: 0,
            loudest_negative: 0,
        }
    }

    /// Counts the given mentions as one bucket starting at `start`. The caller picks the mentions of the
    /// bucket (see [`bucket_start`]); nothing is filtered here.
    pub fn aggregate(start: DateTime<Utc>, mentions: &[AnalysedMention]) -> BucketCounts {
        let mut sources = FxHashSet::default();
        let mut voices = FxHashSet::default();
        let mut stories = FxHashSet::default();
        let mut negative_stories = FxHashSet::default();
        let mut negative_voices: FxHashMap<String, FxHashSet<u64>> = FxHashMap::default();
        let mut negative = 0u32;
        for m in mentions {
            sources.insert(m.source.as_str());
            let voice = m.voice();
            stories.insert(m.story);
            if m.label == Label::Neg {
                negative += 1;
                negative_stories.insert(m.story);
                negative_voices
                    .entry(voice.clone())
                    .or_default()
                    .insert(m.story);
            }
            voices.insert(voice);
        }
        BucketCounts {
            start,
            total: count(mentions.len()),
            negative,
            sources: count(sources.len()),
            authors: count(voices.len()),
            stories: count(stories.len()),
            negative_stories: count(negative_stories.len()),
            negative_authors: count(negative_voices.len()),
            loudest_negative: count(
                negative_voices
                    .values()
                    .map(FxHashSet::len)
                    .max()
                    .unwrap_or(0),
            ),
        }
    }

    /// Negative stories over all stories, or `None` for an empty bucket.
    pub fn negative_share(&self) -> Option<f64> {
        (self.stories > 0).then(|| f64::from(self.negative_stories) / f64::from(self.stories))
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The start of the bucket holding `time`: buckets are aligned on the Unix epoch (so hourly and daily buckets
/// start on the hour and at midnight UTC). A zero bucket is read as one second.
pub fn bucket_start(time: DateTime<Utc>, bucket: Interval) -> DateTime<Utc> {
    let len = bucket_secs(bucket);
    let secs = time.timestamp().div_euclid(len) * len;
    DateTime::from_timestamp(secs, 0).unwrap_or(time)
}

/// A century: no setting means more, and clamping there keeps date arithmetic from overflowing on a
/// mistyped `"99999999w"`.
const LONGEST_SECS: i64 = 100 * 366 * 86_400;

/// A number of seconds as a duration, clamped to a century either way (stored figures read back from
/// JSON are not trusted to be sane).
pub(crate) fn seconds(s: i64) -> TimeDelta {
    TimeDelta::seconds(s.clamp(-LONGEST_SECS, LONGEST_SECS))
}

/// A setting's interval as a duration, at most a century.
pub(crate) fn span(i: Interval) -> TimeDelta {
    seconds(i64::try_from(i.as_secs()).unwrap_or(LONGEST_SECS))
}

/// The length of a bucket in seconds, from one to a century.
pub(crate) fn bucket_secs(bucket: Interval) -> i64 {
    i64::try_from(bucket.as_secs())
        .unwrap_or(LONGEST_SECS)
        .clamp(1, LONGEST_SECS)
}

pub(crate) fn bucket_delta(bucket: Interval) -> TimeDelta {
    TimeDelta::seconds(bucket_secs(bucket))
}

/// Groups mentions into buckets and counts each, in time order; buckets without mentions are left out
/// (a missing bucket counts as empty). For `veille replay` and for tests.
pub fn aggregate_buckets(mentions: &[AnalysedMention], bucket: Interval) -> Vec<BucketCounts> {
    let mut by_bucket: std::collections::BTreeMap<DateTime<Utc>, Vec<AnalysedMention>> =
        Default::default();
    for m in mentions {
        by_bucket
            .entry(bucket_start(m.time, bucket))
            .or_default()
            .push(m.clone());
    }
    by_bucket
        .into_iter()
        .map(|(start, ms)| BucketCounts::aggregate(start, &ms))
        .collect()
}

/// One bucket's counts and the mentions behind them, as handed to [`crate::detect::evaluate`]. The mentions
/// feed the explanation (most telling mentions, top sources, terms); a caller may pass a sample of them for a
/// very busy watch, the counts stay authoritative.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    pub counts: &'a BucketCounts,
    pub mentions: &'a [AnalysedMention],
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    pub(crate) fn mention(
        key: &str,
        source: &str,
        author: Option<&str>,
        story: u64,
        label: Label,
    ) -> AnalysedMention {
        AnalysedMention {
            key: key.into(),
            time: at(10, 15),
            source: source.into(),
            author: author.map(Into::into),
            story,
            label,
            score: match label {
                Label::Neg => -0.6,
                Label::Neu => 0.0,
                Label::Pos => 0.6,
            },
            title: Some(format!("title {key}")),
            link: None,
            terms: Vec::new(),
            matches: Vec::new(),
            press: source.starts_with("press"),
        }
    }

    #[test]
    fn aggregate_counts_distinct_things() {
        let ms = vec![
            mention("a", "s1", Some("ann"), 1, Label::Neg),
            mention("b", "s1", Some("ann"), 2, Label::Neg),
            mention("c", "s2", Some("bob"), 3, Label::Pos),
            mention("d", "s2", None, 3, Label::Neu),
        ];
        let c = BucketCounts::aggregate(at(10, 0), &ms);
        assert_eq!(c.total, 4);
        assert_eq!(c.negative, 2);
        assert_eq!(c.sources, 2);
        assert_eq!(c.authors, 3, "ann, bob, and s2 as a voice");
        assert_eq!(c.stories, 3);
        assert_eq!(c.negative_stories, 2);
        assert_eq!(c.negative_authors, 1);
        assert_eq!(c.loudest_negative, 2, "ann wrote both negative stories");
        assert_eq!(c.negative_share(), Some(2.0 / 3.0));
    }

    #[test]
    fn twenty_syndicated_copies_are_one_story() {
        let ms: Vec<_> = (0..20)
            .map(|i| mention(&format!("m{i}"), &format!("site{i}"), None, 42, Label::Neg))
            .collect();
        let c = BucketCounts::aggregate(at(10, 0), &ms);
        assert_eq!(c.negative, 20);
        assert_eq!(c.negative_stories, 1);
        assert_eq!(c.sources, 20);
    }

    #[test]
    fn same_author_name_on_two_sources_is_two_voices() {
        let ms = vec![
            mention("a", "s1", Some("x"), 1, Label::Neg),
            mention("b", "s2", Some("x"), 2, Label::Neg),
            mention("c", "s2", Some("  "), 3, Label::Neg),
        ];
        assert_eq!(BucketCounts::aggregate(at(10, 0), &ms).negative_authors, 3);
    }

    #[test]
    fn empty_bucket_has_no_share() {
        assert_eq!(BucketCounts::empty(at(0, 0)).negative_share(), None);
        assert_eq!(BucketCounts::aggregate(at(0, 0), &[]).total, 0);
    }

    #[test]
    fn buckets_align_on_the_hour_and_group() {
        let h = Interval::secs(3600);
        assert_eq!(bucket_start(at(10, 59), h), at(10, 0));
        assert_eq!(bucket_start(at(10, 0), h), at(10, 0));
        assert_eq!(bucket_start(at(10, 20), Interval::secs(900)), at(10, 15));
        assert_eq!(bucket_start(at(10, 20), Interval::secs(0)), at(10, 20));
        let mut a = mention("a", "s", None, 1, Label::Neg);
        a.time = at(9, 10);
        let mut b = mention("b", "s", None, 2, Label::Neg);
        b.time = at(11, 50);
        let mut c = mention("c", "s", None, 3, Label::Pos);
        c.time = at(9, 40);
        let buckets = aggregate_buckets(&[b, a, c], h);
        assert_eq!(buckets.len(), 2);
        assert_eq!((buckets[0].start, buckets[0].total), (at(9, 0), 2));
        assert_eq!((buckets[1].start, buckets[1].total), (at(11, 0), 1));
    }

    #[test]
    fn critical_rules_listed_once() {
        let mut m = mention("a", "s", None, 1, Label::Neg);
        for (rule, severity) in [
            ("r1", Severity::Critical),
            ("r2", Severity::Warning),
            ("r1", Severity::Critical),
        ] {
            m.matches.push(RuleMatch {
                rule: rule.into(),
                severity,
                terms: Vec::new(),
            });
        }
        assert_eq!(m.critical_rules(), vec!["r1"]);
    }

    #[test]
    fn built_from_a_stored_mention_and_its_analysis() {
        use crate::model::{Analysis, Mention, Sentiment};
        let mut stored = Mention {
            source: "blog".into(),
            id: "42".into(),
            link: Some("https://example.org/42".into()),
            title: Some("Acme déçoit".into()),
            text: "…".into(),
            author: Some("ann".into()),
            lang: None,
            published: Some(at(9, 0)),
            fetched: at(10, 0),
            story: 7,
            kind: crate::model::SourceKind::Feed,
            reach: crate::model::Reach::default(),
        };
        let analysis = Analysis {
            sentiment: Sentiment {
                score: -0.4,
                label: Label::Neg,
                terms: Vec::new(),
            },
            ..Analysis::default()
        };
        let m = AnalysedMention::new(&stored, &analysis);
        assert_eq!(
            (m.key.as_str(), m.time, m.story, m.label),
            ("blog/42", at(9, 0), 7, Label::Neg)
        );
        assert_eq!(m.voice(), "ann · blog");
        // A publication date in the future counts when the item was seen.
        stored.published = Some(at(23, 0));
        assert_eq!(AnalysedMention::new(&stored, &analysis).time, at(10, 0));
    }
}
