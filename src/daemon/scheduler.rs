//! The daemon's scheduler: which source is polled next, and when.
//!
//! In: the configured sources, their saved states, the HTTP concurrency limits, and every poll's outcome as
//! it finishes. Out: the next poll to start, when there is capacity for it, and the time the next source
//! falls due. [`crate::sources::schedule`] stays the pure per-source policy (interval, backoff); this module
//! owns the queue that policy fills. `Daemon::run` and `run --once` drive it.
//!
//! Every step costs O(log n) in the number of sources, so a cycle is linear (n log n) in them: sources wait
//! in a heap keyed by their due time; due ones move to a ready line and are admitted only while fewer than
//! `[http] concurrency` polls are in flight and their host has fewer than `[http] per_host` — so 10,000
//! sources coming due together are 16 tasks at a time, not 10,000 tasks waiting on semaphores (each holding
//! its memory). A due source whose host is busy waits in that host's line and goes first when the host frees
//! a slot. The status figures (enabled, failing) are counted as polls finish, never by a rescan.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::config::SourceConfig;
use crate::model::SourceState;
use crate::sources::fetch::Location;

/// How many polls may run at once, in all and on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub concurrency: usize,
    pub per_host: usize,
}

impl Limits {
    /// The limits of an `[http]` table (at least one of each).
    pub(crate) fn of(http: &crate::sources::fetch::HttpConfig) -> Limits {
        Limits {
            concurrency: http.concurrency.max(1),
            per_host: http.per_host.max(1),
        }
    }
}

/// A queued source: when it is due, its place in the queue among sources due at the same time, its name.
type Due = (DateTime<Utc>, u64, Arc<str>);

/// A configured, enabled source as the scheduler holds it.
struct Slot {
    config: Arc<SourceConfig>,
    /// The host the per-host limit applies to; `None` for files on disk.
    host: Option<Arc<str>>,
}

/// A poll the caller should start now.
pub(crate) struct Start {
    pub source: Arc<SourceConfig>,
    pub previous: Option<SourceState>,
}

/// The due-time queue, the admission lines and the running count of failing sources.
pub(crate) struct Scheduler {
    limits: Limits,
    sources: HashMap<Arc<str>, Slot>,
    /// The enabled sources' names in the configuration's order (equal due times keep it).
    order: Vec<Arc<str>>,
    /// Every source's last known state, including sources no longer configured (their rows stay in the
    /// database, and a source put back resumes from them).
    states: HashMap<String, SourceState>,
    /// Sources not yet due, by due time (the sequence number keeps equal times in insertion order).
    queue: BinaryHeap<Reverse<Due>>,
    seq: u64,
    /// Due sources waiting for a free slot, oldest first.
    ready: VecDeque<Arc<str>>,
    /// Due sources whose host was full when their turn came, per host.
    host_waiting: HashMap<Arc<str>, VecDeque<Arc<str>>>,
    /// How many sources wait in `host_waiting`, all hosts together (so that the end of a cycle is seen in
    /// O(1), not by a walk over the hosts).
    host_waiting_len: usize,
    host_busy: HashMap<Arc<str>, usize>,
    /// Polls running: when each started, and the host whose slot it holds.
    in_flight: HashMap<Arc<str>, (Instant, Option<Arc<str>>)>,
    /// Configured, enabled sources whose state has `consecutive_errors > 0`.
    failing: usize,
    /// Polls finished since the last cycle ended.
    cycle_polls: usize,
}

fn host_of(source: &SourceConfig) -> Option<Arc<str>> {
    match &source.location {
        // The same key the fetcher's per-host semaphores use.
        Location::Http(url) => Some(Arc::from(url.host_str().unwrap_or(""))),
        Location::File(_) => None,
    }
}

impl Scheduler {
    /// A scheduler for the enabled `sources`, each due when its saved state says (or `now` when it has
    /// never been polled).
    pub(crate) fn new(
        sources: &[SourceConfig],
        states: Vec<SourceState>,
        limits: Limits,
        now: DateTime<Utc>,
    ) -> Scheduler {
        let mut scheduler = Scheduler {
            limits,
            sources: HashMap::new(),
            order: Vec::new(),
            states: states.into_iter().map(|s| (s.name.clone(), s)).collect(),
            queue: BinaryHeap::new(),
            seq: 0,
            ready: VecDeque::new(),
            host_waiting: HashMap::new(),
            host_waiting_len: 0,
            host_busy: HashMap::new(),
            in_flight: HashMap::new(),
            failing: 0,
            cycle_polls: 0,
        };
        scheduler.reload(sources, limits, now);
        scheduler
    }

    /// Takes a new list of sources and limits (after SIGHUP). Polls in flight finish; a source that is no
    /// longer configured is not queued again. Costs O(n log n), once per reload.
    pub(crate) fn reload(&mut self, sources: &[SourceConfig], limits: Limits, now: DateTime<Utc>) {
        self.limits = limits;
        self.sources.clear();
        self.order.clear();
        for s in sources.iter().filter(|s| s.enabled) {
            let name: Arc<str> = Arc::from(s.name.as_str());
            let slot = Slot {
                config: Arc::new(s.clone()),
                host: host_of(s),
            };
            // Names are unique in a valid configuration; a duplicate would be polled once.
            if self.sources.insert(Arc::clone(&name), slot).is_none() {
                self.order.push(name);
            }
        }
        self.queue.clear();
        self.ready.clear();
        self.host_waiting.clear();
        self.host_waiting_len = 0;
        for name in self.order.clone() {
            if self.in_flight.contains_key(&name) {
                continue;
            }
            let due = self.due_of(&name, now);
            self.push(name, due);
        }
        self.failing = self.sources.keys().filter(|n| self.is_failing(n)).count();
    }

    /// Makes every source due at `now`, whatever its state says (`run --once` polls them all).
    pub(crate) fn all_due(&mut self, now: DateTime<Utc>) {
        self.queue.clear();
        self.ready.clear();
        self.host_waiting.clear();
        self.host_waiting_len = 0;
        for name in self.order.clone() {
            if !self.in_flight.contains_key(&name) {
                self.push(name, now);
            }
        }
    }

    fn due_of(&self, name: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        self.states
            .get(name)
            .and_then(|s| s.next_due)
            .unwrap_or(now)
    }

    fn is_failing(&self, name: &str) -> bool {
        self.states
            .get(name)
            .is_some_and(|s| s.consecutive_errors > 0)
    }

    fn push(&mut self, name: Arc<str>, due: DateTime<Utc>) {
        self.seq += 1;
        self.queue.push(Reverse((due, self.seq, name)));
    }

    /// The next poll to start now, if one is due and there is capacity for it; call until `None`.
    pub(crate) fn next_start(&mut self, now: DateTime<Utc>) -> Option<Start> {
        while let Some(Reverse((due, _, _))) = self.queue.peek() {
            if *due > now {
                break;
            }
            let Reverse((_, _, name)) = self.queue.pop()?;
            self.ready.push_back(name);
        }
        while self.in_flight.len() < self.limits.concurrency {
            let name = self.ready.pop_front()?;
            let Some(slot) = self.sources.get(&name) else {
                continue; // removed by a reload since it was queued
            };
            if let Some(host) = &slot.host {
                let busy = self.host_busy.entry(Arc::clone(host)).or_insert(0);
                if *busy >= self.limits.per_host {
                    self.host_waiting
                        .entry(Arc::clone(host))
                        .or_default()
                        .push_back(name);
                    self.host_waiting_len += 1;
                    continue;
                }
                *busy += 1;
            }
            let start = Start {
                source: Arc::clone(&slot.config),
                previous: self.states.get(&*name).cloned(),
            };
            self.in_flight
                .insert(name, (Instant::now(), slot.host.clone()));
            return Some(start);
        }
        None
    }

    /// Records that the poll of `name` ended, with the state it wrote (`None` when it was abandoned or
    /// wrote nothing: the source keeps its state and is due again at `retry`, or now). Returns `true` when
    /// this was the last poll of a cycle: nothing in flight and nothing due waiting.
    pub(crate) fn finished(
        &mut self,
        name: &str,
        state: Option<SourceState>,
        retry: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        let Some((name, (_, host))) = self.in_flight.remove_entry(name) else {
            return false;
        };
        self.cycle_polls += 1;
        if let Some(host) = &host {
            if let Some(busy) = self.host_busy.get_mut(host) {
                *busy = busy.saturating_sub(1);
            }
            // The host has a free slot: the source that waited longest for it goes first.
            if let Some(waiting) = self.host_waiting.get_mut(host)
                && let Some(next) = waiting.pop_front()
            {
                self.host_waiting_len -= 1;
                self.ready.push_front(next);
            }
        }
        if self.sources.contains_key(&name) {
            let was_failing = self.is_failing(&name);
            if let Some(state) = state {
                self.states.insert(state.name.clone(), state);
            }
            if let Some(when) = retry {
                self.states
                    .entry(name.to_string())
                    .or_insert_with(|| SourceState {
                        name: name.to_string(),
                        ..SourceState::default()
                    })
                    .next_due = Some(when);
            }
            match (was_failing, self.is_failing(&name)) {
                (false, true) => self.failing += 1,
                (true, false) => self.failing -= 1,
                _ => {}
            }
            let due = self.due_of(&name, now);
            self.push(name, due);
        } else if let Some(state) = state {
            self.states.insert(state.name.clone(), state);
        }
        self.in_flight.is_empty() && self.ready.is_empty() && self.host_waiting_len == 0
    }

    /// Polls finished since the last cycle ended; resets the count.
    pub(crate) fn take_cycle_polls(&mut self) -> usize {
        std::mem::take(&mut self.cycle_polls)
    }

    /// When the next source not yet admitted falls due (`None` when none is queued).
    pub(crate) fn next_due(&self) -> Option<DateTime<Utc>> {
        if !self.ready.is_empty() {
            // Due already, waiting for capacity: a finishing poll wakes the loop.
            return None;
        }
        self.queue.peek().map(|Reverse((due, _, _))| *due)
    }

    /// When the longest-running poll in flight started.
    pub(crate) fn oldest_in_flight(&self) -> Option<Instant> {
        self.in_flight.values().map(|(started, _)| *started).min()
    }

    /// Polls admitted and not yet finished.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Configured, enabled sources.
    pub(crate) fn enabled(&self) -> usize {
        self.sources.len()
    }

    /// Configured, enabled sources whose last poll failed.
    pub(crate) fn failing(&self) -> usize {
        self.failing
    }

    /// The saved state of a source, if it has one.
    #[cfg(test)]
    fn state(&self, name: &str) -> Option<&SourceState> {
        self.states.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interval;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn source(name: &str, url: &str) -> SourceConfig {
        SourceConfig {
            name: name.into(),
            url: url.into(),
            location: Location::parse(url, Some(std::path::Path::new("/tmp"))).unwrap(),
            interval: Interval::secs(600),
            tags: Vec::new(),
            enabled: true,
            kind: crate::model::SourceKind::Feed,
            target: crate::sources::kinds::Target::Feed,
        }
    }

    fn state(name: &str, next_due: DateTime<Utc>, errors: u32) -> SourceState {
        SourceState {
            name: name.into(),
            next_due: Some(next_due),
            consecutive_errors: errors,
            ..SourceState::default()
        }
    }

    fn limits(concurrency: usize, per_host: usize) -> Limits {
        Limits {
            concurrency,
            per_host,
        }
    }

    fn drain(s: &mut Scheduler, now: DateTime<Utc>) -> Vec<String> {
        std::iter::from_fn(|| s.next_start(now))
            .map(|st| st.source.name.clone())
            .collect()
    }

    #[test]
    fn sources_start_in_due_order_and_only_when_due() {
        let sources = [
            source("late", "late.xml"),
            source("early", "early.xml"),
            source("new", "new.xml"),
        ];
        let states = vec![
            state("late", t0() + chrono::Duration::seconds(30), 0),
            state("early", t0() - chrono::Duration::seconds(30), 0),
        ];
        let mut s = Scheduler::new(&sources, states, limits(10, 2), t0());
        assert_eq!(drain(&mut s, t0()), ["early", "new"]);
        assert_eq!(s.next_due(), Some(t0() + chrono::Duration::seconds(30)));
        assert_eq!(
            drain(&mut s, t0() + chrono::Duration::seconds(30)),
            ["late"]
        );
        assert_eq!(s.next_due(), None);
    }

    #[test]
    fn admission_waits_for_a_free_slot() {
        let sources: Vec<_> = (0..5)
            .map(|i| source(&format!("s{i}"), &format!("s{i}.xml")))
            .collect();
        let mut s = Scheduler::new(&sources, Vec::new(), limits(2, 2), t0());
        s.all_due(t0());
        assert_eq!(drain(&mut s, t0()), ["s0", "s1"]);
        assert_eq!(s.in_flight(), 2);
        assert!(!s.finished(
            "s0",
            Some(state("s0", t0() + chrono::Duration::hours(1), 0)),
            None,
            t0()
        ));
        assert_eq!(drain(&mut s, t0()), ["s2"]);
        assert_eq!(s.in_flight(), 2);
    }

    #[test]
    fn a_busy_host_does_not_hold_back_other_hosts_and_its_sources_go_first_when_it_frees() {
        let sources = [
            source("a1", "http://a.example/1"),
            source("a2", "http://a.example/2"),
            source("a3", "http://a.example/3"),
            source("b1", "http://b.example/1"),
        ];
        let mut s = Scheduler::new(&sources, Vec::new(), limits(10, 1), t0());
        s.all_due(t0());
        assert_eq!(drain(&mut s, t0()), ["a1", "b1"]);
        s.finished(
            "a1",
            Some(state("a1", t0() + chrono::Duration::hours(1), 0)),
            None,
            t0(),
        );
        assert_eq!(drain(&mut s, t0()), ["a2"]);
        s.finished(
            "a2",
            Some(state("a2", t0() + chrono::Duration::hours(1), 0)),
            None,
            t0(),
        );
        assert_eq!(drain(&mut s, t0()), ["a3"]);
    }

    #[test]
    fn a_cycle_ends_when_nothing_is_in_flight_or_waiting() {
        let sources = [source("a", "http://h/a"), source("b", "http://h/b")];
        let mut s = Scheduler::new(&sources, Vec::new(), limits(10, 1), t0());
        assert_eq!(drain(&mut s, t0()), ["a"]);
        let later = t0() + chrono::Duration::hours(1);
        assert!(
            !s.finished("a", Some(state("a", later, 0)), None, t0()),
            "b is still waiting for the host"
        );
        assert_eq!(drain(&mut s, t0()), ["b"]);
        assert!(s.finished("b", Some(state("b", later, 0)), None, t0()));
        assert_eq!(s.take_cycle_polls(), 2);
        assert_eq!(s.take_cycle_polls(), 0);
        assert_eq!(s.next_due(), Some(later));
    }

    #[test]
    fn failing_sources_are_counted_as_polls_finish() {
        let sources = [source("a", "a.xml"), source("b", "b.xml")];
        let states = vec![state("a", t0(), 2), state("gone", t0(), 5)];
        let mut s = Scheduler::new(&sources, states, limits(10, 2), t0());
        assert_eq!(
            s.failing(),
            1,
            "a source no longer configured is not counted"
        );
        assert_eq!(drain(&mut s, t0()), ["a", "b"]);
        let later = t0() + chrono::Duration::hours(1);
        s.finished("a", Some(state("a", later, 0)), None, t0());
        assert_eq!(s.failing(), 0);
        s.finished("b", Some(state("b", later, 1)), None, t0());
        assert_eq!(s.failing(), 1);
        assert_eq!(s.enabled(), 2);
    }

    #[test]
    fn a_poll_that_wrote_nothing_is_retried_when_asked() {
        let sources = [source("a", "a.xml")];
        let mut s = Scheduler::new(&sources, Vec::new(), limits(10, 2), t0());
        assert_eq!(drain(&mut s, t0()), ["a"]);
        let retry = t0() + chrono::Duration::seconds(60);
        s.finished("a", None, Some(retry), t0());
        assert_eq!(s.next_due(), Some(retry));
        assert_eq!(s.state("a").and_then(|st| st.next_due), Some(retry));
    }

    #[test]
    fn a_source_removed_by_a_reload_is_not_queued_again() {
        let sources = [source("a", "a.xml"), source("b", "b.xml")];
        let mut s = Scheduler::new(&sources, Vec::new(), limits(10, 2), t0());
        assert_eq!(drain(&mut s, t0()), ["a", "b"]);
        s.reload(&sources[1..], limits(10, 2), t0());
        let later = t0() + chrono::Duration::hours(1);
        s.finished("a", Some(state("a", later, 3)), None, t0());
        assert_eq!(s.failing(), 0);
        assert_eq!(s.enabled(), 1);
        assert!(s.finished("b", Some(state("b", later, 0)), None, t0()));
        assert_eq!(s.next_due(), Some(later));
        assert_eq!(drain(&mut s, later), ["b"]);
    }

    #[test]
    fn ten_thousand_sources_on_one_host_are_admitted_a_few_at_a_time() {
        let sources: Vec<_> = (0..10_000)
            .map(|i| source(&format!("s{i:05}"), &format!("http://h/{i}")))
            .collect();
        let mut s = Scheduler::new(&sources, Vec::new(), limits(16, 4), t0());
        let mut started = 0;
        let mut peak = 0;
        let later = t0() + chrono::Duration::hours(1);
        let mut ended = false;
        let mut running: VecDeque<String> = VecDeque::new();
        loop {
            while let Some(st) = s.next_start(t0()) {
                started += 1;
                running.push_back(st.source.name.clone());
            }
            peak = peak.max(s.in_flight());
            let Some(name) = running.pop_front() else {
                break;
            };
            ended = s.finished(&name, Some(state(&name, later, 0)), None, t0());
        }
        assert_eq!(started, 10_000);
        assert_eq!(peak, 4, "the per-host limit holds");
        assert!(ended, "the last poll ends the cycle");
    }
}
