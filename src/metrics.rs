//! Metrics: what the daemon counts, and the optional Prometheus endpoint that shows it.
//!
//! In: counters bumped by the pipeline (fetches by outcome, fetch durations, mentions stored, rule matches),
//! the database fault the daemon is waiting out (`veille_store_fault`, set by the daemon since the database
//! cannot report its own unwritability) and, at scrape time, gauges read from the database (open incidents, outbox backlog) through a read-only
//! connection. Out: the Prometheus text format on `GET /metrics` at `[metrics] listen`. Off by default; it
//! listens on loopback only unless `allow_remote = true`, since the figures say what the team watches.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_util::sync::CancellationToken;

use crate::store::StoreFault;

/// The `[metrics]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address to listen on, e.g. `"127.0.0.1:9808"`.
    pub listen: SocketAddr,
    /// Allow a non-loopback address.
    #[serde(default)]
    pub allow_remote: bool,
}

impl MetricsConfig {
    /// Checks the address is loopback unless remote access is allowed.
    ///
    /// # Errors
    /// A message saying what to change.
    pub fn validate(&self) -> Result<(), String> {
        if !self.listen.ip().is_loopback() && !self.allow_remote {
            return Err(format!(
                "[metrics] listen = \"{}\" is not a loopback address; set allow_remote = true to expose metrics beyond this machine",
                self.listen
            ));
        }
        Ok(())
    }
}

/// Upper bounds (seconds) of the fetch-duration histogram.
const BUCKETS: [f64; 8] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The daemon's counters. One static instance: [`METRICS`].
pub struct Metrics {
    pub fetch_ok: AtomicU64,
    pub fetch_not_modified: AtomicU64,
    pub fetch_error: AtomicU64,
    fetch_buckets: [AtomicU64; BUCKETS.len()],
    fetch_count: AtomicU64,
    /// Sum of fetch durations in microseconds.
    fetch_sum_us: AtomicU64,
    pub mentions_stored: AtomicU64,
    pub rules_matched: AtomicU64,
    /// Unix time of the last completed poll cycle (0 = none yet).
    pub last_cycle: AtomicU64,
    /// The database fault the daemon is waiting out: 0 for none, else 1 + its index in
    /// [`StoreFault::ALL`]. Kept by the daemon itself, since the database cannot say it is unwritable.
    store_fault: AtomicU64,
    /// The console's address once it listens (`None`: no `[web]`).
    web_listen: std::sync::Mutex<Option<String>>,
    /// 1 while the console serves.
    web_up: AtomicU64,
    pub web_requests: AtomicU64,
    /// Answers with a 5xx status.
    pub web_errors: AtomicU64,
}

/// The console's state, for `veille status` and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebState {
    pub listen: String,
    pub up: bool,
    pub requests: u64,
    pub errors: u64,
}

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);

pub static METRICS: Metrics = Metrics {
    fetch_ok: ZERO,
    fetch_not_modified: ZERO,
    fetch_error: ZERO,
    fetch_buckets: [ZERO; BUCKETS.len()],
    fetch_count: ZERO,
    fetch_sum_us: ZERO,
    mentions_stored: ZERO,
    rules_matched: ZERO,
    last_cycle: ZERO,
    store_fault: ZERO,
    web_listen: std::sync::Mutex::new(None),
    web_up: ZERO,
    web_requests: ZERO,
    web_errors: ZERO,
};

impl Metrics {
    /// Records that the console serves on `listen` (`up`), or stopped serving.
    pub fn set_web(&self, listen: Option<String>, up: bool) {
        if let Some(l) = listen {
            *self.web_listen.lock().unwrap_or_else(|e| e.into_inner()) = Some(l);
        }
        self.web_up.store(u64::from(up), Ordering::Relaxed);
    }

    /// Counts one answer of the console.
    pub fn web_answered(&self, status: u16) {
        self.web_requests.fetch_add(1, Ordering::Relaxed);
        if status >= 500 {
            self.web_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The console's state; `None` when it never listened.
    pub fn web_state(&self) -> Option<WebState> {
        let listen = self
            .web_listen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        Some(WebState {
            listen,
            up: self.web_up.load(Ordering::Relaxed) == 1,
            requests: self.web_requests.load(Ordering::Relaxed),
            errors: self.web_errors.load(Ordering::Relaxed),
        })
    }

    /// Records the database fault the daemon is waiting out (`None` once it writes again).
    pub fn set_store_fault(&self, fault: Option<StoreFault>) {
        let code = fault.map_or(0, |f| {
            StoreFault::ALL.iter().position(|&k| k == f).unwrap_or(0) as u64 + 1
        });
        self.store_fault.store(code, Ordering::Relaxed);
    }

    /// The database fault the daemon is waiting out, if any.
    pub fn store_fault(&self) -> Option<StoreFault> {
        let code = self.store_fault.load(Ordering::Relaxed) as usize;
        code.checked_sub(1)
            .and_then(|i| StoreFault::ALL.get(i).copied())
    }

    /// Records one fetch's duration.
    pub fn observe_fetch(&self, seconds: f64) {
        for (bound, bucket) in BUCKETS.iter().zip(&self.fetch_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.fetch_count.fetch_add(1, Ordering::Relaxed);
        self.fetch_sum_us
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// The counters in the Prometheus text format, with `gauges` (name, help, value) appended.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::with_capacity(2048);
        out.push_str(
            "# HELP veille_build_info Build information.\n# TYPE veille_build_info gauge\n",
        );
        out.push_str(&format!(
            "veille_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        ));
        out.push_str("# HELP veille_fetches_total Source fetches by outcome.\n# TYPE veille_fetches_total counter\n");
        for (outcome, v) in [
            ("ok", get(&self.fetch_ok)),
            ("not_modified", get(&self.fetch_not_modified)),
            ("error", get(&self.fetch_error)),
        ] {
            out.push_str(&format!(
                "veille_fetches_total{{outcome=\"{outcome}\"}} {v}\n"
            ));
        }
        out.push_str(
            "# HELP veille_fetch_duration_seconds Time to fetch and process one source.\n# TYPE veille_fetch_duration_seconds histogram\n",
        );
        for (bound, bucket) in BUCKETS.iter().zip(&self.fetch_buckets) {
            out.push_str(&format!(
                "veille_fetch_duration_seconds_bucket{{le=\"{bound}\"}} {}\n",
                get(bucket)
            ));
        }
        let count = get(&self.fetch_count);
        out.push_str(&format!(
            "veille_fetch_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"
        ));
        out.push_str(&format!(
            "veille_fetch_duration_seconds_sum {}\n",
            get(&self.fetch_sum_us) as f64 / 1e6
        ));
        out.push_str(&format!("veille_fetch_duration_seconds_count {count}\n"));
        for (name, help, v) in [
            (
                "veille_mentions_stored_total",
                "New mentions stored.",
                get(&self.mentions_stored),
            ),
            (
                "veille_rules_matched_total",
                "Rule matches on new mentions.",
                get(&self.rules_matched),
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n"
            ));
        }
        out.push_str(&format!(
            "# HELP veille_last_cycle_timestamp_seconds Unix time of the last completed poll cycle.\n# TYPE veille_last_cycle_timestamp_seconds gauge\nveille_last_cycle_timestamp_seconds {}\n",
            get(&self.last_cycle)
        ));
        out.push_str(
            "# HELP veille_store_fault 1 while the database cannot be written for this reason (the daemon waits and retries).\n# TYPE veille_store_fault gauge\n",
        );
        let fault = self.store_fault();
        for kind in StoreFault::ALL {
            out.push_str(&format!(
                "veille_store_fault{{fault=\"{}\"}} {}\n",
                kind.as_str(),
                u8::from(fault == Some(kind))
            ));
        }
        if let Some(web) = self.web_state() {
            out.push_str(&format!(
                "# HELP veille_web_up Whether the console serves (1) or not (0), and where.\n\
                 # TYPE veille_web_up gauge\nveille_web_up{{listen=\"{}\"}} {}\n\
                 # HELP veille_web_requests_total Requests the console answered.\n\
                 # TYPE veille_web_requests_total counter\nveille_web_requests_total {}\n\
                 # HELP veille_web_errors_total Console answers with a server error (5xx).\n\
                 # TYPE veille_web_errors_total counter\nveille_web_errors_total {}\n",
                web.listen.replace(['\\', '"', '\n'], "_"),
                u8::from(web.up),
                web.requests,
                web.errors
            ));
        }
        for (name, help, v) in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"
            ));
        }
        out
    }
}

/// Gauges read from the database at scrape time.
fn database_gauges(db: &std::path::Path) -> Vec<(&'static str, &'static str, f64)> {
    match crate::store::Store::open_read_only(db).and_then(|s| s.health()) {
        Ok(h) => vec![
            (
                "veille_sources_failing",
                "Sources whose last fetch failed.",
                h.failing_sources as f64,
            ),
            (
                "veille_incidents_open",
                "Incidents currently open.",
                h.open_incidents as f64,
            ),
            (
                "veille_sources_blind",
                "Sources with an open source incident: failing, rate-limited or silent for too long.",
                h.blind_sources as f64,
            ),
            (
                "veille_outbox_pending",
                "Notifications waiting to be sent.",
                h.outbox_pending as f64,
            ),
            (
                "veille_outbox_failed",
                "Notifications that could not be delivered.",
                h.outbox_failed as f64,
            ),
        ],
        Err(e) => {
            tracing::warn!(error = %e, "Metrics could not read the database.");
            Vec::new()
        }
    }
}

/// Serves `GET /metrics` until `token` is cancelled.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(
    config: MetricsConfig,
    db: PathBuf,
    token: CancellationToken,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    tracing::info!(listen = %config.listen, "Metrics endpoint listening.");
    loop {
        let (mut stream, _) = tokio::select! {
            () = token.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "Metrics connection failed.");
                    continue;
                }
            },
        };
        let db = db.clone();
        tokio::spawn(async move {
            // Read the request head (up to its blank line, at most 8 KiB) so that nothing is left unread
            // when the connection closes.
            let mut buf = vec![0u8; 8192];
            let mut n = 0;
            let read_head = async {
                while n < buf.len() && !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => n += k,
                    }
                }
            };
            if tokio::time::timeout(std::time::Duration::from_secs(5), read_head)
                .await
                .is_err()
            {
                return;
            }
            let head = String::from_utf8_lossy(&buf[..n]);
            let (status, body) =
                if head.starts_with("GET /metrics ") || head.starts_with("GET /metrics?") {
                    let gauges = tokio::task::spawn_blocking(move || database_gauges(&db))
                        .await
                        .unwrap_or_default();
                    ("200 OK", METRICS.render(&gauges))
                } else {
                    ("404 Not Found", "try /metrics\n".to_owned())
                };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_counters_and_histogram() {
        let m = Metrics {
            fetch_ok: AtomicU64::new(3),
            fetch_not_modified: ZERO,
            fetch_error: AtomicU64::new(1),
            fetch_buckets: [ZERO; BUCKETS.len()],
            fetch_count: ZERO,
            fetch_sum_us: ZERO,
            mentions_stored: AtomicU64::new(42),
            rules_matched: ZERO,
            last_cycle: ZERO,
            store_fault: ZERO,
            web_listen: std::sync::Mutex::new(None),
            web_up: ZERO,
            web_requests: ZERO,
            web_errors: ZERO,
        };
        m.observe_fetch(0.3);
        let text = m.render(&[("veille_incidents_open", "Open.", 2.0)]);
        assert!(text.contains("veille_fetches_total{outcome=\"ok\"} 3\n"));
        assert!(text.contains("veille_fetches_total{outcome=\"error\"} 1\n"));
        assert!(text.contains("veille_fetch_duration_seconds_bucket{le=\"0.25\"} 0\n"));
        assert!(text.contains("veille_fetch_duration_seconds_bucket{le=\"0.5\"} 1\n"));
        assert!(text.contains("veille_fetch_duration_seconds_count 1\n"));
        assert!(text.contains("veille_mentions_stored_total 42\n"));
        assert!(text.contains("veille_incidents_open 2\n"));
        assert!(
            !text.contains("veille_web_up"),
            "no console, no console figures"
        );
        m.set_web(Some("127.0.0.1:8080".into()), true);
        m.web_answered(200);
        m.web_answered(503);
        let text = m.render(&[]);
        assert!(
            text.contains("veille_web_up{listen=\"127.0.0.1:8080\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("veille_web_requests_total 2\n"));
        assert!(text.contains("veille_web_errors_total 1\n"));
        assert!(text.contains("veille_store_fault{fault=\"disk_full\"} 0\n"));
        m.set_store_fault(Some(StoreFault::Locked));
        assert_eq!(m.store_fault(), Some(StoreFault::Locked));
        let text = m.render(&[]);
        assert!(
            text.contains("veille_store_fault{fault=\"locked\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("veille_store_fault{fault=\"disk_full\"} 0\n"));
        m.set_store_fault(None);
        let text = m.render(&[]);
        let faults: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("veille_store_fault{"))
            .collect();
        assert_eq!(faults.len(), StoreFault::ALL.len());
        assert!(faults.iter().all(|l| l.ends_with(" 0")), "{faults:?}");
    }

    #[test]
    fn remote_listen_needs_consent() {
        let c = MetricsConfig {
            listen: "0.0.0.0:9808".parse().unwrap(),
            allow_remote: false,
        };
        assert!(c.validate().unwrap_err().contains("allow_remote"));
        let c = MetricsConfig {
            listen: "127.0.0.1:9808".parse().unwrap(),
            allow_remote: false,
        };
        assert!(c.validate().is_ok());
    }
}
