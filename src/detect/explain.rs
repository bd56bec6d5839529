//! Explanations: why detection decided what it did, in data and in words for a communications team.
//!
//! In: the judged window (counts and mentions) and its [`Baseline`]. Out: an [`Explanation`] (serde, so the
//! store keeps it beside the incident event, and the CLI, the email and the console read the same facts):
//! the count and its usual level, how many times and how unusual, the negative share then and usually, who
//! said it, the most telling mentions and the terms that made them negative. Facts only: the sentences are
//! [`crate::i18n::words`]'.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::baseline::{Baseline, Level, Profile, share_rise_z};
use super::counts::{AnalysedMention, BucketCounts, Window};
use crate::model::{Label, TermWeight};

/// How many top sources, authors and terms an explanation keeps.
const TOP: usize = 3;
const TOP_TERMS: usize = 5;
/// At most this many telling mentions: up to three most negative, the rest most shared.
const TELLING: usize = 5;
const MOST_NEGATIVE: usize = 3;

/// A count set against its usual level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// The count in the window (distinct stories).
    pub count: u32,
    pub median: f64,
    pub mad: f64,
    /// The floored spread the z-score divides by.
    pub spread: f64,
    pub ratio: f64,
    pub z: f64,
}

impl Figures {
    pub fn new(count: u32, level: &Level) -> Figures {
        let c = f64::from(count);
        Figures {
            count,
            median: round4(level.median),
            mad: round4(level.mad),
            spread: round4(level.spread),
            ratio: round4(level.ratio(c)),
            z: round4(level.z(c)),
        }
    }
}

/// Four decimals are plenty for a person, and short decimals come back from JSON exactly, so a stored
/// explanation reads back equal to the one made.
fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// A name and how many times it came up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub name: String,
    pub count: u32,
}

/// Why a mention is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Telling {
    /// Among the most negative of the window.
    MostNegative,
    /// Its story was carried by the most sources.
    MostShared,
    /// Among the strongest sentiment, either way (for a volume surge).
    Strongest,
}

/// One of the few mentions that show what the window is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TellingMention {
    pub key: String,
    /// When it counts (published, else first seen); absent from explanations stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    pub source: String,
    pub author: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    pub score: f32,
    /// How many sources carried the same story in the window.
    pub sources: u32,
    /// The story it belongs to ([`crate::analysis::story`]); absent from explanations stored before it
    /// was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<u64>,
    pub why: Telling,
    /// The terms that made it negative, strongest first.
    pub terms: Vec<String>,
}

/// One story carried by several sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Syndication {
    pub story: u64,
    pub title: Option<String>,
    pub sources: u32,
    /// The first sites that carried it (at most five), in the order they did: press pickup is the first
    /// thing a communications team checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
}

/// How far the window's stories were picked up: the stories several sources carried, how many sources
/// carried them, and which of those are the press.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pickup {
    /// Stories carried by more than one source.
    pub stories: u32,
    /// The distinct sources that carried them.
    pub sites: u32,
    /// The press sources among them, those that carried the most of these stories first (at most
    /// [`PRESS_NAMED`]).
    pub press: Vec<String>,
    /// Press sources left unnamed.
    pub more_press: u32,
}

/// Press sites named in a [`Pickup`].
pub const PRESS_NAMED: usize = 5;

/// The facts behind a decision about a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub watch: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Which past buckets the window was compared with, and how many.
    pub profile: Profile,
    pub samples: u32,
    pub counts: BucketCounts,
    /// Negative stories against their usual level.
    pub negative: Figures,
    /// All stories against their usual level.
    pub volume: Figures,
    pub share: Option<f64>,
    pub usual_share: Option<f64>,
    /// The share test: how surely the negative share rose above the baseline span's
    /// ([`crate::detect::baseline::share_rise_z`]); `None` when there was nothing to compare.
    #[serde(default)]
    pub share_z: Option<f64>,
    /// Of negative mentions (of all mentions when there is none).
    pub top_sources: Vec<Tally>,
    pub top_authors: Vec<Tally>,
    pub telling: Vec<TellingMention>,
    /// The terms that most often made mentions negative.
    pub terms: Vec<Tally>,
    /// The negative story carried by the most sources, when more than one carried it.
    pub syndication: Option<Syndication>,
    /// How far the window's stories were picked up, when one was carried by several sources
    /// ("7 articles repris par 23 sites"); absent from explanations stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup: Option<Pickup>,
    /// The planned event in force during the window (its label), if any: a volume surge is then expected,
    /// and a bad buzz says it happened during the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

impl Explanation {
    /// Gathers the facts of a window of a watch, about its negative mentions.
    pub fn new(
        watch: &str,
        window: &Window<'_>,
        window_end: DateTime<Utc>,
        baseline: &Baseline,
    ) -> Explanation {
        Explanation::build(watch, window, window_end, baseline, false)
    }

    /// The same facts, naming the planned event in force (if any).
    pub fn during(mut self, event: Option<String>) -> Explanation {
        self.event = event;
        self
    }

    /// Gathers the facts of a volume surge: sources, authors and telling mentions come from all mentions,
    /// the most shared stories first.
    pub fn of_volume(
        watch: &str,
        window: &Window<'_>,
        window_end: DateTime<Utc>,
        baseline: &Baseline,
    ) -> Explanation {
        Explanation::build(watch, window, window_end, baseline, true)
    }

    fn build(
        watch: &str,
        window: &Window<'_>,
        window_end: DateTime<Utc>,
        baseline: &Baseline,
        volume: bool,
    ) -> Explanation {
        let counts = window.counts;
        let negatives: Vec<&AnalysedMention> = window
            .mentions
            .iter()
            .filter(|m| m.label == Label::Neg)
            .collect();
        let pool: Vec<&AnalysedMention> = if volume || negatives.is_empty() {
            window.mentions.iter().collect()
        } else {
            negatives
        };

        // How many sources carried each story of the pool.
        let mut story_sources: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
        for m in &pool {
            let s = story_sources.entry(m.story).or_default();
            if !s.contains(&m.source.as_str()) {
                s.push(&m.source);
            }
        }
        let carried = |story: u64| story_sources.get(&story).map_or(1, |s| s.len() as u32);

        let telling = if volume {
            telling_by_reach(&pool, &carried)
        } else {
            telling_mentions(&pool, &carried)
        };
        let syndication = story_sources
            .iter()
            .filter(|(_, s)| s.len() > 1)
            .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)))
            .map(|(&story, s)| Syndication {
                story,
                title: pool
                    .iter()
                    .filter(|m| m.story == story)
                    .find_map(|m| m.title.clone()),
                sources: s.len() as u32,
                sites: s.iter().take(5).map(|x| (*x).to_owned()).collect(),
            })
            .filter(|_| pool.iter().any(|m| m.label == Label::Neg));

        let pickup = pickup(&pool, &story_sources);

        let mut terms: BTreeMap<String, u32> = BTreeMap::new();
        for m in pool.iter().filter(|m| m.label == Label::Neg) {
            let mut seen: Vec<&str> = Vec::new();
            for t in m.terms.iter().filter(|t| t.weight < 0.0) {
                if !seen.contains(&t.term.as_str()) {
                    seen.push(&t.term);
                    *terms.entry(t.term.clone()).or_default() += 1;
                }
            }
        }

        Explanation {
            watch: watch.to_owned(),
            window_start: counts.start,
            window_end,
            profile: baseline.profile,
            samples: baseline.samples,
            counts: counts.clone(),
            negative: Figures::new(counts.negative_stories, &baseline.negative),
            volume: Figures::new(counts.stories, &baseline.total),
            share: counts.negative_share().map(round4),
            usual_share: baseline.negative_share.map(round4),
            share_z: share_rise_z(
                u64::from(counts.negative_stories),
                u64::from(counts.stories),
                baseline.negative_sum,
                baseline.stories_sum,
            )
            .map(round4),
            top_sources: top(pool.iter().map(|m| m.source.clone()), TOP),
            top_authors: top(
                pool.iter()
                    .filter(|m| m.author.is_some())
                    .map(|m| m.voice()),
                TOP,
            ),
            telling,
            terms: top_of(terms, TOP_TERMS),
            syndication,
            pickup,
            event: None,
        }
    }
}

/// The pickup of the stories of `pool` that several sources carried (`story_sources`: each story's distinct
/// sources); `None` when no story was carried by more than one.
fn pickup(pool: &[&AnalysedMention], story_sources: &BTreeMap<u64, Vec<&str>>) -> Option<Pickup> {
    let copied: Vec<&Vec<&str>> = story_sources.values().filter(|s| s.len() > 1).collect();
    if copied.is_empty() {
        return None;
    }
    // Each carrier, with how many of the copied stories it carried.
    let mut carriers: BTreeMap<&str, u32> = BTreeMap::new();
    for sources in &copied {
        for s in sources.iter() {
            *carriers.entry(s).or_default() += 1;
        }
    }
    let press_sources: std::collections::BTreeSet<&str> = pool
        .iter()
        .filter(|m| m.press)
        .map(|m| m.source.as_str())
        .collect();
    let mut press: Vec<(&str, u32)> = carriers
        .iter()
        .filter(|(s, _)| press_sources.contains(**s))
        .map(|(s, n)| (*s, *n))
        .collect();
    press.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let more_press = press.len().saturating_sub(PRESS_NAMED) as u32;
    Some(Pickup {
        stories: copied.len() as u32,
        sites: carriers.len() as u32,
        press: press
            .into_iter()
            .take(PRESS_NAMED)
            .map(|(s, _)| s.to_owned())
            .collect(),
        more_press,
    })
}

/// Up to three most negative mentions (one per story), then the most shared stories, five at most.
fn telling_mentions(
    pool: &[&AnalysedMention],
    carried: &dyn Fn(u64) -> u32,
) -> Vec<TellingMention> {
    let mut chosen: Vec<TellingMention> = Vec::new();
    let mut by_score: Vec<&AnalysedMention> = pool
        .iter()
        .copied()
        .filter(|m| m.label == Label::Neg)
        .collect();
    by_score.sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.key.cmp(&b.key)));
    let mut stories: Vec<u64> = Vec::new();
    for m in by_score {
        if chosen.len() == MOST_NEGATIVE {
            break;
        }
        if !stories.contains(&m.story) {
            stories.push(m.story);
            chosen.push(telling(m, carried(m.story), Telling::MostNegative));
        }
    }
    let mut by_reach: Vec<&AnalysedMention> = pool
        .iter()
        .copied()
        .filter(|m| carried(m.story) > 1)
        .collect();
    by_reach.sort_by(|a, b| {
        carried(b.story)
            .cmp(&carried(a.story))
            .then_with(|| a.key.cmp(&b.key))
    });
    for m in by_reach {
        if chosen.len() == TELLING {
            break;
        }
        if !stories.contains(&m.story) {
            stories.push(m.story);
            chosen.push(telling(m, carried(m.story), Telling::MostShared));
        }
    }
    chosen
}

/// For a volume surge: the stories carried by the most sources, then the strongest sentiment either way,
/// three at least when there are three, five at most.
fn telling_by_reach(
    pool: &[&AnalysedMention],
    carried: &dyn Fn(u64) -> u32,
) -> Vec<TellingMention> {
    let mut chosen: Vec<TellingMention> = Vec::new();
    let mut stories: Vec<u64> = Vec::new();
    let mut by_reach: Vec<&AnalysedMention> = pool
        .iter()
        .copied()
        .filter(|m| carried(m.story) > 1)
        .collect();
    by_reach.sort_by(|a, b| {
        carried(b.story)
            .cmp(&carried(a.story))
            .then_with(|| a.key.cmp(&b.key))
    });
    for m in by_reach {
        if chosen.len() == TELLING {
            return chosen;
        }
        if !stories.contains(&m.story) {
            stories.push(m.story);
            chosen.push(telling(m, carried(m.story), Telling::MostShared));
        }
    }
    // Then the strongest voices of each side, alternating, the more numerous side first: a launch is told
    // by its praise and its grumbles both.
    let side = |label: Label| {
        let mut v: Vec<&AnalysedMention> =
            pool.iter().copied().filter(|m| m.label == label).collect();
        v.sort_by(|a, b| {
            b.score
                .abs()
                .total_cmp(&a.score.abs())
                .then_with(|| a.key.cmp(&b.key))
        });
        v
    };
    let (pos, neg) = (side(Label::Pos), side(Label::Neg));
    let (first, second) = if pos.len() >= neg.len() {
        (pos, neg)
    } else {
        (neg, pos)
    };
    let mut sides = [first.into_iter(), second.into_iter()];
    let mut turn = 0;
    while chosen.len() < MOST_NEGATIVE {
        let Some(m) = sides[turn % 2]
            .by_ref()
            .find(|m| !stories.contains(&m.story))
            .or_else(|| {
                sides[(turn + 1) % 2]
                    .by_ref()
                    .find(|m| !stories.contains(&m.story))
            })
        else {
            break;
        };
        stories.push(m.story);
        chosen.push(telling(m, carried(m.story), Telling::Strongest));
        turn += 1;
    }
    chosen
}

/// The first `n` distinct terms of `terms`: a word written twice (title and text) is shown once.
pub(crate) fn distinct_terms<'t>(
    terms: impl IntoIterator<Item = &'t TermWeight>,
    n: usize,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in terms {
        if out.len() == n {
            break;
        }
        if !out.contains(&t.term) {
            out.push(t.term.clone());
        }
    }
    out
}

fn telling(m: &AnalysedMention, sources: u32, why: Telling) -> TellingMention {
    let mut terms: Vec<_> = m.terms.iter().filter(|t| t.weight < 0.0).collect();
    terms.sort_by(|a, b| a.weight.total_cmp(&b.weight));
    let names = distinct_terms(terms, 3);
    TellingMention {
        key: m.key.clone(),
        at: Some(m.time),
        source: m.source.clone(),
        author: m.author.clone(),
        title: m.title.clone(),
        link: m.link.clone(),
        score: m.score,
        sources,
        story: Some(m.story),
        why,
        terms: names,
    }
}

fn top(names: impl Iterator<Item = String>, n: usize) -> Vec<Tally> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_default() += 1;
    }
    top_of(counts, n)
}

fn top_of(counts: BTreeMap<String, u32>, n: usize) -> Vec<Tally> {
    let mut v: Vec<Tally> = counts
        .into_iter()
        .map(|(name, count)| Tally { name, count })
        .collect();
    // Most frequent first; ties in name order, so explanations are deterministic.
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    v.truncate(n);
    v
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::detect::baseline::spread;
    use crate::detect::counts::tests::{at, mention};
    use crate::model::TermWeight;

    pub(crate) fn baseline(neg_median: f64, share: Option<f64>) -> Baseline {
        Baseline {
            profile: Profile::HourOfDay,
            samples: 14,
            negative: Level {
                median: neg_median,
                mad: 1.0,
                spread: spread(neg_median, 1.0),
                samples: 0,
            },
            total: Level {
                median: 30.0,
                mad: 3.0,
                spread: spread(30.0, 3.0),
                samples: 0,
            },
            negative_share: share,
            negative_sum: 0,
            stories_sum: 0,
        }
    }

    /// Six angry customers on two forums and one story syndicated by twenty sites, and one happy fan.
    pub(crate) fn burst() -> Vec<AnalysedMention> {
        let mut ms = Vec::new();
        for i in 0..6u64 {
            let mut m = mention(
                &format!("n{i}"),
                &format!("forum{}", i % 2),
                Some(&format!("user{i}")),
                i,
                Label::Neg,
            );
            m.score = -0.3 - 0.1 * i as f32;
            m.terms = vec![
                TermWeight {
                    term: "scandale".into(),
                    weight: -0.7,
                },
                TermWeight {
                    term: if i % 2 == 0 { "honte" } else { "arnaque" }.into(),
                    weight: -0.5,
                },
                TermWeight {
                    term: "merci".into(),
                    weight: 0.4,
                },
            ];
            ms.push(m);
        }
        for i in 0..20u64 {
            let mut m = mention(
                &format!("s{i}"),
                &format!("site{i:02}"),
                None,
                99,
                Label::Neg,
            );
            m.title = Some("Acme rappelle ses yaourts".into());
            m.score = -0.2;
            ms.push(m);
        }
        ms.push(mention("p", "forum0", Some("fan"), 500, Label::Pos));
        ms
    }

    #[test]
    fn explanation_gathers_facts() {
        let ms = burst();
        let counts = BucketCounts::aggregate(at(17, 0), &ms);
        let w = Window {
            counts: &counts,
            mentions: &ms,
        };
        let e = Explanation::new("acme", &w, at(18, 0), &baseline(1.0, Some(0.2)));
        assert_eq!(e.negative.count, 7);
        assert_eq!(e.counts.negative, 26);
        assert_eq!(e.negative.ratio, 7.0);
        assert_eq!(e.syndication.as_ref().map(|s| s.sources), Some(20));
        assert_eq!(
            e.terms[0],
            Tally {
                name: "scandale".into(),
                count: 6
            }
        );
        assert_eq!(e.terms.len(), 3, "positive terms do not drive negativity");
        // Three most negative (n5, n4, n3), then the syndicated story.
        let keys: Vec<_> = e.telling.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["n5", "n4", "n3", "s0"]);
        assert_eq!(e.telling[3].why, Telling::MostShared);
        assert_eq!(e.telling[3].sources, 20);
        assert_eq!(e.telling[0].terms, ["scandale", "arnaque"]);
        assert_eq!(
            e.top_sources[0],
            Tally {
                name: "forum0".into(),
                count: 3
            }
        );
        assert_eq!(e.top_authors.len(), 3);
        let back: Explanation = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn a_volume_surge_is_told_by_reach_then_both_sides() {
        let mut ms: Vec<_> = (0..5u64)
            .map(|i| {
                mention(
                    &format!("p{i}"),
                    "s",
                    Some(&format!("fan{i}")),
                    i,
                    Label::Pos,
                )
            })
            .collect();
        ms[2].score = 0.9;
        ms.push(mention("n0", "s", Some("grumpy"), 10, Label::Neg));
        for i in 0..3u64 {
            ms.push(mention(
                &format!("w{i}"),
                &format!("wire{i}"),
                None,
                20,
                Label::Neu,
            ));
        }
        let counts = BucketCounts::aggregate(at(17, 0), &ms);
        let w = Window {
            counts: &counts,
            mentions: &ms,
        };
        let e = Explanation::of_volume("acme", &w, at(18, 0), &baseline(1.0, Some(0.2)));
        let told: Vec<_> = e.telling.iter().map(|t| (t.key.as_str(), t.why)).collect();
        assert_eq!(
            told,
            [
                ("w0", Telling::MostShared),
                ("p2", Telling::Strongest),
                ("n0", Telling::Strongest)
            ]
        );
        assert_eq!(
            e.top_sources[0],
            Tally {
                name: "s".into(),
                count: 6
            }
        );
    }
}
