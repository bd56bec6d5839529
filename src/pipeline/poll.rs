//! The pipeline for one source: fetch, parse, analyse, store.
//!
//! In: a configured source, its saved state, and the running stages (fetcher, analyser, writer). Out: the
//! source's new state and mentions written in one transaction, and a [`PollReport`] for logs and summaries.
//! The daemon's scheduler and `veille run --once` call [`poll_source`]; nothing else fetches.
//!
//! Parsing and analysis are CPU work: they run on the blocking pool, off the async threads, at most
//! [`Stages::cpu_permits`] at once (one core fewer than the machine has, so that the runtime, the watchdog
//! and the writer always find one). Each poll's parsing and analysis have a budget of CPU time
//! (`[http] read_budget`), checked while parsing (from inside the feed parser, every 64 KiB it takes in, and
//! before each item is cleaned) and before each item's analysis: past it the
//! source fails with "document too costly to read", its work is dropped, and the permit goes to the next
//! source. When the daemon stops, a poll still fetching, waiting for a permit or reading is abandoned (nothing
//! of it was written, and it is fetched again next time); only a poll already handed to the writer finishes.
//! A failure of one source is logged and recorded in its state — it never reaches another source.
//!
//! Feeds, and the kinds a service serves as a feed, are fetched conditionally (ETag, Last-Modified) with
//! their kind's politeness gap; the JSON kinds ask their service what is new since the source's cursor
//! ([`crate::sources::kinds::harvest`]) and the cursor moves only when the poll is written. Either way the
//! mentions then go through the same reading: analysis within the budget, one transaction.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::analysis::Analyzer;
use crate::config::SourceConfig;
use crate::model::Mention;
use crate::model::SourceState;
use crate::sources::fetch::{FetchError, Fetched, Fetcher, Location, Request, Validators};
use crate::sources::kinds::{self, Target};
use crate::sources::parse::{ParseError, parse_feed_within};
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
    /// CPU time one poll's parsing and analysis may take (`[http] read_budget`).
    pub read_budget: Duration,
    /// Bounds the CPU work (parsing, analysis) in flight to one core fewer than the machine has: more would
    /// only add threads and memory, not speed, and would leave the runtime no core of its own.
    pub cpu: Arc<tokio::sync::Semaphore>,
    /// Cancelled when the daemon stops: polls still fetching are abandoned (nothing was written yet).
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl Stages {
    /// The permits for [`Stages::cpu`]: one per core but one, and at least one.
    pub fn cpu_permits() -> usize {
        std::thread::available_parallelism()
            .map_or(2, usize::from)
            .saturating_sub(1)
            .max(1)
    }
}

/// A document whose parsing and analysis went past the poll's CPU budget.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "document too costly to read ({spent_ms} ms of CPU, past the {budget_ms} ms budget, {}); nothing of it is kept — raise [http] read_budget if this feed is legitimate",
    progress(*.done, *.items)
)]
pub struct TooCostly {
    pub spent_ms: u128,
    pub budget_ms: u128,
    pub done: usize,
    pub items: usize,
}

/// How far reading went: stopped while parsing (no item yet), or after some items' analysis.
fn progress(done: usize, items: usize) -> String {
    if items == 0 {
        "while parsing it".to_owned()
    } else {
        format!("with {done} of {items} items analysed")
    }
}

/// Why a poll read nothing: the fetch or the parse failed, or the document cost too much.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum PollFailure {
    #[error("{0}")]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    TooCostly(#[from] TooCostly),
}

impl PollFailure {
    fn outcome(&self) -> Outcome {
        match self {
            PollFailure::Fetch(e) => e.outcome(),
            // The document will be as costly next time: back off like any failure.
            PollFailure::TooCostly(_) => Outcome::Failed,
        }
    }
}

/// How reading a fetched document ended, short of success.
enum ReadStop {
    Failed(PollFailure),
    /// The daemon is stopping: the work is dropped.
    Abandoned,
}

/// The CPU time this thread has used (its own clock, so time spent waiting for a core does not count).
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_THREAD_CPUTIME_ID exists on every Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// What a poll brought back to read: a document to parse, or the posts a JSON kind already read.
enum Input {
    Document {
        bytes: Vec<u8>,
        charset: Option<String>,
    },
    Posts(Vec<Mention>),
}

/// A fetched document (or a kind's posts) to parse and analyse, with its budget.
struct Reading {
    source: String,
    kind: crate::model::SourceKind,
    input: Input,
    fetched: DateTime<Utc>,
    analyzer: Arc<Analyzer>,
    tags: Vec<String>,
    budget: Duration,
    shutdown: tokio_util::sync::CancellationToken,
}

impl Reading {
    /// Parses and analyses the document within its budget of CPU time, checking the budget (and whether the
    /// daemon is stopping) between steps.
    fn run(self) -> Result<Vec<AnalysedMention>, ReadStop> {
        let Reading {
            source,
            kind,
            input,
            fetched,
            analyzer,
            tags,
            budget,
            shutdown,
        } = self;
        let started = thread_cpu_time();
        let over = |done: usize, items: usize| {
            let spent = thread_cpu_time().saturating_sub(started);
            (spent > budget).then_some(ReadStop::Failed(PollFailure::TooCostly(TooCostly {
                spent_ms: spent.as_millis(),
                budget_ms: budget.as_millis(),
                done,
                items,
            })))
        };
        let mentions = match input {
            Input::Document { bytes, charset } => {
                // The budget is asked from inside the parser too, as it takes the document in: one
                // costly document is stopped where it stands, not once the parser is done with it.
                let mut stopped_by = None;
                let parsed =
                    parse_feed_within(&source, &bytes, charset.as_deref(), fetched, &mut |_| {
                        if shutdown.is_cancelled() {
                            stopped_by = Some(ReadStop::Abandoned);
                        } else if let Some(stop) = over(0, 0) {
                            stopped_by = Some(stop);
                        }
                        stopped_by.is_some()
                    });
                let mut feed = match (parsed, stopped_by) {
                    (Ok(feed), _) => feed,
                    (Err(ParseError::Stopped { .. }), Some(stop)) => return Err(stop),
                    (Err(e), _) => {
                        return Err(ReadStop::Failed(PollFailure::Fetch(FetchError::Parse(e))));
                    }
                };
                for m in &mut feed.mentions {
                    m.kind = kind;
                    m.reach.handle = kinds::feed_handle(kind, m.author.as_deref());
                }
                feed.mentions
            }
            Input::Posts(posts) => posts,
        };
        let items = mentions.len();
        let mut analysed = Vec::with_capacity(items);
        for (done, mention) in mentions.into_iter().enumerate() {
            if shutdown.is_cancelled() {
                return Err(ReadStop::Abandoned);
            }
            if let Some(stop) = over(done, items) {
                return Err(stop);
            }
            let analysis = analyzer.analyse(&mention, &tags);
            analysed.push(AnalysedMention { mention, analysis });
        }
        if let Some(stop) = over(items, items) {
            return Err(stop);
        }
        Ok(analysed)
    }
}

/// Polls one source once and stores what it found. Returns `None` when the poll was abandoned because the
/// daemon is stopping (while fetching, waiting for a reading slot or reading: before anything was written).
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
        fetched = fetch(stages, source, &validators, state.cursor.as_deref(), now) => fetched,
        () = stages.shutdown.cancelled() => {
            tracing::info!(source = %source.name, url = %url, "Fetch abandoned: stopping.");
            return Ok(None);
        }
    };
    // A JSON kind's failure on part of the source (one instance of several): what was read is kept, and
    // the source is failing.
    let mut partial: Option<FetchError> = None;
    let interval = source.interval.0;
    let mut analysed = Vec::new();
    let outcome: Result<usize, PollFailure> = match fetched {
        Ok(Got::Feed(Fetched::NotModified)) => {
            state.last_status = Some(304);
            Ok(0)
        }
        Ok(got @ (Got::Feed(Fetched::Body(_)) | Got::Posts(_))) => {
            let (input, validators, cursor) = match got {
                Got::Feed(Fetched::Body(body)) => (
                    Input::Document {
                        bytes: body.bytes,
                        charset: body.charset,
                    },
                    Some(body.validators),
                    state.cursor.clone(),
                ),
                Got::Posts(harvest) => {
                    partial = harvest.partial;
                    (Input::Posts(harvest.mentions), None, harvest.cursor)
                }
                Got::Feed(Fetched::NotModified) => unreachable!("matched above"),
            };
            let reading = Reading {
                source: source.name.clone(),
                kind: source.kind,
                input,
                fetched: now,
                analyzer: Arc::clone(&stages.analyzer),
                tags: source.tags.clone(),
                budget: stages.read_budget,
                shutdown: stages.shutdown.clone(),
            };
            let permit = tokio::select! {
                permit = Arc::clone(&stages.cpu).acquire_owned() => permit.expect("semaphore never closed"),
                () = stages.shutdown.cancelled() => {
                    tracing::info!(source = %source.name, url = %url, "Poll abandoned before reading: stopping.");
                    return Ok(None);
                }
            };
            let reading = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                reading.run()
            });
            // On stop the reading thread sees the token between two items and drops its work; the poll
            // does not wait for it (one long step must not hold the stop).
            let read = tokio::select! {
                joined = reading => joined.unwrap_or_else(|join| {
                    Err(ReadStop::Failed(PollFailure::Fetch(FetchError::Parse(
                        crate::sources::parse::ParseError::ParserPanic(join.to_string()),
                    ))))
                }),
                () = stages.shutdown.cancelled() => Err(ReadStop::Abandoned),
            };
            match read {
                Ok(items) => {
                    if let Some(v) = validators {
                        state.etag = v.etag;
                        state.last_modified = v.last_modified;
                    }
                    state.cursor = cursor;
                    state.last_status = Some(200);
                    let n = items.len();
                    analysed = items;
                    Ok(n)
                }
                Err(ReadStop::Failed(e)) => Err(e),
                Err(ReadStop::Abandoned) => {
                    tracing::info!(source = %source.name, url = %url, "Poll abandoned while reading: stopping.");
                    return Ok(None);
                }
            }
        }
        Err(e) => Err(e.into()),
    };
    let items = analysed.len().max(*outcome.as_ref().unwrap_or(&0));
    let outcome = match (outcome, partial) {
        (Ok(_), Some(e)) => Err(PollFailure::Fetch(e)),
        (o, _) => o,
    };
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
            // Posts read from part of a source are kept (and the cursor moved past them); when nothing
            // was read the cursor stays where it was, so nothing is skipped.
            state.items_seen += analysed.len() as u64;
            state.consecutive_errors = state.consecutive_errors.saturating_add(1);
            state.last_error = Some(e.to_string());
            match e {
                PollFailure::Fetch(
                    FetchError::Status { status, .. } | FetchError::Denied { status, .. },
                ) => state.last_status = Some(*status),
                // A throttling page says "too many requests" in words: kept as the status it stands
                // for, so that a source kept waiting is judged rate-limited, not failing.
                PollFailure::Fetch(FetchError::Throttled { .. }) => state.last_status = Some(429),
                _ => {}
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

/// What a poll's fetch brought back.
enum Got {
    /// A feed's document, or `304 Not Modified`.
    Feed(Fetched),
    /// A JSON kind's new posts and cursor.
    Posts(kinds::Harvest),
}

/// Fetches a source by its kind: a feed (with its kind's politeness gap and throttle check), or a JSON
/// kind's new posts since `cursor`.
async fn fetch(
    stages: &Stages,
    source: &SourceConfig,
    validators: &Validators,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Got, FetchError> {
    match (&source.target, &source.location) {
        (Target::Feed, Location::Http(url)) => {
            let mut request = Request::feed(url.clone());
            request.gap = kinds::politeness(source.kind).gap;
            let fetched = stages.fetcher.send(&request, validators).await?;
            if let Fetched::Body(body) = &fetched {
                kinds::check_feed_body(source.kind, url.as_str(), &body.bytes)?;
            }
            Ok(Got::Feed(fetched))
        }
        (Target::Feed, location) => {
            Ok(Got::Feed(stages.fetcher.fetch(location, validators).await?))
        }
        (target, _) => Ok(Got::Posts(
            kinds::harvest(&stages.fetcher, target, &source.name, cursor, now).await?,
        )),
    }
}
