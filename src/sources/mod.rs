//! Sources: where mentions come from.
//!
//! In: the configured sources and their saved state. Out: mentions, and each source's new state (when it is
//! due next, what went wrong). [`fetch`] gets the bytes (HTTP with conditional GET, limits and timeouts, or a
//! regular file on disk), [`guard`] keeps HTTP sources and their redirects away from loopback, private and
//! link-local addresses unless the configuration opens them, [`parse`] turns bytes into mentions, [`link`]
//! gives links their canonical form (http and https only) and [`schedule`] decides when a source is due
//! again, backing off on failures; [`opml`] reads and writes subscription lists. Nothing here touches SQL or analyses text beyond cleaning it.

pub mod fetch;
pub mod guard;
pub mod link;
pub mod opml;
pub mod parse;
pub mod schedule;
