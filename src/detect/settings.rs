//! Checking a watch's detection settings: every problem at once, in words a person can act on.
//!
//! In: the [`WatchSettings`] read from a rule file's `[watch.detection]` table. Out: the list of what is
//! wrong with them (empty when they can be used). The rule loader calls it, so `veille check` and a
//! reload refuse settings that would make detection meaningless (a zero bucket, a ratio below one…).

use crate::model::WatchSettings;

/// Everything wrong with `settings`, one sentence each; empty when they are usable.
pub fn settings_problems(settings: &WatchSettings) -> Vec<String> {
    let mut problems = Vec::new();
    let bucket = settings.bucket.as_secs();
    if bucket == 0 {
        problems.push("bucket must be at least 1s (\"1h\" is usual)".to_owned());
    } else if bucket < 86_400 && 86_400 % bucket != 0 {
        problems.push(format!(
            "bucket {} does not divide a day, so the same hour of day cannot be compared: use e.g. \"15m\", \"1h\" or \"2h\"",
            settings.bucket
        ));
    }
    if settings.baseline.as_secs() < 2 * bucket.max(1) {
        problems.push(format!(
            "baseline {} must span several buckets of {} (\"14d\" is usual)",
            settings.baseline, settings.bucket
        ));
    }
    let positive = [
        ("min_z", settings.min_z),
        ("min_ratio", settings.min_ratio),
        ("critical_ratio", settings.critical_ratio),
    ];
    for (name, value) in positive {
        if !value.is_finite() || value <= 0.0 {
            problems.push(format!("{name} must be a positive number, not {value}"));
        }
    }
    if settings.min_ratio.is_finite() && settings.min_ratio > 0.0 && settings.min_ratio < 1.0 {
        problems.push(format!(
            "min_ratio {} is below 1: a count under its usual level would alert",
            settings.min_ratio
        ));
    }
    if settings.critical_ratio.is_finite() && settings.critical_ratio < settings.min_ratio {
        problems.push(format!(
            "critical_ratio {} is below min_ratio {}: every incident would open critical",
            settings.critical_ratio, settings.min_ratio
        ));
    }
    if !settings.min_share_rise.is_finite() || !(0.0..1.0).contains(&settings.min_share_rise) {
        problems.push(format!(
            "min_share_rise must be a fraction from 0 to below 1 (0.10 = ten points), not {}",
            settings.min_share_rise
        ));
    }
    if settings.min_negative == 0 {
        problems.push("min_negative must be at least 1 (5 is usual)".to_owned());
    }
    if settings.min_authors == 0 {
        problems.push("min_authors must be at least 1 (3 is usual)".to_owned());
    }
    if settings.resolve_after.as_secs() < bucket {
        problems.push(format!(
            "resolve_after {} is shorter than a bucket ({}): an incident could not be seen calm",
            settings.resolve_after, settings.bucket
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Interval;

    #[test]
    fn defaults_are_usable() {
        assert!(settings_problems(&WatchSettings::default()).is_empty());
    }

    #[test]
    fn every_problem_is_reported() {
        let s = WatchSettings {
            bucket: Interval::secs(7 * 3600),
            min_ratio: 0.5,
            critical_ratio: 0.2,
            min_share_rise: 1.5,
            min_negative: 0,
            min_z: f64::NAN,
            ..WatchSettings::default()
        };
        let p = settings_problems(&s);
        assert_eq!(p.len(), 7, "{p:#?}");
        assert!(p[0].starts_with("bucket 7h does not divide a day"));
        assert!(
            p.iter()
                .any(|x| x.starts_with("min_z must be a positive number"))
        );
        assert!(
            p.iter()
                .any(|x| x.starts_with("resolve_after 6h is shorter"))
        );
    }

    #[test]
    fn zero_bucket_and_short_baseline() {
        let s = WatchSettings {
            bucket: Interval::secs(0),
            baseline: Interval::secs(1),
            ..WatchSettings::default()
        };
        let p = settings_problems(&s);
        assert!(p[0].starts_with("bucket must be at least 1s"));
        assert!(p[1].starts_with("baseline 1s must span several buckets"));
    }

    #[test]
    fn settings_read_from_a_rule_file_table() {
        let s: WatchSettings =
            toml::from_str("bucket = \"30m\"\nmin_z = 4.0\ncooldown = \"1h\"").unwrap();
        assert_eq!(s.bucket, Interval::secs(1800));
        assert_eq!(s.min_z, 4.0);
        assert_eq!(s.min_negative, 5, "unspecified keys keep their defaults");
        assert!(
            toml::from_str::<WatchSettings>("min_zz = 4.0").is_err(),
            "unknown keys are refused"
        );
        assert!(settings_problems(&s).is_empty());
    }
}
