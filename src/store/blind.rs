//! What the store knows of each source's health, for the check of sources that go blind, and the open
//! `source` incidents.
//!
//! In: a connection (the writer's transaction, so that the check and the incidents it records are one
//! commit). Out: facts as plain rows; detection's [`crate::detect::blind`] judges them. Each query is one
//! index lookup per source: `mention_source_at` gives a source's latest items, `incident_source` its open
//! incident.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{from_ts, ts};

/// One source's row, with its latest items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceHealthRow {
    pub name: String,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub consecutive_errors: u32,
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    /// The times of its latest items, newest first.
    pub item_times: Vec<DateTime<Utc>>,
    /// When the newest of those was stored.
    pub last_new_item: Option<DateTime<Utc>>,
}

/// How many latest items give a source's cadence.
pub const CADENCE_ITEMS: usize = 50;

/// Every source the store has polled, with its latest [`CADENCE_ITEMS`] items.
///
/// # Errors
/// On SQLite failure.
pub fn source_health(conn: &Connection) -> rusqlite::Result<Vec<SourceHealthRow>> {
    let mut rows: Vec<SourceHealthRow> = conn
        .prepare_cached(
            "SELECT name, last_fetch, last_success, failing_since, consecutive_errors, last_error, last_status
             FROM source ORDER BY name",
        )?
        .query_map([], |r| {
            Ok(SourceHealthRow {
                name: r.get(0)?,
                last_fetch: r.get::<_, Option<i64>>(1)?.map(from_ts),
                last_success: r.get::<_, Option<i64>>(2)?.map(from_ts),
                failing_since: r.get::<_, Option<i64>>(3)?.map(from_ts),
                consecutive_errors: r.get(4)?,
                last_error: r.get(5)?,
                last_status: r.get(6)?,
                ..SourceHealthRow::default()
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut items = conn.prepare_cached(
        "SELECT at, fetched FROM mention WHERE source = ?1 ORDER BY at DESC LIMIT ?2",
    )?;
    for row in &mut rows {
        let times: Vec<(i64, i64)> = items
            .query_map(params![row.name, CADENCE_ITEMS as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        row.last_new_item = times.iter().map(|&(_, f)| f).max().map(from_ts);
        row.item_times = times.into_iter().map(|(at, _)| from_ts(at)).collect();
    }
    Ok(rows)
}

/// The watches (ids) the mentions of `source` counted towards since `since`.
///
/// # Errors
/// On SQLite failure.
pub fn watches_fed(
    conn: &Connection,
    source: &str,
    since: DateTime<Utc>,
) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached(
        "SELECT DISTINCT mw.watch FROM mention m JOIN mention_watch mw ON mw.mention = m.id
         WHERE m.source = ?1 AND m.at >= ?2 ORDER BY mw.watch",
    )?
    .query_map(params![source, ts(since)], |r| r.get(0))?
    .collect()
}

/// The open `source` incidents: their source and their latest decision as JSON (the opening, or the
/// message sent when a silence that held it back ended).
///
/// # Errors
/// On SQLite failure.
pub fn open_source_incidents(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    conn.prepare_cached(
        "SELECT source, detail FROM (
             SELECT i.id, i.source, (
                 SELECT e.detail FROM incident_event e
                 WHERE e.incident = i.id AND e.kind IN ('opened', 'updated') AND e.detail IS NOT NULL
                 ORDER BY e.id DESC LIMIT 1
             ) AS detail
             FROM incident i
             WHERE i.kind = 'source' AND i.resolved_at IS NULL AND i.source IS NOT NULL
         ) WHERE detail IS NOT NULL
         ORDER BY id",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

/// Whether the database knows which source an incident is about (a database from before sources could go
/// blind does not, and the CLI reads it without migrating it).
fn knows_sources(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare("SELECT 1 FROM pragma_table_info('incident') WHERE name = 'source'")?
        .exists([])
}

impl super::Store {
    /// The open `source` incidents, as [`open_source_incidents`] gives them; none on a database from
    /// before they existed.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn open_source_incidents(&self) -> super::Result<Vec<(String, String)>> {
        let read = || {
            if knows_sources(&self.conn)? {
                open_source_incidents(&self.conn)
            } else {
                Ok(Vec::new())
            }
        };
        read().map_err(|e| self.err(e))
    }
}
