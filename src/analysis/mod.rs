//! Analysis: pure functions from a mention's text to what veille knows about it.
//!
//! In: plain text (titles, bodies, lines typed at the CLI) and the compiled rules. Out: folded text, the
//! language, the sentiment with the terms that made it, and the rules that match with the terms that matched.
//! No I/O, no async, no clock: the daemon, `veille replay` and the CLI (`veille score`, `veille rules test`)
//! call exactly the same code.

pub mod analyzer;
pub mod clean;
pub mod fold;
pub mod lang;
pub mod query;
pub mod rules;
pub mod sentiment;
pub mod story;

pub use analyzer::Analyzer;
