//! Scheduling: when a source is due again.
//!
//! In: the outcome of a fetch, the source's interval, how many fetches in a row have failed, the current
//! time and a random number (time and chance are arguments, so this is pure and testable). Out: the next due
//! time. A healthy source is polled every interval; a failing one backs off exponentially with jitter up to a
//! cap (24 h by default) and is never given up; a `Retry-After` is honoured; a source that answers 404 or
//! 410 is slowed to the cap, not dropped, since feeds come back.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Longest wait between two attempts on a failing source.
pub const DEFAULT_BACKOFF_CAP: Duration = Duration::from_secs(24 * 3600);

/// What a fetch came to, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// New content or `304 Not Modified`.
    Success,
    /// The server asked to come back later (429 or 503 with `Retry-After`).
    RetryAfter(Duration),
    /// 404 or 410: the feed is gone, perhaps for a while.
    Gone,
    /// Any other failure: network, timeout, 5xx, unparseable body.
    Failed,
}

/// The next time a source is due.
///
/// `errors` is the number of consecutive failures including this one (0 after a success); `jitter` is a
/// number in [0, 1) that spreads retries so that failing sources do not all come back at once.
pub fn next_due(
    now: DateTime<Utc>,
    interval: Duration,
    errors: u32,
    outcome: Outcome,
    jitter: f64,
    cap: Duration,
) -> DateTime<Utc> {
    let wait = match outcome {
        Outcome::Success => interval,
        Outcome::RetryAfter(d) => d.clamp(Duration::from_secs(1), cap),
        Outcome::Gone => cap,
        Outcome::Failed => {
            let base = interval.max(Duration::from_secs(60));
            let exp = errors.saturating_sub(1).min(20);
            let full = base.saturating_mul(1u32 << exp).min(cap);
            // Half fixed, half random: never sooner than half the step, never later than the cap.
            full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
        }
    };
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn wait(outcome: Outcome, errors: u32, jitter: f64) -> i64 {
        (next_due(
            t0(),
            Duration::from_secs(600),
            errors,
            outcome,
            jitter,
            DEFAULT_BACKOFF_CAP,
        ) - t0())
        .num_seconds()
    }

    #[test]
    fn success_waits_the_interval() {
        assert_eq!(wait(Outcome::Success, 0, 0.7), 600);
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter() {
        assert_eq!(wait(Outcome::Failed, 1, 1.0), 600);
        assert_eq!(wait(Outcome::Failed, 2, 1.0), 1200);
        assert_eq!(wait(Outcome::Failed, 3, 1.0), 2400);
        assert_eq!(wait(Outcome::Failed, 3, 0.0), 1200);
        let mid = wait(Outcome::Failed, 3, 0.5);
        assert!(mid > 1200 && mid < 2400);
    }

    #[test]
    fn backoff_is_capped_and_never_gives_up() {
        assert_eq!(wait(Outcome::Failed, 500, 1.0), 24 * 3600);
    }

    #[test]
    fn retry_after_is_honoured() {
        assert_eq!(
            wait(Outcome::RetryAfter(Duration::from_secs(120)), 1, 0.3),
            120
        );
        assert_eq!(
            wait(Outcome::RetryAfter(Duration::from_secs(10 * 86400)), 1, 0.3),
            24 * 3600
        );
    }

    #[test]
    fn gone_slows_to_the_cap() {
        assert_eq!(wait(Outcome::Gone, 1, 0.0), 24 * 3600);
    }
}
