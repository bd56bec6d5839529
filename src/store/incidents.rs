//! Detection's tables: which watches a mention counts towards, bucket counts and state per watch, incidents,
//! their timeline, alerts and silences.
//!
//! In: decisions already turned into plain [`DecisionRecord`]s by the detection stage (the store does not
//! know detection's types: counts and states come as JSON), inside the transaction that stores the mentions
//! that caused them. Out: incident rows, their timeline, alerts, and for the CLI the same read back. Every
//! decision is recorded under its unique key, so a batch handed twice (after a crash, a restart, a replay)
//! records once — and the caller queues an email only for what was recorded now.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, Transaction, params};
use serde::Serialize;

use super::{Result, Store, from_ts, ts};
use crate::model::Severity;

/// One detection decision, flattened for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord {
    /// Unique key of the decision.
    pub key: String,
    /// Unique key of the incident it belongs to.
    pub incident_key: String,
    /// `bad_buzz`, `critical_mention` or `buzz`.
    pub incident_kind: &'static str,
    /// `opened`, `updated`, `escalated`, `resolved`, `mention_attached`, `critical_mention`,
    /// `more_critical` (critical mentions counted into a rule's incident since its last message), `buzz`.
    pub event: &'static str,
    /// Whether this decision is also an alert (a thing someone is told about).
    pub alert: bool,
    pub watch: Option<String>,
    pub rule: Option<String>,
    pub severity: Severity,
    pub at: DateTime<Utc>,
    /// When the incident opened.
    pub opened: DateTime<Utc>,
    pub resolved: Option<DateTime<Utc>>,
    pub notify: bool,
    pub silenced: bool,
    pub peak: Option<u32>,
    pub peak_at: Option<DateTime<Utc>>,
    pub mentions: Option<u32>,
    pub baseline: Option<f64>,
    pub explanation: Option<String>,
    pub summary_fr: Option<String>,
    pub summary_en: Option<String>,
    pub text_fr: String,
    pub text_en: String,
    /// The whole decision as JSON, for `veille incidents show`.
    pub detail: String,
    /// The mention's key (`source/id`) for a critical mention.
    pub mention: Option<String>,
    /// The source a `source` incident is about.
    pub source: Option<String>,
}

/// Records a decision; returns the incident's row id when it was new, `None` when already recorded.
///
/// # Errors
/// On SQLite failure.
pub fn record(tx: &Transaction<'_>, d: &DecisionRecord) -> rusqlite::Result<Option<i64>> {
    let seen: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM incident_event WHERE key = ?1 UNION ALL SELECT 1 FROM alert WHERE key = ?1")?
        .query_row([&d.key], |r| r.get(0))
        .optional()?;
    if seen.is_some() {
        return Ok(None);
    }
    let existing: Option<(i64, String)> = tx
        .prepare_cached("SELECT id, severity FROM incident WHERE key = ?1")?
        .query_row([&d.incident_key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let incident = match existing {
        None => {
            tx.prepare_cached(
                "INSERT INTO incident (key, kind, watch, rule, severity, opened_at, updated_at, resolved_at, peak_count,
                                       peak_at, mentions, baseline, explanation, summary_fr, summary_en, silenced,
                                       source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                d.incident_key,
                d.incident_kind,
                d.watch,
                d.rule,
                d.severity.as_str(),
                ts(d.opened),
                ts(d.at),
                d.resolved.map(ts),
                d.peak.unwrap_or(0),
                d.peak_at.map(ts),
                d.mentions.unwrap_or(1),
                d.baseline,
                d.explanation,
                d.summary_fr,
                d.summary_en,
                d.silenced,
                d.source,
            ])?;
            tx.last_insert_rowid()
        }
        Some((id, severity)) => {
            let severity = Severity::parse(&severity)
                .unwrap_or_default()
                .max(d.severity);
            tx.prepare_cached(
                "UPDATE incident SET severity = ?2, updated_at = max(updated_at, ?3),
                        resolved_at = coalesce(?4, resolved_at),
                        peak_count = max(peak_count, coalesce(?5, 0)),
                        peak_at = CASE WHEN coalesce(?5, 0) > peak_count THEN ?6 ELSE peak_at END,
                        mentions = coalesce(?7, mentions + 1),
                        baseline = coalesce(?8, baseline), explanation = coalesce(?9, explanation),
                        summary_fr = coalesce(?10, summary_fr), summary_en = coalesce(?11, summary_en)
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                severity.as_str(),
                ts(d.at),
                d.resolved.map(ts),
                d.peak,
                d.peak_at.map(ts),
                d.mentions,
                d.baseline,
                d.explanation,
                d.summary_fr,
                d.summary_en,
            ])?;
            id
        }
    };
    tx.prepare_cached(
        "INSERT INTO incident_event (incident, key, at, kind, severity, notify, text_fr, text_en, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        incident,
        d.key,
        ts(d.at),
        d.event,
        d.severity.as_str(),
        d.notify,
        d.text_fr,
        d.text_en,
        d.detail
    ])?;
    if d.alert {
        tx.prepare_cached(
            "INSERT INTO alert (key, incident, kind, severity, watch, rule, mention, at, notify, text_fr, text_en)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            d.key,
            incident,
            d.event,
            d.severity.as_str(),
            d.watch,
            d.rule,
            d.mention,
            ts(d.at),
            d.notify,
            d.text_fr,
            d.text_en
        ])?;
    }
    Ok(Some(incident))
}

/// Records that mention row `mention`, counted at `at`, counts towards `watches`.
///
/// # Errors
/// On SQLite failure.
pub fn add_mention_watches(
    tx: &Transaction<'_>,
    mention: i64,
    at: DateTime<Utc>,
    watches: &[String],
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO mention_watch (watch, mention, at) VALUES (?1, ?2, ?3)",
    )?;
    for w in watches {
        stmt.execute(params![w, mention, ts(at)])?;
    }
    Ok(())
}

/// Records that the new mention at row `mention` belongs to `story` (a rewritten copy of an article seen
/// lately: [`crate::analysis::story`]).
///
/// # Errors
/// On SQLite failure.
pub fn set_mention_story(tx: &Transaction<'_>, mention: i64, story: u64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE mention SET story = ?1 WHERE id = ?2")?
        .execute(params![story as i64, mention])?;
    Ok(())
}

/// Stores a watch's closed bucket (JSON counts).
///
/// # Errors
/// On SQLite failure.
pub fn put_bucket(
    tx: &Transaction<'_>,
    watch: &str,
    start: DateTime<Utc>,
    counts: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO watch_bucket (watch, start, counts) VALUES (?1, ?2, ?3)
         ON CONFLICT (watch, start) DO UPDATE SET counts = excluded.counts",
    )?
    .execute(params![watch, ts(start), counts])?;
    Ok(())
}

/// Stores a watch's detection state (JSON).
///
/// # Errors
/// On SQLite failure.
pub fn put_watch_state(
    tx: &Transaction<'_>,
    watch: &str,
    state: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO watch_state (watch, state, updated) VALUES (?1, ?2, ?3)
         ON CONFLICT (watch) DO UPDATE SET state = excluded.state, updated = excluded.updated",
    )?
    .execute(params![watch, state, ts(now)])?;
    Ok(())
}

/// An incident as listed.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentRow {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub watch: Option<String>,
    pub rule: Option<String>,
    pub severity: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub peak_count: u32,
    pub peak_at: Option<DateTime<Utc>>,
    pub mentions: u32,
    pub baseline: Option<f64>,
    pub summary_fr: Option<String>,
    pub summary_en: Option<String>,
    pub silenced: bool,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub ack_note: Option<String>,
    /// The latest explanation, as JSON.
    #[serde(skip)]
    pub explanation: Option<String>,
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub severity: String,
    pub notify: bool,
    pub text_fr: String,
    pub text_en: String,
    pub by: Option<String>,
    /// The facts of the event as JSON: the decision for detection's events, who and what for a person's.
    pub detail: Option<String>,
}

/// An alert as listed.
#[derive(Debug, Clone, Serialize)]
pub struct AlertRow {
    pub id: i64,
    pub incident: Option<i64>,
    pub kind: String,
    pub severity: String,
    pub watch: Option<String>,
    pub rule: Option<String>,
    pub mention: Option<String>,
    pub at: DateTime<Utc>,
    pub notify: bool,
    pub text_fr: String,
    pub text_en: String,
}

/// A silence as stored.
#[derive(Debug, Clone, Serialize)]
pub struct SilenceRow {
    pub id: i64,
    /// `watch`, `rule` or `source`.
    pub target_kind: String,
    pub target: String,
    pub until: DateTime<Utc>,
    pub reason: String,
    pub created: DateTime<Utc>,
    pub created_by: Option<String>,
}

const INCIDENT_COLUMNS: &str = "id, key, kind, watch, rule, severity, opened_at, updated_at, resolved_at, peak_count, \
     peak_at, mentions, baseline, summary_fr, summary_en, silenced, acknowledged_at, acknowledged_by, ack_note, explanation";

/// Records what a person did about incident `id` (taken, noted, resolved by hand) as a line of its
/// timeline, inside the caller's transaction: facts only (who, and the note), which the faces say in their
/// reader's language. `false` when there is no such incident.
pub(super) fn person_event(
    tx: &rusqlite::Connection,
    id: i64,
    kind: &str,
    key_kind: &str,
    by: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let severity: Option<String> = tx
        .query_row("SELECT severity FROM incident WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(severity) = severity else {
        return Ok(false);
    };
    let detail = serde_json::json!({ "by": by, "note": note }).to_string();
    tx.execute(
        "INSERT INTO incident_event (incident, key, at, kind, severity, notify, text_fr, text_en, by, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, '', '', ?6, ?7)",
        params![
            id,
            format!("incident/{id}/{key_kind}/{}", now.timestamp_micros()),
            ts(now),
            kind,
            severity,
            by,
            detail
        ],
    )?;
    Ok(true)
}

/// Silences in force at `now`, the soonest to end first, read inside the caller's transaction.
///
/// # Errors
/// On SQLite failure.
pub fn silences_in(
    conn: &rusqlite::Connection,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<SilenceRow>> {
    conn.prepare_cached(
        "SELECT id, target_kind, target, until, reason, created, created_by FROM silence
         WHERE removed IS NULL AND until > ?1 ORDER BY until",
    )?
    .query_map([ts(now)], |r| {
        Ok(SilenceRow {
            id: r.get(0)?,
            target_kind: r.get(1)?,
            target: r.get(2)?,
            until: from_ts(r.get(3)?),
            reason: r.get(4)?,
            created: from_ts(r.get(5)?),
            created_by: r.get(6)?,
        })
    })?
    .collect()
}

fn incident_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IncidentRow> {
    Ok(IncidentRow {
        id: r.get(0)?,
        key: r.get(1)?,
        kind: r.get(2)?,
        watch: r.get(3)?,
        rule: r.get(4)?,
        severity: r.get(5)?,
        opened_at: from_ts(r.get(6)?),
        updated_at: from_ts(r.get(7)?),
        resolved_at: r.get::<_, Option<i64>>(8)?.map(from_ts),
        peak_count: r.get(9)?,
        peak_at: r.get::<_, Option<i64>>(10)?.map(from_ts),
        mentions: r.get(11)?,
        baseline: r.get(12)?,
        summary_fr: r.get(13)?,
        summary_en: r.get(14)?,
        silenced: r.get(15)?,
        acknowledged_at: r.get::<_, Option<i64>>(16)?.map(from_ts),
        acknowledged_by: r.get(17)?,
        ack_note: r.get(18)?,
        explanation: r.get(19)?,
    })
}

impl Store {
    /// The saved detection state of a watch (JSON).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn watch_state(&self, watch: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT state FROM watch_state WHERE watch = ?1",
                [watch],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The ids of the saved detection states that start with `prefix` (the feeds of critical rules that
    /// count towards no watch), in order.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn watch_states_with_prefix(&self, prefix: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT watch FROM watch_state WHERE substr(watch, 1, length(?1)) = ?1 ORDER BY watch")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([prefix], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))
    }

    /// A watch's closed buckets (JSON counts) from `since` on.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn watch_buckets(&self, watch: &str, since: DateTime<Utc>) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT counts FROM watch_bucket WHERE watch = ?1 AND start >= ?2 ORDER BY start",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![watch, ts(since)], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))
    }

    /// Row ids of the mentions counting towards `watch` from `since` on, oldest first.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn watch_mention_keys(&self, watch: &str, since: DateTime<Utc>) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT mention FROM mention_watch WHERE watch = ?1 AND at >= ?2 ORDER BY at, mention")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![watch, ts(since)], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(|e| self.err(e))
    }

    /// Incidents, newest first; only the open ones with `open_only`.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn incidents(&self, open_only: bool, limit: Option<usize>) -> Result<Vec<IncidentRow>> {
        let mut sql = format!("SELECT {INCIDENT_COLUMNS} FROM incident");
        if open_only {
            sql.push_str(" WHERE resolved_at IS NULL");
        }
        sql.push_str(" ORDER BY opened_at DESC, id DESC");
        if let Some(l) = limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], incident_row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Incidents in the order they opened (for `veille replay`).
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn incidents_in_order(&self) -> Result<Vec<IncidentRow>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {INCIDENT_COLUMNS} FROM incident ORDER BY opened_at, id"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], incident_row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// One incident.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn incident(&self, id: i64) -> Result<Option<IncidentRow>> {
        self.conn
            .query_row(
                &format!("SELECT {INCIDENT_COLUMNS} FROM incident WHERE id = ?1"),
                [id],
                incident_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// An incident's timeline, oldest first.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn incident_events(&self, id: i64) -> Result<Vec<EventRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT at, kind, severity, notify, text_fr, text_en, by, detail FROM incident_event WHERE incident = ?1 ORDER BY at, id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(EventRow {
                    at: from_ts(r.get(0)?),
                    kind: r.get(1)?,
                    severity: r.get(2)?,
                    notify: r.get(3)?,
                    text_fr: r.get(4)?,
                    text_en: r.get(5)?,
                    by: r.get(6)?,
                    detail: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// The decisions behind an incident's timeline (each event's `detail`, the [`crate::detect::Decision`]
    /// as JSON), oldest first; the facts of events recorded by a person (acknowledgement, silence) are
    /// there too, and do not read as decisions.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn incident_decisions(&self, id: i64) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT detail FROM incident_event WHERE incident = ?1 AND detail IS NOT NULL ORDER BY at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))
    }

    /// Alerts, newest first.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn alerts(&self, limit: Option<usize>) -> Result<Vec<AlertRow>> {
        let mut sql = String::from(
            "SELECT id, incident, kind, severity, watch, rule, mention, at, notify, text_fr, text_en FROM alert ORDER BY at DESC, id DESC",
        );
        if let Some(l) = limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AlertRow {
                    id: r.get(0)?,
                    incident: r.get(1)?,
                    kind: r.get(2)?,
                    severity: r.get(3)?,
                    watch: r.get(4)?,
                    rule: r.get(5)?,
                    mention: r.get(6)?,
                    at: from_ts(r.get(7)?),
                    notify: r.get(8)?,
                    text_fr: r.get(9)?,
                    text_en: r.get(10)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Acknowledges an incident: recorded on it and in its timeline. `false` when there is no such incident.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn acknowledge(
        &mut self,
        id: i64,
        by: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let n = tx
            .execute(
                "UPDATE incident SET acknowledged_at = ?2, acknowledged_by = ?3, ack_note = ?4 WHERE id = ?1",
                params![id, ts(now), by, note],
            )
            .map_err(err)?;
        if n == 0 {
            return Ok(false);
        }
        person_event(&tx, id, "acknowledged", "acknowledged", by, note, now).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(true)
    }

    /// Marks an incident resolved by a person: the time on it, and who and why in its timeline (facts; the
    /// faces say them). `false` when there is no such incident or it is resolved already. Detection's later
    /// decisions about the same surge still attach to it: a person's resolution is not a gag.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn resolve_by_hand(
        &mut self,
        id: i64,
        by: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let n = tx
            .execute(
                "UPDATE incident SET resolved_at = ?2, updated_at = max(updated_at, ?2)
                 WHERE id = ?1 AND resolved_at IS NULL",
                params![id, ts(now)],
            )
            .map_err(err)?;
        if n == 0 {
            return Ok(false);
        }
        person_event(&tx, id, "resolved", "resolved-by-hand", by, note, now).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(true)
    }

    /// Adds a silence; returns its id.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn add_silence(
        &mut self,
        target_kind: &str,
        target: &str,
        until: DateTime<Utc>,
        reason: &str,
        by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO silence (target_kind, target, until, reason, created, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![target_kind, target, ts(until), reason, ts(now), by],
            )
            .map_err(|e| self.err(e))?;
        let id = self.conn.last_insert_rowid();
        // The timeline of the open incidents it covers says so.
        let column = match target_kind {
            "watch" => "watch",
            "source" => "source",
            _ => "rule",
        };
        let open: Vec<(i64, String)> = {
            let mut stmt = self
                .conn
                .prepare(&format!(
                    "SELECT id, severity FROM incident WHERE resolved_at IS NULL AND {column} = ?1"
                ))
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([target], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| self.err(e))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| self.err(e))?
        };
        for (incident, severity) in open {
            self.conn
                .execute(
                    "INSERT INTO incident_event (incident, key, at, kind, severity, notify, text_fr, text_en, by, detail)
                     VALUES (?1, ?2, ?3, 'silenced', ?4, 0, '', '', ?5, ?6)",
                    params![
                        incident,
                        format!("incident/{incident}/silenced/{id}"),
                        ts(now),
                        severity,
                        by,
                        serde_json::json!({ "until": until, "reason": reason, "target": target, "target_kind": target_kind }).to_string()
                    ],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(id)
    }

    /// Ends a silence now; `false` when there is no such silence in force.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn remove_silence(&mut self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        self.conn
            .execute(
                "UPDATE silence SET removed = ?2 WHERE id = ?1 AND removed IS NULL AND until > ?2",
                params![id, ts(now)],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Silences in force at `now`.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn silences(&self, now: DateTime<Utc>) -> Result<Vec<SilenceRow>> {
        silences_in(&self.conn, now).map_err(|e| self.err(e))
    }
}
