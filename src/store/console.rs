//! What the console's read side asks beyond the detector's tables: a watch's bucket in progress counted
//! from its mentions, mentions within a scope (watch, rule, source, language, label, period) in keyset
//! order, and the mentions of an incident's window.
//!
//! In: scopes made of plain values, bound as parameters (a person's input never reaches SQL as text).
//! Out: counts and stored mentions; the views ([`crate::views`]) shape them for a screen.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension as _;
use rusqlite::types::Value;

use super::search::Cursor;
use super::{
    AFTER_MENTION_COLUMNS, MENTION_COLUMNS, Result, Store, StoredMention, mention_row, ts,
};

/// The counts of a watch's bucket from its mentions, for the buckets the detector has not stored yet (it
/// keeps the bucket in progress in memory, and stores a closed one at its next tick).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenCounts {
    pub total: u32,
    /// Distinct stories.
    pub stories: u32,
    pub negative: u32,
    /// Distinct stories among negative mentions.
    pub negative_stories: u32,
}

/// Which mentions a list or an export holds. Every field narrows; the default holds every mention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MentionScope {
    /// Counted towards this watch.
    pub watch: Option<String>,
    /// Matched by this rule.
    pub rule: Option<String>,
    pub source: Option<String>,
    /// A language tag as stored (`fr`, `en`…).
    pub lang: Option<String>,
    /// `neg`, `neu` or `pos`.
    pub label: Option<String>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub to: Option<DateTime<Utc>>,
}

impl MentionScope {
    /// Whether the scope holds every mention.
    pub fn is_everything(&self) -> bool {
        *self == MentionScope::default()
    }

    /// The `WHERE` terms (each `AND …`) and their bound values.
    fn sql(&self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut args: Vec<Value> = Vec::new();
        if let Some(w) = &self.watch {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM mention_watch mw WHERE mw.mention = m.id AND mw.watch = ?)",
            );
            args.push(w.clone().into());
        }
        if let Some(r) = &self.rule {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM mention_match mm WHERE mm.mention = m.id AND mm.rule = ?)",
            );
            args.push(r.clone().into());
        }
        if let Some(s) = &self.source {
            sql.push_str(" AND m.source = ?");
            args.push(s.clone().into());
        }
        if let Some(l) = &self.lang {
            sql.push_str(" AND m.lang = ?");
            args.push(l.clone().into());
        }
        if let Some(l) = &self.label {
            sql.push_str(" AND m.label = ?");
            args.push(l.clone().into());
        }
        if let Some(f) = self.from {
            sql.push_str(" AND m.at >= ?");
            args.push(ts(f).into());
        }
        if let Some(t) = self.to {
            sql.push_str(" AND m.at < ?");
            args.push(ts(t).into());
        }
        (sql, args)
    }
}

impl Store {
    /// The counts of `watch`'s mentions counted in `[from, to)` (a bucket the detector has not stored).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn watch_counts_between(
        &self,
        watch: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<OpenCounts> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.story, m.label FROM mention_watch mw JOIN mention m ON m.id = mw.mention
                 WHERE mw.watch = ?1 AND mw.at >= ?2 AND mw.at < ?3",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params![watch, ts(from), ts(to)], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut stories = std::collections::HashSet::new();
        let mut negative_stories = std::collections::HashSet::new();
        let mut c = OpenCounts::default();
        for row in rows {
            let (story, label) = row.map_err(|e| self.err(e))?;
            c.total += 1;
            stories.insert(story);
            if label.as_deref() == Some("neg") {
                c.negative += 1;
                negative_stories.insert(story);
            }
        }
        c.stories = stories.len() as u32;
        c.negative_stories = negative_stories.len() as u32;
        Ok(c)
    }

    /// The earliest time of record of the mentions keyed `source/guid` (as detection keys them); `None`
    /// when none is stored.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn earliest_mention_at(&self, keys: &[&str]) -> Result<Option<DateTime<Utc>>> {
        let mut earliest: Option<i64> = None;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT at FROM mention WHERE source = ?1 AND guid = ?2")
            .map_err(|e| self.err(e))?;
        for key in keys {
            let Some((source, guid)) = key.split_once('/') else {
                continue;
            };
            let at: Option<i64> = stmt
                .query_row(rusqlite::params![source, guid], |r| r.get(0))
                .optional()
                .map_err(|e| self.err(e))?;
            earliest = match (earliest, at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(earliest.map(super::from_ts))
    }

    /// Up to `limit` mentions in `scope` older than `before`, newest first, each with its cursor.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn mentions_page_in(
        &self,
        scope: &MentionScope,
        before: Option<Cursor>,
        limit: usize,
    ) -> Result<Vec<(Cursor, StoredMention)>> {
        let (at, key) = before.map_or((i64::MAX, i64::MAX), |c| (c.at, c.key));
        let (terms, mut args) = scope.sql();
        let sql = format!(
            "SELECT {MENTION_COLUMNS}, m.at FROM mention m WHERE (m.at < ? OR (m.at = ? AND m.id < ?)){terms}
             ORDER BY m.at DESC, m.id DESC LIMIT ?"
        );
        let mut all: Vec<Value> = vec![at.into(), at.into(), key.into()];
        all.append(&mut args);
        all.push((limit as i64).into());
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(all), |r| {
                let m = mention_row(r)?;
                Ok((
                    Cursor {
                        at: r.get(AFTER_MENTION_COLUMNS)?,
                        key: m.key,
                    },
                    m,
                ))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` mentions in `scope`, oldest first (who started it comes first).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn mentions_oldest_first(
        &self,
        scope: &MentionScope,
        limit: usize,
    ) -> Result<Vec<StoredMention>> {
        let (terms, mut args) = scope.sql();
        let sql = format!(
            "SELECT {MENTION_COLUMNS}, m.at FROM mention m WHERE 1 = 1{terms} ORDER BY m.at, m.id LIMIT ?"
        );
        args.push((limit as i64).into());
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), mention_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }
}
