//! When and to whom: quiet hours, the digest's schedule, the per-recipient throttle and retry backoff.
//!
//! Pure functions: the time comes in as an argument (`now`), counts come in as a closure, decisions go out.
//! The worker calls [`decide`] for each due row; tests call everything with a chosen clock. Nothing here
//! says what deserves an alert (that is detection's): only how the team asked to be told.

use chrono::{
    DateTime, Datelike as _, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc, Weekday,
};

use super::config::{EmailConfig, Every, Schedule};
use crate::model::{Notification, NotificationKind, Severity};

/// What to do with a due row now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it to `to`. `cap_reached` lists those for whom this email is the last one this hour;
    /// `folded` says some recipients were over their cap and get it in the digest instead.
    Send {
        to: Vec<String>,
        cap_reached: Vec<String>,
        folded: bool,
        immediate: bool,
    },
    /// Keep it for the next digest, for this reason.
    Hold(&'static str),
}

/// Whether `now` falls in the quiet hours.
pub fn is_quiet(now: DateTime<Utc>, s: &Schedule) -> bool {
    let Some((from, until, weekends)) = s.quiet else {
        return false;
    };
    let local = now.with_timezone(&s.tz);
    if weekends && matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
        return true;
    }
    let t = local.time();
    if from <= until {
        from <= t && t < until
    } else {
        t >= from || t < until
    }
}

fn at_local(s: &Schedule, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let naive = day.and_time(time);
    // In a DST gap the wall time does not exist: take the hour after, as a clock would.
    s.tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            s.tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// The latest digest time at or before `now`.
pub fn digest_slot(now: DateTime<Utc>, s: &Schedule) -> DateTime<Utc> {
    match s.every {
        Every::Day => {
            let today = now.with_timezone(&s.tz).date_naive();
            (0..3)
                .filter_map(|back| at_local(s, today - Duration::days(back), s.digest_at))
                .find(|t| *t <= now)
                .unwrap_or(now)
        }
        Every::Hour => {
            let minute = i64::from(chrono::Timelike::minute(&s.digest_at));
            let hour_start = DateTime::from_timestamp(now.timestamp() - now.timestamp() % 3600, 0)
                .unwrap_or(now);
            // Minutes past the hour are the same in every zone veille supports to the minute; use UTC.
            let slot = hour_start + Duration::minutes(minute);
            if slot <= now {
                slot
            } else {
                slot - Duration::hours(1)
            }
        }
    }
}

/// How long to wait before attempt `attempts + 1` after a transient failure: 30 s, doubling, at most 1 h.
pub fn backoff(attempts: u32) -> Duration {
    let secs = 30u64.saturating_mul(1u64 << attempts.min(12));
    Duration::seconds(secs.min(3600) as i64)
}

/// Decides what to do with a due notification at `now`. `sent_last_hour` answers how many immediate
/// emails a recipient got in the hour before `now`.
pub fn decide(
    n: &Notification,
    now: DateTime<Utc>,
    config: &EmailConfig,
    schedule: &Schedule,
    sent_last_hour: &mut dyn FnMut(&str) -> u32,
) -> Decision {
    if n.kind == NotificationKind::Digest {
        return Decision::Send {
            to: config.digest_recipients(),
            cap_reached: Vec::new(),
            folded: false,
            immediate: false,
        };
    }
    if n.silenced {
        return Decision::Hold("silenced");
    }
    let urgent = n.severity == Severity::Critical && n.kind.is_incident();
    if !urgent && is_quiet(now, schedule) {
        return Decision::Hold("quiet hours");
    }
    let mut to = Vec::new();
    let mut cap_reached = Vec::new();
    let mut folded = false;
    let kind = n.kind.incident_kind(n.rule.as_deref(), n.decision.as_ref());
    for r in config.recipients(n.severity, n.watch.as_deref(), kind) {
        let sent = sent_last_hour(&r);
        if sent < config.max_per_hour {
            if sent + 1 == config.max_per_hour {
                cap_reached.push(r.clone());
            }
            to.push(r);
        } else {
            folded = true;
        }
    }
    if to.is_empty() {
        return Decision::Hold("hourly cap reached");
    }
    Decision::Send {
        to,
        cap_reached,
        folded,
        immediate: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::config::QuietConfig;

    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Paris
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn config() -> EmailConfig {
        let mut c = EmailConfig::new("smtp://127.0.0.1", "v@example.fr", &["team@example.fr"]);
        c.quiet = Some(QuietConfig {
            from: "20:00".into(),
            until: "08:00".into(),
            weekends: true,
        });
        c
    }

    #[test]
    fn quiet_hours_wrap_midnight_and_cover_weekends() {
        let s = config().schedule().unwrap();
        // 2026-11-18 is a Wednesday.
        assert!(!is_quiet(paris(2026, 11, 18, 12, 0), &s));
        assert!(is_quiet(paris(2026, 11, 18, 20, 0), &s));
        assert!(is_quiet(paris(2026, 11, 18, 23, 59), &s));
        assert!(is_quiet(paris(2026, 11, 19, 7, 59), &s));
        assert!(!is_quiet(paris(2026, 11, 19, 8, 0), &s));
        assert!(is_quiet(paris(2026, 11, 21, 12, 0), &s), "Saturday");
        assert!(is_quiet(paris(2026, 11, 22, 12, 0), &s), "Sunday");
        let mut c = config();
        c.quiet = None;
        assert!(!is_quiet(
            paris(2026, 11, 21, 23, 0),
            &c.schedule().unwrap()
        ));
    }

    #[test]
    fn daily_digest_slot_is_local_time_across_dst() {
        let s = config().schedule().unwrap();
        assert_eq!(
            digest_slot(paris(2026, 11, 18, 9, 0), &s),
            paris(2026, 11, 18, 8, 30)
        );
        assert_eq!(
            digest_slot(paris(2026, 11, 18, 8, 29), &s),
            paris(2026, 11, 17, 8, 30)
        );
        assert_eq!(
            digest_slot(paris(2026, 11, 18, 8, 30), &s),
            paris(2026, 11, 18, 8, 30)
        );
        // Summer time: 08:30 in Paris is 06:30 UTC.
        assert_eq!(
            digest_slot(paris(2026, 7, 1, 10, 0), &s),
            Utc.with_ymd_and_hms(2026, 7, 1, 6, 30, 0).unwrap()
        );
    }

    #[test]
    fn hourly_digest_slot_uses_the_minutes() {
        let mut c = config();
        c.digest.every = "hour".into();
        c.digest.at = "00:15".into();
        let s = c.schedule().unwrap();
        let t = Utc.with_ymd_and_hms(2026, 11, 18, 10, 20, 0).unwrap();
        assert_eq!(
            digest_slot(t, &s),
            Utc.with_ymd_and_hms(2026, 11, 18, 10, 15, 0).unwrap()
        );
        let t = Utc.with_ymd_and_hms(2026, 11, 18, 10, 10, 0).unwrap();
        assert_eq!(
            digest_slot(t, &s),
            Utc.with_ymd_and_hms(2026, 11, 18, 9, 15, 0).unwrap()
        );
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(240));
        assert_eq!(backoff(10), Duration::seconds(3600));
        assert_eq!(backoff(u32::MAX), Duration::seconds(3600));
    }

    #[test]
    fn quiet_hours_let_only_critical_incidents_through() {
        let c = config();
        let s = c.schedule().unwrap();
        let night = paris(2026, 11, 18, 23, 0);
        let mut none = |_: &str| 0;
        let warn = Notification::new(
            NotificationKind::IncidentOpened,
            Severity::Warning,
            "Acme",
            night,
        );
        assert_eq!(
            decide(&warn, night, &c, &s, &mut none),
            Decision::Hold("quiet hours")
        );
        let crit = Notification::new(
            NotificationKind::IncidentOpened,
            Severity::Critical,
            "Acme",
            night,
        );
        assert!(matches!(
            decide(&crit, night, &c, &s, &mut none),
            Decision::Send { .. }
        ));
        let mention = Notification::new(
            NotificationKind::CriticalMention,
            Severity::Critical,
            "Acme",
            night,
        );
        assert_eq!(
            decide(&mention, night, &c, &s, &mut none),
            Decision::Hold("quiet hours")
        );
        let mut silenced = crit.clone();
        silenced.silenced = true;
        assert_eq!(
            decide(&silenced, night, &c, &s, &mut none),
            Decision::Hold("silenced")
        );
    }

    #[test]
    fn the_throttle_counts_per_recipient() {
        let mut c = config();
        c.quiet = None;
        c.route.push(crate::notify::config::RouteConfig {
            kind: None,
            only: false,
            severity: Some(Severity::Critical),
            watch: None,
            to: vec!["oncall@example.fr".into()],
        });
        let s = c.schedule().unwrap();
        let now = paris(2026, 11, 18, 12, 0);
        let n = Notification::new(
            NotificationKind::IncidentOpened,
            Severity::Critical,
            "Acme",
            now,
        );
        let mut counts = |r: &str| if r == "team@example.fr" { 6 } else { 5 };
        assert_eq!(
            decide(&n, now, &c, &s, &mut counts),
            Decision::Send {
                to: vec!["oncall@example.fr".into()],
                cap_reached: vec!["oncall@example.fr".into()],
                folded: true,
                immediate: true,
            }
        );
        let mut full = |_: &str| 6;
        assert_eq!(
            decide(&n, now, &c, &s, &mut full),
            Decision::Hold("hourly cap reached")
        );
    }
}
