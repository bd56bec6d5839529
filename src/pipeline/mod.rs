//! The stages of the running pipeline, each one place: one poll of one source ([`poll`]: fetch, parse,
//! analyse, hand to the writer), the detection stage that runs inside the writer's transaction
//! ([`detect`]), and replay ([`replay`]: the same stages on feed files, with the items' own time as the
//! clock), and the check of sources that go blind ([`blind`], in the writer too).
//!
//! The pure cores they drive are [`crate::analysis`] and [`crate::detect`]; the writer and every SQL
//! statement are [`crate::store`]'s; the daemon ([`crate::daemon`]) schedules the polls.

pub mod blind;
pub mod detect;
pub mod poll;
pub mod replay;

pub use poll::{PollReport, Stages, poll_source};
