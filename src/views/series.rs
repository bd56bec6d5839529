//! A watch's recent buckets against its usual band: what the console's charts draw.
//!
//! In: the store, a watch as loaded from the rule files (its detection settings), a span and the time. Out:
//! one point per closed bucket of the span with its stories and negative stories, and the usual level the
//! detector would compare each with (median and floored spread, [`crate::detect::baseline::learn`]), plus
//! the negative share now and usually. Facts only; the console draws them.

use chrono::{DateTime, TimeDelta, Utc};

use crate::analysis::rules::Watch;
use crate::detect::baseline::{Level, history_span, learn};
use crate::detect::counts::{BucketCounts, bucket_delta};
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
}

/// A watch's series over a span.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchSeries {
    pub watch: String,
    pub name: String,
    pub bucket: TimeDelta,
    pub points: Vec<SeriesPoint>,
    /// Negative stories over stories in the span; `None` without any story.
    pub negative_share: Option<f64>,
    /// The same share in the history before the span.
    pub usual_negative_share: Option<f64>,
}

impl WatchSeries {
    /// The closed buckets of `watch` in the `span` before `now`, each against its usual band. (The band is
    /// learnt without the freeze of past incidents, which only the running detector knows: inside a long
    /// incident it can read higher than the detector's.)
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load(
        store: &Store,
        watch: &Watch,
        span: TimeDelta,
        now: DateTime<Utc>,
    ) -> Result<WatchSeries> {
        let settings = &watch.detection;
        let bucket = bucket_delta(settings.bucket);
        let from = now - span;
        let since = from - history_span(settings);
        let history: Vec<BucketCounts> = store
            .watch_buckets(&watch.id, since)?
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect();
        let history_start = history.first().map_or(from, |b| b.start);
        let points: Vec<SeriesPoint> = history
            .iter()
            .filter(|b| b.start >= from && b.start + bucket <= now)
            .map(|b| {
                let base = learn(settings, &history, history_start, &[], b.start);
                SeriesPoint {
                    start: b.start,
                    stories: b.stories,
                    negative: b.negative_stories,
                    usual: base.total,
                    usual_negative: base.negative,
                }
            })
            .collect();
        let share = |bs: &mut dyn Iterator<Item = &BucketCounts>| {
            let (n, a) = bs.fold((0u64, 0u64), |(n, a), b| {
                (n + u64::from(b.negative_stories), a + u64::from(b.stories))
            });
            (a > 0).then(|| n as f64 / a as f64)
        };
        Ok(WatchSeries {
            watch: watch.id.clone(),
            name: watch.name.clone(),
            bucket,
            negative_share: share(&mut history.iter().filter(|b| b.start >= from)),
            usual_negative_share: share(&mut history.iter().filter(|b| b.start < from)),
            points,
        })
    }
}
