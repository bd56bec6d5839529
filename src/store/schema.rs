//! The schema and its migrations.
//!
//! Each migration is a batch of SQL applied in its own transaction, and `PRAGMA user_version` records the
//! last one applied. A database written by a newer veille is refused rather than misread. Times are Unix
//! seconds (UTC).

use std::path::Path;

use rusqlite::Connection;

use super::{Result, StoreError};

/// Migrations in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: sources, mentions and their rule matches.
    "CREATE TABLE source (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_fetch INTEGER,
        last_success INTEGER,
        last_error TEXT,
        last_status INTEGER,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        items_seen INTEGER NOT NULL DEFAULT 0,
        mentions INTEGER NOT NULL DEFAULT 0,
        next_due INTEGER
    );
    CREATE TABLE mention (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        guid TEXT NOT NULL,
        link TEXT,
        title TEXT,
        text TEXT NOT NULL,
        author TEXT,
        lang_declared TEXT,
        published INTEGER,
        fetched INTEGER NOT NULL,
        at INTEGER NOT NULL,
        story INTEGER NOT NULL,
        lang TEXT,
        score REAL,
        label TEXT,
        terms TEXT,
        UNIQUE (source, guid)
    );
    CREATE INDEX mention_at ON mention (at);
    CREATE INDEX mention_story ON mention (story);
    CREATE TABLE mention_match (
        mention INTEGER NOT NULL REFERENCES mention (id) ON DELETE CASCADE,
        rule TEXT NOT NULL,
        severity TEXT NOT NULL,
        terms TEXT NOT NULL,
        PRIMARY KEY (mention, rule)
    );
    CREATE INDEX mention_match_rule ON mention_match (rule);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 2: the notification outbox, and who got which immediate email (for the per-recipient throttle).
    "CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        created INTEGER NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        incident INTEGER,
        watch TEXT,
        payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt INTEGER NOT NULL,
        last_error TEXT,
        last_response TEXT,
        sent INTEGER,
        folded INTEGER NOT NULL DEFAULT 0,
        digest INTEGER
    );
    CREATE INDEX outbox_state ON outbox (state, next_attempt);
    CREATE TABLE outbox_recipient (
        outbox INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        at INTEGER NOT NULL,
        immediate INTEGER NOT NULL
    );
    CREATE INDEX outbox_recipient_at ON outbox_recipient (recipient, at);",
];

/// The schema version this build writes.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies every migration the database lacks.
///
/// # Errors
/// On SQLite failure, or when the database is newer than this build.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let err = |source| StoreError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if current > VERSION {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: current,
            known: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction().map_err(err)?;
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(err)?;
        tx.commit().map_err(err)?;
        tracing::info!(version = i + 1, db = %path.display(), "Schema migrated.");
    }
    Ok(())
}
