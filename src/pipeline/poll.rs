//! The pipeline for one source: fetch, parse, analyse, store.
//!
//! In: a configured source, its saved state, and the running stages (fetcher, analyser, writer). Out: the
//! source's new state and mentions written in one transaction, and a [`PollReport`] for logs and summaries.
//! The daemon's scheduler and `veille run --once` call [`poll_source`]; nothing else fetches.
//!
//! Parsing and analysis are CPU work: they run on the blocking pool, off the async threads. A failure of one
//! source is logged and recorded in its state — it never reaches another source.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::analysis::Analyzer;
use crate::config::SourceConfig;
use crate::model::SourceState;
use crate::sources::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::sources::parse::parse_feed;
use crate::sources::schedule::{self, Outcome};
use crate::store::writer::Writer;
use crate::store::{AnalysedMention, Poll, StoreError};

/// What one poll of one source came to.
#[derive(Debug, Clone)]
pub struct PollReport {
    pub source: String,
    /// `None` when the poll worked (including `304 Not Modified`).
    pub error: Option<String>,
    pub items: usize,
    pub new_mentions: usize,
    pub next_due: Option<DateTime<Utc>>,
    /// The source's state after the poll, as written.
    pub state: SourceState,
}

/// The stages a poll goes through, shared by every poll.
#[derive(Clone)]
pub struct Stages {
    pub fetcher: Arc<Fetcher>,
    pub analyzer: Arc<Analyzer>,
    pub writer: Writer,
    pub backoff_cap: std::time::Duration,
    /// Bounds the CPU work (parsing, analysis) in flight to the number of cores: more would only add
    /// threads and memory, not speed.
    pub cpu: Arc<tokio::sync::Semaphore>,
    /// Cancelled when the daemon stops: polls still fetching are abandoned (nothing was written yet).
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl Stages {
    /// The permits for [`Stages::cpu`]: one per core.
    pub fn cpu_permits() -> usize {
        std::thread::available_parallelism().map_or(2, usize::from)
    }
}

/// Polls one source once and stores what it found. Returns `None` when the poll was abandoned because the
/// daemon is stopping (during the fetch, before anything was written).
///
/// # Errors
/// Only when the store cannot be written: the caller must stop, since nothing would be kept. Fetch and parse
/// failures are part of the report, not errors.
pub async fn poll_source(
    stages: &Stages,
    source: &SourceConfig,
    previous: Option<SourceState>,
    now: DateTime<Utc>,
) -> Result<Option<PollReport>, StoreError> {
    let started = Instant::now();
    let url = source.location.display();
    let mut state = previous.unwrap_or_else(|| SourceState {
        name: source.name.clone(),
        ..SourceState::default()
    });
    state.name.clone_from(&source.name);
    state.url.clone_from(&source.url);
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    state.last_fetch = Some(now);
    let fetched = tokio::select! {
        fetched = stages.fetcher.fetch(&source.location, &validators) => fetched,
        () = stages.shutdown.cancelled() => {
            tracing::info!(source = %source.name, url = %url, "Fetch abandoned: stopping.");
            return Ok(None);
        }
    };
    let interval = source.interval.0;
    let mut analysed = Vec::new();
    let outcome: Result<usize, FetchError> = match fetched {
        Ok(Fetched::NotModified) => {
            state.last_status = Some(304);
            Ok(0)
        }
        Ok(Fetched::Body(body)) => {
            let name = source.name.clone();
            let tags = source.tags.clone();
            let analyzer = Arc::clone(&stages.analyzer);
            let charset = body.charset.clone();
            let bytes = body.bytes;
            let permit = Arc::clone(&stages.cpu)
                .acquire_owned()
                .await
                .expect("semaphore never closed");
            let parsed = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let feed = parse_feed(&name, &bytes, charset.as_deref(), now)?;
                Ok::<_, crate::sources::parse::ParseError>(
                    feed.mentions
                        .into_iter()
                        .map(|mention| {
                            let analysis = analyzer.analyse(&mention, &tags);
                            AnalysedMention { mention, analysis }
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .await
            .unwrap_or_else(|join| {
                Err(crate::sources::parse::ParseError::ParserPanic(
                    join.to_string(),
                ))
            });
            match parsed {
                Ok(items) => {
                    state.etag = body.validators.etag;
                    state.last_modified = body.validators.last_modified;
                    state.last_status = Some(200);
                    let n = items.len();
                    analysed = items;
                    Ok(n)
                }
                Err(e) => Err(FetchError::Parse(e)),
            }
        }
        Err(e) => Err(e),
    };
    let items = *outcome.as_ref().unwrap_or(&0);
    let error = match &outcome {
        Ok(_) => {
            state.last_success = Some(now);
            state.last_error = None;
            state.consecutive_errors = 0;
            state.items_seen += items as u64;
            state.next_due = Some(schedule::next_due(
                now,
                interval,
                0,
                Outcome::Success,
                0.0,
                stages.backoff_cap,
            ));
            None
        }
        Err(e) => {
            state.consecutive_errors = state.consecutive_errors.saturating_add(1);
            state.last_error = Some(e.to_string());
            if let FetchError::Status { status, .. } = e {
                state.last_status = Some(*status);
            }
            state.next_due = Some(schedule::next_due(
                now,
                interval,
                state.consecutive_errors,
                e.outcome(),
                fastrand::f64(),
                stages.backoff_cap,
            ));
            Some(e.to_string())
        }
    };
    let next_due = state.next_due;
    let next_status = state.last_status;
    let written = stages
        .writer
        .write_poll(Poll {
            state: state.clone(),
            mentions: analysed,
        })
        .await?;
    state.mentions += written.new_mentions as u64;
    let elapsed = started.elapsed();
    let elapsed_ms = elapsed.as_millis() as u64;
    let m = &crate::metrics::METRICS;
    m.observe_fetch(elapsed.as_secs_f64());
    let counter = match (&error, next_status) {
        (Some(_), _) => &m.fetch_error,
        (None, Some(304)) => &m.fetch_not_modified,
        (None, _) => &m.fetch_ok,
    };
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    m.mentions_stored.fetch_add(
        written.new_mentions as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    m.rules_matched.fetch_add(
        written.new_matches as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    match &error {
        None => tracing::info!(
            source = %source.name,
            url = %url,
            items,
            new = written.new_mentions,
            elapsed_ms,
            "Feed fetched."
        ),
        Some(e) => tracing::warn!(source = %source.name, url = %url, error = %e, "Feed failed."),
    }
    Ok(Some(PollReport {
        source: source.name.clone(),
        error,
        items,
        new_mentions: written.new_mentions,
        next_due,
        state,
    }))
}
