//! Mentions in keyset order for the console's search: newest first, from a cursor, in batches.
//!
//! In: a cursor (`at`, row id) and a batch size; never the searched text (the search runs in Rust on the
//! folded fields, so a person's input never reaches SQL). Out: stored mentions with their time of record.

use rusqlite::params;

use super::{MENTION_COLUMNS, Result, Store, StoredMention, mention_row};

/// Where a page of mentions starts: strictly older than this (`at`, row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub key: i64,
}

impl Store {
    /// Up to `limit` mentions older than `before` (all when `None`), newest first, each with its cursor.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn mentions_page(
        &self,
        before: Option<Cursor>,
        limit: usize,
    ) -> Result<Vec<(Cursor, StoredMention)>> {
        let (at, key) = before.map_or((i64::MAX, i64::MAX), |c| (c.at, c.key));
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {MENTION_COLUMNS}, m.at
                 FROM mention m
                 WHERE m.at < ?1 OR (m.at = ?1 AND m.id < ?2)
                 ORDER BY m.at DESC, m.id DESC LIMIT ?3"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![at, key, limit as i64], |r| {
                let m = mention_row(r)?;
                let cursor = Cursor {
                    at: r.get(19)?,
                    key: m.key,
                };
                Ok((cursor, m))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}
