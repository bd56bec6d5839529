//! Explanations: why detection decided what it did, in data and in words for a communications team.
//!
//! In: the judged window (counts and mentions) and its [`Baseline`]. Out: an [`Explanation`] (serde, so the
//! store keeps it beside the incident event and the mail and the dashboard read the same facts) that renders
//! itself in French ([`Explanation::explain_fr`], the default) or English ([`Explanation::explain_en`]).
//! The words are facts and figures: the count and its usual level, how many times and how unusual, the
//! negative share then and usually, who said it, the most telling mentions and the terms that made them
//! negative. Numbers follow each language's conventions (`5,9` and `71 %` in French).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::baseline::{Baseline, Level, Profile};
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
    pub source: String,
    pub author: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    pub score: f32,
    /// How many sources carried the same story in the window.
    pub sources: u32,
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
}

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
    /// Of negative mentions (of all mentions when there is none).
    pub top_sources: Vec<Tally>,
    pub top_authors: Vec<Tally>,
    pub telling: Vec<TellingMention>,
    /// The terms that most often made mentions negative.
    pub terms: Vec<Tally>,
    /// The negative story carried by the most sources, when more than one carried it.
    pub syndication: Option<Syndication>,
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
            })
            .filter(|_| pool.iter().any(|m| m.label == Label::Neg));

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
        }
    }

    /// The facts in French: counts and usual level, share, syndication, who, telling mentions, terms.
    pub fn explain_fr(&self) -> String {
        self.words(Lang::Fr, Metric::Negative, true)
    }

    /// The facts in English.
    pub fn explain_en(&self) -> String {
        self.words(Lang::En, Metric::Negative, true)
    }

    /// The facts of a volume surge (a `buzz`), in French.
    pub fn explain_volume_fr(&self) -> String {
        self.words(Lang::Fr, Metric::Volume, true)
    }

    /// The facts of a volume surge, in English.
    pub fn explain_volume_en(&self) -> String {
        self.words(Lang::En, Metric::Volume, true)
    }

    /// The figures only (count against usual level, share, syndication), in French: for a timeline line or
    /// the end of an incident, where who said what is no longer the point.
    pub fn summary_fr(&self) -> String {
        self.words(Lang::Fr, Metric::Negative, false)
    }

    /// The figures only, in English.
    pub fn summary_en(&self) -> String {
        self.words(Lang::En, Metric::Negative, false)
    }

    fn words(&self, lang: Lang, metric: Metric, full: bool) -> String {
        let fr = lang == Lang::Fr;
        let mut out = String::new();
        let span = duration(self.window_end - self.window_start, lang);
        let (figures, raw, what) = match metric {
            Metric::Negative => (&self.negative, self.counts.negative, Metric::Negative),
            Metric::Volume => (&self.volume, self.counts.total, Metric::Volume),
        };
        let usual = self.usual_where(lang);
        let count_words = if raw == figures.count {
            mentions(raw, what, lang)
        } else if fr {
            format!(
                "{} ({})",
                plural(
                    figures.count,
                    if what == Metric::Negative {
                        "sujet négatif distinct"
                    } else {
                        "sujet distinct"
                    },
                    lang
                ),
                mentions(raw, what, lang)
            )
        } else {
            format!(
                "{} ({})",
                plural(
                    figures.count,
                    if what == Metric::Negative {
                        "distinct negative story"
                    } else {
                        "distinct story"
                    },
                    lang
                ),
                mentions(raw, what, lang)
            )
        };
        let n = |x: f64, d: usize| number(x, d, lang);
        if fr {
            let _ = write!(
                out,
                "{count_words} en {span}, contre {} d'habitude {usual} (×{}\u{a0}; z = {}).",
                n(figures.median, decimals(figures.median)),
                n(figures.ratio, 1),
                n(figures.z, 1)
            );
        } else {
            let _ = write!(
                out,
                "{count_words} in {span}, against a usual {} {usual} (×{}; z = {}).",
                n(figures.median, decimals(figures.median)),
                n(figures.ratio, 1),
                n(figures.z, 1)
            );
        }
        if let Some(share) = self.share {
            let now = percent(share, lang);
            match (self.usual_share, fr) {
                (Some(u), true) => {
                    let _ = write!(
                        out,
                        " Part négative\u{a0}: {now} (habituellement {}).",
                        percent(u, lang)
                    );
                }
                (Some(u), false) => {
                    let _ = write!(
                        out,
                        " Negative share: {now} (usually {}).",
                        percent(u, lang)
                    );
                }
                (None, true) => {
                    let _ = write!(out, " Part négative\u{a0}: {now}.");
                }
                (None, false) => {
                    let _ = write!(out, " Negative share: {now}.");
                }
            }
        }
        if let Some(s) = &self.syndication {
            let title = s
                .title
                .as_deref()
                .map(|t| quote(t, lang))
                .unwrap_or_default();
            if fr {
                let _ = write!(
                    out,
                    " Un même article repris par {} sources ne compte que pour un sujet{}{title}.",
                    s.sources,
                    if title.is_empty() { "" } else { "\u{a0}: " }
                );
            } else {
                let _ = write!(
                    out,
                    " One article carried by {} sources counts as a single story{}{title}.",
                    s.sources,
                    if title.is_empty() { "" } else { ": " }
                );
            }
        }
        if !full {
            return out;
        }
        let colon = if fr { "\u{a0}: " } else { ": " };
        if !self.top_sources.is_empty() {
            let label = if fr {
                "Sources principales"
            } else {
                "Top sources"
            };
            let _ = write!(out, "\n{label}{colon}{}.", tallies(&self.top_sources));
        }
        let voices = match metric {
            Metric::Negative => self.counts.negative_authors,
            Metric::Volume => self.counts.authors,
        };
        if voices > 0 {
            let _ = write!(
                out,
                "\n{}",
                plural(
                    voices,
                    if fr {
                        "auteur distinct"
                    } else {
                        "distinct author"
                    },
                    lang
                )
            );
            // Authors are worth naming when some spoke more than once.
            let loud: Vec<Tally> = self
                .top_authors
                .iter()
                .filter(|t| t.count > 1)
                .cloned()
                .collect();
            if !loud.is_empty() {
                let label = if fr {
                    "\u{a0}; les plus actifs"
                } else {
                    "; most active"
                };
                let _ = write!(out, "{label}{colon}{}", tallies(&loud));
            }
            out.push('.');
        }
        if !self.telling.is_empty() {
            let label = if fr {
                "Mentions marquantes"
            } else {
                "Telling mentions"
            };
            let _ = write!(out, "\n{label}{}", if fr { "\u{a0}:" } else { ":" });
            for t in &self.telling {
                let _ = write!(out, "\n- {}", telling_line(t, lang));
            }
        }
        if !self.terms.is_empty() {
            let label = if fr {
                "Termes dominants"
            } else {
                "Driving terms"
            };
            let _ = write!(out, "\n{label}{colon}{}.", tallies(&self.terms));
        }
        out
    }

    fn usual_where(&self, lang: Lang) -> String {
        match (self.profile, lang) {
            (Profile::AllHours, Lang::Fr) => "toutes heures confondues".into(),
            (Profile::AllHours, Lang::En) => "across all hours".into(),
            (Profile::HourOfDay, Lang::Fr) => "à cette heure".into(),
            (Profile::HourOfDay, Lang::En) => "at this hour".into(),
            (Profile::HourOfWeek, Lang::Fr) => format!(
                "le {} à cette heure",
                weekday_fr(self.window_start.weekday())
            ),
            (Profile::HourOfWeek, Lang::En) => {
                format!("on {}s at this hour", self.window_start.weekday_en())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Fr,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Negative,
    Volume,
}

trait WeekdayEn {
    fn weekday_en(&self) -> &'static str;
}

impl WeekdayEn for DateTime<Utc> {
    fn weekday_en(&self) -> &'static str {
        match self.weekday() {
            Weekday::Mon => "Monday",
            Weekday::Tue => "Tuesday",
            Weekday::Wed => "Wednesday",
            Weekday::Thu => "Thursday",
            Weekday::Fri => "Friday",
            Weekday::Sat => "Saturday",
            Weekday::Sun => "Sunday",
        }
    }
}

fn weekday_fr(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "lundi",
        Weekday::Tue => "mardi",
        Weekday::Wed => "mercredi",
        Weekday::Thu => "jeudi",
        Weekday::Fri => "vendredi",
        Weekday::Sat => "samedi",
        Weekday::Sun => "dimanche",
    }
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
        source: m.source.clone(),
        author: m.author.clone(),
        title: m.title.clone(),
        link: m.link.clone(),
        score: m.score,
        sources,
        why,
        terms: names,
    }
}

fn telling_line(t: &TellingMention, lang: Lang) -> String {
    let fr = lang == Lang::Fr;
    let mut line = quote(t.title.as_deref().unwrap_or(&t.key), lang);
    let _ = write!(line, " — {}", t.source);
    if let Some(a) = &t.author {
        let _ = write!(line, ", {a}");
    }
    let _ = write!(
        line,
        "{} score {}",
        if fr { "\u{a0};" } else { ";" },
        number(f64::from(t.score), 2, lang)
    );
    if t.sources > 1 {
        if fr {
            let _ = write!(line, "\u{a0}; repris par {} sources", t.sources);
        } else {
            let _ = write!(line, "; carried by {} sources", t.sources);
        }
    }
    if !t.terms.is_empty() {
        let _ = write!(
            line,
            "{} {}",
            if fr {
                "\u{a0}; termes\u{a0}:"
            } else {
                "; terms:"
            },
            t.terms.join(", ")
        );
    }
    if let Some(l) = &t.link {
        let _ = write!(line, " <{l}>");
    }
    line
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

fn tallies(t: &[Tally]) -> String {
    t.iter()
        .map(|t| format!("{} ({})", t.name, t.count))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mentions(n: u32, metric: Metric, lang: Lang) -> String {
    match (metric, lang) {
        (Metric::Negative, Lang::Fr) => plural(n, "mention négative", lang),
        (Metric::Negative, Lang::En) => plural(n, "negative mention", lang),
        (Metric::Volume, _) => plural(n, "mention", lang),
    }
}

/// `n` and a noun phrase in the singular, put in the plural when `n` calls for it (French from two,
/// English for all but one).
pub(crate) fn plural(n: u32, phrase: &str, lang: Lang) -> String {
    let many = match lang {
        Lang::Fr => n >= 2,
        Lang::En => n != 1,
    };
    let words = match (many, lang) {
        (false, _) => phrase.to_owned(),
        // French adjectives agree with their noun: every word takes the mark.
        (true, Lang::Fr) => phrase
            .split(' ')
            .map(|w| format!("{w}s"))
            .collect::<Vec<_>>()
            .join(" "),
        // English marks the noun, the last word, only.
        (true, Lang::En) => match phrase.strip_suffix('y') {
            Some(stem) => format!("{stem}ies"),
            None => format!("{phrase}s"),
        },
    };
    format!("{} {words}", integer(u64::from(n), lang))
}

pub(crate) fn quote(s: &str, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("«\u{a0}{s}\u{a0}»"),
        Lang::En => format!("“{s}”"),
    }
}

/// One decimal unless the number is whole.
fn decimals(x: f64) -> usize {
    if x.fract() == 0.0 { 0 } else { 1 }
}

/// A number in French (`1 234,5`, narrow no-break space between thousands) or English (`1,234.5`).
pub(crate) fn number(x: f64, decimals: usize, lang: Lang) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), ""), |(i, f)| (i, f));
    let negative = x < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let sep = match lang {
        Lang::Fr => "\u{202f}",
        Lang::En => ",",
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group(int, sep));
    if !frac.is_empty() {
        out.push(if lang == Lang::Fr { ',' } else { '.' });
        out.push_str(frac);
    }
    out
}

/// A whole number with thousands grouped.
pub(crate) fn integer(n: u64, lang: Lang) -> String {
    number(n as f64, 0, lang)
}

fn group(digits: &str, sep: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// A share as a whole percentage: `71 %` (no-break space) in French, `71%` in English.
pub(crate) fn percent(share: f64, lang: Lang) -> String {
    let p = number((share * 100.0).round(), 0, lang);
    match lang {
        Lang::Fr => format!("{p}\u{a0}%"),
        Lang::En => format!("{p}%"),
    }
}

/// A length of time as people say it: `1 j 4 h`, `6 h`, `2 h 30`, `45 min` (English `1 d 4 h`, `2 h 30 min`).
pub(crate) fn duration(d: TimeDelta, lang: Lang) -> String {
    let total = d.num_minutes().max(0);
    let (days, hours, minutes) = (total / 1440, total % 1440 / 60, total % 60);
    let day = if lang == Lang::Fr { "j" } else { "d" };
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days} {day}"));
    }
    if hours > 0 {
        parts.push(format!("{hours} h"));
    }
    if minutes > 0 {
        if lang == Lang::Fr && hours > 0 && days == 0 {
            parts.push(format!("{minutes:02}"));
        } else {
            parts.push(format!("{minutes} min"));
        }
    }
    if parts.is_empty() {
        parts.push("0 min".into());
    }
    parts.join(" ")
}

/// A moment: `22/11 à 17:00 UTC` in French, `22 Nov 17:00 UTC` in English.
pub(crate) fn moment(t: DateTime<Utc>, lang: Lang) -> String {
    match lang {
        Lang::Fr => t.format("%d/%m à %H:%M UTC").to_string(),
        Lang::En => t.format("%d %b %H:%M UTC").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::baseline::spread;
    use crate::detect::counts::tests::{at, mention};
    use crate::model::TermWeight;

    #[test]
    fn french_numbers() {
        assert_eq!(number(5.94, 1, Lang::Fr), "5,9");
        assert_eq!(number(1234.5, 1, Lang::Fr), "1\u{202f}234,5");
        assert_eq!(number(1_234_567.0, 0, Lang::Fr), "1\u{202f}234\u{202f}567");
        assert_eq!(number(-0.82, 2, Lang::Fr), "-0,82");
        assert_eq!(
            number(-0.001, 1, Lang::Fr),
            "0,0",
            "no minus on a rounded zero"
        );
        assert_eq!(number(999.0, 0, Lang::Fr), "999");
        assert_eq!(integer(47, Lang::Fr), "47");
        assert_eq!(percent(0.714, Lang::Fr), "71\u{a0}%");
        assert_eq!(percent(0.2249, Lang::Fr), "22\u{a0}%");
    }

    #[test]
    fn english_numbers() {
        assert_eq!(number(5.94, 1, Lang::En), "5.9");
        assert_eq!(number(1234.5, 1, Lang::En), "1,234.5");
        assert_eq!(percent(0.714, Lang::En), "71%");
    }

    #[test]
    fn durations_and_plurals() {
        assert_eq!(duration(TimeDelta::hours(1), Lang::Fr), "1 h");
        assert_eq!(duration(TimeDelta::hours(28), Lang::Fr), "1 j 4 h");
        assert_eq!(duration(TimeDelta::minutes(150), Lang::Fr), "2 h 30");
        assert_eq!(duration(TimeDelta::minutes(150), Lang::En), "2 h 30 min");
        assert_eq!(duration(TimeDelta::minutes(45), Lang::Fr), "45 min");
        assert_eq!(duration(TimeDelta::zero(), Lang::En), "0 min");
        assert_eq!(
            plural(1, "mention négative", Lang::Fr),
            "1 mention négative"
        );
        assert_eq!(
            plural(0, "mention négative", Lang::Fr),
            "0 mention négative"
        );
        assert_eq!(
            plural(3, "mention négative", Lang::Fr),
            "3 mentions négatives"
        );
        assert_eq!(
            plural(0, "negative mention", Lang::En),
            "0 negative mentions"
        );
        assert_eq!(
            plural(7, "distinct negative story", Lang::En),
            "7 distinct negative stories"
        );
        assert_eq!(
            plural(2, "sujet négatif distinct", Lang::Fr),
            "2 sujets négatifs distincts"
        );
        assert_eq!(moment(at(17, 0), Lang::Fr), "02/03 à 17:00 UTC");
    }

    fn baseline(neg_median: f64, share: Option<f64>) -> Baseline {
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
        }
    }

    fn burst() -> Vec<AnalysedMention> {
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
    fn french_words_state_the_facts() {
        let ms = burst();
        let counts = BucketCounts::aggregate(at(17, 0), &ms);
        let w = Window {
            counts: &counts,
            mentions: &ms,
        };
        let e = Explanation::new("acme", &w, at(18, 0), &baseline(1.0, Some(0.2)));
        let fr = e.explain_fr();
        assert!(
            fr.starts_with(
                "7 sujets négatifs distincts (26 mentions négatives) en 1 h, contre 1 d'habitude à cette heure (×7,0\u{a0}; z = 3,1)."
            ),
            "{fr}"
        );
        assert!(
            fr.contains("Part négative\u{a0}: 88\u{a0}% (habituellement 20\u{a0}%)."),
            "{fr}"
        );
        assert!(
            fr.contains("Un même article repris par 20 sources ne compte que pour un sujet"),
            "{fr}"
        );
        assert!(
            fr.contains("Termes dominants\u{a0}: scandale (6), arnaque (3), honte (3)."),
            "{fr}"
        );
        assert!(
            fr.contains("«\u{a0}Acme rappelle ses yaourts\u{a0}»"),
            "{fr}"
        );
        assert!(fr.contains("\n26 auteurs distincts.\n"), "{fr}");
        assert!(fr.contains("\nMentions marquantes\u{a0}:\n- «\u{a0}title n5\u{a0}» — forum1, user5\u{a0}; score -0,80\u{a0}; termes\u{a0}: scandale, arnaque\n"), "{fr}");
        assert!(!e.summary_fr().contains('\n'));
        assert!(e.explain_fr().starts_with(&e.summary_fr()));
        let en = e.explain_en();
        assert!(en.starts_with("7 distinct negative stories (26 negative mentions) in 1 h, against a usual 1 at this hour (×7.0; z = 3.1)."), "{en}");
        assert!(
            en.contains("One article carried by 20 sources counts as a single story"),
            "{en}"
        );
    }

    #[test]
    fn plain_counts_read_plainly() {
        let ms: Vec<_> = (0..47u64)
            .map(|i| mention(&format!("m{i}"), "s", Some(&format!("u{i}")), i, Label::Neg))
            .collect();
        let counts = BucketCounts::aggregate(at(17, 0), &ms);
        let w = Window {
            counts: &counts,
            mentions: &ms,
        };
        let mut b = baseline(8.0, Some(0.22));
        b.negative.spread = 6.3;
        let e = Explanation::new("acme", &w, at(18, 0), &b);
        assert!(e.explain_fr().starts_with(
            "47 mentions négatives en 1 h, contre 8 d'habitude à cette heure (×5,9\u{a0}; z = 6,2)."
        ));
        assert!(e.syndication.is_none());
    }

    #[test]
    fn authors_who_spoke_more_than_once_are_named() {
        let mut ms: Vec<_> = (0..6u64)
            .map(|i| mention(&format!("m{i}"), "s", Some(&format!("u{i}")), i, Label::Neg))
            .collect();
        for i in 6..9u64 {
            ms.push(mention(&format!("m{i}"), "s", Some("loud"), i, Label::Neg));
        }
        let counts = BucketCounts::aggregate(at(17, 0), &ms);
        let w = Window {
            counts: &counts,
            mentions: &ms,
        };
        let e = Explanation::new("acme", &w, at(18, 0), &baseline(1.0, None));
        let fr = e.explain_fr();
        assert!(
            fr.contains("\n7 auteurs distincts\u{a0}; les plus actifs\u{a0}: loud · s (3).\n"),
            "{fr}"
        );
        assert!(
            e.explain_en()
                .contains("\n7 distinct authors; most active: loud · s (3).\n")
        );
        assert!(
            fr.contains("Part négative\u{a0}: 100\u{a0}%."),
            "no usual share to compare with: {fr}"
        );
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
        let words = e.explain_volume_fr();
        assert!(
            words.starts_with(
                "7 sujets distincts (9 mentions) en 1 h, contre 30 d'habitude à cette heure"
            ),
            "{words}"
        );
    }

    proptest::proptest! {
        /// A French number reads back as the English one: only the separators differ.
        #[test]
        fn french_and_english_numbers_agree(x in -1.0e9f64..1.0e9, d in 0usize..3) {
            let fr = number(x, d, Lang::Fr).replace('\u{202f}', "").replace(',', ".");
            let en = number(x, d, Lang::En).replace(',', "");
            proptest::prop_assert_eq!(&fr, &en);
            let back: f64 = en.parse().unwrap();
            proptest::prop_assert!((back - x).abs() <= 0.5 * 10f64.powi(-(d as i32)) + 1e-6);
        }
    }
}
