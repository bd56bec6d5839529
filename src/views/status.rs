//! The state of the service, as `veille status` (and a monitoring check) reads it: the service's health —
//! is it running, can it write, are sources failing, is mail stuck — apart from the business state (open
//! incidents), which is news for the team, not a fault of the service.
//!
//! In: the configuration (which sources exist now, whether mail is configured), the store's health, the
//! daemon's status file, the time. Out: a [`ServiceStatus`] of facts: a verdict and the problems behind it.
//! The CLI says them in the reader's language.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::model::SourceState;
use crate::store::status_file::{self, DaemonPhase, DaemonStatus};
use crate::store::{Health, StoreFault};

/// How the service is, for a monitoring check: exit 0, 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Ok,
    /// Something needs a person's attention; the service runs.
    Attention,
    /// The service is not doing its job (not running, or no fetch for too long).
    Critical,
}

impl Verdict {
    /// The process exit code a monitoring check reads.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Ok => 0,
            Verdict::Attention => 1,
            Verdict::Critical => 2,
        }
    }

    /// A stable name for machines (`--json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Attention => "ATTENTION",
            Verdict::Critical => "CRITICAL",
        }
    }
}

/// One thing wrong with the service, as facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The database cannot be written; the daemon waits and retries.
    StoreFault {
        fault: StoreFault,
        since: Option<DateTime<Utc>>,
    },
    /// The daemon's process is gone without stopping cleanly.
    DaemonGone {
        pid: u32,
        last: DateTime<Utc>,
    },
    /// The daemon stopped on an error.
    DaemonFailed {
        at: DateTime<Utc>,
        detail: String,
    },
    /// Nothing fetched for longer than the stale limit.
    NoFetchSince {
        at: DateTime<Utc>,
    },
    NoFetchEver,
    /// A configured source fails.
    SourceFailing {
        name: String,
        errors: u32,
        error: String,
    },
    /// A source has an open `source` incident: it cannot be heard (failing, rate-limited or silent).
    SourceBlind {
        name: String,
        /// `failing`, `rate_limited` or `silent`.
        why: String,
        since: DateTime<Utc>,
        error: Option<String>,
    },
    /// Notifications that could not be delivered.
    OutboxFailed {
        count: u64,
    },
    /// Channel messages whose answer was lost on a service without an idempotency key: they may have
    /// arrived and are not sent again; a person should look in the channel.
    OutboxUncertain {
        count: u64,
    },
    /// Notifications waiting for more than an hour while mail is configured.
    OutboxStuck {
        since: DateTime<Utc>,
    },
    /// Open incidents, counted as a problem only when asked (`--fail-on-incident`).
    OpenIncidents {
        count: u64,
    },
}

impl Problem {
    /// Whether it means the service is not doing its job at all.
    fn critical(&self) -> bool {
        matches!(
            self,
            Problem::DaemonGone { .. }
                | Problem::DaemonFailed { .. }
                | Problem::NoFetchSince { .. }
                | Problem::NoFetchEver
        )
    }
}

/// The service's state.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceStatus {
    pub verdict: Verdict,
    /// The configured sources, enabled ones, and those of them failing.
    pub sources: usize,
    pub failing_sources: usize,
    pub health: Health,
    pub daemon: Option<DaemonStatus>,
    pub problems: Vec<Problem>,
    /// The business state: incidents not yet resolved.
    pub open_incidents: u64,
}

/// What the service's state is judged from.
pub struct Inputs<'a> {
    pub config: &'a Config,
    pub health: Health,
    pub states: &'a [SourceState],
    pub daemon: Option<DaemonStatus>,
    /// Nothing fetched for this long means the daemon is not running.
    pub stale: std::time::Duration,
    /// Open incidents make the check fail (exit 1).
    pub fail_on_incident: bool,
    /// The openings of the open `source` incidents.
    pub blind: &'a [crate::detect::blind::SourceEvent],
    pub now: DateTime<Utc>,
}

/// The fault the daemon reports while it is alive and cannot write, if any.
pub fn daemon_fault(daemon: Option<&DaemonStatus>) -> Option<Problem> {
    let d = daemon.filter(|d| {
        d.phase != DaemonPhase::Stopped && d.fault.is_some() && status_file::process_alive(d.pid)
    })?;
    Some(Problem::StoreFault {
        fault: d.fault?,
        since: d.fault_since,
    })
}

/// Judges the service.
pub fn service_status(i: Inputs<'_>) -> ServiceStatus {
    let mut problems: Vec<Problem> = Vec::new();
    let fault = daemon_fault(i.daemon.as_ref());
    let waiting = fault.is_some();
    problems.extend(fault);
    if let Some(d) = &i.daemon {
        if d.phase != DaemonPhase::Stopped && !status_file::process_alive(d.pid) {
            problems.push(Problem::DaemonGone {
                pid: d.pid,
                last: d.updated,
            });
        } else if let (DaemonPhase::Stopped, Some(detail)) = (d.phase, &d.detail) {
            problems.push(Problem::DaemonFailed {
                at: d.updated,
                detail: detail.clone(),
            });
        }
    }
    match i.health.last_fetch {
        Some(t) if (i.now - t).to_std().unwrap_or_default() <= i.stale => {}
        // A daemon waiting out a database fault cannot record its fetches: the fault says it all.
        _ if waiting => {}
        Some(at) => problems.push(Problem::NoFetchSince { at }),
        None => problems.push(Problem::NoFetchEver),
    }
    // Only the sources of the configuration: one removed from it is no longer watched, so no longer failing.
    let configured: std::collections::HashSet<&str> = i
        .config
        .sources
        .iter()
        .filter(|s| s.enabled)
        .map(|s| s.name.as_str())
        .collect();
    let failing: Vec<&SourceState> = i
        .states
        .iter()
        .filter(|s| s.consecutive_errors > 0 && configured.contains(s.name.as_str()))
        .collect();
    for b in i.blind {
        problems.push(Problem::SourceBlind {
            name: b.source.clone(),
            why: b.why.as_str().to_owned(),
            since: b.since,
            error: i
                .states
                .iter()
                .find(|s| s.name == b.source)
                .and_then(|s| s.last_error.clone())
                .or_else(|| b.last_error.clone()),
        });
    }
    // A failing source with an open incident is said once, as blind.
    for s in failing
        .iter()
        .filter(|s| !i.blind.iter().any(|b| b.source == s.name))
    {
        problems.push(Problem::SourceFailing {
            name: s.name.clone(),
            errors: s.consecutive_errors,
            error: s.last_error.clone().unwrap_or_default(),
        });
    }
    if i.health.outbox_failed > 0 {
        problems.push(Problem::OutboxFailed {
            count: i.health.outbox_failed,
        });
    }
    if i.health.outbox_uncertain > 0 {
        problems.push(Problem::OutboxUncertain {
            count: i.health.outbox_uncertain,
        });
    }
    if let Some(since) = i
        .health
        .outbox_oldest_pending
        // Without a mail server nothing is sent, by design: a backlog then says nothing.
        .filter(|_| i.config.email.is_some())
        .filter(|t| i.now - *t > chrono::Duration::hours(1))
    {
        problems.push(Problem::OutboxStuck { since });
    }
    if i.fail_on_incident && i.health.open_incidents > 0 {
        problems.push(Problem::OpenIncidents {
            count: i.health.open_incidents,
        });
    }
    let verdict = if problems.iter().any(Problem::critical) {
        Verdict::Critical
    } else if problems.is_empty() {
        Verdict::Ok
    } else {
        Verdict::Attention
    };
    ServiceStatus {
        verdict,
        sources: configured.len(),
        failing_sources: failing.len(),
        open_incidents: i.health.open_incidents,
        health: i.health,
        daemon: i.daemon,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn config(sources: &[&str]) -> Config {
        let mut text = String::new();
        for s in sources {
            text.push_str(&format!(
                "[[source]]\nname = \"{s}\"\nurl = \"feeds/{s}.xml\"\n"
            ));
        }
        Config::from_text(Path::new("/etc/veille/veille.toml"), &text).unwrap()
    }

    fn state(name: &str, errors: u32) -> SourceState {
        SourceState {
            name: name.into(),
            consecutive_errors: errors,
            last_error: Some("HTTP 500".into()),
            ..SourceState::default()
        }
    }

    fn judge(
        config: &Config,
        states: &[SourceState],
        open: u64,
        fail_on_incident: bool,
    ) -> ServiceStatus {
        let now = Utc::now();
        service_status(Inputs {
            config,
            health: Health {
                last_fetch: Some(now),
                open_incidents: open,
                ..Health::default()
            },
            states,
            daemon: None,
            stale: std::time::Duration::from_secs(1800),
            fail_on_incident,
            blind: &[],
            now,
        })
    }

    #[test]
    fn open_incidents_are_news_not_a_fault_unless_asked() {
        let c = config(&["a"]);
        let s = judge(&c, &[], 3, false);
        assert_eq!(s.verdict, Verdict::Ok);
        assert_eq!(s.open_incidents, 3);
        let s = judge(&c, &[], 3, true);
        assert_eq!(s.verdict, Verdict::Attention);
        assert_eq!(s.problems, [Problem::OpenIncidents { count: 3 }]);
    }

    #[test]
    fn a_source_removed_from_the_configuration_no_longer_fails() {
        let c = config(&["kept"]);
        let s = judge(&c, &[state("kept", 2), state("removed", 40)], 0, false);
        assert_eq!(s.failing_sources, 1);
        assert_eq!(s.verdict, Verdict::Attention);
        assert!(matches!(&s.problems[..], [Problem::SourceFailing { name, .. }] if name == "kept"));
        let c = config(&["other"]);
        assert_eq!(
            judge(&c, &[state("removed", 40)], 0, false).verdict,
            Verdict::Ok
        );
    }

    #[test]
    fn no_fetch_for_too_long_is_critical() {
        let c = config(&["a"]);
        let now = Utc::now();
        let s = service_status(Inputs {
            config: &c,
            health: Health {
                last_fetch: Some(now - chrono::Duration::hours(2)),
                ..Health::default()
            },
            states: &[],
            daemon: None,
            stale: std::time::Duration::from_secs(1800),
            fail_on_incident: false,
            blind: &[],
            now,
        });
        assert_eq!(s.verdict, Verdict::Critical);
        assert_eq!(s.verdict.exit_code(), 2);
    }
}
