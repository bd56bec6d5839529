//! Logging set-up: human-readable on a terminal, JSON on request, journald under systemd.
//!
//! The level comes from `VEILLE_LOG` (or `RUST_LOG`) with the usual filter syntax; by default the daemon logs
//! at `info` and the other commands at `warn`, so that their output stays what the person asked for.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

pub fn init(format: Option<&str>, daemon: bool) {
    let default = if daemon { "info" } else { "warn" };
    let filter = std::env::var("VEILLE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let under_journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let format = format.unwrap_or(if under_journald { "journald" } else { "text" });
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        "json" => {
            let _ = registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .with_writer(std::io::stderr),
                )
                .try_init();
        }
        "journald" => match tracing_journald::layer() {
            Ok(layer) => {
                let _ = registry
                    .with(layer.with_syslog_identifier("veille".into()))
                    .try_init();
            }
            Err(_) => {
                let _ = registry
                    .with(
                        tracing_subscriber::fmt::layer()
                            .with_writer(std::io::stderr)
                            .with_ansi(false),
                    )
                    .try_init();
            }
        },
        _ => {
            let _ = registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(std::io::stderr)
                        .with_ansi(std::io::stderr().is_terminal()),
                )
                .try_init();
        }
    }
}
