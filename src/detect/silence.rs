//! Silences: a person says "not now" for a watch, a rule or a source, until a given time, with a reason.
//!
//! A silenced decision is still made and recorded (the incident exists, its timeline grows); it is only not
//! notified. That is how Prometheus Alertmanager treats silences, and why decisions carry `notify` instead of
//! being dropped. The store keeps the silences; detection only reads them, with the time passed in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a silence applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceTarget {
    /// Everything about a watch: bad buzz, buzz and the critical mentions of its brand.
    Watch(String),
    /// The critical mentions of one rule, on every watch.
    Rule(String),
    /// A source that goes blind: its `source` incidents.
    Source(String),
}

/// A silence, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    pub target: SilenceTarget,
    /// Silent strictly before this time.
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// The first silence in force at `now` for `target`, if any.
pub fn active_silence<'a>(
    silences: &'a [Silence],
    target: &SilenceTarget,
    now: DateTime<Utc>,
) -> Option<&'a Silence> {
    silences
        .iter()
        .find(|s| &s.target == target && now < s.until)
}

/// Whether `target` is silenced at `now`.
pub fn is_silenced(silences: &[Silence], target: &SilenceTarget, now: DateTime<Utc>) -> bool {
    active_silence(silences, target, now).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn silence_holds_until_its_end_and_for_its_target_only() {
        let t = |h| Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap();
        let s = [Silence {
            target: SilenceTarget::Watch("acme".into()),
            until: t(12),
            reason: "known".into(),
        }];
        let acme = SilenceTarget::Watch("acme".into());
        assert!(is_silenced(&s, &acme, t(11)));
        assert!(!is_silenced(&s, &acme, t(12)), "ends at `until`");
        assert!(!is_silenced(
            &s,
            &SilenceTarget::Watch("other".into()),
            t(11)
        ));
        assert!(
            !is_silenced(&s, &SilenceTarget::Rule("acme".into()), t(11)),
            "a rule is not a watch"
        );
        assert_eq!(
            active_silence(&s, &acme, t(10)).map(|s| s.reason.as_str()),
            Some("known")
        );
        assert!(!is_silenced(&[], &acme, t(10)));
    }
}
