//! Notification: the emails the communications team reads, delivered through the outbox.
//!
//! In: outbox rows, each a [`crate::model::Notification`] that detection queued with
//! [`crate::store::outbox::enqueue_in`] in the same transaction as the incident change that caused it; the
//! `[email]` settings ([`EmailConfig`]). Out: emails (plain text and HTML, French or English) handed to an
//! SMTP server, and rows marked with what the server said.
//!
//! - [`config`]: the `[email]` table, its validation, recipients by severity and watch.
//! - [`policy`]: quiet hours, the digest schedule, the hourly throttle, retry backoff (pure, clock in).
//! - [`said`]: what a notification says (its line, sentence, figures, mentions), once for every face.
//! - [`mod@render`]: the email's words; [`render()`] is pure, and `veille demo` uses it to show an email unsent.
//! - [`mailer`]: SMTP through lettre (STARTTLS, implicit TLS, plain on loopback only), [`MailError`].
//! - [`worker`]: the outbox worker the daemon runs ([`Notifier::run`]) and `veille run --once` flushes.
//!
//! Nothing here decides what deserves an alert: detection does. This module decides only how and when the
//! team asked to be told.

pub mod channels;
pub mod config;
pub mod mailer;
pub mod policy;
pub mod render;
pub mod said;
pub mod worker;

pub use config::{EmailConfig, Locale};
pub use mailer::{Accepted, MailError, Mailer};
pub use render::{RenderedEmail, render};
pub use worker::{Notifier, NotifyError, PassReport, flush};
