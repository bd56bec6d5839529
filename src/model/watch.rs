//! A watch as detection needs it: its settings, its display name, and what the rule files say.

use serde::{Deserialize, Serialize};

use super::{Interval, Timezone};

/// How a watch decides what is bad buzz: the `[watch.detection]` table of a rule file. Every key has a
/// default a communications team can reason about; see `rules/README.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchSettings {
    /// Size of a counting bucket (the window judged at once). Hour-of-day and hour-of-week comparisons need
    /// a bucket that divides a day.
    pub bucket: Interval,
    /// How far back the usual level is learnt (the same-hour-of-week comparison looks back four weeks at
    /// least).
    pub baseline: Interval,
    /// No bad-buzz or buzz alert before this much history (critical mentions alert from the start).
    pub warmup: Interval,
    /// Robust z-score the negative count must reach; an incident calms below half of it.
    pub min_z: f64,
    /// Multiple of the usual level the negative count must reach; also what a volume surge (buzz) needs.
    pub min_ratio: f64,
    /// Floor: at least this many distinct negative stories in the window (twenty copies of one article
    /// are one story)…
    pub min_negative: u32,
    /// …from at least this many distinct authors, none of whom carries more than half of them.
    pub min_authors: u32,
    /// The negative share must exceed its usual value by at least this much (0.10 = ten points).
    pub min_share_rise: f64,
    /// Multiple of the usual level at which an incident escalates to critical (with a z twice `min_z`).
    pub critical_ratio: f64,
    /// An incident resolves once the count has been back near its usual level this long; a critical-rule
    /// incident once no critical mention came for this long.
    pub resolve_after: Interval,
    /// After a resolution, no new incident for the same watch before this much time; also how long a
    /// volume surge must pause before a new buzz is told.
    pub cooldown: Interval,
    /// The clock of the audience: "the same hour of day" is 20:00 in this zone, summer and winter alike,
    /// so that the evening peak is still compared with evenings after a change of daylight-saving time.
    pub timezone: Timezone,
    /// A mention fetched more than this long after it was published is old news: it fills the history of
    /// its published bucket and can never open an incident by itself (a new source's archive, a search
    /// source's backfill, the catch-up after a day down).
    pub late_after: Interval,
    /// A critical rule's incident tells its first mention at once; the critical mentions that follow are
    /// counted into it and told together, at most once per this interval ("312 more critical mentions
    /// since the last message", with a few of them), never one message per mention.
    pub group_interval: Interval,
    /// Planned events of the watch (a launch, a campaign): the `[[event]]` tables of the rule files, not a
    /// key of `[watch.detection]`. During one, a surge of volume alone is expected.
    #[serde(skip)]
    pub events: Vec<PlannedEvent>,
}

/// A planned event of a watch: a launch, a campaign, a broadcast. From `from` (included) to `until`
/// (excluded), a surge of volume alone is expected and said so; a rise of the negative share still opens a
/// bad-buzz incident, whose explanation names the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedEvent {
    pub label: String,
    pub from: chrono::DateTime<chrono::Utc>,
    pub until: chrono::DateTime<chrono::Utc>,
}

impl WatchSettings {
    /// The planned event in force at `t`, if any (the first one listed when several overlap).
    pub fn event_at(&self, t: chrono::DateTime<chrono::Utc>) -> Option<&PlannedEvent> {
        self.events.iter().find(|e| e.from <= t && t < e.until)
    }
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            bucket: Interval::secs(3600),
            baseline: Interval::secs(14 * 86_400),
            warmup: Interval::secs(3 * 86_400),
            min_z: 3.5,
            min_ratio: 2.0,
            min_negative: 5,
            min_authors: 3,
            min_share_rise: 0.10,
            critical_ratio: 5.0,
            resolve_after: Interval::secs(6 * 3600),
            cooldown: Interval::secs(2 * 3600),
            timezone: Timezone(chrono_tz::Tz::Europe__Paris),
            late_after: Interval::secs(6 * 3600),
            group_interval: Interval::secs(30 * 60),
            events: Vec::new(),
        }
    }
}

/// A watch as detection needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchSpec {
    pub id: String,
    /// Display name (the brand).
    pub name: String,
    pub settings: WatchSettings,
}

/// What the rule files say that detection needs: the watches, and the rules that only count (they never
/// alert on their own).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectionSpec {
    pub watches: Vec<WatchSpec>,
    pub count_only_rules: std::collections::HashSet<String>,
}
