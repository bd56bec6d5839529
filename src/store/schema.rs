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
    // 3: detection: which watches a mention counts towards, bucket counts and state per watch, incidents,
    // their timeline, alerts, and silences.
    "CREATE TABLE mention_watch (
        watch TEXT NOT NULL,
        mention INTEGER NOT NULL REFERENCES mention (id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        PRIMARY KEY (watch, mention)
    );
    CREATE INDEX mention_watch_at ON mention_watch (watch, at);
    CREATE INDEX mention_watch_mention ON mention_watch (mention);
    CREATE TABLE watch_bucket (
        watch TEXT NOT NULL,
        start INTEGER NOT NULL,
        counts TEXT NOT NULL,
        PRIMARY KEY (watch, start)
    );
    CREATE TABLE watch_state (
        watch TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE incident (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        watch TEXT,
        rule TEXT,
        severity TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        resolved_at INTEGER,
        peak_count INTEGER NOT NULL DEFAULT 0,
        peak_at INTEGER,
        mentions INTEGER NOT NULL DEFAULT 0,
        baseline REAL,
        explanation TEXT,
        summary_fr TEXT,
        summary_en TEXT,
        silenced INTEGER NOT NULL DEFAULT 0,
        acknowledged_at INTEGER,
        acknowledged_by TEXT,
        ack_note TEXT
    );
    CREATE INDEX incident_open ON incident (resolved_at, watch);
    CREATE TABLE incident_event (
        id INTEGER PRIMARY KEY,
        incident INTEGER NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
        key TEXT NOT NULL UNIQUE,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        notify INTEGER NOT NULL,
        text_fr TEXT NOT NULL,
        text_en TEXT NOT NULL,
        detail TEXT,
        by TEXT
    );
    CREATE INDEX incident_event_incident ON incident_event (incident, at);
    CREATE TABLE alert (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        incident INTEGER REFERENCES incident (id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        watch TEXT,
        rule TEXT,
        mention TEXT,
        at INTEGER NOT NULL,
        notify INTEGER NOT NULL,
        text_fr TEXT NOT NULL,
        text_en TEXT NOT NULL
    );
    CREATE INDEX alert_at ON alert (at);
    CREATE TABLE silence (
        id INTEGER PRIMARY KEY,
        target_kind TEXT NOT NULL CHECK (target_kind IN ('watch', 'rule')),
        target TEXT NOT NULL,
        until INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created INTEGER NOT NULL,
        created_by TEXT,
        removed INTEGER
    );",
    // Chat channels and webhooks: an outbox row per (decision, channel). `channel` is NULL for email rows;
    // `event_key` is the decision's stable key, unique per channel, so that a decision detected twice is
    // never queued (nor sent) twice to one channel. `outbox_channel` lists the channels the daemon was
    // started with and what each takes (minimum severity rank, watches as a JSON list or NULL for all),
    // so that the detection stage's transaction fans a notification out to them in SQL alone.
    "ALTER TABLE outbox ADD COLUMN channel TEXT;
    ALTER TABLE outbox ADD COLUMN event_key TEXT;
    CREATE UNIQUE INDEX outbox_channel_event ON outbox (channel, event_key)
        WHERE channel IS NOT NULL AND event_key IS NOT NULL;
    CREATE INDEX outbox_channel_state ON outbox (channel, state, next_attempt);
    CREATE TABLE outbox_channel (
        name TEXT PRIMARY KEY,
        min_rank INTEGER NOT NULL,
        watches TEXT
    );",
    // 5: the console's people: accounts (argon2id hashes, never passwords) and their sessions (the SHA-256
    // of the cookie's random id, never the id itself).
    "CREATE TABLE user (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('lecteur', 'veilleur', 'admin')),
        password TEXT NOT NULL,
        lang TEXT,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE session (
        id_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES user (name) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    );
    CREATE INDEX session_user ON session (user);",
    // Sources that go blind: when a source's failures began (NULL while it works), which source a `source`
    // incident is about, and a source's latest items by time (its usual cadence).
    "ALTER TABLE source ADD COLUMN failing_since INTEGER;
    ALTER TABLE incident ADD COLUMN source TEXT;
    CREATE INDEX incident_source ON incident (source) WHERE source IS NOT NULL;
    CREATE INDEX mention_source_at ON mention (source, at);",
    // The console's mention search: a full-text index of every mention's title, text and author, folded
    // as the rules fold them (`store::search`). Contentless (the text stays in `mention`), deletable, its
    // rowid the mention's search key (time, then row id) and the mention's row id kept beside. Mentions
    // already stored are indexed afterwards by the writer, in batches, from the newest down; `meta` keeps
    // where that back-fill stands until it is complete.
    "CREATE VIRTUAL TABLE mention_fts USING fts5(
        title, text, author, mention UNINDEXED,
        tokenize = 'ascii', content = '', contentless_delete = 1, contentless_unindexed = 1
    );
    INSERT INTO meta (key, value)
        SELECT 'search_backfill_below', CAST(max(id) + 1 AS TEXT) FROM mention HAVING count(*) > 0;",
    // Channels without an idempotency key: when an attempt to hand a row to its service began (NULL when
    // none is under way), committed before the request goes out, so that a row whose answer was never
    // recorded is known after a crash and not sent twice (`store::outbox`).
    "ALTER TABLE outbox ADD COLUMN posting INTEGER;",
    // Source kinds: the kind a mention was read from, its author's handle and audience and its
    // engagement as the service said (NULL where unknown), and each source's cursor.
    "ALTER TABLE mention ADD COLUMN kind TEXT;
    ALTER TABLE mention ADD COLUMN author_handle TEXT;
    ALTER TABLE mention ADD COLUMN author_followers INTEGER;
    ALTER TABLE mention ADD COLUMN likes INTEGER;
    ALTER TABLE mention ADD COLUMN reposts INTEGER;
    ALTER TABLE mention ADD COLUMN replies INTEGER;
    ALTER TABLE mention ADD COLUMN points INTEGER;
    ALTER TABLE source ADD COLUMN cursor TEXT;",
    // Silences of a source (its `source` incidents): the silence table again, with `source` among the
    // kinds of target (SQLite changes a CHECK only by building the table anew).
    "CREATE TABLE silence_new (
        id INTEGER PRIMARY KEY,
        target_kind TEXT NOT NULL CHECK (target_kind IN ('watch', 'rule', 'source')),
        target TEXT NOT NULL,
        until INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created INTEGER NOT NULL,
        created_by TEXT,
        removed INTEGER
    );
    INSERT INTO silence_new (id, target_kind, target, until, reason, created, created_by, removed)
        SELECT id, target_kind, target, until, reason, created, created_by, removed FROM silence;
    DROP TABLE silence;
    ALTER TABLE silence_new RENAME TO silence;",
    // Whether a mention's source was the press or a social network when it was read (`press`, `social`),
    // from the source's tags then: the incident's press and social tallies need no configuration at hand.
    "ALTER TABLE mention ADD COLUMN medium TEXT;",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::views::mentions::{MentionPage, Search};

    /// A database of the build before the search index, with mentions: the migration creates the index
    /// and marks those mentions for the back-fill; the writer back-fills them while it has nothing else
    /// to do, after which a search finds them through the index.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mentions_stored_before_the_index_are_back_filled_by_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let index = MIGRATIONS
            .iter()
            .position(|m| m.contains("mention_fts"))
            .unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            for m in &MIGRATIONS[..index] {
                conn.execute_batch(m).unwrap();
            }
            conn.pragma_update(None, "user_version", index as i64)
                .unwrap();
            for i in 0..1_200 {
                conn.execute(
                    "INSERT INTO mention (source, guid, title, text, fetched, at, story)
                     VALUES ('s', ?1, ?2, 'Appel au BOYCOTT de l’été', 1700000000, ?3, 1)",
                    rusqlite::params![format!("g{i}"), format!("Titre {i}"), 1_700_000_000 + i],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        assert!(store.search_backfill_pending().unwrap());
        assert!(!store.search_index_ready().unwrap());
        let (writer, thread) =
            crate::store::writer::spawn(store, Box::new(crate::store::writer::NoHook));
        let reader = Store::open_read_only(&path).unwrap();
        // Each request answered leaves the writer idle for a moment, and an idle writer back-fills.
        let mut round_trips = 0;
        while !reader.search_index_ready().unwrap() {
            writer.tick(chrono::Utc::now()).await.unwrap();
            round_trips += 1;
            assert!(round_trips < 100_000, "the back-fill never completed");
        }
        let page = MentionPage::load(
            &reader,
            &Search::parse("\"l'ete\" boycott").unwrap(),
            None,
            2_000,
        )
        .unwrap();
        assert_eq!(page.mentions.len(), 1_200);
        assert_eq!(page.mentions[0].title.as_deref(), Some("Titre 1199"));
        drop(writer);
        thread.join();
    }
}
