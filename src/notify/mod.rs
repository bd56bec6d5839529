//! Notification: the emails, chat messages and webhooks the communications team reads, delivered through
//! the outbox.
//!
//! In: outbox rows, each a [`crate::model::Notification`] that detection queued with
//! [`crate::store::outbox::enqueue_in`] in the same transaction as the incident change that caused it (one
//! row for the email, one per `[[channel]]` that takes it); the `[email]` settings ([`EmailConfig`]) and the
//! `[[channel]]` tables ([`channels::ChannelConfig`]). Out: emails (plain text and HTML, French or English)
//! handed to an SMTP server, messages posted to chat services and webhooks, and rows marked with what the
//! server said.
//!
//! - [`config`]: the `[email]` table, its validation, recipients by severity and watch.
//! - [`policy`]: quiet hours, the digest schedule, the hourly throttle, retry backoff (pure, clock in).
//! - [`said`]: what a notification says (its line, sentence, figures, mentions), once for every face.
//! - [`mod@render`]: the email's words; [`render()`] is pure, and `veille demo` uses it to show an email unsent.
//! - [`mailer`]: SMTP through lettre (STARTTLS, implicit TLS, plain on loopback only), [`MailError`].
//! - [`channels`]: Teams, Slack, Mattermost, Google Chat, Matrix, ntfy and the signed webhook: their
//!   settings, their payloads, their HTTP delivery.
//! - [`worker`]: the outbox workers the daemon runs ([`Notifier::run`] for email,
//!   [`worker::ChannelNotifier::run`] for the channels) and `veille run --once` flushes.
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
