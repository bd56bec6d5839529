//! Mention search: the full-text index, and mentions in keyset order (newest first, from a cursor).
//!
//! In: for the index, each new mention's title, text and author, written by the single writer in the
//! transaction that stores the mention (and, for mentions stored before the index existed, in back-fill
//! batches the writer runs when it has nothing else to do); for a search, a [`TextQuery`] (a tree of folded
//! words, never a person's text), a cursor and a batch size. Out: stored mentions with their cursors.
//!
//! The index is an SQLite FTS5 table, `mention_fts`, over the text *folded as the rules fold it*
//! ([`crate::analysis::fold`]: case, accents, ligatures, apostrophes and elisions), written as its words
//! separated by single spaces and read with FTS5's `ascii` tokenizer: every byte that is not an ASCII
//! separator belongs to a token, so FTS5's words are exactly the rules' words, whatever the Unicode
//! version of either. It is contentless (the text lives in `mention`); its rowid is the mention's
//! search key (`search_key`), which sorts like the console's pages (the mention's time, then its row id), so a page
//! of a search is FTS5 walking its own rowids backwards from the cursor and stopping when the page is
//! full, however common the word.
//!
//! The MATCH expression is built here from the [`TextQuery`]: every word is a double-quoted FTS5 string
//! (quotes doubled, though folded words hold none), so nothing a person typed is ever FTS5 syntax, and it
//! is bound as a parameter, never spliced into SQL.

use rusqlite::params;

use super::{AFTER_MENTION_COLUMNS, MENTION_COLUMNS, Result, Store, StoredMention, mention_row};
use crate::analysis::fold::fold;

/// Where a page of mentions starts: strictly older than this (`at`, row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub key: i64,
}

/// Bits of a search key that hold the row id: row ids below 2³⁰ (a billion mentions) make keys unique
/// by construction; past that, a colliding key is moved to the nearest free one below.
const ROW_BITS: u32 = 30;
/// Search keys count seconds from 2³² s before 1970 (1834), up to 2³³ s later (2106); times outside sort
/// as the nearest end.
const KEY_OFFSET: i64 = 1 << 32;
const KEY_SECONDS_MAX: i64 = (1 << 33) - 1;

/// The rowid of a mention in the full-text index: its time, then its row id, in one integer, so that the
/// index's own order is the console's order (newest first, ties by row id).
pub(crate) fn search_key(at: i64, row: i64) -> i64 {
    let seconds = at.saturating_add(KEY_OFFSET).clamp(0, KEY_SECONDS_MAX);
    (seconds << ROW_BITS) | (row & ((1 << ROW_BITS) - 1))
}

/// What the index holds of a field: its folded words, separated by single spaces. The rules match a
/// field up to [`crate::analysis::rules::MAX_FIELD_BYTES`] of folded text, and so does the index.
pub(crate) fn indexed_words(text: &str) -> String {
    let folded = fold(text);
    let mut words = String::with_capacity(folded.as_str().len());
    for w in folded.words() {
        if w.end > crate::analysis::rules::MAX_FIELD_BYTES {
            break;
        }
        if !words.is_empty() {
            words.push(' ');
        }
        words.push_str(folded.word(w));
    }
    words
}

/// The `meta` key under which the back-fill keeps its progress: mentions with a row id below this value
/// may be missing from the index. Absent once every mention is indexed.
const BACKFILL_KEY: &str = "search_backfill_below";

/// Which fields a phrase is looked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFields {
    /// The title or the text (a phrase within one of them).
    TitleOrText,
    Title,
    Text,
    Author,
}

/// A full-text query: folded words in fields, combined. The read side builds it from a person's search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextQuery {
    /// Consecutive words in one field; `(word, prefix)` where `prefix` means any word starting so.
    Phrase {
        fields: TextFields,
        words: Vec<(String, bool)>,
    },
    And(Vec<TextQuery>),
    Or(Vec<TextQuery>),
    /// The first, and not the second.
    AndNot(Box<TextQuery>, Box<TextQuery>),
}

impl TextQuery {
    /// The FTS5 MATCH expression. Every word is a quoted FTS5 string: operators, column filters and
    /// quotes in a search never become FTS5 syntax.
    pub(crate) fn to_fts(&self) -> String {
        let mut out = String::new();
        self.write_fts(&mut out);
        out
    }

    fn write_fts(&self, out: &mut String) {
        let join = |out: &mut String, items: &[TextQuery], op: &str| {
            for (i, q) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(op);
                }
                out.push('(');
                q.write_fts(out);
                out.push(')');
            }
        };
        match self {
            TextQuery::Phrase { fields, words } => {
                out.push_str(match fields {
                    TextFields::TitleOrText => "{title text} : (",
                    TextFields::Title => "{title} : (",
                    TextFields::Text => "{text} : (",
                    TextFields::Author => "{author} : (",
                });
                for (i, (word, prefix)) in words.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" + ");
                    }
                    out.push('"');
                    out.push_str(&word.replace('"', "\"\""));
                    out.push('"');
                    if *prefix {
                        out.push_str(" *");
                    }
                }
                out.push(')');
            }
            TextQuery::And(items) => join(out, items, " AND "),
            TextQuery::Or(items) => join(out, items, " OR "),
            TextQuery::AndNot(a, b) => {
                out.push('(');
                a.write_fts(out);
                out.push_str(") NOT (");
                b.write_fts(out);
                out.push(')');
            }
        }
    }
}

/// Writes mention `row` into the full-text index, inside the caller's transaction.
pub(crate) fn index_mention(
    tx: &rusqlite::Connection,
    row: i64,
    at: i64,
    title: Option<&str>,
    text: &str,
    author: Option<&str>,
) -> rusqlite::Result<()> {
    let mut key = search_key(at, row);
    if row >= 1 << ROW_BITS {
        // Past a billion row ids two mentions of one second may share a key: take the next free one.
        let mut taken = tx.prepare_cached("SELECT 1 FROM mention_fts WHERE rowid = ?1")?;
        while taken.exists([key])? {
            key -= 1;
        }
    }
    tx.prepare_cached(
        "INSERT INTO mention_fts (rowid, title, text, author, mention) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        key,
        title.map(indexed_words),
        indexed_words(text),
        author.map(|a| indexed_words(a.trim())),
        row
    ])?;
    Ok(())
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
                    at: r.get(AFTER_MENTION_COLUMNS)?,
                    key: m.key,
                };
                Ok((cursor, m))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Whether every mention is in the full-text index (false while the back-fill runs, and on a database
    /// of a build without the index).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn search_index_ready(&self) -> Result<bool> {
        Ok(self.has_table("mention_fts")? && self.meta(BACKFILL_KEY)?.is_none())
    }

    /// Up to `limit` mentions of the full-text index that `query` finds, older than `before`, newest
    /// first, each with its cursor. Call it only when [`Store::search_index_ready`].
    ///
    /// # Errors
    /// On SQLite failure (a MATCH expression FTS5 refuses would be a bug of `TextQuery::to_fts`).
    pub fn mentions_found(
        &self,
        query: &TextQuery,
        before: Option<Cursor>,
        limit: usize,
    ) -> Result<Vec<(Cursor, StoredMention)>> {
        // Below a billion row ids a mention's key is computed from its time and row id alone.
        let below = before.map_or(i64::MAX, |c| search_key(c.at, c.key));
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {MENTION_COLUMNS}, m.at
                 FROM (SELECT rowid AS key, mention FROM mention_fts
                       WHERE mention_fts MATCH ?1 AND rowid < ?2 ORDER BY rowid DESC LIMIT ?3) f
                 JOIN mention m ON m.id = f.mention
                 ORDER BY f.key DESC"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![query.to_fts(), below, limit as i64], |r| {
                let m = mention_row(r)?;
                let cursor = Cursor {
                    at: r.get(AFTER_MENTION_COLUMNS)?,
                    key: m.key,
                };
                Ok((cursor, m))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Whether mentions stored before the full-text index existed still wait to be indexed.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn search_backfill_pending(&self) -> Result<bool> {
        Ok(self.meta(BACKFILL_KEY)?.is_some())
    }

    /// Indexes up to `batch` of the mentions stored before the full-text index existed, newest first, in
    /// one transaction. Returns whether some remain.
    ///
    /// # Errors
    /// On SQLite failure; the batch is then rolled back whole.
    pub fn search_backfill(&mut self, batch: usize) -> Result<bool> {
        let Some(below) = self.meta(BACKFILL_KEY)? else {
            return Ok(false);
        };
        let below: i64 = below.parse().unwrap_or(i64::MAX);
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let mut read = 0;
        let mut lowest = below;
        {
            let mut rows = tx
                .prepare_cached(
                    "SELECT id, at, title, text, author FROM mention WHERE id < ?1
                     ORDER BY id DESC LIMIT ?2",
                )
                .map_err(err)?;
            let mut indexed = tx
                .prepare_cached("SELECT 1 FROM mention_fts WHERE rowid = ?1")
                .map_err(err)?;
            let mut rows = rows.query(params![below, batch as i64]).map_err(err)?;
            while let Some(r) = rows.next().map_err(err)? {
                let (row, at): (i64, i64) = (r.get(0).map_err(err)?, r.get(1).map_err(err)?);
                read += 1;
                lowest = row;
                // A mention stored after the index existed, under a row id the back-fill has not
                // passed yet (possible when the newest rows were pruned), is indexed already.
                if indexed.exists([search_key(at, row)]).map_err(err)? {
                    continue;
                }
                let title: Option<String> = r.get(2).map_err(err)?;
                let text: String = r.get(3).map_err(err)?;
                let author: Option<String> = r.get(4).map_err(err)?;
                index_mention(&tx, row, at, title.as_deref(), &text, author.as_deref())
                    .map_err(err)?;
            }
        }
        let more = read == batch;
        if more {
            tx.execute(
                "UPDATE meta SET value = ?2 WHERE key = ?1",
                params![BACKFILL_KEY, lowest.to_string()],
            )
            .map_err(err)?;
        } else {
            tx.execute("DELETE FROM meta WHERE key = ?1", [BACKFILL_KEY])
                .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(more)
    }
}

#[cfg(test)]
impl Store {
    /// Empties the full-text index and marks every mention as waiting for the back-fill, as the
    /// migration leaves a database stored before the index existed.
    pub(crate) fn forget_search_index_for_tests(&mut self) {
        self.conn
            .execute_batch(
                "DELETE FROM mention_fts;
                 INSERT INTO meta (key, value)
                    SELECT 'search_backfill_below', CAST(max(id) + 1 AS TEXT) FROM mention;",
            )
            .unwrap();
    }

    /// How many mentions the full-text index holds.
    pub(crate) fn search_index_entries_for_tests(&self) -> u64 {
        self.conn
            .query_row("SELECT count(*) FROM mention_fts", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_sort_by_time_then_row() {
        let t = 1_700_000_000;
        assert!(search_key(t, 5) < search_key(t, 6));
        assert!(search_key(t, 1 << 29) < search_key(t + 1, 1));
        assert!(search_key(t - 1, 1 << 29) < search_key(t, 0));
        // Before 1970 still sorts; before 1834 and past 2106 are clamped, not wrapped.
        assert!(search_key(-86_400, 3) < search_key(0, 2));
        assert_eq!(search_key(-5_000_000_000, 3), 3);
        assert!(search_key(i64::MAX, 3) > search_key(t, 3));
        assert!(search_key(i64::MAX, 3) > 0);
    }

    #[test]
    fn indexed_words_are_the_rules_words() {
        assert_eq!(
            indexed_words("L’Été, d'Acme… #boycott @Œuvre ＡＣＭＥ\u{200B}x"),
            "l ete d acme boycott oeuvre acmex"
        );
        assert_eq!(indexed_words("!!! ..."), "");
    }

    #[test]
    fn match_expressions_quote_every_word() {
        let q = TextQuery::AndNot(
            Box::new(TextQuery::And(vec![
                TextQuery::Phrase {
                    fields: TextFields::TitleOrText,
                    words: vec![("appel".into(), false), ("boyc".into(), true)],
                },
                TextQuery::Or(vec![
                    TextQuery::Phrase {
                        fields: TextFields::Author,
                        words: vec![("a\"b".into(), false)],
                    },
                    TextQuery::Phrase {
                        fields: TextFields::Title,
                        words: vec![("near".into(), false)],
                    },
                ]),
            ])),
            Box::new(TextQuery::Phrase {
                fields: TextFields::Text,
                words: vec![("not".into(), false)],
            }),
        );
        assert_eq!(
            q.to_fts(),
            "(({title text} : (\"appel\" + \"boyc\" *)) AND (({author} : (\"a\"\"b\")) OR ({title} : (\"near\")))) NOT ({text} : (\"not\"))"
        );
    }
}
