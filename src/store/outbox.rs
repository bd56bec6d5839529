//! The notification outbox: every email, chat message and webhook veille owes someone is a row here before
//! anything is sent.
//!
//! In: [`Notification`]s, written by [`enqueue_in`] inside the transaction of the change that causes them
//! (detection opens an incident and enqueues its email, and a row for each registered channel that takes
//! it, in one commit), or by [`Store::enqueue`]. Out: rows for the notifiers to send and mark, and for
//! `veille outbox` to list. A row's `channel` is `None` for email, else the `[[channel]]`'s name; a
//! channel row carries the decision's stable key, unique per channel.
//!
//! A row moves `pending` → `sent` (the server's final `250`), `pending` → `failed` (a permanent refusal),
//! `pending` → `held` (quiet hours, throttle: it waits for the digest, or for a channel the summary) →
//! `digested` (a digest or summary row carrying it was created, in the same transaction). A transient failure leaves it `pending` with a later
//! `next_attempt`. `outbox_recipient` records who got which email and when, for the per-recipient throttle.
//!
//! A channel whose service takes no idempotency key records each attempt (`posting`, committed) before
//! its request goes out; the mark clears it. A row found with an attempt recorded and no mark (the process
//! stopped between the request and the answer's record), or whose answer never came, may have reached
//! the service: it becomes `uncertain` and is not sent again.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use super::{Result, Store, StoredMention, from_ts, ts};
use crate::model::{Notification, NotifiedMention};

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// To be sent as soon as it is due.
    Pending,
    /// Waiting for the next digest (quiet hours, throttle, or routed to the digest only).
    Held,
    /// Accepted by the mail server.
    Sent,
    /// Refused for good by the mail server; not retried.
    Failed,
    /// Carried by a digest row (see `digest`).
    Digested,
    /// Handed to a service that takes no idempotency key, and its answer was lost (the process stopped,
    /// or the service did not answer in time): it may have arrived, so it is not sent again.
    Uncertain,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Held => "held",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Digested => "digested",
            OutboxState::Uncertain => "uncertain",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxState> {
        Some(match s {
            "pending" => OutboxState::Pending,
            "held" => OutboxState::Held,
            "sent" => OutboxState::Sent,
            "failed" => OutboxState::Failed,
            "digested" => OutboxState::Digested,
            "uncertain" => OutboxState::Uncertain,
            _ => return None,
        })
    }
}

/// One outbox row as read back.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub created: DateTime<Utc>,
    pub state: OutboxState,
    pub attempts: u32,
    pub next_attempt: DateTime<Utc>,
    /// The last failure, in words (the server's reply when it gave one).
    pub last_error: Option<String>,
    /// The server's final reply when it accepted the message.
    pub last_response: Option<String>,
    pub sent: Option<DateTime<Utc>>,
    /// Some recipients were over their hourly cap: they get it in the next digest.
    pub folded: bool,
    /// The digest row that carried it.
    pub digest: Option<i64>,
    /// The `[[channel]]` it goes to, by name; `None` for an email.
    pub channel: Option<String>,
    /// The decision's stable key (a channel's idempotency key); `None` for rows queued before keys were
    /// kept, and for digests.
    pub event_key: Option<String>,
    pub notification: Notification,
}

const COLUMNS: &str = "id, created, state, attempts, next_attempt, last_error, last_response, sent, folded, \
                       digest, payload, channel, event_key";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    let payload: String = r.get(10)?;
    let notification = serde_json::from_str(&payload).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let state: String = r.get(2)?;
    Ok(OutboxRow {
        id: r.get(0)?,
        created: from_ts(r.get(1)?),
        state: OutboxState::parse(&state).unwrap_or(OutboxState::Pending),
        attempts: r.get(3)?,
        next_attempt: from_ts(r.get(4)?),
        last_error: r.get(5)?,
        last_response: r.get(6)?,
        sent: r.get::<_, Option<i64>>(7)?.map(from_ts),
        folded: r.get(8)?,
        digest: r.get(9)?,
        channel: r.get(11)?,
        event_key: r.get(12)?,
        notification,
    })
}

/// Queues a notification inside an open transaction, due at once: its email row, and a row for every
/// registered channel that takes it (see [`Store::set_outbox_channels`]). Returns the email row's id.
///
/// Detection calls this in the transaction that records the incident change, so that the change, its
/// email and its chat messages are committed together or not at all. A channel row is keyed by the
/// decision's stable key: the same decision queued again adds no second row for a channel. Silenced
/// notifications go to no channel (email keeps them for the digest).
///
/// # Errors
/// On SQLite failure (the caller's transaction should then be rolled back).
pub fn enqueue_in(
    tx: &rusqlite::Transaction<'_>,
    n: &Notification,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let id = insert(tx, n, now, OutboxState::Pending, None, n.key.as_deref())?;
    if n.silenced || n.kind == crate::model::NotificationKind::Digest {
        return Ok(id);
    }
    let key = n.key.clone().unwrap_or_else(|| format!("outbox/{id}"));
    let payload = payload(n)?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO outbox
             (created, kind, severity, incident, watch, payload, state, next_attempt, channel, event_key)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?1, c.name, ?7 FROM outbox_channel c
         WHERE c.min_rank <= ?8
           AND (c.watches IS NULL OR EXISTS (SELECT 1 FROM json_each(c.watches) WHERE value = ?5))
         ORDER BY c.name",
    )?
    .execute(params![
        ts(now),
        n.kind.as_str(),
        n.severity.as_str(),
        n.incident,
        n.watch,
        payload,
        key,
        severity_rank(n.severity),
    ])?;
    Ok(id)
}

fn severity_rank(s: crate::model::Severity) -> i64 {
    match s {
        crate::model::Severity::Info => 0,
        crate::model::Severity::Warning => 1,
        crate::model::Severity::Critical => 2,
    }
}

fn payload(n: &Notification) -> rusqlite::Result<String> {
    serde_json::to_string(n).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn insert(
    conn: &rusqlite::Connection,
    n: &Notification,
    now: DateTime<Utc>,
    state: OutboxState,
    channel: Option<&str>,
    event_key: Option<&str>,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO outbox (created, kind, severity, incident, watch, payload, state, next_attempt,
                             channel, event_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?1, ?8, ?9)",
    )?
    .execute(params![
        ts(now),
        n.kind.as_str(),
        n.severity.as_str(),
        n.incident,
        n.watch,
        payload(n)?,
        state.as_str(),
        channel,
        event_key,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// A channel as the outbox knows it: its name and which notifications it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxChannel {
    pub name: String,
    /// The least severity it takes.
    pub min_severity: crate::model::Severity,
    /// The watches it takes; `None` for all.
    pub watches: Option<Vec<String>>,
}

impl From<&StoredMention> for NotifiedMention {
    /// A stored mention as an email shows it: its time, a short excerpt, its sentiment, and the terms its
    /// rules matched.
    fn from(m: &StoredMention) -> NotifiedMention {
        let excerpt = NotifiedMention::excerpt_of(&m.text);
        let mut terms: Vec<String> = Vec::new();
        for t in m.matches.iter().flat_map(|rm| rm.terms.iter()) {
            if !terms.contains(&t.text) {
                terms.push(t.text.clone());
            }
        }
        NotifiedMention {
            source: m.source.clone(),
            time: Some(m.published.unwrap_or(m.fetched)),
            title: m.title.clone(),
            excerpt,
            score: Some(m.score),
            label: Some(m.label),
            link: m.link.clone(),
            terms,
        }
    }
}

impl Store {
    /// Queues a notification in its own transaction. Returns the row id.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn enqueue(&mut self, n: &Notification, now: DateTime<Utc>) -> Result<i64> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let id = enqueue_in(&tx, n, now).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Outbox rows, newest first, optionally only in one state.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox(&self, state: Option<OutboxState>, limit: usize) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox WHERE (?1 IS NULL OR state = ?1) ORDER BY id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![state.map(|s| s.as_str()), limit as i64], row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// One outbox row.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1");
        self.conn
            .query_row(&sql, [id], row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Pending email rows due at `now`, oldest first: the order they were caused in is the order they are sent.
    /// A row waiting for its retry holds back the rows queued after it, so that a recovery delivers them
    /// in order (the worker gives up on a row after a bounded number of attempts, so the wait is bounded).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox
             WHERE state = 'pending' AND channel IS NULL
               AND id < coalesce((SELECT min(id) FROM outbox
                                  WHERE state = 'pending' AND channel IS NULL AND next_attempt > ?1),
                                 9223372036854775807)
             ORDER BY id LIMIT ?2"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![ts(now), limit as i64], row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// When the earliest pending email row is due, if any is pending.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_next_due(&self) -> Result<Option<DateTime<Utc>>> {
        self.conn
            .query_row(
                "SELECT min(next_attempt) FROM outbox WHERE state = 'pending' AND channel IS NULL",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map(|t| t.map(from_ts))
            .map_err(|e| self.err(e))
    }

    /// Records that the server accepted row `id` for `recipient`, at once, so that a retry of the row
    /// (another recipient failed transiently, or the process died) does not send it to them again.
    ///
    /// `immediate` says whether this email counts towards the recipient's hourly cap (digests do not).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_record_delivery(
        &mut self,
        id: i64,
        recipient: &str,
        now: DateTime<Utc>,
        immediate: bool,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO outbox_recipient (outbox, recipient, at, immediate) VALUES (?1, ?2, ?3, ?4)",
                params![id, recipient.to_ascii_lowercase(), ts(now), immediate],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The recipients (lowercase) the server already accepted row `id` for.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_delivered_to(&self, id: i64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT recipient FROM outbox_recipient WHERE outbox = ?1 ORDER BY rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Marks row `id` sent, with the server's final reply. `refused` says which recipients the server
    /// refused for good, if any; `folded`, that some recipients were over their cap and get it in the
    /// digest.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_mark_sent(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        response: &str,
        folded: bool,
        refused: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'sent', sent = ?2, attempts = attempts + 1, last_response = ?3,
                        last_error = ?5, folded = ?4, posting = NULL
                 WHERE id = ?1",
                params![id, ts(now), response, folded, refused],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records a transient failure of row `id`: it stays pending and is tried again at `next_attempt`.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_mark_retry(
        &mut self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3, posting = NULL
                 WHERE id = ?1",
                params![id, ts(next_attempt), error],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records a permanent failure of row `id`: it is not tried again.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_mark_failed(&mut self, id: i64, error: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2, posting = NULL
                 WHERE id = ?1",
                params![id, error],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records, before its request goes out, that row `id` is being handed to a service that takes no
    /// idempotency key: committed at once, so that a process stopped before the answer is recorded leaves
    /// the trace [`Store::outbox_settle_interrupted`] finds.
    ///
    /// # Errors
    /// On SQLite failure; the request must then not be sent.
    pub fn outbox_begin_attempt(&mut self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET posting = ?2 WHERE id = ?1",
                params![id, ts(now)],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Marks row `id` uncertain: it may have reached its service, and is not sent again.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_mark_uncertain(&mut self, id: i64, error: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'uncertain', attempts = attempts + 1, last_error = ?2,
                        posting = NULL
                 WHERE id = ?1",
                params![id, error],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Marks uncertain every pending row with an attempt recorded and never answered (the process that
    /// sent it stopped before recording the answer), with `error` as its words. Returns those rows.
    /// Call it when a channel worker starts, before its first pass.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_settle_interrupted(&mut self, error: &str) -> Result<Vec<OutboxRow>> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let rows = {
            let sql = format!(
                "SELECT {COLUMNS} FROM outbox WHERE posting IS NOT NULL AND state = 'pending' ORDER BY id"
            );
            let mut stmt = tx.prepare(&sql).map_err(err)?;
            let rows = stmt.query_map([], row).map_err(err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)?
        };
        for r in &rows {
            tx.execute(
                "UPDATE outbox SET state = 'uncertain', attempts = attempts + 1, last_error = ?2,
                        posting = NULL
                 WHERE id = ?1",
                params![r.id, error],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(rows)
    }

    /// How many rows of channel `name` wait to be sent (pending or held).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_channel_pending(&self, name: &str) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE channel = ?1 AND state IN ('pending', 'held')",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// Holds row `id` for the next digest, saying why.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_hold(&mut self, id: i64, reason: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'held', last_error = ?2 WHERE id = ?1 AND state = 'pending'",
                params![id, reason],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// How many immediate emails `recipient` was sent since `since`.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_sent_to_since(&self, recipient: &str, since: DateTime<Utc>) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT count(*) FROM outbox_recipient WHERE recipient = ?1 AND at >= ?2 AND immediate = 1",
                params![recipient.to_ascii_lowercase(), ts(since)],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Rows the next digest must carry, oldest first: held ones, and sent ones some recipients missed
    /// because of the throttle.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_for_digest(&self) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox
             WHERE digest IS NULL AND kind <> 'digest' AND channel IS NULL
               AND (state = 'held' OR (state = 'sent' AND folded = 1))
             ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Queues `digest` carrying rows `carried`, in one transaction: held rows become `digested`, and every
    /// carried row points at the digest, so that no row is carried twice. Also records `meta_key =
    /// meta_value` (the digest schedule's progress) in the same transaction. Returns the digest's row id, or
    /// `None` when `digest` is `None` (nothing to say: only the schedule moves on).
    ///
    /// # Errors
    /// On SQLite failure; nothing is then written.
    pub fn outbox_queue_digest(
        &mut self,
        digest: Option<&Notification>,
        carried: &[i64],
        now: DateTime<Utc>,
        meta_key: &str,
        meta_value: &str,
    ) -> Result<Option<i64>> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let id = match digest {
            Some(n) => {
                let id = insert(&tx, n, now, OutboxState::Pending, None, None).map_err(err)?;
                let mut stmt = tx
                    .prepare_cached(
                        "UPDATE outbox SET digest = ?2,
                                state = CASE state WHEN 'held' THEN 'digested' ELSE state END
                         WHERE id = ?1",
                    )
                    .map_err(err)?;
                for c in carried {
                    stmt.execute(params![c, id]).map_err(err)?;
                }
                Some(id)
            }
            None => None,
        };
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [meta_key, meta_value],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Replaces the registered channels (the daemon's `[[channel]]` tables): from the next commit on,
    /// [`enqueue_in`] queues a row for each one that takes a notification. Rows already queued stay.
    ///
    /// # Errors
    /// On SQLite failure; the previous registration then stays.
    pub fn set_outbox_channels(&mut self, channels: &[OutboxChannel]) -> Result<()> {
        // Unchanged (the usual start): nothing to write, so a start while another program holds the
        // write lock is not held up by it.
        let wanted: Vec<(String, i64, Option<String>)> = channels
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    severity_rank(c.min_severity),
                    c.watches
                        .as_ref()
                        .map(|w| serde_json::Value::from(w.clone()).to_string()),
                )
            })
            .collect();
        let mut sorted = wanted.clone();
        sorted.sort();
        if self.outbox_channel_rows()? == sorted {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute("DELETE FROM outbox_channel", []).map_err(err)?;
        for (name, rank, watches) in &wanted {
            tx.execute(
                "INSERT OR REPLACE INTO outbox_channel (name, min_rank, watches) VALUES (?1, ?2, ?3)",
                params![name, rank, watches],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// The registered channels as stored, by name.
    fn outbox_channel_rows(&self) -> Result<Vec<(String, i64, Option<String>)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name, min_rank, watches FROM outbox_channel ORDER BY name")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Pending rows of `channel` due at `due_before`, oldest first; a row waiting for its retry holds back
    /// the rows queued after it for that channel (as for email), not those of other channels.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_channel_due(
        &self,
        channel: &str,
        due_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox
             WHERE state = 'pending' AND channel = ?1
               AND id < coalesce((SELECT min(id) FROM outbox
                                  WHERE state = 'pending' AND channel = ?1 AND next_attempt > ?2),
                                 9223372036854775807)
             ORDER BY id LIMIT ?3"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![channel, ts(due_before), limit as i64], row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// When the earliest pending channel row is due, if any is pending.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_channel_next_due(&self) -> Result<Option<DateTime<Utc>>> {
        self.conn
            .query_row(
                "SELECT min(next_attempt) FROM outbox WHERE state = 'pending' AND channel IS NOT NULL",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map(|t| t.map(from_ts))
            .map_err(|e| self.err(e))
    }

    /// How many messages `channel` was sent since `since` (summaries included: each is one message).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_channel_sent_since(&self, channel: &str, since: DateTime<Utc>) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE channel = ?1 AND state = 'sent' AND sent >= ?2",
                params![channel, ts(since)],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The rows of `channel` held (quiet hours, hourly cap) and not yet carried by a summary, oldest first.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_channel_held(&self, channel: &str) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox
             WHERE channel = ?1 AND state = 'held' AND digest IS NULL ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([channel], row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Queues `summary` for `channel`, carrying the held rows `carried`, in one transaction: they become
    /// `digested` and point at it. Its key names the rows it carries, so it is stable. Returns its row id.
    ///
    /// # Errors
    /// On SQLite failure; nothing is then written.
    pub fn outbox_queue_channel_summary(
        &mut self,
        channel: &str,
        summary: &Notification,
        carried: &[i64],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let key = format!(
            "summary/{}-{}",
            carried.first().copied().unwrap_or_default(),
            carried.last().copied().unwrap_or_default()
        );
        let tx = self.conn.transaction().map_err(err)?;
        let id = insert(
            &tx,
            summary,
            now,
            OutboxState::Pending,
            Some(channel),
            Some(&key),
        )
        .map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE outbox SET digest = ?2, state = 'digested'
                     WHERE id = ?1 AND state = 'held' AND channel = ?3",
                )
                .map_err(err)?;
            for c in carried {
                stmt.execute(params![c, id, channel]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Counts of outbox rows by state.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn outbox_counts(&self) -> Result<Vec<(OutboxState, u64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(|e| self.err(e))?;
        let rows = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| OutboxState::parse(&s).map(|s| (s, n)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NotificationKind, Severity};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("v.db")).unwrap();
        (dir, store)
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000 + s, 0).unwrap()
    }

    #[test]
    fn enqueued_in_a_rolled_back_transaction_is_not_there() {
        let (_d, mut store) = store();
        let n = Notification::new(
            NotificationKind::IncidentOpened,
            Severity::Warning,
            "Acme",
            at(0),
        );
        {
            let tx = store.conn.transaction().unwrap();
            enqueue_in(&tx, &n, at(0)).unwrap();
            // dropped without commit: the cause was not committed, so neither is its email
        }
        assert!(store.outbox(None, 10).unwrap().is_empty());
        let id = store.enqueue(&n, at(0)).unwrap();
        let due = store.outbox_due(at(0), 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].id, id);
        assert_eq!(due[0].notification, n);
    }

    #[test]
    fn a_stored_mention_becomes_a_short_notified_one() {
        use crate::model::{Label, Lang, MatchedTerm, RuleMatch};
        let m = StoredMention {
            key: 1,
            id: "x".into(),
            source: "forum".into(),
            link: Some("https://forum.example/1".into()),
            title: Some("Grève".into()),
            text: "é".repeat(400),
            author: None,
            published: None,
            fetched: at(5),
            lang: Lang::Fr,
            score: -0.5,
            label: Label::Neg,
            matches: vec![RuleMatch {
                rule: "greve".into(),
                severity: Severity::Critical,
                terms: vec![
                    MatchedTerm {
                        text: "grève".into(),
                        start: 0,
                        end: 6,
                        field: Default::default(),
                    },
                    MatchedTerm {
                        text: "grève".into(),
                        start: 9,
                        end: 15,
                        field: Default::default(),
                    },
                ],
            }],
            kind: crate::model::SourceKind::Feed,
            author_handle: None,
            author_followers: None,
            likes: None,
            reposts: None,
            replies: None,
            points: None,
            story: 1,
            medium: None,
        };
        let n = NotifiedMention::from(&m);
        assert_eq!(n.time, Some(at(5)));
        assert_eq!(
            n.excerpt.chars().count(),
            NotifiedMention::EXCERPT_CHARS + 1
        );
        assert_eq!(n.terms, vec!["grève"]);
        assert_eq!(n.label, Some(Label::Neg));
    }

    #[test]
    fn rows_move_through_their_states() {
        let (_d, mut store) = store();
        let n = Notification::new(
            NotificationKind::CriticalMention,
            Severity::Critical,
            "Acme",
            at(0),
        );
        let a = store.enqueue(&n, at(0)).unwrap();
        let b = store.enqueue(&n, at(1)).unwrap();
        let c = store.enqueue(&n, at(2)).unwrap();
        store.outbox_mark_retry(b, at(60), "421 busy").unwrap();
        let due = |s: &Store, t| {
            s.outbox_due(t, 10)
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            due(&store, at(30)),
            vec![a],
            "a row in backoff holds back the later ones"
        );
        assert_eq!(due(&store, at(60)), vec![a, b, c]);
        assert_eq!(store.outbox_next_due().unwrap(), Some(at(0)));
        store
            .outbox_record_delivery(b, "A@x.example", at(31), true)
            .unwrap();
        store
            .outbox_mark_sent(b, at(31), "250 ok", true, None)
            .unwrap();
        assert_eq!(store.outbox_delivered_to(b).unwrap(), vec!["a@x.example"]);
        store.outbox_mark_failed(c, "550 no such user").unwrap();
        assert_eq!(store.outbox_sent_to_since("a@x.example", at(0)).unwrap(), 1);
        assert_eq!(
            store.outbox_sent_to_since("a@x.example", at(40)).unwrap(),
            0
        );
        let d = store.enqueue(&n, at(3)).unwrap();
        store.outbox_hold(d, "quiet hours").unwrap();
        let carried: Vec<i64> = store
            .outbox_for_digest()
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(carried, vec![b, d]);
        let digest = Notification::new(NotificationKind::Digest, Severity::Info, "Acme", at(100));
        let id = store
            .outbox_queue_digest(Some(&digest), &carried, at(100), "k", "v")
            .unwrap()
            .unwrap();
        assert!(store.outbox_for_digest().unwrap().is_empty());
        assert_eq!(
            store.outbox_row(d).unwrap().unwrap().state,
            OutboxState::Digested
        );
        assert_eq!(
            store.outbox_row(b).unwrap().unwrap().state,
            OutboxState::Sent
        );
        assert_eq!(store.outbox_row(b).unwrap().unwrap().digest, Some(id));
        assert_eq!(store.meta("k").unwrap().as_deref(), Some("v"));
        let counts = store.outbox_counts().unwrap();
        assert!(counts.contains(&(OutboxState::Failed, 1)), "{counts:?}");
    }

    #[test]
    fn a_decision_fans_out_once_to_each_channel_that_takes_it() {
        let (_d, mut store) = store();
        store
            .set_outbox_channels(&[
                OutboxChannel {
                    name: "teams".into(),
                    min_severity: Severity::Warning,
                    watches: None,
                },
                OutboxChannel {
                    name: "oncall".into(),
                    min_severity: Severity::Critical,
                    watches: Some(vec!["acme".into()]),
                },
            ])
            .unwrap();
        let mut n = Notification::new(
            NotificationKind::IncidentOpened,
            Severity::Critical,
            "Acme",
            at(0),
        );
        n.watch = Some("acme".into());
        n.key = Some("acme/incident-1/opened".into());
        store.enqueue(&n, at(0)).unwrap();
        // The same decision queued again (detection replayed after a crash) adds no channel row.
        store.enqueue(&n, at(1)).unwrap();
        let rows = store.outbox(None, 10).unwrap();
        let mut channels: Vec<(Option<String>, Option<String>)> = rows
            .iter()
            .map(|r| (r.channel.clone(), r.event_key.clone()))
            .collect();
        channels.sort();
        let key = Some("acme/incident-1/opened".to_owned());
        assert_eq!(
            channels,
            vec![
                (None, key.clone()),
                (None, key.clone()),
                (Some("oncall".into()), key.clone()),
                (Some("teams".into()), key.clone()),
            ]
        );
        // Email rows and channel rows are due apart.
        assert_eq!(store.outbox_due(at(5), 10).unwrap().len(), 2);
        assert_eq!(
            store.outbox_channel_due("teams", at(5), 10).unwrap().len(),
            1
        );
        // A warning about another watch goes to the channel that takes every watch only; a silenced
        // notification to none.
        let mut w = n.clone();
        w.severity = Severity::Warning;
        w.watch = Some("other".into());
        w.key = Some("other/1".into());
        store.enqueue(&w, at(2)).unwrap();
        let mut s = n.clone();
        s.key = Some("acme/2".into());
        s.silenced = true;
        store.enqueue(&s, at(3)).unwrap();
        assert_eq!(
            store.outbox_channel_due("teams", at(5), 10).unwrap().len(),
            2
        );
        assert_eq!(
            store.outbox_channel_due("oncall", at(5), 10).unwrap().len(),
            1
        );
        // Held rows fold into one summary, which carries them.
        let teams = store.outbox_channel_due("teams", at(5), 10).unwrap();
        for r in &teams {
            store.outbox_hold(r.id, "hourly cap reached").unwrap();
        }
        let held: Vec<i64> = store
            .outbox_channel_held("teams")
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(held.len(), 2);
        let summary =
            Notification::new(NotificationKind::Digest, Severity::Critical, "Acme", at(9));
        let id = store
            .outbox_queue_channel_summary("teams", &summary, &held, at(9))
            .unwrap();
        assert!(store.outbox_channel_held("teams").unwrap().is_empty());
        let due = store.outbox_channel_due("teams", at(9), 10).unwrap();
        assert_eq!(due.iter().map(|r| r.id).collect::<Vec<_>>(), vec![id]);
        assert_eq!(
            store.outbox_row(held[0]).unwrap().unwrap().state,
            OutboxState::Digested
        );
        assert!(
            store.outbox_for_digest().unwrap().is_empty(),
            "channel rows never reach the email digest"
        );
    }

    #[test]
    fn an_unchanged_registration_writes_nothing() {
        // Guards a start held up by a lock: the daemon registers its channels at every start, and a start
        // while another program holds the write lock must not wait when nothing changed.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let mut store = Store::open(&path).unwrap();
        let teams = OutboxChannel {
            name: "teams".into(),
            min_severity: Severity::Warning,
            watches: Some(vec!["acme".into()]),
        };
        store
            .set_outbox_channels(std::slice::from_ref(&teams))
            .unwrap();
        let locker = rusqlite::Connection::open(&path).unwrap();
        locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
        store
            .conn
            .busy_timeout(std::time::Duration::from_millis(50))
            .unwrap();
        store
            .set_outbox_channels(std::slice::from_ref(&teams))
            .unwrap();
        let mut changed = teams.clone();
        changed.min_severity = Severity::Critical;
        assert!(
            store.set_outbox_channels(&[changed]).is_err(),
            "a change is written"
        );
        locker.execute_batch("ROLLBACK").unwrap();
    }
}
