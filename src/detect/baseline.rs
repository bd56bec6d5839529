//! The usual level: past bucket counts in, a robust centre and spread out.
//!
//! For the bucket being judged, the baseline takes the past buckets that are comparable with it (the
//! *profile*): every bucket while history is short, the same hour of day once there are a few days, the same
//! hour of the week once there are four weeks. Buckets inside an incident are left out (the baseline is
//! frozen during incidents) and buckets with no row count as zero, since a quiet hour is a real observation.
//! Of those samples it keeps the median, the MAD and a spread floored for Poisson-like counts; see the method
//! in [`crate::detect`]. Called by [`crate::detect::evaluate`]; public for `veille replay --explain` and tests.

use chrono::{DateTime, Datelike as _, NaiveDate, TimeDelta, TimeZone as _, Utc, Weekday};
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
    /// Negative stories summed over every bucket of the baseline span (not only the comparable samples):
    /// with [`Baseline::stories_sum`], the evidence of the usual share that [`share_rise_z`] weighs.
    #[serde(default)]
    pub negative_sum: u64,
    /// All stories summed over every bucket of the baseline span.
    #[serde(default)]
    pub stories_sum: u64,
}

/// How surely a window's negative share is above the usual one: the one-sided two-proportion z statistic
/// with Yates' continuity correction (Fleiss, Levin & Paik, *Statistical Methods for Rates and
/// Proportions*, 3rd ed., Wiley 2003, §2.3 and §3.3), `negative` of `stories` in the window against
/// `usual_negative` of `usual_stories` in the baseline's samples.
///
/// The sentiment scorer is wrong on about one text in four, so the share it gives an hour has a binomial
/// noise of its own: a loud hour of happy posts carries many texts scored negative, and a share measured on
/// twelve stories is far less sure than one measured on three weeks. The pooled standard error holds both
/// uncertainties, and the correction (half a story on each side) keeps small counts from looking sure.
/// `None` when either side has no story (nothing to compare); a share at or below the usual one gives 0 or
/// less.
pub fn share_rise_z(
    negative: u64,
    stories: u64,
    usual_negative: u64,
    usual_stories: u64,
) -> Option<f64> {
    if stories == 0 || usual_stories == 0 {
        return None;
    }
    let (x1, n1) = (negative.min(stories) as f64, stories as f64);
    let (x0, n0) = (
        usual_negative.min(usual_stories) as f64,
        usual_stories as f64,
    );
    let pooled = (x1 + x0) / (n1 + n0);
    let inv = 1.0 / n1 + 1.0 / n0;
    let se = (pooled * (1.0 - pooled) * inv).sqrt();
    let rise = x1 / n1 - x0 / n0;
    if rise <= 0.0 {
        return Some(0.0);
    }
    if se == 0.0 {
        // Both shares 0 or both 1: only reachable with rise == 0, handled above; kept for safety.
        return Some(0.0);
    }
    Some(((rise - inv / 2.0).max(0.0)) / se)
}

/// The one-sided p-value of a standard normal score `z`: the chance of a score at least this high when the
/// share has not risen. By the complementary error function, from W. J. Cody's rational approximation as
/// given by Numerical Recipes (`erfc` to about 1.2e-7), plenty for a figure shown with two digits.
pub fn one_sided_p(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    let erfc = if x >= 0.0 { erfc } else { 2.0 - erfc };
    ((erfc / 2.0) * 1e6).round() / 1e6
}

/// The share test's threshold: one-sided, 5 %. The share test only ever adds to a surge of negative stories
/// that already passed its own tests (z, ratio, floors, voices), so it needs to tell a rise from the
/// scorer's noise, not to stand alone against noise every hour.
pub const SHARE_Z: f64 = 1.645;

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

/// Easter Sunday of `year` in the Gregorian calendar: the anonymous algorithm (Meeus/Jones/Butcher, in
/// Jean Meeus, *Astronomical Algorithms*, 2nd ed., 1998, ch. 8). `None` outside chrono's years.
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Whether `date` is a French public holiday (jour férié, Code du travail art. L3133-1): the eight fixed
/// ones and Easter Monday, Ascension Thursday and Whit Monday (Easter + 1, 39 and 50 days). Good Friday and
/// 26 December, holidays in Alsace-Moselle only, are not counted.
pub fn is_french_holiday(date: NaiveDate) -> bool {
    let fixed = matches!(
        (date.month(), date.day()),
        (1, 1) | (5, 1) | (5, 8) | (7, 14) | (8, 15) | (11, 1) | (11, 11) | (12, 25)
    );
    fixed
        || easter(date.year()).is_some_and(|e| {
            let after = (date - e).num_days();
            matches!(after, 1 | 39 | 50)
        })
}

/// A day people rest: a Sunday or a public holiday. A holiday's talk looks like a Sunday's, not like the
/// Tuesday it falls on, so the hour-of-week profile compares rest days with rest days.
fn is_rest_day(date: NaiveDate) -> bool {
    date.weekday() == Weekday::Sun || is_french_holiday(date)
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
    let tz = settings.timezone.0;
    let local_date = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    // In the hour-of-week profile a rest day (Sunday or holiday) is compared with the rest days of the
    // last four weeks, and a working day with the same weekday, holidays left out.
    let rest = profile == Profile::HourOfWeek && is_rest_day(local_date(window_start));
    let (step, lookback) = match profile {
        Profile::AllHours => (Step::Buckets(bucket), baseline_span),
        Profile::HourOfDay => (Step::Days(1), baseline_span),
        Profile::HourOfWeek => (
            Step::Days(if rest { 1 } else { 7 }),
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
    let (mut comparable_neg, mut comparable_all) = (0u64, 0u64);
    for k in 1.. {
        let t = step.back(window_start, k, tz, bucket);
        if t < oldest {
            break;
        }
        let comparable = profile != Profile::HourOfWeek || is_rest_day(local_date(t)) == rest;
        if comparable && !frozen.iter().any(|s| s.contains(t)) {
            let (n, a) = by_start
                .get(&t.timestamp())
                .map_or((0, 0), |b| (b.negative_stories, b.stories));
            negative.push(f64::from(n));
            total.push(f64::from(a));
            comparable_neg += u64::from(n);
            comparable_all += u64::from(a);
        }
    }
    // The share's evidence is every bucket of the span, not only the comparable ones: the share of negative
    // stories varies far less with the hour than the counts do, and fourteen same-hour samples of a few
    // stories each are too few to tell a crisis from the scorer's noise.
    let (neg_sum, all_sum) = by_start
        .values()
        .filter(|b| !frozen.iter().any(|s| s.contains(b.start)))
        .fold((0u64, 0u64), |(n, a), b| {
            (n + u64::from(b.negative_stories), a + u64::from(b.stories))
        });
    Baseline {
        profile,
        samples: u32::try_from(negative.len()).unwrap_or(u32::MAX),
        negative: Level::of(&mut negative),
        total: Level::of(&mut total),
        negative_share: (comparable_all > 0).then(|| comparable_neg as f64 / comparable_all as f64),
        negative_sum: neg_sum,
        stories_sum: all_sum,
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
        // Tuesday 7 April 2026 (the Monday before is Easter Monday, a holiday compared with Sundays).
        let now = t0() + TimeDelta::days(36);
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
    fn one_sided_p_values_of_known_scores() {
        assert!((one_sided_p(0.0) - 0.5).abs() < 1e-6);
        assert!(
            (one_sided_p(SHARE_Z) - 0.05).abs() < 1e-4,
            "{}",
            one_sided_p(SHARE_Z)
        );
        assert!((one_sided_p(2.326) - 0.01).abs() < 1e-4);
        assert!((one_sided_p(-1.645) - 0.95).abs() < 1e-4);
        assert!(one_sided_p(40.0) < 1e-6);
    }

    #[test]
    fn share_rise_z_weighs_both_counts() {
        // 23 % of 30 against 10 % of 140: a rise of thirteen points, within the noise.
        let z = share_rise_z(7, 30, 14, 140).unwrap();
        assert!((1.6..1.8).contains(&z), "{z}");
        // The same shares on five times the stories: sure.
        let z = share_rise_z(35, 150, 70, 700).unwrap();
        assert!(z > 4.0, "{z}");
        // A fall, or equal shares, is no rise.
        assert_eq!(share_rise_z(1, 60, 21, 140), Some(0.0));
        assert_eq!(share_rise_z(15, 100, 15, 100), Some(0.0));
        // Nothing to compare.
        assert_eq!(share_rise_z(0, 0, 21, 140), None);
        assert_eq!(share_rise_z(3, 5, 0, 0), None);
        // The continuity correction takes half a story off each side: 2 of 4 against 25 of 100 is a rise
        // of 25 points, worth z ≈ 1.15 without it, about 0.6 with it.
        let z = share_rise_z(2, 4, 25, 100).unwrap();
        assert!((0.4..0.8).contains(&z), "{z}");
    }

    #[test]
    fn easter_and_the_holidays_that_follow_it() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // Published dates of Easter Sunday.
        for (y, m, day) in [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2038, 4, 25),
        ] {
            assert_eq!(easter(y), Some(d(y, m, day)), "{y}");
        }
        // 2026: Easter Monday 6 April, Ascension 14 May, Whit Monday 25 May.
        for h in [
            d(2026, 4, 6),
            d(2026, 5, 14),
            d(2026, 5, 25),
            d(2026, 7, 14),
            d(2026, 1, 1),
        ] {
            assert!(is_french_holiday(h), "{h}");
        }
        for w in [
            d(2026, 4, 5),
            d(2026, 4, 7),
            d(2026, 5, 13),
            d(2026, 7, 15),
            d(2026, 12, 26),
        ] {
            assert!(!is_french_holiday(w), "{w}");
        }
    }

    #[test]
    fn a_holiday_is_compared_with_sundays_and_holidays_not_its_weekday() {
        let s = WatchSettings {
            timezone: Timezone::UTC,
            ..WatchSettings::default()
        };
        // Tuesday 14 July 2026 at 10 h; history from early June.
        let now = Utc.with_ymd_and_hms(2026, 7, 14, 10, 0, 0).unwrap();
        let since = now - TimeDelta::days(40);
        // Every day at 10 h: Sundays quiet (2 stories), other days busy (30).
        let history: Vec<_> = (1..=40)
            .map(|k| {
                let t = now - TimeDelta::days(k);
                let quiet = t.weekday() == Weekday::Sun;
                bucket(t, 1, if quiet { 2 } else { 30 })
            })
            .collect();
        let b = learn(&s, &history, since, &[], now);
        assert_eq!(b.profile, Profile::HourOfWeek);
        assert_eq!(b.samples, 4, "the four Sundays of the last four weeks");
        assert_eq!(b.total.median, 2.0, "like a Sunday, not like a Tuesday");
        // The Tuesday after is compared with Tuesdays, the holiday left out.
        let next = now + TimeDelta::days(7);
        let b = learn(&s, &history, since, &[], next);
        assert_eq!(b.samples, 3, "four Tuesdays back but the holiday");
        assert_eq!(b.total.median, 30.0);
    }

    #[test]
    fn nothing_before_since_counts() {
        let s = WatchSettings::default();
        let since = t0() + TimeDelta::days(10);
        let b = learn(&s, &[], since, &[], since + TimeDelta::hours(5));
        assert_eq!(b.samples, 5);
    }
}
