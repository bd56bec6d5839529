//! The usual level: past bucket counts in, a robust centre and spread out.
//!
//! For the bucket being judged, the baseline takes the past buckets that are comparable with it (the
//! *profile*): every bucket while history is short, the same hour of day once there are a few days, the same
//! hour of the week once there are four weeks. Buckets inside an incident are left out (the baseline is
//! frozen during incidents) and buckets with no row count as zero, since a quiet hour is a real observation.
//! Of those samples it keeps the median, the MAD and a spread floored for Poisson-like counts; see the method
//! in [`crate::detect`]. Called by [`crate::detect::evaluate`]; public for `veille replay --explain` and tests.

use chrono::{DateTime, TimeDelta, TimeZone as _, Utc};
use chrono_tz::Tz;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::counts::{BucketCounts, bucket_delta, bucket_secs, span};
use crate::model::WatchSettings;

/// From this much history, the same hour of day is compared (before, all hours are).
pub const HOUR_OF_DAY_AFTER_DAYS: i64 = 3;
/// From this much history, the same hour of the week is compared.
pub const HOUR_OF_WEEK_AFTER_DAYS: i64 = 28;
/// Scales a MAD to a standard deviation for normal data (1 / Φ⁻¹(3/4)).
pub const MAD_SCALE: f64 = 1.4826;

/// Which past buckets a bucket is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Every past bucket: history is only a few days long.
    AllHours,
    /// The same time of day on past days.
    HourOfDay,
    /// The same time of the week on past weeks.
    HourOfWeek,
}

/// The profile for a given length of history and bucket size. A bucket that does not divide a day (or a
/// week) has no "same hour" and falls back to the coarser profile.
pub fn choose_profile(history: TimeDelta, bucket_secs: i64) -> Profile {
    let divides = |period: i64| bucket_secs < period && period % bucket_secs == 0;
    if history >= TimeDelta::days(HOUR_OF_WEEK_AFTER_DAYS) && divides(7 * 86_400) {
        Profile::HourOfWeek
    } else if history >= TimeDelta::days(HOUR_OF_DAY_AFTER_DAYS) && divides(86_400) {
        Profile::HourOfDay
    } else {
        Profile::AllHours
    }
}

/// How far back the caller should load bucket counts for a watch: the baseline span, and four weeks at least
/// so that the hour-of-week profile has four samples.
pub fn history_span(settings: &WatchSettings) -> TimeDelta {
    let baseline = span(settings.baseline);
    baseline.max(TimeDelta::days(HOUR_OF_WEEK_AFTER_DAYS))
}

/// The median; sorts `xs` in place. Zero for no data.
pub fn median(xs: &mut [f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The median absolute deviation from `centre`. Zero for no data.
pub fn mad(xs: &[f64], centre: f64) -> f64 {
    let mut dev: Vec<f64> = xs.iter().map(|x| (x - centre).abs()).collect();
    median(&mut dev)
}

/// The spread a robust z divides by: 1.4826 × MAD, but never below √median (the standard deviation of a
/// Poisson count with that mean) nor below 1, so that a quiet hour whose MAD is 0 does not make every blip
/// a crisis.
pub fn spread(median: f64, mad: f64) -> f64 {
    (MAD_SCALE * mad).max(median.max(0.0).sqrt()).max(1.0)
}

/// How much wider than the spread a new count may fall when the median itself comes from few samples:
/// `√(1 + π / 2n)`, since the median of `n` normal samples varies with variance `π σ² / 2n`. About 1.23
/// for the three samples of a young hour-of-day profile, 1.05 for fourteen; 1 with no sample.
pub fn small_sample_factor(n: u32) -> f64 {
    if n == 0 {
        1.0
    } else {
        (1.0 + std::f64::consts::PI / (2.0 * f64::from(n))).sqrt()
    }
}

/// How far a count is above a usual level for Poisson noise, in standard deviations, on Anscombe's
/// variance-stabilising scale: `2(√(count + 3/8) − √(usual + 3/8))` (Anscombe, Biometrika 35, 1948).
/// For large counts it is `(count − usual) / √usual`, the √median floor of [`spread`]; for small ones it
/// respects the long right tail of a Poisson law, where the normal approximation would call 5 against a
/// usual 1 a 4σ event although it happens about once in 270 hours.
pub fn poisson_z(count: f64, usual: f64) -> f64 {
    2.0 * ((count.max(0.0) + 0.375).sqrt() - (usual.max(0.0) + 0.375).sqrt())
}

/// A robust centre and spread of one count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub median: f64,
    pub mad: f64,
    /// The floored spread ([`spread`]).
    pub spread: f64,
    /// How many past buckets the median was taken of.
    pub samples: u32,
}

impl Level {
    /// The level of a set of samples (sorted in place).
    pub fn of(samples: &mut [f64]) -> Level {
        let median = median(samples);
        let mad = mad(samples, median);
        Level {
            median,
            mad,
            spread: spread(median, mad),
            samples: u32::try_from(samples.len()).unwrap_or(u32::MAX),
        }
    }

    /// Robust z-score of a count: the smaller of the MAD score `(count − median) / spread` and the Poisson
    /// score [`poisson_z`]. A count must be unusual both against the spread seen in the past and against
    /// counting noise; at small counts the second is the stricter (see [`poisson_z`]).
    pub fn z(&self, count: f64) -> f64 {
        ((count - self.median) / self.spread).min(poisson_z(count, self.median))
            / small_sample_factor(self.samples)
    }

    /// How many times the usual level a count is; the usual level is floored at one so that a brand that
    /// usually gets nothing is not at "infinitely many times" on its first mention.
    pub fn ratio(&self, count: f64) -> f64 {
        count / self.median.max(1.0)
    }
}

/// The usual level of a watch for one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub profile: Profile,
    /// How many past buckets it was learnt from.
    pub samples: u32,
    /// Of negative stories per bucket.
    pub negative: Level,
    /// Of all stories per bucket.
    pub total: Level,
    /// Negative stories over all stories in the samples (a ratio of sums, steadier than a median of ratios);
    /// `None` when the samples hold no story at all.
    pub negative_share: Option<f64>,
}

/// A span of time, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// How the past buckets a window is compared with are found.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Every bucket before it.
    Buckets(TimeDelta),
    /// The same local time of day this many days before, on the audience's clock.
    Days(i64),
}

impl Step {
    /// The start of the `k`-th bucket back from `window_start`. Across a change of daylight-saving time the
    /// same local hour is an hour earlier or later in UTC. When that local time does not exist (the hour
    /// skipped in spring) or the zone's offset does not fall on a bucket boundary (a half-hour zone with
    /// hourly buckets), whole days of 24 hours are stepped instead.
    fn back(self, window_start: DateTime<Utc>, k: i64, tz: Tz, bucket: TimeDelta) -> DateTime<Utc> {
        let days = match self {
            Step::Buckets(b) => return window_start - b * k as i32,
            Step::Days(d) => d * k,
        };
        let absolute = window_start - TimeDelta::days(days);
        let local = window_start.with_timezone(&tz).naive_local() - TimeDelta::days(days);
        let Some(t) = tz.from_local_datetime(&local).earliest() else {
            return absolute;
        };
        let t = t.with_timezone(&Utc);
        let aligned = bucket.num_seconds() > 0
            && (window_start - t).num_seconds() % bucket.num_seconds() == 0;
        if aligned { t } else { absolute }
    }
}

/// Learns the baseline of the bucket starting at `window_start` from `history` (any order; buckets at or
/// after `window_start` are ignored), history beginning at `since`, leaving out buckets in `frozen`.
pub fn learn(
    settings: &WatchSettings,
    history: &[BucketCounts],
    since: DateTime<Utc>,
    frozen: &[Span],
    window_start: DateTime<Utc>,
) -> Baseline {
    let bucket = bucket_delta(settings.bucket);
    let profile = choose_profile(window_start - since, bucket_secs(settings.bucket));
    let baseline_span = span(settings.baseline);
    let (step, lookback) = match profile {
        Profile::AllHours => (Step::Buckets(bucket), baseline_span),
        Profile::HourOfDay => (Step::Days(1), baseline_span),
        Profile::HourOfWeek => (
            Step::Days(7),
            baseline_span.max(TimeDelta::days(HOUR_OF_WEEK_AFTER_DAYS)),
        ),
    };
    let oldest = since.max(window_start - lookback);
    let by_start: FxHashMap<i64, &BucketCounts> = history
        .iter()
        .filter(|b| b.start < window_start && b.start >= oldest)
        .map(|b| (b.start.timestamp(), b))
        .collect();
    let mut negative = Vec::new();
    let mut total = Vec::new();
    let (mut neg_sum, mut all_sum) = (0u64, 0u64);
    for k in 1.. {
        let t = step.back(window_start, k, settings.timezone.0, bucket);
        if t < oldest {
            break;
        }
        if !frozen.iter().any(|s| s.contains(t)) {
            let (n, a) = by_start
                .get(&t.timestamp())
                .map_or((0, 0), |b| (b.negative_stories, b.stories));
            negative.push(f64::from(n));
            total.push(f64::from(a));
            neg_sum += u64::from(n);
            all_sum += u64::from(a);
        }
    }
    Baseline {
        profile,
        samples: u32::try_from(negative.len()).unwrap_or(u32::MAX),
        negative: Level::of(&mut negative),
        total: Level::of(&mut total),
        negative_share: (all_sum > 0).then(|| neg_sum as f64 / all_sum as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timezone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut []), 0.0);
        assert_eq!(median(&mut [7.0]), 7.0);
    }

    #[test]
    fn mad_ignores_one_outlier() {
        let mut xs = [1.0, 2.0, 3.0, 4.0, 100.0];
        let m = median(&mut xs);
        assert_eq!(m, 3.0);
        // Deviations 2, 1, 0, 1, 97: median 1.
        assert_eq!(mad(&xs, m), 1.0);
        assert_eq!(mad(&[], 0.0), 0.0);
    }

    #[test]
    fn spread_scales_mad_and_floors_at_poisson_and_one() {
        assert!((spread(4.0, 2.0) - 2.0 * MAD_SCALE).abs() < 1e-12);
        // A steady count of 16 has MAD 0: the floor is √16 = 4.
        assert_eq!(spread(16.0, 0.0), 4.0);
        // Nothing usually: the floor is 1.
        assert_eq!(spread(0.0, 0.0), 1.0);
        assert_eq!(spread(0.25, 0.0), 1.0);
    }

    #[test]
    fn level_z_and_ratio() {
        let l = Level::of(&mut [2.0, 2.0, 2.0, 2.0]);
        assert_eq!(l.median, 2.0);
        assert_eq!(l.mad, 0.0);
        assert!((l.spread - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(l.samples, 4);
        let c = 2.0 + 3.0 * 2f64.sqrt();
        let k = small_sample_factor(4);
        assert!(
            (l.z(c) - poisson_z(c, 2.0) / k).abs() < 1e-12,
            "the Poisson score is stricter here"
        );
        let wide = Level {
            median: 100.0,
            mad: 20.0,
            spread: spread(100.0, 20.0),
            samples: 0,
        };
        assert!(
            (wide.z(160.0) - 60.0 / (20.0 * MAD_SCALE)).abs() < 1e-12,
            "the MAD score is stricter here"
        );
        assert_eq!(l.ratio(6.0), 3.0);
        let quiet = Level::of(&mut [0.0, 0.0]);
        assert_eq!(quiet.ratio(5.0), 5.0, "usual level floored at one");
        assert_eq!(quiet.z(5.0), poisson_z(5.0, 0.0) / small_sample_factor(2));
    }

    #[test]
    fn poisson_score_needs_more_at_small_counts() {
        // Against a usual 1 an hour, 5 is not a 3.5σ event (it happens every 270 hours or so); 9 is.
        assert!(poisson_z(5.0, 1.0) < 3.5);
        assert!(poisson_z(8.0, 1.0) < 3.5);
        assert!(poisson_z(9.0, 1.0) >= 3.5);
        // Against nothing at all, six are needed.
        assert!(poisson_z(5.0, 0.0) < 3.5 && poisson_z(6.0, 0.0) >= 3.5);
        // For large counts it is the √usual floor.
        assert!((poisson_z(1063.0, 1000.0) - 63.0 / 1000f64.sqrt()).abs() < 0.05);
        assert!(poisson_z(1.0, 1.0).abs() < 1e-12);
    }

    #[test]
    fn few_samples_widen_the_margin() {
        assert_eq!(small_sample_factor(0), 1.0);
        assert!((small_sample_factor(3) - 1.2343).abs() < 1e-3);
        assert!((small_sample_factor(14) - 1.0546).abs() < 1e-3);
        assert!(small_sample_factor(28) < small_sample_factor(14));
    }

    #[test]
    fn the_same_hour_of_day_follows_the_audience_clock_across_a_change_of_time() {
        let paris = WatchSettings::default();
        assert_eq!(paris.timezone.to_string(), "Europe/Paris");
        let utc = WatchSettings {
            timezone: Timezone::UTC,
            ..WatchSettings::default()
        };
        // Every evening at 20:00 in Paris, 30 negative mentions: 19:00 UTC in winter, 18:00 UTC from
        // Sunday 29 March 2026, when clocks go forward.
        let paris_at = |day: u32, hour: u32| {
            chrono_tz::Europe::Paris
                .with_ymd_and_hms(2026, 3, day, hour, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let history: Vec<_> = (20..=31).map(|d| bucket(paris_at(d, 20), 30, 40)).collect();
        let since = paris_at(20, 0);
        // Tuesday 31 March, 20:00 in Paris: the days before, winter time included, had their peak then.
        let b = learn(&paris, &history, since, &[], paris_at(31, 20));
        assert_eq!(b.profile, Profile::HourOfDay);
        assert_eq!(b.negative.median, 30.0, "{b:?}");
        // On the UTC clock, 18:00 UTC was a quiet hour all winter: the peak would look like a surge.
        let b = learn(&utc, &history, since, &[], paris_at(31, 20));
        assert_eq!(b.negative.median, 0.0, "{b:?}");
        // The hour clocks skip (02:00–03:00 on 29 March) is stepped over in whole days, without a gap.
        let b = learn(&paris, &history, since, &[], paris_at(30, 2));
        assert_eq!(b.samples, 10);
    }

    #[test]
    fn profile_follows_history_length() {
        let h = 3600;
        assert_eq!(choose_profile(TimeDelta::hours(20), h), Profile::AllHours);
        assert_eq!(choose_profile(TimeDelta::days(2), h), Profile::AllHours);
        assert_eq!(choose_profile(TimeDelta::days(3), h), Profile::HourOfDay);
        assert_eq!(choose_profile(TimeDelta::days(27), h), Profile::HourOfDay);
        assert_eq!(choose_profile(TimeDelta::days(28), h), Profile::HourOfWeek);
        // A daily bucket has no hour of day; a weekly one no hour of week.
        assert_eq!(
            choose_profile(TimeDelta::days(10), 86_400),
            Profile::AllHours
        );
        assert_eq!(
            choose_profile(TimeDelta::days(40), 86_400),
            Profile::HourOfWeek
        );
        assert_eq!(
            choose_profile(TimeDelta::days(40), 7 * 86_400),
            Profile::AllHours
        );
        // Seven-hour buckets do not tile a day.
        assert_eq!(
            choose_profile(TimeDelta::days(10), 7 * 3600),
            Profile::AllHours
        );
    }

    #[test]
    fn history_span_covers_four_weeks() {
        let s = WatchSettings::default();
        assert_eq!(history_span(&s), TimeDelta::days(28));
        let long = WatchSettings {
            baseline: crate::model::Interval::secs(60 * 86_400),
            ..s
        };
        assert_eq!(history_span(&long), TimeDelta::days(60));
    }

    fn bucket(start: DateTime<Utc>, neg: u32, all: u32) -> BucketCounts {
        BucketCounts {
            negative: neg,
            negative_stories: neg,
            stories: all,
            total: all,
            ..BucketCounts::empty(start)
        }
    }

    #[test]
    fn hour_of_day_learns_the_evening_and_zero_fills() {
        let s = WatchSettings::default();
        // Ten days: 20:00 always has 30 negative of 40; other hours have nothing recorded.
        let history: Vec<_> = (0..10)
            .map(|d| bucket(t0() + TimeDelta::days(d) + TimeDelta::hours(20), 30, 40))
            .collect();
        let at20 = learn(
            &s,
            &history,
            t0(),
            &[],
            t0() + TimeDelta::days(10) + TimeDelta::hours(20),
        );
        assert_eq!(at20.profile, Profile::HourOfDay);
        assert_eq!(at20.samples, 10);
        assert_eq!(at20.negative.median, 30.0);
        assert_eq!(at20.negative_share, Some(0.75));
        let at21 = learn(
            &s,
            &history,
            t0(),
            &[],
            t0() + TimeDelta::days(10) + TimeDelta::hours(21),
        );
        assert_eq!(at21.negative.median, 0.0, "missing buckets are quiet hours");
        assert_eq!(at21.negative_share, None);
    }

    #[test]
    fn all_hours_while_history_is_short() {
        let s = WatchSettings::default();
        let history: Vec<_> = (0..24)
            .map(|h| bucket(t0() + TimeDelta::hours(h), h as u32, 10))
            .collect();
        let b = learn(&s, &history, t0(), &[], t0() + TimeDelta::hours(24));
        assert_eq!(b.profile, Profile::AllHours);
        assert_eq!(b.samples, 24);
        assert_eq!(b.negative.median, 11.5);
    }

    #[test]
    fn hour_of_week_looks_back_four_weeks_even_with_a_shorter_baseline() {
        // Weeks of exactly 7 × 24 h: the UTC clock (the default Paris clock has a change of time in
        // these five weeks; see the next test).
        let s = WatchSettings {
            timezone: Timezone::UTC,
            ..WatchSettings::default()
        };
        let now = t0() + TimeDelta::days(35);
        let history: Vec<_> = (1..=5)
            .map(|w| bucket(now - TimeDelta::days(7 * w), 9, 10))
            .collect();
        let b = learn(&s, &history, t0(), &[], now);
        assert_eq!(b.profile, Profile::HourOfWeek);
        assert_eq!(b.samples, 4, "four weeks back, not the fifth");
        assert_eq!(b.negative.median, 9.0);
    }

    #[test]
    fn frozen_buckets_are_left_out_and_future_ones_ignored() {
        let s = WatchSettings::default();
        let now = t0() + TimeDelta::days(5);
        let history: Vec<_> = (1..=5)
            .map(|d| bucket(now - TimeDelta::days(d), if d <= 2 { 50 } else { 1 }, 60))
            .chain([bucket(now, 99, 99)])
            .collect();
        let frozen = [Span {
            start: now - TimeDelta::days(2),
            end: now - TimeDelta::days(1) + TimeDelta::hours(1),
        }];
        let b = learn(&s, &history, t0(), &frozen, now);
        assert_eq!(b.samples, 3);
        assert_eq!(b.negative.median, 1.0);
    }

    #[test]
    fn nothing_before_since_counts() {
        let s = WatchSettings::default();
        let since = t0() + TimeDelta::days(10);
        let b = learn(&s, &[], since, &[], since + TimeDelta::hours(5));
        assert_eq!(b.samples, 5);
    }
}
