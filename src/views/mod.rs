//! The read side: the queries and view models every face shows.
//!
//! In: the store (a read-only connection is enough) and the time. Out: facts shaped for a screen — an
//! incident with its timeline ([`incident`]), and (as faces need them) the service's state. The faces (the CLI, the
//! email, the console, the chat cards) render these with [`crate::i18n`]; they neither query the store nor
//! compute a figure themselves, so an incident reads the same everywhere.

pub mod incident;
pub mod status;

pub use incident::{IncidentLine, IncidentStatus, IncidentView, TimelineEntry, incident_lines};
