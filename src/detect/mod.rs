//! Detection: analysed mentions and recent counts in, alerts and incident changes out.
//!
//! Pure code, like [`crate::analysis`]: no I/O, no clock (the time is an argument), no async, no SQL. The
//! daemon and `veille replay` drive it the same way, and the same inputs always give the same decisions.
//!
//! # How to drive it
//!
//! Per watch, the caller keeps a [`WatchState`] (serde; store it as JSON beside the watch) and the watch's
//! [`BucketCounts`] (one row per bucket, aggregated by [`BucketCounts::aggregate`]).
//!
//! 1. For each new analysed mention ([`AnalysedMention::new`]), call [`on_mention`]: the first critical
//!    mention of a rule alerts at once ([`Decision::CriticalMention`]) and opens the rule's incident; the
//!    critical mentions that follow are counted into it, and [`tell_rules`] (which [`evaluate`] calls too)
//!    tells them together, at most once per `group_interval` (a flood is one incident, one message, then
//!    updates).
//! 2. After each batch, call [`evaluate`] on the bucket in progress (it can open or escalate an incident
//!    within the first bucket of a burst), and at each bucket boundary call it on the bucket just closed
//!    (calm and resolution are only judged on closed buckets), with [`history_span`] of past counts.
//! 3. Write the decisions and the returned state in the same transaction, each decision under its
//!    [`Decision::key`] (stable and unique: a batch handed twice is recorded once, and the key makes a
//!    good `Message-ID`). Mail the decisions whose `notify` is true; the others (updates, silenced or
//!    inhibited alerts) are recorded only.
//!
//! [`WatchFeed`] does exactly this for one watch with its buckets in memory, and [`replay()`] runs it over
//! stored mentions: `veille replay` can use them as they are, and the daemon either keeps a feed per watch
//! or calls the two functions itself with counts from the store.
//!
//! Acknowledgements and silences are the store's: silences come in as [`Silence`]s, and the timeline kinds
//! [`EventKind::Acknowledged`] and [`EventKind::Silenced`] are there for the store to record them.
//!
//! # The method, and where it comes from
//!
//! **What is counted.** Per bucket (an hour by default): mentions, negative mentions, distinct sources,
//! voices and stories. Detection compares *distinct negative stories*, not raw items, so one article
//! syndicated (or rewritten) on twenty sites counts once (and the explanation says so), and requires several distinct
//! voices, none of which carries more than half of the negative stories, so one angry customer posting
//! twelve times is not a crowd, even in an hour when two other people grumble too.
//!
//! **The usual level** of a bucket is the median of comparable past buckets, and its spread the median
//! absolute deviation scaled by 1.4826 to match a standard deviation; the score is the robust z
//! `(count − median) / spread`. Median and MAD are the robust estimators of the modified z-score of
//! Iglewicz & Hoaglin (*How to Detect and Handle Outliers*, ASQC, 1993), whose customary threshold is 3.5;
//! unlike a mean and standard deviation, they are not dragged up by the very outliers one hunts.
//!
//! **Comparable buckets** follow the seasonality people have: the same hour of the day over the baseline
//! span (so a usual evening burst of complaints is learnt as normal for the evening); the same hour of the
//! week once four weeks of history give four samples; every hour while history is shorter than three days.
//! This is the seasonal comparison of Twitter's AnomalyDetection (Hochenbaum, Vallis & Kejariwal, "Automatic
//! Anomaly Detection in the Cloud Via Statistical Learning", 2017, which pairs seasonal decomposition with
//! median and MAD) done the simple way Prometheus users compare a series with itself `offset 1d` or
//! `offset 1w`. Buckets with no mention count as zero: a quiet hour is an observation. "The same hour" is
//! read on the audience's clock (the watch's `timezone`), so a change of daylight-saving time does not move
//! the evening into an hour that was quiet until then.
//!
//! **A Poisson floor.** Mention counts behave like Poisson counts, whose standard deviation is the square
//! root of their mean; the spread is therefore never below √median, nor below 1, so an hour whose MAD is
//! zero (always 0, or always 3) does not turn every blip into a crisis. At small counts even that is too
//! lenient, because the Poisson law has a long right tail (5 against a usual 1 happens every 270 hours or
//! so), so the score is also taken on Anscombe's variance-stabilising scale, `2(√(x + 3/8) − √(m + 3/8))`
//! (Anscombe, "The transformation of Poisson, binomial and negative-binomial data", Biometrika 35, 1948),
//! and the smaller of the two scores counts. Public-health outbreak detection reasons the same way about
//! its counts (Farrington et al., "A statistical algorithm for the early detection of outbreaks of
//! infectious disease", J. R. Stat. Soc. A 159, 1996, with its quasi-Poisson model). Last, while a
//! profile has few samples its median is itself uncertain (the median of `n` normal samples has variance
//! `π σ² / 2n`), so the score is divided by `√(1 + π / 2n)`: 1.23 for three days of history, 1.05 for
//! fourteen.
//!
//! **Bad buzz** opens an incident when, after a warm-up (`warmup`, three days), all of these hold for the
//! window: z ≥ `min_z`; count ≥ `min_ratio` × the usual level (floored at one); count ≥ `min_negative`
//! stories from ≥ `min_authors` voices, the loudest voice carrying no more than half of them; and the
//! negative share of stories has risen, both by at least `min_share_rise` above its usual share at that
//! hour and surely: the one-sided two-proportion z-test with Yates' continuity correction (Fleiss, Levin &
//! Paik, *Statistical Methods for Rates and Proportions*, Wiley 2003), the window's negative stories out of
//! its stories against those of every bucket of the baseline span, at the 5 % level
//! ([`baseline::share_rise_z`], [`baseline::SHARE_Z`]). The sentiment scorer is wrong on about one text in
//! four, so a launch day, loud and happy, carries many texts scored negative and its share wobbles up: the
//! test weighs that noise with both counts, and such a day is a buzz (an information-level
//! [`Decision::Buzz`] is made when volume alone surges), not a bad buzz. The floors exist because a
//! statistic on tiny counts says little: two posts about a quiet brand are not news.
//!
//! **Slow crises.** A crisis that builds over days without an hourly surge is caught by a CUSUM of the
//! daily negative share against its usual level, and opens a *trend* incident ("tendance négative",
//! [`trend`]).
//!
//! **Planned events.** During a watch's planned event (`[[event]]` in the rule files), a surge of volume
//! alone is an expected peak, said with the event's name and not mailed; a rise of the negative share still
//! opens a bad buzz, whose explanation names the event.
//!
//! **Stories.** A mention's story is its content hash, unless a near-identical text (MinHash over word
//! pairs, [`crate::analysis::story`]) was seen in the last two days: a rewritten copy joins that story.
//!
//! **Holidays.** In the hour-of-week profile, a rest day (a Sunday or a French public holiday, fixed or
//! following Easter, [`baseline::is_french_holiday`]) is compared with the rest days of the last four
//! weeks, and a working day with the same weekday, holidays left out: 14 July is not a usual Tuesday.
//!
//! **Frozen baseline.** Buckets inside an incident (open or past) are left out of the baseline, so a crisis
//! of three days is not learnt as the new normal and the incident stays open while it lasts. Control charts
//! estimate their limits from in-control data only (Montgomery, *Introduction to Statistical Quality
//! Control*, phase I and II), and Farrington's algorithm likewise down-weights past outbreaks in its
//! baseline.
//!
//! **Lifecycle.** An incident escalates to critical when the count reaches `critical_ratio` × the usual level
//! with z ≥ 2 × `min_z`; it resolves when closed buckets have been near the usual level (z < `min_z` / 2,
//! or below the `min_negative` floor) for `resolve_after`, and that is an event of its own, mailed with the
//! duration and the peak (Alertmanager's resolved notifications); then `cooldown` holds off a new incident
//! on the watch. Opening high and closing low, and only after a sustained calm, is hysteresis: an incident
//! hovering near the threshold does not flap (the part the `for:` clause of a Prometheus alerting rule plays
//! on the way up, a condition that must hold a while, is played here on the way down). Grouping alerts into incidents, inhibiting the
//! keyword alerts of a brand while its bad-buzz incident is open, and silences that keep recording but stop
//! notifying are the grouping, inhibition rules and silences of Prometheus Alertmanager.
//!
//! # Limits
//!
//! - Hours are UTC hours. A 24-hour period is the same in any time zone, but when summer time starts or
//!   ends the local daily cycle moves by an hour against UTC, and the hour-of-day profile takes about a
//!   week (half its samples) to follow.
//! - A bucket in progress is judged against whole past buckets, which is conservative: it can open an
//!   incident early in a burst, never late.
//! - A missing bucket counts as zero, so the store must give every bucket that had mentions; a watch whose
//!   sources were down looks quiet, not unknown.
//! - Stories are grouped by MinHash within each watch's feed ([`crate::analysis::story`]), in memory: after a
//!   restart, copies of an article seen before it start a story of their own.
//!
//! # Layout
//!
//! - [`counts`]: mentions to bucket counts.
//! - [`baseline`]: median, MAD, the Poisson floor, the seasonal profile.
//! - [`incident`]: decisions, the watch state machine, [`on_mention`] and [`evaluate`].
//! - [`explain`]: the facts of a decision, in French and English.
//! - [`feed`]: one watch followed through time, for `veille replay` and the tests.
//! - [`settings`]: checking a watch's detection settings.
//! - [`silence`]: what people silence, and until when.
//! - [`blind`]: sources that can no longer be heard (failing, rate-limited, silent).
//! - [`trend`]: slow crises, by a CUSUM of the daily negative share.

pub mod baseline;
pub mod blind;
pub mod counts;
pub mod explain;
pub mod feed;
pub mod incident;
pub mod settings;
pub mod silence;
pub mod trend;

#[cfg(test)]
mod scenarios;

pub use baseline::{Baseline, Level, Profile, Span, choose_profile, history_span};
pub use counts::{AnalysedMention, BucketCounts, Window, aggregate_buckets, bucket_start};
pub use explain::{Explanation, Figures, Pickup, Syndication, Tally, Telling, TellingMention};
pub use feed::{WatchFeed, replay};
pub use incident::{
    BuzzAlert, CriticalMention, Decision, EventKind, IncidentEvent, IncidentId, IncidentWindow,
    MoreCritical, OpenIncident, RuleIncident, Suppression, WatchState, evaluate, on_mention,
    tell_rules,
};
pub use settings::settings_problems;
pub use silence::{Silence, SilenceTarget, active_silence, is_silenced};
pub use trend::{OpenTrend, TrendFacts};

/// The words of detection's facts, for this module's tests: the decisions said as the faces say them, in
/// French and English on the UTC clock.
#[cfg(test)]
pub(crate) mod said {
    use crate::i18n::words;
    use crate::i18n::{Locale, Voice};

    use super::{BuzzAlert, CriticalMention, Decision, IncidentEvent};

    pub(crate) trait Said {
        fn decision(&self) -> Decision;

        fn explain_fr(&self) -> String {
            words::decision(&Voice::new(Locale::Fr, chrono_tz::UTC), &self.decision())
        }

        fn explain_en(&self) -> String {
            words::decision(&Voice::new(Locale::En, chrono_tz::UTC), &self.decision())
        }
    }

    impl Said for Decision {
        fn decision(&self) -> Decision {
            self.clone()
        }
    }

    impl Said for IncidentEvent {
        fn decision(&self) -> Decision {
            Decision::Incident(self.clone())
        }
    }

    impl Said for CriticalMention {
        fn decision(&self) -> Decision {
            Decision::CriticalMention(self.clone())
        }
    }

    impl Said for BuzzAlert {
        fn decision(&self) -> Decision {
            Decision::Buzz(self.clone())
        }
    }
}
