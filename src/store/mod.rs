//! The store: everything veille learns, in one SQLite file.
//!
//! In: polls (a source's new state and its analysed mentions), reads from the CLI. Out: rows, and the
//! guarantee that a mention, its analysis, its rule matches and the alerts they raise are written in one
//! transaction — after a crash either all of it is there or none of it, and the item is fetched again.
//!
//! Only this module speaks SQL. The daemon owns one read-write [`Store`] on a dedicated writer thread
//! ([`writer`]); the CLI opens its own read-only connections, which WAL mode lets run beside the writer
//! without blocking it. The schema is versioned by `PRAGMA user_version` and migrated at open.
//!
//! Errors that waiting may cure name their [`StoreFault`] ([`StoreError::fault`]); the daemon waits those
//! out instead of exiting. [`status_file`] is the one thing kept outside SQLite: the daemon's state, for
//! `veille status`, readable when the database cannot be written.

pub mod blind;
pub mod console;
pub mod incidents;
pub mod outbox;
pub mod schema;
pub mod search;
pub mod status_file;
pub mod users;
pub mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};
use serde::Serialize;

use crate::model::{Analysis, Label, Lang, Medium, Mention, RuleMatch, SourceKind, SourceState};

/// Why the store failed, with the database path.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database {path}: cannot create its directory: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this veille knows ({known}); upgrade veille"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("database write failed: {message}")]
    Write {
        message: String,
        /// The fault that made it fail, when waiting may clear it.
        fault: Option<StoreFault>,
    },
}

/// A fault of the database that waiting may clear: the daemon retries rather than exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreFault {
    /// No space left on the database's file system (`SQLITE_FULL`, or an I/O error on a full disk).
    DiskFull,
    /// Another connection held the database beyond the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`).
    Locked,
    /// An I/O error of the file system that may pass (`SQLITE_IOERR`).
    Io,
}

impl StoreFault {
    /// Every fault, in the order the metrics list them.
    pub const ALL: [StoreFault; 3] = [StoreFault::DiskFull, StoreFault::Locked, StoreFault::Io];

    /// A stable name for machines (metrics labels, JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            StoreFault::DiskFull => "disk_full",
            StoreFault::Locked => "locked",
            StoreFault::Io => "io",
        }
    }
}

/// Below this much space left for unprivileged writers, an I/O error is taken for a full disk (SQLite
/// reports some writes that find no room, such as growing its shared-memory file, as `SQLITE_IOERR`).
const NEARLY_FULL_BYTES: u64 = 1 << 20;

/// Whether the file system holding `path` (or its nearest existing ancestor) has almost no room left.
fn nearly_full(path: &Path) -> bool {
    let mut dir = path;
    loop {
        if let Ok(s) = rustix::fs::statvfs(dir) {
            return s.f_bavail.saturating_mul(s.f_frsize) < NEARLY_FULL_BYTES;
        }
        match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => dir = p,
            _ => return false,
        }
    }
}

impl StoreError {
    /// The fault behind this error when retrying the same work later may succeed (a busy, locked or full
    /// database, an I/O error that may pass); `None` for errors that waiting does not cure (a bug, a
    /// schema too new, a database that is not one).
    pub fn fault(&self) -> Option<StoreFault> {
        match self {
            StoreError::Sqlite { source, path } => match source.sqlite_error_code()? {
                rusqlite::ErrorCode::DiskFull => Some(StoreFault::DiskFull),
                rusqlite::ErrorCode::DatabaseBusy
                | rusqlite::ErrorCode::DatabaseLocked
                | rusqlite::ErrorCode::FileLockingProtocolFailed => Some(StoreFault::Locked),
                rusqlite::ErrorCode::SystemIoFailure if nearly_full(path) => {
                    Some(StoreFault::DiskFull)
                }
                rusqlite::ErrorCode::SystemIoFailure => Some(StoreFault::Io),
                _ => None,
            },
            StoreError::Dir { source, .. } => match source.kind() {
                std::io::ErrorKind::StorageFull => Some(StoreFault::DiskFull),
                std::io::ErrorKind::ResourceBusy => Some(StoreFault::Locked),
                _ => None,
            },
            StoreError::Write { fault, .. } => *fault,
            StoreError::TooNew { .. } | StoreError::WriterGone => None,
        }
    }

    /// Whether retrying the same write later may succeed (a busy or full database, not a bug).
    pub fn is_transient(&self) -> bool {
        self.fault().is_some()
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One analysed mention ready to store.
#[derive(Debug, Clone)]
pub struct AnalysedMention {
    pub mention: Mention,
    pub analysis: Analysis,
}

/// One fetch of one source, to be written in one transaction.
#[derive(Debug, Clone)]
pub struct Poll {
    pub state: SourceState,
    pub mentions: Vec<AnalysedMention>,
}

/// A mention a write has just stored, with its row id.
pub struct NewRow<'a> {
    pub row: i64,
    pub mention: &'a Mention,
    pub analysis: &'a Analysis,
}

/// What a poll's write changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollWritten {
    /// Mentions that were not in the store before.
    pub new_mentions: usize,
    /// Rule matches of those new mentions.
    pub new_matches: usize,
    /// Row ids of the new mentions, with their index in the poll.
    pub new_rows: Vec<(i64, usize)>,
}

/// A mention as read back, with its analysis.
#[derive(Debug, Clone, Serialize)]
pub struct StoredMention {
    /// Row id in the store.
    pub key: i64,
    pub id: String,
    pub source: String,
    pub link: Option<String>,
    pub title: Option<String>,
    pub text: String,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub fetched: DateTime<Utc>,
    pub lang: Lang,
    pub score: f32,
    pub label: Label,
    pub matches: Vec<RuleMatch>,
    /// The kind of source it was read from (`feed` for mentions stored before kinds existed).
    pub kind: SourceKind,
    /// The author's handle on the service, when it has one.
    pub author_handle: Option<String>,
    /// How many followed the author when the mention was read; `None` when the service does not say.
    pub author_followers: Option<u64>,
    pub likes: Option<u64>,
    pub reposts: Option<u64>,
    pub replies: Option<u64>,
    /// The service's own score (Hacker News points, an App Store rating).
    pub points: Option<i64>,
    /// The story it belongs to ([`crate::analysis::story`]): the same for every rewritten copy of one
    /// article. Sixteen hexadecimal digits in JSON.
    #[serde(serialize_with = "story_hex")]
    pub story: u64,
    /// Whether its source was the press or a social network when it was read (`press`, `social`); `None`
    /// for mentions stored before that was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium: Option<Medium>,
}

/// A story id as people and tools see it: sixteen hexadecimal digits (the short form is the first eight).
pub fn story_id(story: u64) -> String {
    format!("{story:016x}")
}

fn story_hex<S: serde::Serializer>(story: &u64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&story_id(*story))
}

/// A stored mention as the story index is rebuilt from it.
#[derive(Debug, Clone)]
pub struct RecentStory {
    pub story: u64,
    pub title: Option<String>,
    pub text: String,
    /// When it was stored (first seen).
    pub arrived: DateTime<Utc>,
}

/// How far a story went: its mentions and the sources that carried them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoryTally {
    pub mentions: u32,
    pub sources: u32,
}

/// Which mentions to list.
#[derive(Debug, Clone, Default)]
pub struct MentionFilter {
    pub source: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub rule: Option<String>,
    pub limit: Option<usize>,
    /// Only the story whose id starts with these hexadecimal digits ([`StoryPrefix`]).
    pub story: Option<StoryPrefix>,
}

/// The first hexadecimal digits of a story id (one to sixteen), as people copy them from a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryPrefix {
    /// The smallest and largest story ids with the prefix.
    pub first: u64,
    pub last: u64,
}

impl std::str::FromStr for StoryPrefix {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<StoryPrefix, String> {
        let s = s.trim();
        if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "{s:?} is not a story id: one to sixteen hexadecimal digits, as `veille mentions` shows them"
            ));
        }
        let value = u64::from_str_radix(s, 16).map_err(|e| e.to_string())?;
        let free = 4 * (16 - s.len() as u32);
        let first = value.checked_shl(free).unwrap_or(0);
        let last = first | 1u64.checked_shl(free).map_or(u64::MAX, |b| b - 1);
        Ok(StoryPrefix { first, last })
    }
}

/// The figures `veille status` and the metrics endpoint report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    pub sources: u64,
    pub failing_sources: u64,
    pub mentions: u64,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub open_incidents: u64,
    /// Sources with an open `source` incident: they can no longer be heard.
    pub blind_sources: u64,
    pub outbox_pending: u64,
    pub outbox_failed: u64,
    /// Channel messages that may have arrived without an answer, not sent again (`uncertain`).
    pub outbox_uncertain: u64,
    /// When the oldest pending notification was queued.
    pub outbox_oldest_pending: Option<DateTime<Utc>>,
}

/// An open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// The columns [`mention_row`] reads, in its order, for a `mention` table aliased `m`.
pub(crate) const MENTION_COLUMNS: &str = "m.id, m.guid, m.source, m.link, m.title, m.text, m.author, m.published, \
     m.fetched, m.lang, m.score, m.label, m.kind, m.author_handle, m.author_followers, m.likes, m.reposts, \
     m.replies, m.points, m.story, m.medium";

/// The first column after the [`MENTION_COLUMNS`] in a query that selects more.
pub(crate) const AFTER_MENTION_COLUMNS: usize = 21;

/// A stored medium; `None` for mentions stored before it was.
fn medium(stored: Option<String>) -> Option<Medium> {
    stored.as_deref().and_then(Medium::parse)
}

/// A mention read from the [`MENTION_COLUMNS`] (in that order, from 0; the next free column is
/// [`AFTER_MENTION_COLUMNS`]), its rule matches left to the caller.
pub(crate) fn mention_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMention> {
    Ok(StoredMention {
        key: r.get(0)?,
        id: r.get(1)?,
        source: r.get(2)?,
        link: r.get(3)?,
        title: r.get(4)?,
        text: r.get(5)?,
        author: r.get(6)?,
        published: r.get::<_, Option<i64>>(7)?.map(from_ts),
        fetched: from_ts(r.get(8)?),
        lang: r
            .get::<_, Option<String>>(9)?
            .map_or(Lang::Other, |l| Lang::from_tag(&l)),
        score: r.get::<_, Option<f64>>(10)?.unwrap_or(0.0) as f32,
        label: match r.get::<_, Option<String>>(11)?.as_deref() {
            Some("neg") => Label::Neg,
            Some("pos") => Label::Pos,
            _ => Label::Neu,
        },
        matches: Vec::new(),
        kind: r
            .get::<_, Option<String>>(12)?
            .and_then(|k| SourceKind::parse(&k))
            .unwrap_or_default(),
        author_handle: r.get(13)?,
        author_followers: count(r.get(14)?),
        likes: count(r.get(15)?),
        reposts: count(r.get(16)?),
        replies: count(r.get(17)?),
        points: r.get(18)?,
        story: r.get::<_, i64>(19)? as u64,
        medium: medium(r.get(20)?),
    })
}

/// A count as stored (SQLite integers are signed; a negative one is a corrupt row, read as unknown).
fn count(v: Option<i64>) -> Option<u64> {
    v.and_then(|n| u64::try_from(n).ok())
}

/// A count to store.
fn stored_count(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

impl Store {
    /// Opens (creating if needed) the database read-write and brings its schema up to date.
    ///
    /// # Errors
    /// When the file cannot be created or opened, or its schema is newer than this build knows.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: path.to_owned(),
                source,
            })?;
        }
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;",
        )
        .map_err(err)?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
        };
        schema::migrate(&mut store.conn, path)?;
        Ok(store)
    }

    /// Opens the database read-only, for the CLI. It never blocks the daemon's writer.
    ///
    /// # Errors
    /// When the file does not exist or cannot be read.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let err = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if version > schema::VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: version,
                known: schema::VERSION,
            });
        }
        Ok(Store {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes one poll in one transaction: the source's state, and every mention not already stored with
    /// its analysis and rule matches.
    ///
    /// # Errors
    /// On any SQLite failure; nothing of the poll is then written.
    pub fn write_poll(&mut self, poll: &Poll) -> Result<PollWritten> {
        Ok(self.write_polls(&[poll])?.remove(0))
    }

    /// Writes several polls in one transaction, each as [`Store::write_poll`] would.
    ///
    /// # Errors
    /// On any SQLite failure; nothing of any of the polls is then written.
    pub fn write_polls(&mut self, polls: &[&Poll]) -> Result<Vec<PollWritten>> {
        self.write_polls_with(polls, |_, _| Ok(()))
    }

    /// Writes several polls in one transaction and, in the same transaction, runs `then` on the mentions
    /// that were new (detection records its decisions there): all of it is committed, or none of it.
    ///
    /// # Errors
    /// On any SQLite failure, including one returned by `then`.
    pub fn write_polls_with(
        &mut self,
        polls: &[&Poll],
        then: impl FnOnce(&rusqlite::Transaction<'_>, &[NewRow<'_>]) -> rusqlite::Result<()>,
    ) -> Result<Vec<PollWritten>> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let mut all = Vec::with_capacity(polls.len());
        let mut new = Vec::new();
        let mut to_index = Vec::new();
        for (poll_index, poll) in polls.iter().enumerate() {
            let written = write_poll_in(&tx, poll, poll_index, &mut to_index).map_err(err)?;
            for &(row, i) in &written.new_rows {
                let am = &poll.mentions[i];
                new.push(NewRow {
                    row,
                    mention: &am.mention,
                    analysis: &am.analysis,
                });
            }
            all.push(written);
        }
        // FTS5 flushes its pending terms into a new segment whenever a rowid is not above the previous
        // one of the transaction; feeds list the newest item first, so indexing in arrival order made a
        // segment per mention (and merges to match). In key order, the batch is one segment.
        to_index.sort_unstable_by_key(|&(key, ..)| key);
        for (_, row, poll, item) in to_index {
            let m = &polls[poll].mentions[item].mention;
            search::index_mention(
                &tx,
                row,
                ts(m.time()),
                m.title.as_deref(),
                &m.text,
                m.author.as_deref(),
            )
            .map_err(err)?;
        }
        then(&tx, &new).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(all)
    }

    /// Runs `f` in a transaction of its own (detection's clock ticks between polls).
    ///
    /// # Errors
    /// On any SQLite failure, including one returned by `f`.
    pub fn in_transaction(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<()> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        f(&tx).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Every source's saved state, by name.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn source_states(&self) -> Result<Vec<SourceState>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, url, etag, last_modified, last_fetch, last_success, last_error, last_status,
                        consecutive_errors, items_seen, mentions, next_due, cursor
                 FROM source ORDER BY name",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SourceState {
                    name: r.get(0)?,
                    url: r.get(1)?,
                    etag: r.get(2)?,
                    last_modified: r.get(3)?,
                    last_fetch: r.get::<_, Option<i64>>(4)?.map(from_ts),
                    last_success: r.get::<_, Option<i64>>(5)?.map(from_ts),
                    last_error: r.get(6)?,
                    last_status: r.get(7)?,
                    consecutive_errors: r.get(8)?,
                    items_seen: r.get::<_, i64>(9)? as u64,
                    mentions: r.get::<_, i64>(10)? as u64,
                    next_due: r.get::<_, Option<i64>>(11)?.map(from_ts),
                    cursor: r.get(12)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// One source's saved state.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn source_state(&self, name: &str) -> Result<Option<SourceState>> {
        Ok(self.source_states()?.into_iter().find(|s| s.name == name))
    }

    /// Stored mentions, newest first.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn mentions(&self, filter: &MentionFilter) -> Result<Vec<StoredMention>> {
        let mut sql = format!("SELECT {MENTION_COLUMNS} FROM mention m WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(source) = &filter.source {
            sql.push_str(" AND m.source = ?");
            args.push(source.clone().into());
        }
        if let Some(since) = filter.since {
            sql.push_str(" AND m.at >= ?");
            args.push(ts(since).into());
        }
        if let Some(rule) = &filter.rule {
            sql.push_str(" AND EXISTS (SELECT 1 FROM mention_match mm WHERE mm.mention = m.id AND mm.rule = ?)");
            args.push(rule.clone().into());
        }
        if let Some(p) = filter.story {
            // Stories are stored as signed integers: one prefix is one range there too (its top bit, the
            // sign, is fixed by the prefix's first digit).
            sql.push_str(" AND m.story BETWEEN ? AND ?");
            args.push((p.first as i64).min(p.last as i64).into());
            args.push((p.first as i64).max(p.last as i64).into());
        }
        sql.push_str(" ORDER BY m.at DESC, m.id DESC");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), mention_row)
            .map_err(|e| self.err(e))?;
        let mut mentions = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        for m in &mut mentions {
            m.matches = self.rule_matches(m.key)?;
        }
        Ok(mentions)
    }

    /// The rule matches stored with mention `key`, by rule id.
    fn rule_matches(&self, key: i64) -> Result<Vec<RuleMatch>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rule, severity, terms FROM mention_match WHERE mention = ?1 ORDER BY rule",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([key], |r| {
                let severity: String = r.get(1)?;
                let terms: String = r.get(2)?;
                Ok(RuleMatch {
                    rule: r.get(0)?,
                    severity: crate::model::Severity::parse(&severity).unwrap_or_default(),
                    terms: serde_json::from_str(&terms).unwrap_or_default(),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// How far each of `stories` went (every stored mention of it), for the stories that have a mention.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn story_tallies(&self, stories: &[u64]) -> Result<HashMap<u64, StoryTally>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT COUNT(*), COUNT(DISTINCT source) FROM mention WHERE story = ?1")
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for &story in stories {
            if out.contains_key(&story) {
                continue;
            }
            let (mentions, sources): (i64, i64) = stmt
                .query_row(params![story as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| self.err(e))?;
            if mentions > 0 {
                out.insert(
                    story,
                    StoryTally {
                        mentions: u32::try_from(mentions).unwrap_or(u32::MAX),
                        sources: u32::try_from(sources).unwrap_or(u32::MAX),
                    },
                );
            }
        }
        Ok(out)
    }

    /// The stored mentions that arrived from `since` on, oldest first: what the story index is rebuilt
    /// from ([`crate::analysis::story`]). Rows are read newest first by row id (the order they were
    /// stored) and the reading stops at the first one that arrived before `since`, so the cost is that of
    /// the recent rows alone.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn recent_stories(&self, since: DateTime<Utc>) -> Result<Vec<RecentStory>> {
        let mut stmt = self
            .conn
            .prepare("SELECT story, title, text, fetched FROM mention ORDER BY id DESC")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let fetched = from_ts(r.get(3).map_err(|e| self.err(e))?);
            if fetched < since {
                break;
            }
            let read = || -> rusqlite::Result<_> {
                Ok(RecentStory {
                    story: r.get::<_, i64>(0)? as u64,
                    title: r.get(1)?,
                    text: r.get(2)?,
                    arrived: fetched,
                })
            };
            out.push(read().map_err(|e| self.err(e))?);
        }
        out.reverse();
        Ok(out)
    }

    /// Mentions by row id, with their analysis as stored, in the order given.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn mentions_with_analysis(&self, keys: &[i64]) -> Result<Vec<(i64, Mention, Analysis)>> {
        let mut out = Vec::with_capacity(keys.len());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT source, guid, link, title, text, author, lang_declared, published, fetched, story, lang, score,
                        label, terms, kind, author_handle, author_followers, likes, reposts, replies, points,
                        medium
                 FROM mention WHERE id = ?1",
            )
            .map_err(|e| self.err(e))?;
        let mut watches = self
            .conn
            .prepare_cached("SELECT watch FROM mention_watch WHERE mention = ?1 ORDER BY watch")
            .map_err(|e| self.err(e))?;
        for &key in keys {
            let row = stmt
                .query_row([key], |r| {
                    let mention = Mention {
                        source: r.get(0)?,
                        id: r.get(1)?,
                        link: r.get(2)?,
                        title: r.get(3)?,
                        text: r.get(4)?,
                        author: r.get(5)?,
                        lang: r.get(6)?,
                        published: r.get::<_, Option<i64>>(7)?.map(from_ts),
                        fetched: from_ts(r.get(8)?),
                        story: r.get::<_, i64>(9)? as u64,
                        kind: r
                            .get::<_, Option<String>>(14)?
                            .and_then(|k| SourceKind::parse(&k))
                            .unwrap_or_default(),
                        reach: crate::model::Reach {
                            handle: r.get(15)?,
                            followers: count(r.get(16)?),
                            likes: count(r.get(17)?),
                            reposts: count(r.get(18)?),
                            replies: count(r.get(19)?),
                            score: r.get(20)?,
                        },
                    };
                    let score = r.get::<_, Option<f64>>(11)?.unwrap_or(0.0) as f32;
                    let analysis = Analysis {
                        lang: r
                            .get::<_, Option<String>>(10)?
                            .map_or(Lang::Other, |l| Lang::from_tag(&l)),
                        sentiment: crate::model::Sentiment {
                            score,
                            label: Label::of_score(score),
                            terms: r
                                .get::<_, Option<String>>(13)?
                                .and_then(|t| serde_json::from_str(&t).ok())
                                .unwrap_or_default(),
                        },
                        medium: medium(r.get(21)?),
                        ..Analysis::default()
                    };
                    Ok((mention, analysis))
                })
                .optional()
                .map_err(|e| self.err(e))?;
            let Some((mention, mut analysis)) = row else {
                continue;
            };
            analysis.matches = self.rule_matches(key)?;
            let rows = watches
                .query_map([key], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            analysis.watches = rows
                .collect::<rusqlite::Result<Vec<String>>>()
                .map_err(|e| self.err(e))?;
            out.push((key, mention, analysis));
        }
        Ok(out)
    }

    /// Number of stored mentions.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn mention_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM mention", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Deletes mentions counted before `before`. Returns how many went.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn prune(&mut self, before: DateTime<Utc>) -> Result<usize> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        // The index's keys start with the mention's time: the pruned mentions are a range of them.
        tx.execute(
            "DELETE FROM mention_fts WHERE rowid < ?1",
            [search::search_key(ts(before), 0)],
        )
        .map_err(err)?;
        let n = tx
            .execute("DELETE FROM mention WHERE at < ?1", [ts(before)])
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n)
    }

    /// Whether a table exists (tables of later features may be absent from a database of an older build).
    fn has_table(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// The daemon's health as the database sees it.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn health(&self) -> Result<Health> {
        let mut h = Health::default();
        let q = |sql: &str| -> Result<Option<i64>> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
                .map_err(|e| self.err(e))
        };
        h.sources = q("SELECT count(*) FROM source")?.unwrap_or(0) as u64;
        h.failing_sources =
            q("SELECT count(*) FROM source WHERE consecutive_errors > 0")?.unwrap_or(0) as u64;
        h.mentions = q("SELECT count(*) FROM mention")?.unwrap_or(0) as u64;
        h.last_fetch = q("SELECT max(last_fetch) FROM source")?.map(from_ts);
        h.last_success = q("SELECT max(last_success) FROM source")?.map(from_ts);
        if self.has_table("incident")? {
            h.open_incidents =
                q("SELECT count(*) FROM incident WHERE resolved_at IS NULL")?.unwrap_or(0) as u64;
            h.blind_sources = self.open_source_incidents()?.len() as u64;
        }
        if self.has_table("outbox")? {
            h.outbox_pending =
                q("SELECT count(*) FROM outbox WHERE state = 'pending'")?.unwrap_or(0) as u64;
            h.outbox_failed =
                q("SELECT count(*) FROM outbox WHERE state = 'failed'")?.unwrap_or(0) as u64;
            h.outbox_uncertain =
                q("SELECT count(*) FROM outbox WHERE state = 'uncertain'")?.unwrap_or(0) as u64;
            h.outbox_oldest_pending =
                q("SELECT min(created) FROM outbox WHERE state = 'pending'")?.map(from_ts);
        }
        Ok(h)
    }

    /// Runs `PRAGMA integrity_check`; `Ok(true)` when the file is sound.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn integrity_ok(&self) -> Result<bool> {
        let s: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(s == "ok")
    }

    /// The value stored under `key` in the daemon's key–value table.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Stores `value` under `key` in the daemon's key–value table.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// Writes one poll inside an open transaction: the mentions not already stored, their rule matches, and the
/// source's state.
///
/// The new mentions are not indexed for search here: their `(search key, row, poll, item)` are pushed on
/// `to_index`, for the caller to index the whole transaction's mentions in key order.
fn write_poll_in(
    tx: &rusqlite::Transaction<'_>,
    poll: &Poll,
    poll_index: usize,
    to_index: &mut Vec<(i64, i64, usize, usize)>,
) -> rusqlite::Result<PollWritten> {
    let mut written = PollWritten::default();
    let mut insert = tx.prepare_cached(
        "INSERT INTO mention (source, guid, link, title, text, author, lang_declared, published, fetched, at,
                              story, lang, score, label, terms, kind, author_handle, author_followers, likes,
                              reposts, replies, points, medium)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                 ?22, ?23)
         ON CONFLICT (source, guid) DO NOTHING",
    )?;
    let mut insert_match = tx.prepare_cached(
        "INSERT OR IGNORE INTO mention_match (mention, rule, severity, terms) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (index, am) in poll.mentions.iter().enumerate() {
        let m = &am.mention;
        let a = &am.analysis;
        let terms = if a.sentiment.terms.is_empty() {
            None
        } else {
            serde_json::to_string(&a.sentiment.terms).ok()
        };
        let n = insert.execute(params![
            m.source,
            m.id,
            m.link,
            m.title,
            m.text,
            m.author,
            m.lang,
            m.published.map(ts),
            ts(m.fetched),
            ts(m.time()),
            m.story as i64,
            a.lang.as_str(),
            f64::from(a.sentiment.score),
            a.sentiment.label.as_str(),
            terms,
            m.kind.as_str(),
            m.reach.handle,
            stored_count(m.reach.followers),
            stored_count(m.reach.likes),
            stored_count(m.reach.reposts),
            stored_count(m.reach.replies),
            m.reach.score,
            a.medium.map(Medium::as_str),
        ])?;
        if n == 0 {
            continue;
        }
        written.new_mentions += 1;
        written.new_matches += a.matches.len();
        let key = tx.last_insert_rowid();
        to_index.push((
            search::search_key(ts(m.time()), key),
            key,
            poll_index,
            index,
        ));
        written.new_rows.push((key, index));
        for rm in &a.matches {
            let terms = serde_json::to_string(&rm.terms).unwrap_or_else(|_| "[]".into());
            insert_match.execute(params![key, rm.rule, rm.severity.as_str(), terms])?;
        }
    }
    let s = &poll.state;
    tx.prepare_cached(
        "INSERT INTO source (name, url, etag, last_modified, last_fetch, last_success, last_error, last_status,
                             consecutive_errors, items_seen, mentions, next_due, cursor, failing_since)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, CASE WHEN ?9 > 0 THEN ?5 END)
         ON CONFLICT (name) DO UPDATE SET
           url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
           last_fetch = excluded.last_fetch, last_success = excluded.last_success,
           last_error = excluded.last_error, last_status = excluded.last_status,
           consecutive_errors = excluded.consecutive_errors, items_seen = excluded.items_seen,
           mentions = source.mentions + excluded.mentions, next_due = excluded.next_due,
           cursor = excluded.cursor,
           failing_since = CASE WHEN excluded.consecutive_errors = 0 THEN NULL
                                ELSE coalesce(source.failing_since, excluded.last_fetch) END",
    )?
    .execute(params![
        s.name,
        s.url,
        s.etag,
        s.last_modified,
        s.last_fetch.map(ts),
        s.last_success.map(ts),
        s.last_error,
        s.last_status,
        s.consecutive_errors,
        s.items_seen as i64,
        written.new_mentions as i64,
        s.next_due.map(ts),
        s.cursor,
    ])?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Analysis, Mention};

    fn mention(source: &str, id: &str, text: &str) -> AnalysedMention {
        AnalysedMention {
            mention: Mention {
                source: source.into(),
                id: id.into(),
                link: None,
                title: Some(format!("titre {id}")),
                text: text.into(),
                author: None,
                lang: None,
                published: None,
                fetched: from_ts(1_700_000_000),
                story: 1,
                kind: crate::model::SourceKind::Feed,
                reach: crate::model::Reach::default(),
            },
            analysis: Analysis::default(),
        }
    }

    fn poll(source: &str, mentions: Vec<AnalysedMention>) -> Poll {
        Poll {
            state: SourceState {
                name: source.into(),
                url: "x.xml".into(),
                ..SourceState::default()
            },
            mentions,
        }
    }

    #[test]
    fn a_poll_is_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("v.db")).unwrap();
        let p = poll("a", vec![mention("a", "1", "x"), mention("a", "2", "y")]);
        assert_eq!(store.write_poll(&p).unwrap().new_mentions, 2);
        assert_eq!(store.write_poll(&p).unwrap().new_mentions, 0);
        assert_eq!(store.mention_count().unwrap(), 2);
        assert_eq!(store.source_state("a").unwrap().unwrap().mentions, 2);
    }

    /// A full disk must fail the whole poll, say it is worth retrying, and leave what was there intact.
    #[test]
    fn a_full_database_fails_the_poll_whole_and_transiently() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("v.db")).unwrap();
        store
            .write_poll(&poll("a", vec![mention("a", "0", "first")]))
            .unwrap();
        let pages: i64 = store
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        store
            .conn
            .pragma_update(None, "max_page_count", pages)
            .unwrap();
        let big: Vec<AnalysedMention> = (1..200)
            .map(|i| mention("a", &i.to_string(), &"texte long ".repeat(200)))
            .collect();
        let err = store.write_poll(&poll("a", big.clone())).unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert_eq!(
            store.mention_count().unwrap(),
            1,
            "nothing of the failed poll may remain"
        );
        store
            .conn
            .pragma_update(None, "max_page_count", 1_073_741_823i64)
            .unwrap();
        assert_eq!(store.write_poll(&poll("a", big)).unwrap().new_mentions, 199);
    }

    /// A lock another connection holds beyond the busy timeout is a fault to wait out, named as such, and
    /// the same write goes through once it is released.
    #[test]
    fn a_database_locked_elsewhere_is_a_fault_to_wait_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let mut store = Store::open(&path).unwrap();
        store
            .conn
            .busy_timeout(std::time::Duration::from_millis(20))
            .unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let p = poll("a", vec![mention("a", "1", "x")]);
        let err = store.write_poll(&p).unwrap_err();
        assert_eq!(err.fault(), Some(StoreFault::Locked), "{err}");
        assert!(err.is_transient());
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(store.write_poll(&p).unwrap().new_mentions, 1);
    }

    #[test]
    fn errors_that_waiting_does_not_cure_name_no_fault() {
        let path = PathBuf::from("v.db");
        assert_eq!(StoreError::WriterGone.fault(), None);
        let too_new = StoreError::TooNew {
            path: path.clone(),
            found: 9,
            known: 1,
        };
        assert_eq!(too_new.fault(), None);
        let full_dir = StoreError::Dir {
            path: path.clone(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        assert_eq!(full_dir.fault(), Some(StoreFault::DiskFull));
        let denied = StoreError::Dir {
            path,
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert_eq!(
            denied.fault(),
            None,
            "a permission problem is fixed by a person, not by time"
        );
    }

    #[test]
    fn pruning_removes_old_mentions_and_their_matches() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("v.db")).unwrap();
        let mut old = mention("a", "old", "x");
        old.mention.published = Some(from_ts(1_000_000_000));
        old.analysis.matches.push(RuleMatch {
            rule: "r".into(),
            severity: crate::model::Severity::Info,
            terms: Vec::new(),
        });
        let recent = mention("a", "new", "y");
        store.write_poll(&poll("a", vec![old, recent])).unwrap();
        assert_eq!(store.prune(from_ts(1_500_000_000)).unwrap(), 1);
        let left = store.mentions(&MentionFilter::default()).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, "new");
        let matches: i64 = store
            .conn
            .query_row("SELECT count(*) FROM mention_match", [], |r| r.get(0))
            .unwrap();
        assert_eq!(matches, 0, "matches go with their mention");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        drop(conn);
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 999, .. })
        ));
    }
}
