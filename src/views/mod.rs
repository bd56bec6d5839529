//! The read side: the queries and view models every face shows.
//!
//! In: the store (a read-only connection is enough) and the time. Out: facts shaped for a screen — an
//! incident with its timeline ([`incident`]), a page of mentions matching a search ([`mentions`]), a watch's
//! buckets against its usual band ([`series`]), what an incident's window holds ([`window`]), the
//! overview and the sources' health ([`console`]). The faces (the CLI, the email, the console, the chat
//! cards) render these with [`crate::i18n`]; they neither query the store nor compute a figure themselves,
//! so an incident reads the same everywhere.

pub mod console;
pub mod incident;
pub mod mentions;
pub mod series;
pub mod status;
pub mod window;

pub use console::{Overview, SourceHealth, source_health};
pub use incident::{IncidentLine, IncidentStatus, IncidentView, TimelineEntry, incident_lines};
pub use mentions::{MentionPage, Search};
pub use series::{SeriesPoint, WatchSeries};
pub use window::{IncidentWindow, Reach, Reaches, window_scope};
