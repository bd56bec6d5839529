//! What the console's overview and sources pages show: the service's state as facts.
//!
//! In: the store, the time. Out: an [`Overview`] (open incidents, the sources in one line, the mentions of
//! the last day) and [`SourceHealth`] rows; the console says them through [`crate::i18n`].

use chrono::{DateTime, Utc};

use crate::model::SourceState;
use crate::store::{Health, Result, Store};

use super::{IncidentLine, incident_lines};

/// A source's health row.
#[derive(Debug, Clone)]
pub struct SourceHealth {
    pub state: SourceState,
    /// Failing since its last success (or its first fetch) when its last fetch failed.
    pub failing_since: Option<DateTime<Utc>>,
}

/// The overview page's facts.
#[derive(Debug, Clone)]
pub struct Overview {
    pub health: Health,
    /// The open incidents (not resolved), newest first.
    pub open: Vec<IncidentLine>,
    /// The failing source that fails longest, and since when.
    pub worst_source: Option<SourceHealth>,
}

/// Every source's health, by name.
///
/// # Errors
/// On SQLite failure.
pub fn source_health(store: &Store) -> Result<Vec<SourceHealth>> {
    Ok(store
        .source_states()?
        .into_iter()
        .map(|s| SourceHealth {
            failing_since: (s.consecutive_errors > 0)
                .then(|| s.last_success.or(s.last_fetch))
                .flatten(),
            state: s,
        })
        .collect())
}

impl Overview {
    /// Reads the overview.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load(store: &Store, now: DateTime<Utc>) -> Result<Overview> {
        let health = store.health()?;
        let open = incident_lines(store, true, Some(50), now)?;
        let worst_source = source_health(store)?
            .into_iter()
            .filter(|s| s.state.consecutive_errors > 0)
            .min_by_key(|s| s.failing_since.unwrap_or(now));
        Ok(Overview {
            health,
            open,
            worst_source,
        })
    }
}
