//! The detection stage of the running pipeline: one [`WatchFeed`] per watch, fed with the mentions the
//! writer stores, its decisions written in the same transaction.
//!
//! In: the watches of the rule files, the new mentions of a write (with their row ids and analysis), the
//! clock (the poll's time in the daemon, the mentions' own times in `veille replay`), the silences in force.
//! Out: incidents, their timeline and alerts ([`crate::store::incidents`]), each watch's state and closed
//! buckets, and an outbox row for every decision to be mailed — all in the transaction that stores the
//! mentions, so after a crash either all of it is there or none of it.
//!
//! The decisions themselves are [`crate::detect`]'s; this module only drives it and turns its decisions into
//! rows and notifications. After a restart, [`Detector::load`] rebuilds every feed from the stored state and
//! buckets and feeds the bucket in progress its stored mentions again; decisions are recorded under unique
//! keys, so nothing is recorded or mailed twice.
//!
//! Before detection sees a new mention, its story is looked up among the stories of the last two days
//! ([`crate::analysis::story`], one index for the whole store): a rewritten copy of an article joins the
//! article's story, and that story is stored with the mention in the same transaction. [`Detector::load`]
//! rebuilds the index from the mentions stored in the last two days, so a copy that arrives after a
//! restart joins the story it copies, as it would have before.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::Transaction;

use crate::analysis::story::{self, StoryIndex};
use crate::detect::{
    AnalysedMention, BucketCounts, CriticalMention, Decision, EventKind, Silence, SilenceTarget,
    Suppression, WatchFeed, WatchState, history_span,
};
use crate::i18n::words::{self, Metric};
use crate::i18n::{Locale, Voice};
use crate::model::{
    Analysis, DetectionSpec, Headline, Mention, Notification, NotificationKind, NotifiedMention,
    Severity, WatchSettings, WatchSpec,
};
use crate::store::incidents::{self, DecisionRecord, SilenceRow};
use crate::store::{NewRow, Store, outbox};

/// The detection part of a rule set.
pub fn spec_of(rules: &crate::analysis::rules::RuleSet) -> DetectionSpec {
    DetectionSpec {
        watches: rules
            .watches()
            .iter()
            .map(|w| WatchSpec {
                id: w.id.clone(),
                name: w.name.clone(),
                settings: w.detection.clone(),
            })
            .collect(),
        count_only_rules: rules
            .rules()
            .iter()
            .filter(|r| r.action == crate::analysis::rules::Action::Count)
            .map(|r| r.id.clone())
            .collect(),
    }
}

/// Prefix of the feeds that carry the critical mentions of rules that count towards no watch.
const RULE_FEED: &str = "rule:";

/// The detection stage.
pub struct Detector {
    spec: DetectionSpec,
    feeds: HashMap<String, WatchFeed>,
    /// Start of the newest bucket written to the store, per watch.
    persisted: HashMap<String, DateTime<Utc>>,
    /// The stories of the last two days, for every watch: a rewritten copy joins the story it copies.
    stories: StoryIndex,
}

/// The silences as detection reads them.
pub(crate) fn to_silences(rows: &[SilenceRow]) -> Vec<Silence> {
    rows.iter()
        .map(|r| Silence {
            target: match r.target_kind.as_str() {
                "rule" => SilenceTarget::Rule(r.target.clone()),
                "source" => SilenceTarget::Source(r.target.clone()),
                _ => SilenceTarget::Watch(r.target.clone()),
            },
            until: r.until,
            reason: r.reason.clone(),
        })
        .collect()
}

impl Detector {
    /// Rebuilds detection from the store: every watch's saved state, its closed buckets, and the stored
    /// mentions of its bucket in progress.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load(
        store: &Store,
        spec: DetectionSpec,
        now: DateTime<Utc>,
    ) -> crate::store::Result<Detector> {
        let recent = store.recent_stories(now - StoryIndex::WINDOW)?;
        let mut detector = Detector {
            spec: DetectionSpec::default(),
            feeds: HashMap::new(),
            persisted: HashMap::new(),
            // As many stories again as the last window held: the table then seldom grows.
            stories: StoryIndex::with_capacity(2 * recent.len()),
        };
        for r in recent {
            if let Some(sig) = story::signature(r.title.as_deref(), &r.text) {
                detector.stories.remember(r.story, &sig, r.arrived);
            }
        }
        detector.apply_spec(store, spec, now)?;
        Ok(detector)
    }

    /// Takes new watches (after a reload): feeds of kept watches go on, new ones are built from the store,
    /// removed ones are dropped.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn apply_spec(
        &mut self,
        store: &Store,
        spec: DetectionSpec,
        now: DateTime<Utc>,
    ) -> crate::store::Result<()> {
        let silences = to_silences(&store.silences(now)?);
        let mut feeds = HashMap::new();
        for w in &spec.watches {
            let kept = self
                .feeds
                .remove(&w.id)
                .filter(|f| f.settings() == &w.settings);
            let feed = match kept {
                Some(f) => f,
                None => self.rebuild(store, &w.id, &w.settings, now, &silences)?,
            };
            feeds.insert(w.id.clone(), feed);
        }
        // Feeds of rules without a watch go on, or are rebuilt from their saved state: a restart must not
        // forget a rule's open incident (its next critical mention would open another and be told again).
        for (id, feed) in self.feeds.drain() {
            if id.starts_with(RULE_FEED) {
                feeds.insert(id, feed);
            }
        }
        for id in store.watch_states_with_prefix(RULE_FEED)? {
            if let std::collections::hash_map::Entry::Vacant(slot) = feeds.entry(id) {
                let feed =
                    self.rebuild(store, slot.key(), &WatchSettings::default(), now, &silences)?;
                slot.insert(feed);
            }
        }
        self.feeds = feeds;
        self.spec = spec;
        Ok(())
    }

    fn rebuild(
        &mut self,
        store: &Store,
        watch: &str,
        settings: &WatchSettings,
        now: DateTime<Utc>,
        silences: &[Silence],
    ) -> crate::store::Result<WatchFeed> {
        let state: WatchState = store
            .watch_state(watch)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let since = now - history_span(settings);
        let history: Vec<BucketCounts> = store
            .watch_buckets(watch, since)?
            .iter()
            .filter_map(|c| serde_json::from_str(c).ok())
            .collect();
        let last = history.iter().map(|b| b.start).max();
        if let Some(last) = last {
            self.persisted.insert(watch.to_owned(), last);
        }
        let mut feed = WatchFeed::new(watch, settings.clone(), state, history);
        // The bucket in progress: its mentions are stored, its counts not yet.
        let open_from = last.map_or(since, |l| {
            l + crate::detect::counts::bucket_delta(settings.bucket)
        });
        let keys = store.watch_mention_keys(watch, open_from)?;
        for (_, mention, analysis) in store.mentions_with_analysis(&keys)? {
            let am = self.analysed(&mention, &analysis);
            // These decisions were recorded with the mention, before the restart, and the saved state
            // already counts it in its rule's incident.
            let _ = feed.recount(am, now.min(mention.time().max(open_from)), silences);
        }
        Ok(feed)
    }

    fn analysed(&self, mention: &Mention, analysis: &Analysis) -> AnalysedMention {
        let mut am = AnalysedMention::new(mention, analysis);
        am.matches
            .retain(|m| !self.spec.count_only_rules.contains(&m.rule));
        am
    }

    fn brand(&self, watch: &str) -> String {
        self.spec
            .watches
            .iter()
            .find(|w| w.id == watch)
            .map_or_else(
                || watch.trim_start_matches(RULE_FEED).to_owned(),
                |w| w.name.clone(),
            )
    }

    /// The French and the English voice of a watch's words, on the watch's clock: the stored copies of a
    /// decision's words are for `--json` readers; the faces say the decision again from its facts.
    fn voices(&self, watch: &str) -> [Voice; 2] {
        let tz = self
            .spec
            .watches
            .iter()
            .find(|w| w.id == watch)
            .map_or(crate::i18n::DEFAULT_TZ, |w| w.settings.timezone.0);
        [Voice::new(Locale::Fr, tz), Voice::new(Locale::En, tz)]
    }

    fn feed(&mut self, watch: &str) -> &mut WatchFeed {
        self.feeds.entry(watch.to_owned()).or_insert_with(|| {
            // A critical rule that counts towards no watch: its mentions still alert, on a feed of its own.
            WatchFeed::new(
                watch,
                WatchSettings::default(),
                WatchState::default(),
                Vec::new(),
            )
        })
    }

    /// Feeds the mentions just stored, then judges the buckets in progress of the watches they touched.
    ///
    /// # Errors
    /// On SQLite failure; the caller must then roll back and [`Detector::load`] again.
    pub fn on_mentions(
        &mut self,
        tx: &Transaction<'_>,
        new: &[NewRow<'_>],
        silences: &[SilenceRow],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        let silences = to_silences(silences);
        let mut order: Vec<&NewRow<'_>> = new.iter().collect();
        order.sort_by_key(|n| (n.mention.time(), n.row));
        let mut touched: Vec<String> = Vec::new();
        // The mentions of this write by key: an email shows them, built only when one is queued.
        let mut shown: HashMap<String, &NewRow<'_>> = HashMap::new();
        for n in order {
            let mut am = self.analysed(n.mention, n.analysis);
            if let Some(sig) = &n.analysis.near {
                let story = self.stories.assign_signature(am.story, sig, now);
                if story != am.story {
                    incidents::set_mention_story(tx, n.row, story)?;
                    am.story = story;
                }
            }
            let mut watches: Vec<String> = n.analysis.watches.clone();
            incidents::add_mention_watches(tx, n.row, n.mention.time(), &watches)?;
            if watches.is_empty() && !am.critical_rules().is_empty() {
                watches = am
                    .critical_rules()
                    .iter()
                    .map(|r| format!("{RULE_FEED}{r}"))
                    .collect();
            }
            shown.insert(am.key.clone(), n);
            for w in watches {
                let decisions = self.feed(&w).mention(am.clone(), now, &silences);
                self.record_all(tx, &decisions, &shown, now)?;
                if !touched.contains(&w) {
                    touched.push(w);
                }
            }
        }
        for w in touched {
            let decisions = self.feed(&w).check(now, &silences);
            self.record_all(tx, &decisions, &shown, now)?;
            self.persist(tx, &w, now)?;
        }
        Ok(())
    }

    /// Moves every watch's time to `now`: closed buckets are judged (calm, resolution) and stored.
    ///
    /// # Errors
    /// On SQLite failure; the caller must then roll back and [`Detector::load`] again.
    pub fn tick(
        &mut self,
        tx: &Transaction<'_>,
        silences: &[SilenceRow],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        let silences = to_silences(silences);
        let watches: Vec<String> = self.feeds.keys().cloned().collect();
        for w in watches {
            let decisions = self.feed(&w).tick(now, &silences);
            self.record_all(tx, &decisions, &HashMap::new(), now)?;
            self.persist(tx, &w, now)?;
        }
        Ok(())
    }

    fn persist(
        &mut self,
        tx: &Transaction<'_>,
        watch: &str,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        let Some(feed) = self.feeds.get_mut(watch) else {
            return Ok(());
        };
        let after = self.persisted.get(watch).copied();
        // Old news filled buckets already stored: write them again.
        for b in feed
            .take_refilled()
            .iter()
            .filter(|b| after.is_some_and(|a| b.start <= a))
        {
            let json = serde_json::to_string(b).unwrap_or_default();
            incidents::put_bucket(tx, watch, b.start, &json)?;
        }
        for b in feed
            .history()
            .iter()
            .filter(|b| after.is_none_or(|a| b.start > a))
        {
            let json = serde_json::to_string(b).unwrap_or_default();
            incidents::put_bucket(tx, watch, b.start, &json)?;
        }
        if let Some(last) = feed.history().last() {
            self.persisted.insert(watch.to_owned(), last.start);
        }
        let state = serde_json::to_string(feed.state()).unwrap_or_default();
        incidents::put_watch_state(tx, watch, &state, now)
    }

    fn record_all(
        &self,
        tx: &Transaction<'_>,
        decisions: &[Decision],
        shown: &HashMap<String, &NewRow<'_>>,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        for d in decisions {
            let mut d = d.clone();
            d.name_watch(&self.brand(d.watch()));
            let d = &d;
            let record = self.record_of(d);
            if let Some(incident) = incidents::record(tx, &record)? {
                if d.notify() {
                    let n = self.notification(d, incident, shown);
                    outbox::enqueue_in(tx, &n, now)?;
                }
                tracing::info!(
                    incident,
                    watch = record.watch.as_deref().unwrap_or(""),
                    event = record.event,
                    severity = %record.severity,
                    notify = d.notify(),
                    "Detection decided."
                );
            }
        }
        Ok(())
    }

    fn record_of(&self, d: &Decision) -> DecisionRecord {
        let detail = serde_json::to_string(d).unwrap_or_default();
        let [fr, en] = self.voices(d.watch());
        let (text_fr, text_en) = (words::decision(&fr, d), words::decision(&en, d));
        let summary = |v: &Voice, x: &crate::detect::Explanation, metric| {
            words::explanation(v, x, metric, false)
        };
        match d {
            Decision::Incident(e) => {
                let silenced = matches!(e.suppressed, Some(Suppression::Silenced { .. }));
                // The incident keeps the explanation of its opening and of its peak window, not of later
                // quieter windows (a resolution's window is the calm one).
                let surge = e.explanation.as_ref().filter(|x| {
                    e.kind == EventKind::Opened
                        || (matches!(e.kind, EventKind::Escalated | EventKind::Updated)
                            && x.negative.count >= e.peak)
                });
                DecisionRecord {
                    key: d.key(),
                    incident_key: e.incident.0.clone(),
                    incident_kind: if e.rule.is_some() {
                        "critical_mention"
                    } else if e.trend.is_some() {
                        "trend"
                    } else {
                        "bad_buzz"
                    },
                    // More critical mentions of a rule's incident read as such, not as a new peak.
                    event: if e.more.is_some() {
                        "more_critical"
                    } else {
                        e.kind.as_str()
                    },
                    alert: matches!(e.kind, EventKind::Opened | EventKind::Escalated),
                    watch: Some(e.watch.clone()).filter(|w| !w.starts_with(RULE_FEED)),
                    rule: e.rule.clone(),
                    severity: e.severity,
                    at: e.at,
                    opened: e.opened,
                    resolved: (e.kind == EventKind::Resolved).then_some(e.at),
                    notify: e.notify,
                    silenced,
                    peak: Some(e.peak),
                    peak_at: Some(e.peak_at),
                    mentions: Some(e.mentions),
                    baseline: surge.map(|x| x.negative.median),
                    explanation: surge.and_then(|x| serde_json::to_string(x).ok()),
                    summary_fr: surge
                        .map(|x| summary(&fr, x, Metric::Negative))
                        .or_else(|| trend_opened(e).map(|t| words::trend_figures(&fr, t))),
                    summary_en: surge
                        .map(|x| summary(&en, x, Metric::Negative))
                        .or_else(|| trend_opened(e).map(|t| words::trend_figures(&en, t))),
                    text_fr,
                    text_en,
                    detail,
                    mention: None,
                    source: None,
                }
            }
            Decision::Source(e) => super::blind::record_of(d, e, &[fr, en]),
            Decision::CriticalMention(c) => DecisionRecord {
                key: d.key(),
                incident_key: c.attach_to.0.clone(),
                incident_kind: "critical_mention",
                event: "critical_mention",
                alert: true,
                watch: Some(c.watch.clone()).filter(|w| !w.starts_with(RULE_FEED)),
                rule: Some(c.rule.clone()),
                severity: Severity::Critical,
                at: c.at,
                opened: c.at,
                resolved: None,
                notify: c.notify,
                silenced: matches!(c.suppressed, Some(Suppression::Silenced { .. })),
                peak: None,
                peak_at: None,
                mentions: None,
                baseline: None,
                explanation: None,
                summary_fr: None,
                summary_en: None,
                text_fr,
                text_en,
                detail,
                mention: Some(c.mention.clone()),
                source: None,
            },
            Decision::Buzz(b) => DecisionRecord {
                key: d.key(),
                incident_key: d.key(),
                incident_kind: "buzz",
                event: "buzz",
                alert: true,
                watch: Some(b.watch.clone()),
                rule: None,
                severity: Severity::Info,
                at: b.at,
                opened: b.explanation.window_start,
                resolved: Some(
                    b.explanation
                        .window_end
                        .min(b.at.max(b.explanation.window_start)),
                ),
                notify: b.notify,
                silenced: matches!(b.suppressed, Some(Suppression::Silenced { .. })),
                peak: Some(b.explanation.volume.count),
                peak_at: Some(b.explanation.window_start),
                mentions: Some(b.explanation.counts.total),
                baseline: Some(b.explanation.volume.median),
                explanation: serde_json::to_string(&b.explanation).ok(),
                // A buzz is about volume, not negativity: its summary is the volume's first line.
                summary_fr: Some(summary(&fr, &b.explanation, Metric::Volume)),
                summary_en: Some(summary(&en, &b.explanation, Metric::Volume)),
                text_fr,
                text_en,
                detail,
                mention: None,
                source: None,
            },
        }
    }

    fn notification(
        &self,
        d: &Decision,
        incident: i64,
        shown: &HashMap<String, &NewRow<'_>>,
    ) -> Notification {
        let (kind, watch, at) = match d {
            Decision::Incident(e) => (
                match e.kind {
                    // More critical mentions of a rule's incident: told as critical mentions, counted.
                    _ if e.more.is_some() => NotificationKind::CriticalMention,
                    EventKind::Resolved => NotificationKind::IncidentResolved,
                    EventKind::Escalated | EventKind::Updated => {
                        NotificationKind::IncidentEscalated
                    }
                    _ => NotificationKind::IncidentOpened,
                },
                e.watch.clone(),
                e.at,
            ),
            Decision::CriticalMention(c) => {
                (NotificationKind::CriticalMention, c.watch.clone(), c.at)
            }
            Decision::Buzz(b) => (NotificationKind::IncidentOpened, b.watch.clone(), b.at),
            Decision::Source(e) => {
                return super::blind::notification(d, e, incident, &self.voices(d.watch()));
            }
        };
        let mut n = Notification::new(kind, d.severity(), self.brand(&watch), at);
        n.incident = Some(incident);
        n.watch = Some(watch).filter(|w| !w.starts_with(RULE_FEED));
        // What happened, in one sentence: the figures and mentions follow in their own sections.
        let [fr, en] = self.voices(d.watch());
        n.explanation_fr = Some(words::headline(&fr, d));
        n.explanation_en = Some(words::headline(&en, d));
        n.decision = serde_json::to_value(d).ok();
        n.key = Some(d.key());
        let explanation = match d {
            Decision::Incident(e) => {
                n.rule.clone_from(&e.rule);
                n.silenced = matches!(e.suppressed, Some(Suppression::Silenced { .. }));
                if e.kind == EventKind::Resolved {
                    n.headline.duration_secs = e.duration_secs.map(|s| s.max(0) as u64);
                    n.headline.peak = Some(e.peak);
                }
                if let Some(more) = &e.more {
                    // How many came since the last message, and a few of them.
                    n.headline.count = Some(more.count);
                    n.headline.window_start = Some(more.since);
                    n.headline.window_end = Some(e.at);
                    for c in &more.samples {
                        n.terms.extend(
                            c.matched
                                .iter()
                                .filter(|t| !n.terms.contains(t))
                                .cloned()
                                .collect::<Vec<_>>(),
                        );
                        n.mentions.push(shown_critical(c, shown));
                    }
                }
                e.explanation.as_ref()
            }
            Decision::Buzz(b) => Some(&b.explanation),
            Decision::Source(_) => None,
            Decision::CriticalMention(c) => {
                n.rule = Some(c.rule.clone());
                n.silenced = matches!(c.suppressed, Some(Suppression::Silenced { .. }));
                n.terms.clone_from(&c.matched);
                n.mentions.push(shown_critical(c, shown));
                None
            }
        };
        if let Some(x) = explanation {
            let bucket = x.window_end - x.window_start;
            n.headline = Headline {
                count: Some(x.negative.count),
                window: Some(window_words(bucket)),
                window_start: Some(x.window_start),
                window_end: Some(x.window_end),
                profile: serde_json::to_value(x.profile)
                    .ok()
                    .and_then(|p| p.as_str().map(str::to_owned)),
                baseline: Some(x.negative.median),
                ratio: Some(x.negative.ratio),
                z: Some(x.negative.z),
                negative_share: x.share,
                usual_negative_share: x.usual_share,
                sources: Some(x.counts.sources),
                ..n.headline
            };
            if matches!(d, Decision::Buzz(_)) {
                n.headline.count = Some(x.volume.count);
                n.headline.baseline = Some(x.volume.median);
                n.headline.ratio = Some(x.volume.ratio);
                n.headline.z = Some(x.volume.z);
            }
            n.terms = x.terms.iter().map(|t| t.name.clone()).collect();
            for t in &x.telling {
                let mut shown = shown
                    .get(&t.key)
                    .map(|row| NotifiedMention::of(row.mention, row.analysis))
                    .unwrap_or_else(|| NotifiedMention {
                        source: t.source.clone(),
                        time: t.at,
                        title: t.title.clone(),
                        excerpt: String::new(),
                        score: Some(t.score),
                        label: None,
                        link: t.link.clone(),
                        terms: t.terms.clone(),
                    });
                if shown.terms.is_empty() {
                    shown.terms.clone_from(&t.terms);
                }
                n.mentions.push(shown);
            }
        }
        n
    }
}

/// A critical mention as a notification shows it: from the row just written when it is in this write,
/// else from the facts detection kept.
fn shown_critical(c: &CriticalMention, shown: &HashMap<String, &NewRow<'_>>) -> NotifiedMention {
    shown
        .get(&c.mention)
        .map(|row| NotifiedMention::of(row.mention, row.analysis))
        .unwrap_or_else(|| NotifiedMention {
            source: c.source.clone(),
            time: Some(c.at),
            title: c.title.clone(),
            excerpt: String::new(),
            score: Some(c.score),
            label: None,
            link: c.link.clone(),
            terms: c.matched.clone(),
        })
}

/// The facts of a trend incident's opening: what its summary says.
fn trend_opened(e: &crate::detect::IncidentEvent) -> Option<&crate::detect::TrendFacts> {
    e.trend.as_deref().filter(|_| e.kind == EventKind::Opened)
}

/// "1 h", "30 min": a window as people say it.
fn window_words(d: chrono::TimeDelta) -> String {
    let mins = d.num_minutes();
    if mins >= 60 && mins % 60 == 0 {
        format!("{} h", mins / 60)
    } else {
        format!("{mins} min")
    }
}

impl crate::store::writer::WriteHook for Detector {
    fn on_write(
        &mut self,
        tx: &Transaction<'_>,
        new: &[NewRow<'_>],
        silences: &[SilenceRow],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        self.on_mentions(tx, new, silences, now)
    }

    fn on_tick(
        &mut self,
        tx: &Transaction<'_>,
        silences: &[SilenceRow],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        self.tick(tx, silences, now)
    }

    fn reload(
        &mut self,
        store: &Store,
        spec: Option<DetectionSpec>,
        now: DateTime<Utc>,
    ) -> crate::store::Result<()> {
        let spec = spec.unwrap_or_else(|| self.spec.clone());
        // Start from the store alone: nothing of the failed transaction stays in memory.
        self.feeds.clear();
        self.persisted.clear();
        self.apply_spec(store, spec, now)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::analysis::Analyzer;
    use crate::analysis::rules::{RuleFile, compile};
    use crate::model::SourceState;
    use crate::notify::channels::card::Card;
    use crate::store::{AnalysedMention as Stored, Poll};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_445_600, 0).unwrap() // 2026-03-02 10:00 UTC
    }

    struct Bench {
        _dir: tempfile::TempDir,
        store: Store,
        detector: Detector,
        analyzer: Analyzer,
        next: usize,
    }

    impl Bench {
        /// A critical rule `sante`, counting towards the watch « Acme » when `watch`, else towards none.
        fn new(watch: bool) -> Bench {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("veille.db")).unwrap();
            let mut text = String::from(
                "[[rule]]\nid = \"sante\"\nname = \"Santé\"\nquery = \"intoxication\"\nseverity = \"critical\"\n",
            );
            if watch {
                text.push_str("watch = \"acme\"\n[[watch]]\nid = \"acme\"\nname = \"Acme\"\nquery = \"repas\"\n");
            }
            let rules = compile(&[RuleFile {
                name: "sante.toml",
                text: &text,
            }])
            .unwrap();
            let detector = Detector::load(&store, spec_of(&rules), t0()).unwrap();
            Bench {
                _dir: dir,
                store,
                detector,
                analyzer: Analyzer::new(rules),
                next: 0,
            }
        }

        /// A poll at `now` bringing `n` new critical mentions.
        fn poll(&mut self, n: usize, now: DateTime<Utc>) {
            let mut mentions = Vec::new();
            for _ in 0..n {
                let i = self.next;
                self.next += 1;
                let mention = Mention {
                    source: "forum".into(),
                    id: format!("p{i}"),
                    link: Some(format!("https://forum.example/t/{i}")),
                    title: Some(format!("Intoxication après le repas {i}")),
                    text: if i % 100 == 7 {
                        format!("Intoxication grave, scandale, honte, je suis malade ({i}).")
                    } else {
                        format!("Une intoxication signalée ({i}).")
                    },
                    author: Some(format!("client {i}")),
                    lang: Some("fr".into()),
                    published: Some(now - TimeDelta::minutes(1)),
                    fetched: now,
                    story: i as u64,
                    kind: crate::model::SourceKind::Feed,
                    reach: crate::model::Reach::default(),
                };
                let analysis = self.analyzer.analyse(&mention, &[]);
                mentions.push(Stored { mention, analysis });
            }
            let poll = Poll {
                state: SourceState {
                    name: "forum".into(),
                    url: "https://forum.example/feed".into(),
                    last_fetch: Some(now),
                    ..SourceState::default()
                },
                mentions,
            };
            let detector = &mut self.detector;
            self.store
                .write_polls_with(&[&poll], |tx, new| detector.on_mentions(tx, new, &[], now))
                .unwrap();
        }

        fn emails(&self) -> Vec<Notification> {
            let mut rows = self.store.outbox(None, 1_000).unwrap();
            rows.retain(|r| r.channel.is_none());
            rows.reverse();
            rows.into_iter().map(|r| r.notification).collect()
        }
    }

    /// Issue 16, item 8: each critical mention of a flood was an email. Now the opening is one, and the
    /// mentions that follow are one update once `group_interval` has passed, counted and sampled; the
    /// email and the chat card say how many more came and show the most negative of them. A restart in
    /// the middle neither counts the stored mentions twice (they were counted again into the rule's
    /// incident) nor forgets the incident of a rule that counts towards no watch (its feed was not
    /// rebuilt: the next critical mention opened a second incident, told again).
    #[test]
    fn a_flood_is_told_by_its_opening_then_one_counted_update() {
        for watch in [false, true] {
            flood_told_once_then_counted(watch);
        }
    }

    fn flood_told_once_then_counted(watch: bool) {
        let mut b = Bench::new(watch);
        b.poll(1, t0());
        b.poll(300, t0() + TimeDelta::minutes(5));
        b.poll(11, t0() + TimeDelta::minutes(20));
        assert_eq!(b.emails().len(), 1, "only the opening within the interval");
        // A restart here: the stored mentions of the bucket in progress are counted again for the
        // bucket, not for the rule's incident, whose count the saved state already holds.
        b.detector = Detector::load(
            &b.store,
            b.detector.spec.clone(),
            t0() + TimeDelta::minutes(21),
        )
        .unwrap();
        b.poll(1, t0() + TimeDelta::minutes(31));
        let emails = b.emails();
        assert_eq!(emails.len(), 2);
        let update = &emails[1];
        assert_eq!(update.kind, NotificationKind::CriticalMention);
        assert_eq!(update.headline.count, Some(312));
        assert_eq!(update.mentions.len(), crate::detect::incident::SAMPLES);
        assert!(
            update.mentions.iter().all(|m| m.score < Some(-0.3)),
            "the most negative: {:?}",
            update.mentions
        );
        let incident = b.store.incidents(false, None).unwrap();
        assert_eq!(incident.len(), 1);
        assert_eq!(incident[0].mentions, 313);

        let fr = crate::notify::render(update, Locale::Fr);
        println!("{}\n\n{}", fr.subject, fr.text);
        let brand = if watch { "Acme" } else { "sante" };
        assert_eq!(
            fr.subject,
            format!(
                "[veille] CRITIQUE — {brand}\u{a0}: 312 mentions critiques de plus (règle «\u{a0}sante\u{a0}»)"
            )
        );
        assert!(
            fr.text.contains(&format!(
                "312 mentions critiques de plus sur «\u{a0}{brand}\u{a0}»"
            )),
            "{}",
            fr.text
        );
        assert!(
            fr.text.contains("Intoxication après le repas 7"),
            "{}",
            fr.text
        );
        assert!(
            fr.text
                .contains("Mentions critiques\u{a0}: 312 le 02/03 entre 11 h et 11 h 31"),
            "{}",
            fr.text
        );
        let en = crate::notify::render(update, Locale::En);
        assert!(
            en.subject.contains("312 more critical mentions"),
            "{}",
            en.subject
        );
        let card = Card::of(update, &Voice::new(Locale::Fr, chrono_tz::UTC), 5, None);
        println!("{card:#?}");
        assert!(
            card.title.contains("312 mentions critiques de plus"),
            "{}",
            card.title
        );
        assert_eq!(card.mentions.len(), crate::detect::incident::SAMPLES);
    }
}
