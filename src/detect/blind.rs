//! Sources that go blind: a watched source that fails, is rate-limited or falls silent makes a silent watch
//! look exactly like a calm brand, so it opens an incident of its own (kind `source`).
//!
//! In: a source's health as the store keeps it ([`SourceFacts`]: its failures, its last error and status,
//! the times of its recent items), the open `source` incident of that source if any, the watches it feeds,
//! `[health] alert_after` and the time. Out: at most one [`SourceEvent`] — the incident opens, or it
//! resolves. Pure: no I/O, no clock, no sentence (the words are [`crate::i18n::words`]'s).
//!
//! A source is blind when
//! - it has failed every fetch for longer than `alert_after` (6 h by default): since its first failure
//!   after its last success;
//! - the same, answered `429 Too Many Requests`: it is rate-limited, which says what to do about it;
//! - it works but nothing new came for ten times its usual gap between items and at least a day: the
//!   usual gap is the median of the gaps between its latest items (at least [`MIN_ITEMS`] of them), so a
//!   feed that posts hourly is silent after ten hours with nothing… held to a day, and a weekly blog after
//!   ten weeks. The median, not the mean, so that one long holiday does not make every silence look usual.
//!
//! The incident resolves when the source is heard again (a fetch succeeds and, for a silence, a new item
//! comes), with a notice; a source removed from the configuration or disabled resolves without one.
//!
//! A silence of the source (`veille silence add --source NAME`, for a planned outage) is obeyed as
//! Alertmanager obeys one: the incident still opens and is recorded, and nothing is sent while the silence
//! is in force. When it ends and the source is still blind, the team is told then (an `updated` event,
//! once); a recovery is announced only to those who were told of the outage.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::incident::{EventKind, IncidentId, Suppression};
use super::silence::{Silence, SilenceTarget, active_silence};

/// Fewest recent items for a source to have a usual cadence: four gaps.
pub const MIN_ITEMS: usize = 5;
/// How many times its usual gap a source may stay silent.
pub const SILENT_GAPS: i32 = 10;
/// The shortest silence that counts, whatever the cadence.
pub const MIN_SILENCE: TimeDelta = TimeDelta::days(1);

/// What the store knows of a source's health.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceFacts {
    pub name: String,
    /// Whether the configuration still polls it (false: removed or disabled).
    pub followed: bool,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// The first failed fetch since the last success.
    pub failing_since: Option<DateTime<Utc>>,
    pub consecutive_errors: u32,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    /// When its latest items were published (or fetched, without a date), any order.
    pub item_times: Vec<DateTime<Utc>>,
    /// When the newest item it gave was stored.
    pub last_new_item: Option<DateTime<Utc>>,
}

/// Why a source cannot be heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Blindness {
    /// Every fetch fails.
    Failing,
    /// Every fetch is answered 429 Too Many Requests.
    RateLimited,
    /// It answers, but nothing new for far longer than its usual gap between items.
    Silent { usual_gap_secs: i64 },
}

impl Blindness {
    pub fn as_str(self) -> &'static str {
        match self {
            Blindness::Failing => "failing",
            Blindness::RateLimited => "rate_limited",
            Blindness::Silent { .. } => "silent",
        }
    }
}

/// A `source` incident opening or resolving.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceEvent {
    pub incident: IncidentId,
    pub source: String,
    /// [`EventKind::Opened`] or [`EventKind::Resolved`].
    pub kind: EventKind,
    pub why: Blindness,
    /// Since when it cannot be heard: its first failure, or its last new item.
    pub since: DateTime<Utc>,
    /// When the incident opened.
    pub opened: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    /// Failed fetches in a row, when it opened.
    pub errors: u32,
    /// The watches its mentions count towards (display names).
    pub watches: Vec<String>,
    pub notify: bool,
    /// Why it was not sent: a silence of the source in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    /// Resolved because the source is no longer followed, not because it was heard again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

impl SourceEvent {
    /// A stable key, unique per decision.
    pub fn key(&self) -> String {
        format!("{}/{}", self.incident, self.kind.as_str())
    }
}

/// The usual gap between a source's items: the median gap between its sorted item times; `None` with
/// fewer than [`MIN_ITEMS`] items.
pub fn usual_gap(times: &[DateTime<Utc>]) -> Option<TimeDelta> {
    if times.len() < MIN_ITEMS {
        return None;
    }
    let mut t = times.to_vec();
    t.sort_unstable();
    let mut gaps: Vec<TimeDelta> = t.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let n = gaps.len();
    Some(if n % 2 == 1 {
        gaps[n / 2]
    } else {
        (gaps[n / 2 - 1] + gaps[n / 2]) / 2
    })
}

/// Whether the source is blind at `now`, why and since when.
pub fn judge(
    f: &SourceFacts,
    alert_after: TimeDelta,
    now: DateTime<Utc>,
) -> Option<(Blindness, DateTime<Utc>)> {
    if !f.followed {
        return None;
    }
    if f.consecutive_errors > 0 {
        // Without a first failure on record (a database from before it was kept) the last success is the
        // latest it can have started; a source that never worked and has no record is not judged yet.
        let since = f.failing_since.or(f.last_success)?;
        if now - since < alert_after {
            return None;
        }
        let why = if f.last_status == Some(429) {
            Blindness::RateLimited
        } else {
            Blindness::Failing
        };
        return Some((why, since));
    }
    let gap = usual_gap(&f.item_times)?;
    let last = f
        .last_new_item
        .into_iter()
        .chain(f.item_times.iter().copied())
        .max()?;
    let limit = (gap * SILENT_GAPS).max(MIN_SILENCE);
    (now - last > limit).then_some((
        Blindness::Silent {
            usual_gap_secs: gap.num_seconds(),
        },
        last,
    ))
}

/// The decision for one source: open an incident, tell of it when a silence that held it back has ended,
/// resolve it, or nothing. `open` is the latest decision of the source's open incident (its opening, or
/// the message after a silence), if any.
pub fn decide(
    f: &SourceFacts,
    open: Option<&SourceEvent>,
    watches: &[String],
    silences: &[Silence],
    alert_after: TimeDelta,
    now: DateTime<Utc>,
) -> Option<SourceEvent> {
    let silenced = active_silence(silences, &SilenceTarget::Source(f.name.clone()), now).map(|s| {
        Suppression::Silenced {
            reason: s.reason.clone(),
            until: s.until,
        }
    });
    match (judge(f, alert_after, now), open) {
        (Some((why, since)), None) => Some(SourceEvent {
            incident: IncidentId(format!("source:{}@{}", f.name, since.timestamp())),
            source: f.name.clone(),
            kind: EventKind::Opened,
            why,
            since,
            opened: now,
            at: now,
            last_error: f.last_error.clone(),
            last_status: f.last_status,
            errors: f.consecutive_errors,
            watches: watches.to_vec(),
            notify: silenced.is_none(),
            suppressed: silenced,
            removed: false,
        }),
        // Still blind, and nobody was told while a silence held: it is news now that the silence is over.
        (Some(_), Some(o)) if !o.notify && silenced.is_none() => Some(SourceEvent {
            kind: EventKind::Updated,
            at: now,
            notify: true,
            suppressed: None,
            watches: watches.to_vec(),
            ..o.clone()
        }),
        (None, Some(o)) => Some(SourceEvent {
            kind: EventKind::Resolved,
            at: now,
            // Told only to those who heard of the outage.
            notify: f.followed && o.notify && silenced.is_none(),
            suppressed: silenced,
            removed: !f.followed,
            watches: watches.to_vec(),
            ..o.clone()
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap() + TimeDelta::hours(h)
    }

    const SIX_HOURS: TimeDelta = TimeDelta::hours(6);

    fn working(items_every_hours: i64, items: i64) -> SourceFacts {
        SourceFacts {
            name: "presse".into(),
            followed: true,
            last_fetch: Some(t(0)),
            last_success: Some(t(0)),
            item_times: (0..items).map(|i| t(-i * items_every_hours)).collect(),
            last_new_item: Some(t(0)),
            ..SourceFacts::default()
        }
    }

    fn failing(since: i64, status: Option<u16>) -> SourceFacts {
        SourceFacts {
            failing_since: Some(t(since)),
            consecutive_errors: 7,
            last_error: Some("HTTP 500 Internal Server Error".into()),
            last_status: status,
            ..working(1, 30)
        }
    }

    #[test]
    fn a_source_failing_longer_than_alert_after_opens_one_incident() {
        let f = failing(0, Some(500));
        assert_eq!(
            decide(&f, None, &[], &[], SIX_HOURS, t(5)),
            None,
            "5 h is not 6 h"
        );
        let e = decide(&f, None, &["Brioche".into()], &[], SIX_HOURS, t(7)).unwrap();
        assert_eq!(e.kind, EventKind::Opened);
        assert_eq!(e.why, Blindness::Failing);
        assert_eq!(e.since, t(0));
        assert_eq!(e.incident.0, format!("source:presse@{}", t(0).timestamp()));
        assert_eq!(e.errors, 7);
        assert_eq!(e.watches, ["Brioche"]);
        assert!(e.notify);
        // Once open, later checks decide nothing while it stays blind.
        assert_eq!(decide(&f, Some(&e), &[], &[], SIX_HOURS, t(30)), None);
    }

    #[test]
    fn a_429_is_said_as_rate_limited_and_waits_as_long() {
        let f = failing(0, Some(429));
        assert_eq!(judge(&f, SIX_HOURS, t(5)), None);
        assert_eq!(
            judge(&f, SIX_HOURS, t(6)),
            Some((Blindness::RateLimited, t(0)))
        );
    }

    #[test]
    fn without_a_first_failure_on_record_the_last_success_counts_and_a_never_working_source_waits()
    {
        let mut f = failing(0, None);
        f.failing_since = None;
        f.last_success = Some(t(-10));
        assert_eq!(
            judge(&f, SIX_HOURS, t(0)),
            Some((Blindness::Failing, t(-10)))
        );
        f.last_success = None;
        assert_eq!(judge(&f, SIX_HOURS, t(100)), None);
    }

    #[test]
    fn silence_is_judged_against_ten_usual_gaps_and_at_least_a_day() {
        // Hourly items: ten gaps are ten hours, held to a day.
        let hourly = working(1, 30);
        assert_eq!(usual_gap(&hourly.item_times), Some(TimeDelta::hours(1)));
        assert_eq!(judge(&hourly, SIX_HOURS, t(23)), None);
        assert_eq!(
            judge(&hourly, SIX_HOURS, t(25)),
            Some((
                Blindness::Silent {
                    usual_gap_secs: 3600
                },
                t(0)
            ))
        );
        // Items every two days: silent only after twenty days.
        let slow = working(48, 10);
        assert_eq!(judge(&slow, SIX_HOURS, t(24 * 19)), None);
        assert!(matches!(
            judge(&slow, SIX_HOURS, t(24 * 21)),
            Some((Blindness::Silent { usual_gap_secs }, _)) if usual_gap_secs == 48 * 3600
        ));
        // Too few items for a cadence: never silent.
        assert_eq!(judge(&working(1, 4), SIX_HOURS, t(24 * 365)), None);
        // One long gap in the history does not make a silence usual: the median ignores it.
        let mut holiday = working(1, 30);
        holiday.item_times.push(t(-24 * 60));
        assert_eq!(usual_gap(&holiday.item_times), Some(TimeDelta::hours(1)));
        // A new item stored recently (old publication date, e.g. a backfill) is not silence.
        let mut late = working(1, 30);
        late.last_new_item = Some(t(24));
        assert_eq!(judge(&late, SIX_HOURS, t(30)), None);
    }

    #[test]
    fn recovery_resolves_with_a_notice_and_removal_without() {
        let f = failing(0, Some(503));
        let opened = decide(&f, None, &[], &[], SIX_HOURS, t(8)).unwrap();
        let mut healed = f.clone();
        healed.consecutive_errors = 0;
        healed.failing_since = None;
        healed.last_success = Some(t(9));
        healed.last_new_item = Some(t(9));
        let r = decide(
            &healed,
            Some(&opened),
            &["Brioche".into()],
            &[],
            SIX_HOURS,
            t(9),
        )
        .unwrap();
        assert_eq!(r.kind, EventKind::Resolved);
        assert_eq!(
            (r.incident.clone(), r.since, r.opened),
            (opened.incident.clone(), t(0), t(8))
        );
        assert_eq!(r.at, t(9));
        assert!(r.notify && !r.removed);
        assert_ne!(r.key(), opened.key());
        let mut gone = f.clone();
        gone.followed = false;
        let r = decide(&gone, Some(&opened), &[], &[], SIX_HOURS, t(9)).unwrap();
        assert!(!r.notify && r.removed);
        // A disabled source is never judged blind.
        assert_eq!(decide(&gone, None, &[], &[], SIX_HOURS, t(100)), None);
    }

    #[test]
    fn a_silenced_source_opens_unsent_and_is_told_when_the_silence_ends() {
        let silence = Silence {
            target: SilenceTarget::Source("presse".into()),
            until: t(12),
            reason: "migration du site".into(),
        };
        let silenced = std::slice::from_ref(&silence);
        let f = failing(0, Some(500));
        let opened = decide(&f, None, &[], silenced, SIX_HOURS, t(7)).unwrap();
        assert_eq!(opened.kind, EventKind::Opened);
        assert!(!opened.notify);
        assert!(
            matches!(&opened.suppressed, Some(Suppression::Silenced { reason, .. }) if reason == "migration du site")
        );
        // A silence of another source, or of a watch of the same name, holds nothing back.
        let other = Silence {
            target: SilenceTarget::Watch("presse".into()),
            ..silence.clone()
        };
        assert!(
            decide(&f, None, &[], &[other], SIX_HOURS, t(7))
                .unwrap()
                .notify
        );
        // Still blind under the silence: nothing.
        assert_eq!(
            decide(&f, Some(&opened), &[], silenced, SIX_HOURS, t(11)),
            None
        );
        // The silence over, still blind: told once.
        let told = decide(&f, Some(&opened), &[], silenced, SIX_HOURS, t(13)).unwrap();
        assert_eq!(
            (told.kind, told.notify, told.since),
            (EventKind::Updated, true, t(0))
        );
        assert_eq!(decide(&f, Some(&told), &[], &[], SIX_HOURS, t(14)), None);
        // Heard again: those who were told hear of the recovery; had nobody been told, nobody hears.
        let healed = working(1, 30);
        assert!(
            decide(&healed, Some(&told), &[], &[], SIX_HOURS, t(15))
                .unwrap()
                .notify
        );
        let quiet = decide(&healed, Some(&opened), &[], silenced, SIX_HOURS, t(9)).unwrap();
        assert_eq!((quiet.kind, quiet.notify), (EventKind::Resolved, false));
    }
}
