//! A watch's recent buckets against its usual band: what the console's charts draw.
//!
//! In: the store, a watch as loaded from the rule files (its detection settings), a span and the time. Out:
//! one point per closed bucket of the span with its stories and negative stories, and the usual level the
//! detector would compare each with (median and floored spread, [`crate::detect::baseline::learn`]), plus
//! the negative share now and usually. Facts only; the console draws them.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::analysis::rules::Watch;
use crate::detect::baseline::{Level, history_span, learn};
use crate::detect::counts::{BucketCounts, bucket_delta, bucket_start};
use crate::store::console::OpenCounts;
use crate::store::{Result, Store};

/// One bucket of a watch's series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub start: DateTime<Utc>,
    /// Distinct stories (what a buzz counts).
    pub stories: u32,
    /// Distinct negative stories (what a bad buzz counts).
    pub negative: u32,
    /// The usual level of stories for that bucket.
    pub usual: Level,
    /// The usual level of negative stories for that bucket.
    pub usual_negative: Level,
    /// The bucket in progress: counted so far, not closed.
    pub partial: bool,
}

/// A watch's series over a span.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchSeries {
    pub watch: String,
    pub name: String,
    pub bucket: TimeDelta,
    /// One point per bucket of the span, empty ones included, the bucket in progress last; no point at
    /// all when the watch has counted nothing yet.
    pub points: Vec<SeriesPoint>,
    /// Negative stories over stories in the span; `None` without any story.
    pub negative_share: Option<f64>,
    /// The same share in the history before the span.
    pub usual_negative_share: Option<f64>,
}

impl WatchSeries {
    /// The buckets of `watch` in the `span` before `now` and the bucket in progress, each against its usual
    /// band. (The band is learnt without the freeze of past incidents, which only the running detector
    /// knows: inside a long incident it can read higher than the detector's.)
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load(
        store: &Store,
        watch: &Watch,
        span: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<WatchSeries> {
        let open_start = bucket_start(now, watch.detection.bucket);
        WatchSeries::between(store, watch, open_start - span, now, now)
    }

    /// The buckets of `watch` from the one holding `from` to the one holding `to` (at most the bucket in
    /// progress at `now`).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn between(
        store: &Store,
        watch: &Watch,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<WatchSeries> {
        let settings = &watch.detection;
        let from = bucket_start(from, settings.bucket);
        let since = from - history_span(settings);
        let history: Vec<BucketCounts> = store
            .watch_buckets(&watch.id, since)?
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect();
        // The buckets the detector has not stored yet — the one in progress, and any closed since its last
        // stored one (it stores a bucket at its next tick) — are counted from their mentions.
        let bucket = bucket_delta(settings.bucket);
        let last = bucket_start(to.min(now), settings.bucket);
        let mut t = history.last().map_or(from, |b| b.start + bucket).max(from);
        let mut unstored = Vec::new();
        while t <= last {
            unstored.push((t, store.watch_counts_between(&watch.id, t, t + bucket)?));
            t += bucket;
        }
        Ok(WatchSeries::of(watch, &history, &unstored, from, to, now))
    }

    /// The series from the stored closed buckets (`history`, oldest first) and the counts of the buckets
    /// not stored yet (`unstored`, by start). The detector stores a bucket only once it closes, and stores no
    /// row for an hour nobody spoke: both are counted here (the overview once said "no data yet" beside a
    /// morning of mentions).
    pub(crate) fn of(
        watch: &Watch,
        history: &[BucketCounts],
        unstored: &[(DateTime<Utc>, OpenCounts)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> WatchSeries {
        let settings = &watch.detection;
        let bucket = bucket_delta(settings.bucket);
        let open_start = bucket_start(now, settings.bucket);
        let from = bucket_start(from, settings.bucket);
        let last = bucket_start(to.min(now), settings.bucket);
        let history_start = history.first().map_or(from, |b| b.start);
        let stored: HashMap<DateTime<Utc>, &BucketCounts> =
            history.iter().map(|b| (b.start, b)).collect();
        let mut points = Vec::new();
        let (mut neg, mut all) = (0u64, 0u64);
        let fresh: HashMap<DateTime<Utc>, &OpenCounts> =
            unstored.iter().map(|(t, c)| (*t, c)).collect();
        if !(history.is_empty() && unstored.iter().all(|(_, c)| c.total == 0)) {
            let mut t = from;
            while t <= last {
                let partial = t >= open_start;
                let (stories, negative) = match (stored.get(&t), fresh.get(&t)) {
                    (Some(b), _) => (b.stories, b.negative_stories),
                    (None, Some(c)) => (c.stories, c.negative_stories),
                    (None, None) => (0, 0),
                };
                let base = learn(settings, history, history_start, &[], t);
                neg += u64::from(negative);
                all += u64::from(stories);
                points.push(SeriesPoint {
                    start: t,
                    stories,
                    negative,
                    usual: base.total,
                    usual_negative: base.negative,
                    partial,
                });
                t += bucket;
            }
        }
        let (usual_neg, usual_all) = history
            .iter()
            .filter(|b| b.start < from)
            .fold((0u64, 0u64), |(n, a), b| {
                (n + u64::from(b.negative_stories), a + u64::from(b.stories))
            });
        WatchSeries {
            watch: watch.id.clone(),
            name: watch.name.clone(),
            bucket,
            points,
            negative_share: (all > 0).then(|| neg as f64 / all as f64),
            usual_negative_share: (usual_all > 0).then(|| usual_neg as f64 / usual_all as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rules::{RuleFile, compile};

    fn watch() -> Watch {
        let set = compile(&[RuleFile {
            name: "w.toml",
            text: "[[watch]]\nid = \"w\"\nname = \"W\"\nquery = \"w\"\n[watch.detection]\nbucket = \"1h\"\n",
        }])
        .unwrap();
        set.watches()[0].clone()
    }

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_773_000_000 / 3600 * 3600, 0).unwrap() + TimeDelta::hours(h)
    }

    #[test]
    fn mentions_of_the_bucket_in_progress_are_data() {
        // Regression: the overview's 24-hour chart said "no data yet for this period" beside fresh mentions,
        // because the detector stores a bucket only once it closes and the chart read closed buckets only.
        let w = watch();
        let now = at(30) + TimeDelta::minutes(10);
        let open = OpenCounts {
            total: 3,
            stories: 3,
            negative: 1,
            negative_stories: 1,
        };
        let s = WatchSeries::of(
            &w,
            &[],
            &[(at(30), open)],
            now - TimeDelta::hours(24),
            now,
            now,
        );
        assert_eq!(
            s.points.len(),
            25,
            "24 closed hours and the one in progress"
        );
        let last = s.points.last().unwrap();
        assert!(last.partial && last.stories == 3 && last.negative == 1);
        assert!(s.points[..24].iter().all(|p| !p.partial && p.stories == 0));
        assert_eq!(s.negative_share, Some(1.0 / 3.0));
    }

    #[test]
    fn quiet_hours_are_zero_and_a_watch_that_never_spoke_has_no_point() {
        let w = watch();
        let now = at(30) + TimeDelta::minutes(10);
        let mut b = BucketCounts::empty(at(20));
        b.stories = 5;
        b.negative_stories = 2;
        let s = WatchSeries::of(
            &w,
            std::slice::from_ref(&b),
            &[],
            now - TimeDelta::hours(24),
            now,
            now,
        );
        assert_eq!(s.points.len(), 25);
        let p = s.points.iter().find(|p| p.start == at(20)).unwrap();
        assert_eq!((p.stories, p.negative), (5, 2));
        assert_eq!(s.points.iter().map(|p| p.stories).sum::<u32>(), 5);
        let none = WatchSeries::of(
            &w,
            &[],
            &[(at(30), OpenCounts::default())],
            now - TimeDelta::hours(24),
            now,
            now,
        );
        assert!(none.points.is_empty());
    }

    #[test]
    fn an_hour_closed_but_not_stored_yet_is_counted_from_its_mentions() {
        // Just after the hour, the detector has not stored the hour that just closed: its mentions still
        // count (the incident page once drew nothing for an incident opened a minute before the hour).
        let w = watch();
        let now = at(30) + TimeDelta::minutes(1);
        let c = OpenCounts {
            total: 2,
            stories: 2,
            negative: 2,
            negative_stories: 2,
        };
        let s = WatchSeries::of(
            &w,
            &[],
            &[(at(29), c), (at(30), OpenCounts::default())],
            now - TimeDelta::hours(24),
            now,
            now,
        );
        let p = s.points.iter().find(|p| p.start == at(29)).unwrap();
        assert!(!p.partial && p.stories == 2 && p.negative == 2, "{p:?}");
        assert!(s.points.last().unwrap().partial);
    }
}
