//! The shared nouns of veille: what a source is, what a mention is, what analysis says about it, and the
//! alerts and incidents detection makes of it.
//!
//! Every other module speaks in these types; this one depends on nothing else in the crate. Times are UTC.

mod locale;
mod mention;
mod notification;
mod source;
mod time;
mod watch;

pub use locale::*;
pub use mention::*;
pub use notification::*;
pub use source::*;
pub use time::*;
pub use watch::*;
