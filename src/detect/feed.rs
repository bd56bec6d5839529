//! Following one watch through time: mentions in, in time order, decisions out, with the buckets kept in
//! memory.
//!
//! [`WatchFeed`] is [`on_mention`] and [`evaluate`] driven the way the rest of this module expects: every
//! mention is checked at once for critical rules, the bucket in progress is judged when asked (after a
//! batch), and every bucket is judged once closed, empty ones included, in order. `veille replay` feeds it
//! stored mentions; the daemon may keep one per watch, or call the two functions itself with counts from
//! the store. The scenario tests drive detection through it.
//!
//! A mention comes with its story ([`crate::analysis::story`], grouped by the detection stage before it
//! gets here): a copy rewritten by another site carries the story it copies, so counts, floors and
//! explanations reason in stories, not copies.
//!
//! A mention published within `late_after` (six hours by default) of its arrival counts in the bucket in
//! progress: a bucket already judged is not judged again, and a burst a few hours old but still going is
//! seen when it reaches veille. A mention that arrives later than that is old news — a new source's
//! archive, a search source's weeks of results, the catch-up after the daemon was down: it is added to the
//! history bucket of its published time (or dropped, when that is older than the history kept), so it
//! teaches the usual level and never opens an incident by itself. Critical rules still alert on it.

use chrono::{DateTime, Utc};

use super::baseline::history_span;
use super::counts::{AnalysedMention, BucketCounts, Window, bucket_delta, bucket_start, span};
use super::incident::{Decision, WatchState, evaluate, on_mention, tell_rules};
use super::silence::Silence;
use crate::model::WatchSettings;

/// One watch followed through time.
#[derive(Debug, Clone)]
pub struct WatchFeed {
    watch: String,
    settings: WatchSettings,
    state: WatchState,
    /// Closed buckets within [`history_span`], oldest first.
    history: Vec<BucketCounts>,
    /// Start of the bucket in progress, once time has started.
    open_start: Option<DateTime<Utc>>,
    open: Vec<AnalysedMention>,
    /// Starts of closed buckets that late mentions changed since [`WatchFeed::take_refilled`] was last
    /// called: the store must write them again.
    refilled: Vec<DateTime<Utc>>,
}

impl WatchFeed {
    /// Starts following `watch` from a saved state (`WatchState::default()` for a new watch) and the
    /// closed buckets the store holds for it (any order). After a restart, feed the stored mentions of the
    /// bucket in progress again through [`WatchFeed::mention`]: nothing is alerted twice, and the feed goes on
    /// exactly as if it had not stopped.
    pub fn new(
        watch: &str,
        settings: WatchSettings,
        state: WatchState,
        mut history: Vec<BucketCounts>,
    ) -> WatchFeed {
        history.sort_by_key(|b| b.start);
        WatchFeed {
            watch: watch.to_owned(),
            settings,
            state,
            history,
            open_start: None,
            open: Vec::new(),
            refilled: Vec::new(),
        }
    }

    /// The state to persist.
    pub fn state(&self) -> &WatchState {
        &self.state
    }

    /// The closed buckets kept, oldest first.
    pub fn history(&self) -> &[BucketCounts] {
        &self.history
    }

    /// The settings followed.
    pub fn settings(&self) -> &WatchSettings {
        &self.settings
    }

    /// The bucket in progress and its mentions so far.
    pub fn open_bucket(&self) -> Option<(DateTime<Utc>, &[AnalysedMention])> {
        self.open_start.map(|s| (s, self.open.as_slice()))
    }

    /// Replaces the state, as a restart from the stored state would.
    pub fn restore(&mut self, state: WatchState) {
        self.state = state;
    }

    /// Takes one new mention arriving at `now` (the clock in the daemon, the mention's time in a replay):
    /// closes the buckets that ended by then, checks it for critical rules, and counts it in the bucket in
    /// progress. Time never goes back: a `now` before the bucket in progress counts as its start.
    pub fn mention(
        &mut self,
        mention: AnalysedMention,
        now: DateTime<Utc>,
        silences: &[Silence],
    ) -> Vec<Decision> {
        self.take(mention, now, silences, true)
    }

    /// Counts a mention the saved state already holds (after a restart, the stored mentions of the bucket
    /// in progress): like [`WatchFeed::mention`], without checking it for critical rules again, which
    /// would count it twice in its rule's incident.
    pub fn recount(
        &mut self,
        mention: AnalysedMention,
        now: DateTime<Utc>,
        silences: &[Silence],
    ) -> Vec<Decision> {
        self.take(mention, now, silences, false)
    }

    fn take(
        &mut self,
        mention: AnalysedMention,
        now: DateTime<Utc>,
        silences: &[Silence],
        new: bool,
    ) -> Vec<Decision> {
        let now = now.max(self.open_start.unwrap_or(now));
        let mut out = self.advance(now, silences);
        // Most mentions match no critical rule: `on_mention` would then hand back the state unchanged, at
        // the price of a copy of it.
        if new && !mention.critical_rules().is_empty() {
            let (decisions, state) = on_mention(
                &self.watch,
                &self.settings,
                &mention,
                &self.state,
                silences,
                now,
            );
            out.extend(decisions);
            self.state = state;
        }
        let open = *self
            .open_start
            .get_or_insert_with(|| bucket_start(now, self.settings.bucket));
        let published = mention.time.min(now);
        if now - published > span(self.settings.late_after) && published < open {
            self.add_to_history(&mention, bucket_start(published, self.settings.bucket));
        } else {
            self.open.push(mention);
        }
        out
    }

    /// Counts a late `mention` in the closed bucket starting at `start`. Its story, voice and source are
    /// taken as new there: the history keeps counts, not the mentions behind them, and a slight
    /// overcount of an old bucket only makes the usual level more lenient.
    fn add_to_history(&mut self, mention: &AnalysedMention, start: DateTime<Utc>) {
        let horizon = self.open_start.unwrap_or(start) - history_span(&self.settings);
        if start < horizon {
            return;
        }
        let one = BucketCounts::aggregate(start, std::slice::from_ref(mention));
        match self.history.binary_search_by_key(&start, |b| b.start) {
            Ok(i) => {
                let b = &mut self.history[i];
                b.total += one.total;
                b.negative += one.negative;
                b.sources += one.sources;
                b.authors += one.authors;
                b.stories += one.stories;
                b.negative_stories += one.negative_stories;
                b.negative_authors += one.negative_authors;
                b.loudest_negative = b.loudest_negative.max(one.loudest_negative);
            }
            Err(i) => self.history.insert(i, one),
        }
        if !self.refilled.contains(&start) {
            self.refilled.push(start);
        }
    }

    /// The closed buckets that late mentions changed since the last call (still within the history
    /// kept), for the store to write again.
    pub fn take_refilled(&mut self) -> Vec<BucketCounts> {
        let starts = std::mem::take(&mut self.refilled);
        self.history
            .iter()
            .filter(|b| starts.contains(&b.start))
            .cloned()
            .collect()
    }

    /// Judges the bucket in progress as it stands at `now` (after closing the buckets ended by then): what
    /// to call after each batch, so an incident can open within the first bucket of a burst.
    pub fn check(&mut self, now: DateTime<Utc>, silences: &[Silence]) -> Vec<Decision> {
        let mut out = self.advance(now, silences);
        if let Some(start) = self.open_start {
            let counts = BucketCounts::aggregate(start, &self.open);
            out.extend(self.judge(&counts, now, silences));
        }
        out
    }

    /// Moves time to `now` ([`WatchFeed::advance`]) and tells what critical-rule incidents counted since
    /// their last message when `group_interval` has passed ([`tell_rules`]): what the daemon's tick calls,
    /// so the end of a flood is told even when no new mention comes.
    pub fn tick(&mut self, now: DateTime<Utc>, silences: &[Silence]) -> Vec<Decision> {
        let mut out = self.advance(now, silences);
        if self.state.rules.is_empty() {
            return out;
        }
        let (decisions, state) =
            tell_rules(&self.watch, &self.settings, &self.state, silences, now);
        self.state = state;
        out.extend(decisions);
        out
    }

    /// Moves time to `now`: every bucket that ended by then is judged closed, empty ones too, in order.
    pub fn advance(&mut self, now: DateTime<Utc>, silences: &[Silence]) -> Vec<Decision> {
        let step = bucket_delta(self.settings.bucket);
        let mut out = Vec::new();
        let Some(mut start) = self.open_start else {
            self.open_start = Some(bucket_start(now, self.settings.bucket));
            return out;
        };
        while start + step <= now {
            let counts = BucketCounts::aggregate(start, &self.open);
            out.extend(self.judge(&counts, start + step, silences));
            self.open.clear();
            self.history.push(counts);
            // A slow crisis is judged on whole days, once per closed bucket.
            out.extend(super::trend::judge(
                &self.watch,
                &self.settings,
                &self.history,
                &mut self.state,
                silences,
                start + step,
            ));
            start += step;
        }
        self.open_start = Some(start);
        let horizon = start - history_span(&self.settings);
        let old = self.history.partition_point(|b| b.start < horizon);
        self.history.drain(..old);
        out
    }

    fn judge(
        &mut self,
        counts: &BucketCounts,
        now: DateTime<Utc>,
        silences: &[Silence],
    ) -> Vec<Decision> {
        let window = Window {
            counts,
            mentions: &self.open,
        };
        let (decisions, state) = evaluate(
            &self.watch,
            &self.settings,
            &self.history,
            &window,
            &self.state,
            silences,
            now,
        );
        self.state = state;
        decisions
    }
}

/// Replays mentions of one watch (any order; sorted here by time, then key; those from `until` on are
/// left out) from a fresh state up to `until`, judging every bucket once closed and the bucket in progress
/// each quarter of a bucket, as a daemon polling every quarter of an hour would. Returns the decisions in
/// order and the feed, whose state and history are what the daemon would have.
pub fn replay(
    watch: &str,
    settings: &WatchSettings,
    mentions: &[AnalysedMention],
    silences: &[Silence],
    until: DateTime<Utc>,
) -> (Vec<Decision>, WatchFeed) {
    let mut sorted: Vec<&AnalysedMention> = mentions.iter().filter(|m| m.time < until).collect();
    sorted.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.key.cmp(&b.key)));
    let mut feed = WatchFeed::new(watch, settings.clone(), WatchState::default(), Vec::new());
    let quarter = bucket_delta(settings.bucket) / 4;
    let mut out = Vec::new();
    let mut next_check: Option<DateTime<Utc>> = None;
    for m in sorted {
        // Judge the bucket in progress as it stood at each quarter passed before this mention.
        let mut at = next_check.unwrap_or_else(|| bucket_start(m.time, settings.bucket) + quarter);
        while at <= m.time {
            out.extend(feed.check(at, silences));
            at += quarter;
        }
        next_check = Some(at);
        out.extend(feed.mention(m.clone(), m.time, silences));
    }
    out.extend(feed.advance(until, silences));
    (out, feed)
}
