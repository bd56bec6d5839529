//! Replay: the whole pipeline on feed files from disk, with each item's own published time as the clock.
//!
//! In: feed files (or directories of them), the rules, a database path. Out: the database as the daemon
//! would have left it had it seen those items as they were published — mentions, incidents, alerts — and
//! the incidents in the order they opened. This is how a team checks "would this have caught last month's
//! crisis?", and how detection is tested end to end: parsing, analysis, storage and detection are the
//! daemon's own code; only the clock differs.
//!
//! Items are taken in time order and written in small batches (those published within the same quarter of
//! an hour), so detection judges the bucket in progress as a daemon polling every quarter of an hour would.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::analysis::Analyzer;
use crate::model::{Mention, SourceState};
use crate::pipeline::detect::{Detector, spec_of};
use crate::sources::parse::parse_feed;
use crate::store::writer::WriteHook as _;
use crate::store::{AnalysedMention, Poll, Store, StoreError, incidents::IncidentRow};

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// What a replay read and found.
#[derive(Debug, Default)]
pub struct ReplayReport {
    pub files: usize,
    /// Files that could not be parsed, with the reason.
    pub failed: Vec<(PathBuf, String)>,
    pub mentions: usize,
    pub incidents: Vec<IncidentRow>,
}

/// The feed files under `paths` (directories are walked, in name order).
///
/// # Errors
/// When a path cannot be read.
pub fn feed_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReplayError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| ReplayError::Read {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|source| ReplayError::Read {
                    path: p.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            let (dirs, files): (Vec<PathBuf>, Vec<PathBuf>) =
                entries.into_iter().partition(|e| e.is_dir());
            out.extend(files.into_iter().filter(|f| {
                !f.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
            }));
            out.extend(feed_files(&dirs)?);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Replays `files` through the pipeline into the database at `db`.
///
/// # Errors
/// When a file cannot be read or the database cannot be written; unparseable feeds are reported, not fatal.
pub fn replay(
    files: &[PathBuf],
    analyzer: &Analyzer,
    db: &Path,
) -> Result<ReplayReport, ReplayError> {
    replay_at(files, analyzer, db, Utc::now())
}

/// [`replay`], with `fetched` as the time the files were read: the clock of items without a date, so that
/// a replay of the same files at the same `fetched` always leaves the same database (`veille demo`).
///
/// # Errors
/// As [`replay`].
pub fn replay_at(
    files: &[PathBuf],
    analyzer: &Analyzer,
    db: &Path,
    fetched: DateTime<Utc>,
) -> Result<ReplayReport, ReplayError> {
    replay_with(files, Vec::new(), &HashMap::new(), analyzer, db, fetched)
}

/// [`replay_at`] with mentions already read (from a query kind's service, as the demo does) replayed
/// together with the files' items, each on its own time, and the sources' tags by name (a file's source is
/// its name without extension), which the rules and the press-or-social split read.
///
/// # Errors
/// As [`replay_at`].
pub fn replay_with(
    files: &[PathBuf],
    read: Vec<Mention>,
    tags: &HashMap<String, Vec<String>>,
    analyzer: &Analyzer,
    db: &Path,
    fetched: DateTime<Utc>,
) -> Result<ReplayReport, ReplayError> {
    let tags_of = |source: &str| tags.get(source).map_or(&[][..], Vec::as_slice);
    let mut report = ReplayReport::default();
    let mut items: Vec<AnalysedMention> = read
        .into_iter()
        .map(|mention| {
            let analysis = analyzer.analyse(&mention, tags_of(&mention.source));
            AnalysedMention { mention, analysis }
        })
        .collect();
    for path in files {
        let bytes = std::fs::read(path).map_err(|source| ReplayError::Read {
            path: path.clone(),
            source,
        })?;
        report.files += 1;
        let source = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("replay")
            .to_owned();
        match parse_feed(&source, &bytes, None, fetched) {
            Ok(feed) => {
                for mention in feed.mentions {
                    let analysis = analyzer.analyse(&mention, tags_of(&mention.source));
                    items.push(AnalysedMention { mention, analysis });
                }
            }
            Err(e) => report.failed.push((path.clone(), e.to_string())),
        }
    }
    // The clock is the item's own time; an item without a date counts when it was read.
    items.sort_by(|a, b| {
        a.mention
            .time()
            .cmp(&b.mention.time())
            .then_with(|| a.mention.id.cmp(&b.mention.id))
    });
    report.mentions = items.len();

    let mut store = Store::open(db)?;
    let start = items.first().map_or(fetched, |i| i.mention.time());
    let mut detector = Detector::load(&store, spec_of(analyzer.rules()), start)?;
    let quarter = chrono::Duration::minutes(15);
    let mut batch: Vec<AnalysedMention> = Vec::new();
    let mut batch_end: Option<DateTime<Utc>> = None;
    let mut last = start;
    for item in items {
        let t = item.mention.time();
        if batch_end.is_some_and(|end| t >= end) {
            write_batch(&mut store, &mut detector, std::mem::take(&mut batch), last)?;
        }
        if batch.is_empty() {
            batch_end = Some(t + quarter);
        }
        last = t;
        batch.push(item);
    }
    write_batch(&mut store, &mut detector, batch, last)?;
    // Let the buckets the last items fell in close.
    let silences = store.silences(last)?;
    store.in_transaction(|tx| detector.on_tick(tx, &silences, last))?;
    report.incidents = store.incidents_in_order()?;
    Ok(report)
}

/// Writes one batch as one poll per source, with detection's clock at `now`.
fn write_batch(
    store: &mut Store,
    detector: &mut Detector,
    batch: Vec<AnalysedMention>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut polls: Vec<Poll> = Vec::new();
    for item in batch {
        let source = item.mention.source.clone();
        match polls.iter_mut().find(|p| p.state.name == source) {
            Some(p) => p.mentions.push(item),
            None => polls.push(Poll {
                state: SourceState {
                    name: source.clone(),
                    url: format!("replay:{source}"),
                    last_fetch: Some(now),
                    last_success: Some(now),
                    ..SourceState::default()
                },
                mentions: vec![item],
            }),
        }
    }
    let refs: Vec<&Poll> = polls.iter().collect();
    let silences = store.silences(now)?;
    store.write_polls_with(&refs, |tx, new| detector.on_write(tx, new, &silences, now))?;
    Ok(())
}
