//! Slow crises: the negative share of the last days against its usual level, by a CUSUM.
//!
//! In: a watch's settings, its closed hourly buckets ([`BucketCounts`], the history a [`super::WatchFeed`]
//! keeps), its [`WatchState`] (for the open trend, past incidents and the cool-down), the silences and the
//! end of the bucket just closed. Out: the decisions of a *trend* incident ("tendance négative": opened,
//! resolved) as [`IncidentEvent`]s carrying [`TrendFacts`], and the next state. Called by
//! [`super::WatchFeed`] once per closed bucket, after the hourly judgement.
//!
//! A crisis can build over days: the same volume as usual, whose negative share climbs from its usual
//! level to two or three times it. No hour surges, so the hourly test of [`super::incident`] never fires.
//! This module accumulates the evidence instead, day by day.
//!
//! # The method
//!
//! **Days, not hours.** The history is cut into days of 24 hours ending at the bucket just closed (a
//! rolling day: each contains every hour of the day once, so a usual evening burst of complaints weighs the
//! same in every day and the daily cycle cancels out). Each day gives its stories `n` and its negative
//! stories `x`; an hour's loudest voice counts once, so one customer posting twelve times is one voice.
//!
//! **The usual share** `p0` is the share of negative stories over the baseline span, left out the last
//! two days (the climb being judged) and the spans of past incidents, with one negative and one other
//! story added (Laplace's rule of succession, so that a history with no negative story does not make the
//! first one infinitely surprising).
//!
//! **The CUSUM.** Page's cumulative sum (E. S. Page, "Continuous inspection schemes", Biometrika 41,
//! 1954) in its Bernoulli form for a proportion (M. R. Reynolds & Z. G. Stoumbos, "A CUSUM chart for
//! monitoring a proportion when inspecting continuously", Journal of Quality Technology 31, 1999): each
//! story adds the log-likelihood ratio of the share having risen to `p1` against its staying at `p0`,
//! `ln(p1/p0)` for a negative story and `ln((1 − p1)/(1 − p0))` for another, summed per day, and the sum
//! restarts from zero whenever it would fall below it: `S = max(0, S + x ln(p1/p0) + (n − x) ln((1 − p1)/
//! (1 − p0)))`. It is run over the last [`DAYS`] days and alarms at [`THRESHOLD`]. The shift it is tuned
//! to is `p1` = [`SHIFT`] × `p0`: a true doubling or tripling of negative talk reaches the measured share
//! compressed by the sentiment scorer's mistakes (on the French development set, 12 % of positive and
//! 19 % of neutral texts are scored negative and 27 % of negative texts are not, so a share of negative
//! texts going from 20 % to 60 % is measured going from 27 % to 50 %, × 1.85). At a usual share of 27 %,
//! a story adds −0.04 on average when nothing changes (variance 0.073), and Siegmund's approximation of
//! the average run length, `(e^(θh) − θh − 1) / (θ |μ|)` with `θ = 2|μ|/σ²`, puts a threshold `h` of 6 at
//! some 15,000 stories between false alarms of the CUSUM alone; the floors below cut that further.
//!
//! **Floors.** As for the hourly test, a statistic on tiny counts says little: the last day must hold at
//! least `min_negative` negative stories from `min_authors` voices, its share must be `min_share_rise`
//! above the usual share, and surely so by the two-proportion test of [`share_rise_z`] at the 5 % level.
//!
//! **Resolution.** The trend resolves when the last day's share is back to the CUSUM's reference value
//! `k`, the share at which a story adds nothing (between `p0` and `p1`); its span is then left out of the
//! baseline like a past incident's, and `cooldown` holds off a new trend.
//!
//! # Limits
//!
//! The test needs volume: at thirty stories a day, a measured share going from 27 % to 45 % is within the
//! day's binomial noise (the 5th percentile of 30 draws at 45 % is 9 negative stories, the median at 27 %
//! is 8), so such a brand's slow crisis is caught late or not at all; from about two hundred stories a
//! day it is caught within the second day.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::baseline::{SHARE_Z, Span, share_rise_z};
use super::counts::{BucketCounts, span};
use super::incident::{Decision, EventKind, IncidentEvent, IncidentId, Suppression, WatchState};
use super::silence::{Silence, SilenceTarget, active_silence};
use crate::model::{Severity, WatchSettings};

/// How many days the CUSUM runs over.
pub const DAYS: i64 = 7;
/// The rise the CUSUM is tuned to: the usual share times this.
pub const SHIFT: f64 = 1.5;
/// The CUSUM's alarm threshold (in nats of log-likelihood ratio).
pub const THRESHOLD: f64 = 6.0;
/// The last days left out of the usual share: the climb itself is not the usual level.
const RECENT_DAYS: i64 = 2;
/// Below this many stories in the usual span the usual share is not known well enough to test against.
const MIN_USUAL_STORIES: u64 = 100;

/// The facts of a trend decision: the last day's share against the usual one, and the CUSUM behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendFacts {
    /// The last day judged: 24 hours ending at the bucket just closed.
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Its stories and negative stories (an hour's loudest voice counted once).
    pub stories: u32,
    pub negative_stories: u32,
    pub share: Option<f64>,
    /// The usual share, over `usual_days` days before the last two.
    pub usual_share: f64,
    pub usual_days: u32,
    /// The share the CUSUM is tuned to detect, and the one at which it resolves.
    pub alarm_share: f64,
    pub reference_share: f64,
    /// The CUSUM's value, its threshold, and the start of the days it summed (when the rise began).
    pub cusum: f64,
    pub threshold: f64,
    pub rising_since: Option<DateTime<Utc>>,
    /// The two-proportion test of the last day's share against the usual one.
    pub share_z: Option<f64>,
}

/// An open trend incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenTrend {
    pub id: IncidentId,
    pub opened: DateTime<Utc>,
    /// Whether its opening was notified (a silenced trend's end is not mailed).
    pub notified: bool,
    /// The highest negative stories of a day since it opened, and when that day ended.
    pub peak: u32,
    pub peak_at: DateTime<Utc>,
    /// The usual share it was opened against: frozen while it lasts.
    pub usual_share: f64,
    pub usual_days: u32,
}

/// One day's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Day {
    stories: u64,
    negative: u64,
    negative_voices: u64,
}

impl Day {
    fn add(&mut self, b: &BucketCounts) {
        // An hour's loudest voice counts once: one customer posting a dozen times is one voice.
        let extra = u64::from(b.loudest_negative.saturating_sub(1));
        let negative = u64::from(b.negative_stories).saturating_sub(extra);
        self.stories += u64::from(b.stories).saturating_sub(extra).max(negative);
        self.negative += negative;
        self.negative_voices += u64::from(b.negative_authors);
    }

    fn share(&self) -> Option<f64> {
        (self.stories > 0).then(|| self.negative as f64 / self.stories as f64)
    }
}

/// The CUSUM's two steps per story, for a usual share `p0`: `(p1, ln(p1/p0), ln((1−p1)/(1−p0)), k)` where
/// `k` is the share at which a day adds nothing.
fn design(p0: f64) -> (f64, f64, f64, f64) {
    let p1 = (SHIFT * p0).min((1.0 + p0) / 2.0);
    let up = (p1 / p0).ln();
    let down = ((1.0 - p1) / (1.0 - p0)).ln();
    let k = -down / (up - down);
    (p1, up, down, k)
}

fn is_frozen(frozen: &[Span], t: DateTime<Utc>) -> bool {
    frozen.iter().any(|s| s.contains(t))
}

/// The usual share at `end`: negative stories over stories in the baseline span before the last
/// [`RECENT_DAYS`], outside past incidents, with Laplace's one and one; and how many days that covers.
fn usual_share(
    settings: &WatchSettings,
    history: &[BucketCounts],
    state: &WatchState,
    end: DateTime<Utc>,
) -> Option<(f64, u32, Day)> {
    let recent = end - TimeDelta::days(RECENT_DAYS);
    let from = recent - span(settings.baseline).max(TimeDelta::days(1));
    let from = state.since.map_or(from, |s| s.max(from));
    let mut usual = Day::default();
    for b in history
        .iter()
        .filter(|b| b.start >= from && b.start < recent && !is_frozen(&state.frozen, b.start))
    {
        usual.add(b);
    }
    if usual.stories < MIN_USUAL_STORIES {
        return None;
    }
    let days = u32::try_from((recent - from).num_days().max(1)).unwrap_or(u32::MAX);
    Some((
        (usual.negative as f64 + 1.0) / (usual.stories as f64 + 2.0),
        days,
        usual,
    ))
}

/// Judges the trend of `watch` when the bucket ending at `end` has just closed (and is the last of
/// `history`). Opens a trend incident when the CUSUM of the daily negative share reaches [`THRESHOLD`]
/// and the last day passes the floors, unless a bad-buzz incident is open (it already says so) or a trend
/// resolved within `cooldown`; resolves an open one when the last day's share is back to the reference.
pub fn judge(
    watch: &str,
    settings: &WatchSettings,
    history: &[BucketCounts],
    state: &mut WatchState,
    silences: &[Silence],
    end: DateTime<Utc>,
) -> Vec<Decision> {
    let mut out = Vec::new();
    let Some(since) = state.since else {
        return out;
    };
    // A week of history at least: the usual share needs days to be known.
    if end - since < span(settings.warmup).max(TimeDelta::days(DAYS)) {
        return out;
    }
    let day = TimeDelta::days(1);
    let mut days = [Day::default(); DAYS as usize];
    let first = end - day * (DAYS as i32);
    // Hours of past incidents are left out: a burst already told is not a trend.
    for b in history
        .iter()
        .filter(|b| b.start >= first && b.start < end && !is_frozen(&state.frozen, b.start))
    {
        let k = ((b.start - first).num_seconds() / 86_400).clamp(0, DAYS - 1);
        days[k as usize].add(b);
    }
    let last = days[DAYS as usize - 1];
    let silenced =
        active_silence(silences, &SilenceTarget::Watch(watch.to_owned()), end).map(|s| {
            Suppression::Silenced {
                reason: s.reason.clone(),
                until: s.until,
            }
        });

    if let Some(mut open) = state.trend.take() {
        let (_, _, _, k) = design(open.usual_share);
        if u32::try_from(last.negative).unwrap_or(u32::MAX) > open.peak {
            open.peak = u32::try_from(last.negative).unwrap_or(u32::MAX);
            open.peak_at = end;
        }
        if last.share().is_none_or(|s| s <= k) {
            let facts = facts(end, &last, open.usual_share, open.usual_days, 0.0, None);
            let mut e = event(watch, &open, EventKind::Resolved, end, silenced, facts);
            e.notify = open.notified && e.notify;
            e.duration_secs = Some((end - open.opened).num_seconds());
            out.push(Decision::Incident(e));
            state.frozen.push(Span {
                start: open.opened - TimeDelta::days(RECENT_DAYS),
                end,
            });
            state.last_trend = Some(end);
        } else {
            state.trend = Some(open);
        }
        return out;
    }

    let Some((p0, usual_days, usual)) = usual_share(settings, history, state, end) else {
        return out;
    };
    let (_, up, down, _) = design(p0);
    let mut cusum = 0.0f64;
    let mut rising_since = None;
    for (i, d) in days.iter().enumerate() {
        let step = d.negative as f64 * up + (d.stories - d.negative) as f64 * down;
        if cusum == 0.0 && step > 0.0 {
            rising_since = Some(first + day * (i as i32));
        }
        cusum = (cusum + step).max(0.0);
        if cusum == 0.0 {
            rising_since = None;
        }
    }
    let z = share_rise_z(last.negative, last.stories, usual.negative, usual.stories);
    let floors = last.negative >= u64::from(settings.min_negative)
        && last.negative_voices >= u64::from(settings.min_authors)
        && last
            .share()
            .is_some_and(|s| s - p0 >= settings.min_share_rise)
        && z.is_some_and(|z| z >= SHARE_Z);
    let cooling = state
        .last_trend
        .is_some_and(|t| end < t + span(settings.cooldown));
    if cusum >= THRESHOLD && floors && !cooling && state.incident.is_none() {
        let opened = end - super::counts::bucket_delta(settings.bucket);
        let open = OpenTrend {
            id: IncidentId(format!(
                "{watch}/trend@{}",
                opened.format("%Y-%m-%dT%H:%MZ")
            )),
            opened,
            notified: silenced.is_none(),
            peak: u32::try_from(last.negative).unwrap_or(u32::MAX),
            peak_at: end,
            usual_share: p0,
            usual_days,
        };
        let mut f = facts(end, &last, p0, usual_days, cusum, rising_since);
        f.share_z = z.map(round4);
        out.push(Decision::Incident(event(
            watch,
            &open,
            EventKind::Opened,
            end,
            silenced,
            f,
        )));
        state.trend = Some(open);
    }
    out
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn facts(
    end: DateTime<Utc>,
    last: &Day,
    p0: f64,
    usual_days: u32,
    cusum: f64,
    rising_since: Option<DateTime<Utc>>,
) -> TrendFacts {
    let (p1, _, _, k) = design(p0);
    TrendFacts {
        window_start: end - TimeDelta::days(1),
        window_end: end,
        stories: u32::try_from(last.stories).unwrap_or(u32::MAX),
        negative_stories: u32::try_from(last.negative).unwrap_or(u32::MAX),
        share: last.share().map(round4),
        usual_share: round4(p0),
        usual_days,
        alarm_share: round4(p1),
        reference_share: round4(k),
        cusum: round4(cusum),
        threshold: THRESHOLD,
        rising_since,
        share_z: None,
    }
}

fn event(
    watch: &str,
    open: &OpenTrend,
    kind: EventKind,
    now: DateTime<Utc>,
    suppressed: Option<Suppression>,
    facts: TrendFacts,
) -> IncidentEvent {
    IncidentEvent {
        incident: open.id.clone(),
        watch: watch.to_owned(),
        watch_name: None,
        rule: None,
        kind,
        severity: Severity::Warning,
        at: now,
        opened: open.opened,
        notify: suppressed.is_none(),
        suppressed,
        peak: open.peak,
        peak_at: open.peak_at,
        mentions: facts.negative_stories,
        duration_secs: None,
        calm_secs: None,
        explanation: None,
        more: None,
        trend: Some(Box::new(facts)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::detect::said::Said;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
    }

    /// An hour with `stories` stories, `negative` of them negative, each from its own voice.
    fn hour(start: DateTime<Utc>, negative: u32, stories: u32) -> BucketCounts {
        BucketCounts {
            start,
            total: stories,
            negative,
            sources: 3,
            authors: stories,
            stories,
            negative_stories: negative,
            negative_authors: negative,
            loudest_negative: negative.min(1),
        }
    }

    /// Follows a watch hour by hour: `negative(h)` negative stories of 16 in waking hours (6 h to 21 h),
    /// nothing at night; returns each decision with the hour it was made.
    struct Days {
        settings: WatchSettings,
        state: WatchState,
        history: Vec<BucketCounts>,
        made: Vec<(i64, Decision)>,
    }

    impl Days {
        fn new() -> Days {
            Days {
                settings: WatchSettings::default(),
                state: WatchState {
                    since: Some(t0()),
                    ..WatchState::default()
                },
                history: Vec::new(),
                made: Vec::new(),
            }
        }

        fn run(&mut self, hours: std::ops::Range<i64>, negative: impl Fn(i64) -> u32) {
            for h in hours {
                let start = t0() + TimeDelta::hours(h);
                let waking = (6..21).contains(&(h % 24));
                let b = if waking {
                    hour(start, negative(h), 16)
                } else {
                    hour(start, 0, 0)
                };
                self.history.push(b);
                let d = judge(
                    "acme",
                    &self.settings,
                    &self.history,
                    &mut self.state,
                    &[],
                    start + TimeDelta::hours(1),
                );
                self.made.extend(d.into_iter().map(|d| (h, d)));
            }
        }

        fn kinds(&self) -> Vec<(i64, EventKind)> {
            self.made
                .iter()
                .filter_map(|(h, d)| match d {
                    Decision::Incident(e) => Some((*h, e.kind)),
                    _ => None,
                })
                .collect()
        }
    }

    /// The usual share, about 27 %: 4 or 5 negative stories of 16, in a fixed pattern.
    fn usual(h: i64) -> u32 {
        if h % 3 == 0 { 5 } else { 4 }
    }

    #[test]
    fn a_share_climbing_over_two_days_opens_a_trend_within_them_and_ends_when_it_returns() {
        let mut w = Days::new();
        let climb = 21 * 24;
        w.run(0..climb, usual);
        assert!(w.made.is_empty(), "three ordinary weeks: {:?}", w.kinds());
        // The share climbs from 27 % to 50 % over two days, the volume unchanged: 4 → 8 of 16.
        w.run(climb..climb + 48, |h| 4 + ((h - climb) * 5 / 48) as u32);
        let k = w.kinds();
        assert_eq!(k.len(), 1, "{k:?}");
        let (at, kind) = k[0];
        assert_eq!(kind, EventKind::Opened);
        assert!(
            at >= climb + 24 && at < climb + 48,
            "opened at hour {}",
            at - climb
        );
        let Decision::Incident(e) = &w.made[0].1 else {
            unreachable!()
        };
        let t = e.trend.as_ref().expect("trend facts");
        assert!(
            t.cusum >= THRESHOLD && t.share_z.unwrap() >= SHARE_Z,
            "{t:?}"
        );
        assert!((0.26..0.29).contains(&t.usual_share), "{t:?}");
        assert_eq!(
            e.incident.0,
            format!(
                "acme/trend@{}",
                (t0() + TimeDelta::hours(at)).format("%Y-%m-%dT%H:%MZ")
            )
        );
        assert!(e.notify && e.severity == Severity::Warning);
        // Back to the usual share: resolved once the last day is back near it, once.
        w.run(climb + 48..climb + 96, usual);
        let k = w.kinds();
        assert_eq!(k.len(), 2, "{k:?}");
        assert_eq!(k[1].1, EventKind::Resolved);
        assert!(w.state.trend.is_none());
        assert_eq!(
            w.state.frozen.len(),
            1,
            "its days are left out of the usual share"
        );
    }

    #[test]
    fn the_trend_is_said_with_its_days_share_test_and_cusum_in_both_languages() {
        let mut w = Days::new();
        let climb = 21 * 24;
        w.run(0..climb, usual);
        w.run(climb..climb + 48, |h| 4 + ((h - climb) * 5 / 48) as u32);
        let fr = w.made[0].1.explain_fr();
        assert!(
            fr.starts_with("Tendance négative sur «\u{a0}acme\u{a0}»"),
            "{fr}"
        );
        assert!(
            fr.contains("Sur les 24\u{a0}h du 23/03 à 14:00 au 24/03 à 14:00")
                && fr.contains("d'habitude (les 14 jours précédents"),
            "{fr}"
        );
        assert!(fr.contains("Test de hausse\u{a0}: hausse nette"), "{fr}");
        assert!(fr.contains("CUSUM"), "{fr}");
        let en = w.made[0].1.explain_en();
        assert!(en.starts_with("Negative trend on “acme”"), "{en}");
        assert!(
            en.contains("the 14 days before") && en.contains("Share test: a clear rise"),
            "{en}"
        );
    }

    #[test]
    fn a_steady_share_with_a_noisy_day_opens_nothing() {
        let mut w = Days::new();
        // Three weeks and a half of the usual share, one day a little higher (6 of 16: 37 %) in the middle.
        w.run(0..25 * 24, |h| if h / 24 == 15 { 6 } else { usual(h) });
        assert!(w.made.is_empty(), "{:?}", w.kinds());
    }

    #[test]
    fn one_voice_posting_all_day_is_not_a_trend() {
        let mut w = Days::new();
        let climb = 21 * 24;
        w.run(0..climb, usual);
        // Two days of a share climbing as before, but the extra negative stories are one voice's.
        for h in climb..climb + 48 {
            let start = t0() + TimeDelta::hours(h);
            let mut b = if (6..21).contains(&(h % 24)) {
                hour(start, 4 + ((h - climb) * 5 / 48) as u32, 16)
            } else {
                hour(start, 0, 0)
            };
            b.loudest_negative = b.negative_stories.saturating_sub(3);
            w.history.push(b);
            let d = judge(
                "acme",
                &w.settings,
                &w.history,
                &mut w.state,
                &[],
                start + TimeDelta::hours(1),
            );
            assert!(d.is_empty(), "hour {h}");
        }
    }

    #[test]
    fn no_trend_while_a_bad_buzz_is_open() {
        let mut w = Days::new();
        let climb = 21 * 24;
        w.run(0..climb, usual);
        w.state.incident = Some(crate::detect::OpenIncident {
            id: IncidentId("acme@x".into()),
            severity: Severity::Warning,
            opened: t0() + TimeDelta::hours(climb),
            notified: true,
            windows: Vec::new(),
            calm_since: None,
        });
        w.run(climb..climb + 48, |h| 4 + ((h - climb) * 5 / 48) as u32);
        assert!(
            w.made.is_empty(),
            "the bad buzz already says it: {:?}",
            w.kinds()
        );
    }

    #[test]
    fn a_short_history_or_no_history_opens_nothing() {
        let mut w = Days::new();
        // Four days, then three days of a doubled share, all within the first week: the usual share is
        // not known yet.
        w.run(0..4 * 24, usual);
        w.run(4 * 24..7 * 24 - 1, |_| 10);
        assert!(w.made.is_empty());
        let mut st = WatchState::default();
        assert!(judge("acme", &WatchSettings::default(), &[], &mut st, &[], t0()).is_empty());
    }
}
