//! What veille remembers of a source between fetches.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What veille remembers of a source between fetches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SourceState {
    pub name: String,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// The last error, in words, or `None` once the source works again.
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub consecutive_errors: u32,
    /// Items parsed over the source's life (new or not).
    pub items_seen: u64,
    /// Mentions stored from it over its life.
    pub mentions: u64,
    pub next_due: Option<DateTime<Utc>>,
}
