//! The outbox workers: send what is due, mark it, retry what failed, and gather held rows into digests
//! (email) or summaries (channels).
//!
//! In: outbox rows (written by detection, in the transaction of their cause), the `[email]` settings or
//! the `[[channel]]` tables, and a clock value for each pass. Out: emails on the wire and chat messages
//! and webhooks posted, and rows marked `sent`, `failed`, `held` or `digested`. The daemon runs
//! [`Notifier::run`] and [`ChannelNotifier::run`]; `veille run --once` calls [`flush`] and
//! [`flush_channels`].
//!
//! **Its own connection.** The worker opens the database read-write on a connection of its own rather than
//! going through the mention writer: its writes are few and small (one row marked per email), WAL mode and
//! the busy timeout serialise them with the writer's commits, and keeping it apart means a slow or dead
//! mail server never delays the storing of mentions, nor does a burst of mentions delay an alert. Its
//! SQLite calls are short and run on the async thread between SMTP exchanges.
//!
//! **Exactly once, as far as SMTP allows.** Each recipient gets its own SMTP transaction, recorded as soon
//! as the server's final `250` comes back; the row is marked sent once every recipient is done. If the
//! process dies between a `250` and its record, the row is still pending at the next start and that
//! recipient gets it again, once, with the same `Message-ID` (derived from the row), so that the resend is
//! recognisable. A recipient refused for good (5xx) is noted on the row; the others still get it. Rows are sent in
//! the order they were queued; after a transient failure the pass stops there (the server is probably
//! down), so that a recovery delivers them in order. A permanent refusal marks the row failed and the pass
//! goes on.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::channels::{Card, Channel, ChannelConfig, ChannelError, Outgoing};
use super::config::{EmailConfig, Schedule};
use super::mailer::{Envelope, MailError, Mailer, incident_thread, message_id};
use super::policy::{Decision, backoff, decide, digest_slot, is_quiet};
use super::render::{RenderOptions, render_with};
use crate::model::{Notification, NotificationKind};
use crate::store::outbox::OutboxRow;
use crate::store::{Store, StoreError};

/// Where the digest schedule's progress is kept (the last slot handled, RFC 3339).
const DIGEST_META: &str = "notify.digest.last";

/// Transient failures tolerated for one row before it is marked failed: with the backoff (30 s doubling
/// to 1 h) about six hours of trying, after which the rows queued behind it may go.
pub const MAX_ATTEMPTS: u32 = 12;

/// How often the running worker looks for new rows when none is due sooner.
const POLL: Duration = Duration::from_secs(5);

/// How long a worker sleeps before its next pass: until the next row is due, at least 200 ms and at most
/// [`POLL`] (to see new rows); [`POLL`] when the database cannot say.
fn wait_for(next_due: crate::store::Result<Option<DateTime<Utc>>>) -> Duration {
    match next_due {
        Ok(Some(t)) => (t - Utc::now()).to_std().unwrap_or(Duration::ZERO),
        _ => POLL,
    }
    .clamp(Duration::from_millis(200), POLL)
}

/// Why the worker could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Mail(#[from] MailError),
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub sent: usize,
    pub held: usize,
    pub failed: usize,
    /// Rows that failed transiently and wait for their next attempt.
    pub deferred: usize,
    pub digests: usize,
    /// Channel rows whose answer never came from a service without an idempotency key: not sent again.
    pub uncertain: usize,
}

/// A hook run after the server accepted row `id` and before it is marked; returning `false` makes the pass
/// stop there, as if the process had died at the worst moment. Tests use it; the daemon never sets it.
pub type AfterAccept = Box<dyn FnMut(i64) -> bool + Send>;

/// The outbox worker for one `[email]` configuration and one database.
pub struct Notifier {
    config: EmailConfig,
    schedule: Schedule,
    mailer: Mailer,
    store: Store,
    stop: CancellationToken,
    after_accept: Option<AfterAccept>,
    /// The console's address (`[web] public_url`): emails link to the incident's page.
    public_url: Option<String>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("mailer", &self.mailer)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// Builds the mail client and opens the database on a connection of its own.
    ///
    /// # Errors
    /// When the settings are unusable, the password cannot be read, or the database cannot be opened.
    pub fn open(
        config: &EmailConfig,
        config_dir: &Path,
        database: &Path,
    ) -> Result<Notifier, NotifyError> {
        let schedule = config
            .schedule()
            .map_err(|e| NotifyError::Mail(MailError::Setup(e)))?;
        let mailer = Mailer::build(config, config_dir)?;
        let store = Store::open(database)?;
        Ok(Notifier {
            config: config.clone(),
            schedule,
            mailer,
            store,
            stop: CancellationToken::new(),
            after_accept: None,
            public_url: None,
        })
    }

    /// Links emails to the console's incident pages at `public_url` (`[web] public_url`).
    pub fn set_public_url(&mut self, public_url: Option<String>) {
        self.public_url = public_url;
    }

    /// Sets the hook run between the server's acceptance and the marking of a row (see [`AfterAccept`]).
    pub fn set_after_accept(&mut self, hook: AfterAccept) {
        self.after_accept = Some(hook);
    }

    /// The database connection the worker uses.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// One pass at `now`: queue a digest if one is due, then send every row due at `now`.
    ///
    /// # Errors
    /// Only when the database fails; mail failures are recorded on their rows.
    pub async fn pass(&mut self, now: DateTime<Utc>) -> Result<PassReport, NotifyError> {
        self.pass_due_before(now, now).await
    }

    async fn pass_due_before(
        &mut self,
        now: DateTime<Utc>,
        due_before: DateTime<Utc>,
    ) -> Result<PassReport, NotifyError> {
        let mut report = PassReport::default();
        if self.queue_digest(now)?.is_some() {
            report.digests += 1;
        }
        loop {
            let rows = self.store.outbox_due(due_before, 64)?;
            if rows.is_empty() {
                return Ok(report);
            }
            for row in rows {
                if self.stop.is_cancelled() {
                    return Ok(report);
                }
                match self.handle(&row, now, &mut report).await? {
                    Flow::Next => {}
                    Flow::Stop => return Ok(report),
                }
            }
        }
    }

    async fn handle(
        &mut self,
        row: &OutboxRow,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<Flow, NotifyError> {
        let hour_ago = now - chrono::Duration::hours(1);
        let store = &self.store;
        let decision = decide(
            &row.notification,
            now,
            &self.config,
            &self.schedule,
            &mut |r| store.outbox_sent_to_since(r, hour_ago).unwrap_or(0),
        );
        let (to, cap_reached, folded, immediate) = match decision {
            Decision::Hold(reason) => {
                self.store.outbox_hold(row.id, reason)?;
                tracing::info!(
                    notification = row.id,
                    reason,
                    "Notification held for the digest."
                );
                report.held += 1;
                return Ok(Flow::Next);
            }
            Decision::Send {
                to,
                cap_reached,
                folded,
                immediate,
            } => (to, cap_reached, folded, immediate),
        };
        let voice = crate::i18n::Voice::new(self.config.locale, self.schedule.tz);
        // What people did about the incident since it was queued: the email says it, as the console does.
        let handled = match row.notification.incident {
            Some(id) => crate::views::IncidentView::load(&self.store, id, None, now)?
                .map(|view| {
                    view.timeline
                        .iter()
                        .filter_map(|e| crate::i18n::words::person_line(&voice, e))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let options = RenderOptions {
            voice,
            max_mentions: self.config.digest.max_mentions,
            cap_reached,
            public_url: self.public_url.clone(),
            handled,
        };
        let envelope = Envelope {
            to: to.clone(),
            message_id: message_id(row.id, row.created, self.mailer.domain()),
            date: now,
            thread: row
                .notification
                .incident
                .map(|i| incident_thread(i, self.mailer.domain())),
            email: render_with(&row.notification, &options),
        };
        let message = match self.mailer.message(row.id, &envelope) {
            Ok(m) => m,
            Err(e) => return self.refused(row, &e.to_string(), report),
        };
        // One SMTP transaction per recipient, each recorded as soon as the server accepts it: a refusal
        // or a failure for one recipient never costs another a duplicate or a missed email.
        let delivered = self.store.outbox_delivered_to(row.id)?;
        let mut accepted_any = !delivered.is_empty();
        let mut last_reply = row.last_response.clone().unwrap_or_default();
        let mut refused: Vec<String> = Vec::new();
        for recipient in &to {
            if delivered.contains(&recipient.to_ascii_lowercase()) {
                continue;
            }
            match self.mailer.send_to(row.id, &message, recipient).await {
                Ok(accepted) => {
                    if let Some(hook) = self.after_accept.as_mut()
                        && !hook(row.id)
                    {
                        return Ok(Flow::Stop);
                    }
                    self.store
                        .outbox_record_delivery(row.id, recipient, now, immediate)?;
                    accepted_any = true;
                    last_reply = accepted.to_string();
                }
                Err(e) if e.is_transient() => return self.deferred(row, now, &e, report),
                Err(e) => {
                    tracing::error!(
                        notification = row.id,
                        recipient = %recipient,
                        error = %e,
                        "Mail refused for a recipient."
                    );
                    refused.push(format!("{recipient}: {e}"));
                }
            }
        }
        if !accepted_any {
            return self.refused(row, &refused.join("; "), report);
        }
        let refused = (!refused.is_empty()).then(|| refused.join("; "));
        self.store
            .outbox_mark_sent(row.id, now, &last_reply, folded, refused.as_deref())?;
        tracing::info!(
            notification = row.id,
            kind = row.notification.kind.as_str(),
            recipients = to.len(),
            response = %last_reply,
            "Mail sent."
        );
        report.sent += 1;
        Ok(Flow::Next)
    }

    /// Records a transient failure: the row waits for its next attempt, or is given up after
    /// [`MAX_ATTEMPTS`]. The pass stops there, to keep the order.
    fn deferred(
        &mut self,
        row: &OutboxRow,
        now: DateTime<Utc>,
        e: &MailError,
        report: &mut PassReport,
    ) -> Result<Flow, NotifyError> {
        if row.attempts + 1 >= MAX_ATTEMPTS {
            let error = format!("gave up after {MAX_ATTEMPTS} attempts: {e}");
            self.store.outbox_mark_failed(row.id, &error)?;
            tracing::error!(notification = row.id, error = %error, "Mail abandoned; see `veille outbox`.");
            report.failed += 1;
            return Ok(Flow::Next);
        }
        let next = now + backoff(row.attempts);
        self.store.outbox_mark_retry(row.id, next, &e.to_string())?;
        tracing::warn!(
            notification = row.id,
            attempts = row.attempts + 1,
            retry_at = %next.to_rfc3339(),
            error = %e,
            "Mail deferred; it will be tried again."
        );
        report.deferred += 1;
        Ok(Flow::Stop)
    }

    /// Records a permanent failure: the row is not tried again.
    fn refused(
        &mut self,
        row: &OutboxRow,
        error: &str,
        report: &mut PassReport,
    ) -> Result<Flow, NotifyError> {
        self.store.outbox_mark_failed(row.id, error)?;
        tracing::error!(
            notification = row.id,
            error = %error,
            "Mail refused for good; see `veille outbox`."
        );
        report.failed += 1;
        Ok(Flow::Next)
    }

    /// Queues a digest when a digest time has passed since the last one handled and there is something to
    /// say. Returns its row id.
    fn queue_digest(&mut self, now: DateTime<Utc>) -> Result<Option<i64>, NotifyError> {
        let slot = digest_slot(now, &self.schedule);
        let last = self
            .store
            .meta(DIGEST_META)?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc));
        let value = slot.to_rfc3339();
        let Some(last) = last else {
            // First run: start the schedule here rather than sending a digest at once.
            self.store.set_meta(DIGEST_META, &value)?;
            return Ok(None);
        };
        if slot <= last {
            return Ok(None);
        }
        let rows = self.store.outbox_for_digest()?;
        if rows.is_empty() {
            self.store
                .outbox_queue_digest(None, &[], now, DIGEST_META, &value)?;
            return Ok(None);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let items: Vec<Notification> = rows.into_iter().map(|r| r.notification).collect();
        let severity = items.iter().map(|n| n.severity).max().unwrap_or_default();
        let mut brands: Vec<&str> = Vec::new();
        for n in &items {
            if !brands.contains(&n.brand.as_str()) {
                brands.push(&n.brand);
            }
        }
        let mut digest =
            Notification::new(NotificationKind::Digest, severity, brands.join(", "), now);
        digest.items = items;
        let id = self
            .store
            .outbox_queue_digest(Some(&digest), &ids, now, DIGEST_META, &value)?;
        tracing::info!(notification = ?id, carried = ids.len(), "Digest queued.");
        Ok(id)
    }

    /// Sends until `token` is cancelled: a pass now, then whenever a row is due (at least every few
    /// seconds, to see new rows). Cancellation is honoured between emails, never inside an SMTP exchange.
    pub async fn run(mut self, token: CancellationToken) {
        self.stop = token.clone();
        tracing::info!(server = %self.mailer.server(), "Notifier started.");
        loop {
            if let Err(e) = self.pass(Utc::now()).await {
                tracing::error!(error = %e, "Outbox pass failed; it will be tried again.");
            }
            let wait = wait_for(self.store.outbox_next_due());
            tokio::select! {
                () = token.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("Notifier stopped.");
    }

    /// Hands every pending row to the server, whatever its backoff says, within `limit`; what could not
    /// be delivered stays pending.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn flush(
        &mut self,
        now: DateTime<Utc>,
        limit: Duration,
    ) -> Result<PassReport, NotifyError> {
        let far = now + chrono::Duration::days(36_500);
        match tokio::time::timeout(limit, self.pass_due_before(now, far)).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!(
                    seconds = limit.as_secs(),
                    "Outbox flush timed out; the rest stays pending."
                );
                Ok(PassReport::default())
            }
        }
    }
}

enum Flow {
    Next,
    Stop,
}

/// What `veille run --once` calls: with an `[email]` table, hand every pending row to the server within
/// `limit`. `None` when there is no `[email]` table.
///
/// # Errors
/// When the notifier cannot be built or the database fails.
pub async fn flush(
    email: Option<&EmailConfig>,
    config_dir: &Path,
    database: &Path,
    limit: Duration,
) -> Result<Option<PassReport>, NotifyError> {
    let Some(email) = email else {
        return Ok(None);
    };
    let mut notifier = Notifier::open(email, config_dir, database)?;
    notifier.flush(Utc::now(), limit).await.map(Some)
}

/// The directory relative paths of a configuration file resolve against.
pub fn config_dir(config_path: &Path) -> PathBuf {
    config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The registration the outbox needs of `channels`: from then on, detection's transaction queues a row
/// for each channel that takes a notification (its severity, its watches).
pub fn outbox_channels(
    channels: &[crate::notify::channels::ChannelConfig],
) -> Vec<crate::store::outbox::OutboxChannel> {
    channels
        .iter()
        .map(|c| crate::store::outbox::OutboxChannel {
            name: c.name.clone(),
            min_severity: c.severity,
            watches: c.watches.clone(),
        })
        .collect()
}

/// What the channel worker is given at start and again on every reload: the `[[channel]]` tables and
/// what their messages depend on besides.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSettings {
    pub channels: Vec<ChannelConfig>,
    /// Where relative `secret_file`s resolve (after `$CREDENTIALS_DIRECTORY`).
    pub config_dir: PathBuf,
    /// The configuration's language and clock, for channels that name none.
    pub locale: crate::model::Locale,
    pub tz: chrono_tz::Tz,
    /// `[web] public_url`: messages link to the incident's page.
    pub public_url: Option<String>,
}

impl ChannelSettings {
    /// The settings `config` gives.
    pub fn of(config: &crate::config::Config) -> ChannelSettings {
        ChannelSettings {
            channels: config.channels.clone(),
            config_dir: config_dir(&config.path),
            locale: config.locale,
            tz: config.timezone.0,
            public_url: config.web.as_ref().and_then(|w| w.public_url.clone()),
        }
    }
}

/// The outbox worker of the chat channels and webhooks: for each channel, sends its due rows in order,
/// marks them, retries what failed (honouring `Retry-After`), and folds what quiet hours or the hourly
/// cap held back into one summary message as soon as the channel may speak again.
///
/// **Never twice for one decision.** Each row is one (decision, channel) pair, unique in the outbox; it
/// is marked sent as soon as the service's `2xx` comes back. What happens when that answer is lost (the
/// process dies between the answer and the mark, or the service never answers) depends on the service:
///
/// - the webhook (`X-Veille-Event`), Matrix (the transaction id) and Google Chat (`requestId`,
///   `messageId`) recognise a resend by the decision's key: the row stays pending and is sent again,
///   the same request, which cannot make a second message (the email worker does the same with its
///   stable `Message-ID`);
/// - Teams, Slack, Mattermost and ntfy take no key: the attempt is recorded (committed) before the
///   request goes out, and a row whose attempt has no recorded answer, found at the next start or left
///   by a timeout, becomes `uncertain`: it may have arrived, so it is not sent again, `veille outbox`
///   lists it and the log says so once. A request that never connected is retried as usual.
pub struct ChannelNotifier {
    channels: Vec<Channel>,
    store: Store,
    stop: CancellationToken,
    public_url: Option<String>,
}

impl std::fmt::Debug for ChannelNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelNotifier")
            .field("channels", &self.channels)
            .finish_non_exhaustive()
    }
}

impl ChannelNotifier {
    /// Builds every channel that can be built and opens the database on a connection of its own. A
    /// channel that cannot be built (its secret unreadable) is left out and its error returned beside:
    /// its rows wait in the outbox.
    ///
    /// # Errors
    /// When the database cannot be opened.
    pub fn open(
        configs: &[ChannelConfig],
        config_dir: &Path,
        database: &Path,
        locale: crate::model::Locale,
        tz: chrono_tz::Tz,
    ) -> Result<(ChannelNotifier, Vec<ChannelError>), NotifyError> {
        let mut channels = Vec::new();
        let mut errors = Vec::new();
        for c in configs {
            match Channel::build(c, config_dir, locale, tz) {
                Ok(ch) => channels.push(ch),
                Err(e) => errors.push(e),
            }
        }
        let mut store = Store::open(database)?;
        settle_interrupted(&mut store)?;
        Ok((
            ChannelNotifier {
                channels,
                store,
                stop: CancellationToken::new(),
                public_url: None,
            },
            errors,
        ))
    }

    /// Sets the console's address (`[web] public_url`): messages link to the incident's page.
    pub fn set_public_url(&mut self, url: Option<String>) {
        self.public_url = url;
    }

    /// Takes new settings (a reload): builds the channels again, says which were added, removed or
    /// changed, and registers the new set in the outbox so that detection queues rows for them from now
    /// on. Rows already queued for a removed channel stay in the outbox, unsent, and are counted in the
    /// log; those of a changed channel go with its new settings. A channel that cannot be built (its
    /// secret unreadable) is left out and its error returned: its rows wait.
    ///
    /// # Errors
    /// When the database fails; the worker then keeps its channels and the registration is unchanged.
    pub fn apply(&mut self, settings: &ChannelSettings) -> Result<Vec<ChannelError>, NotifyError> {
        let old: Vec<ChannelConfig> = self.channels.iter().map(|c| c.config.clone()).collect();
        let mut removed = Vec::new();
        for o in &old {
            if !settings.channels.iter().any(|c| c.name == o.name) {
                removed.push((o.name.as_str(), self.store.outbox_channel_pending(&o.name)?));
            }
        }
        self.store
            .set_outbox_channels(&outbox_channels(&settings.channels))?;
        let mut channels = Vec::new();
        let mut errors = Vec::new();
        for c in &settings.channels {
            match Channel::build(c, &settings.config_dir, settings.locale, settings.tz) {
                Ok(ch) => channels.push(ch),
                Err(e) => errors.push(e),
            }
        }
        for c in &settings.channels {
            match old.iter().find(|o| o.name == c.name) {
                None => tracing::info!(channel = %c.name, kind = c.kind.as_str(), "Channel added."),
                Some(o) if o != c => {
                    tracing::info!(channel = %c.name, kind = c.kind.as_str(), "Channel changed.")
                }
                Some(_) => {}
            }
        }
        for (name, waiting) in removed {
            tracing::info!(channel = %name, waiting, "Channel removed; its unsent messages stay in the outbox.");
        }
        self.channels = channels;
        self.public_url = settings.public_url.clone();
        Ok(errors)
    }

    /// The database connection the worker uses.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// One pass at `now`: for every channel, fold what it holds if it may speak, then send what is due.
    ///
    /// # Errors
    /// Only when the database fails; delivery failures are recorded on their rows.
    pub async fn pass(&mut self, now: DateTime<Utc>) -> Result<PassReport, NotifyError> {
        self.pass_due_before(now, now).await
    }

    async fn pass_due_before(
        &mut self,
        now: DateTime<Utc>,
        due_before: DateTime<Utc>,
    ) -> Result<PassReport, NotifyError> {
        let mut report = PassReport::default();
        for i in 0..self.channels.len() {
            if self.stop.is_cancelled() {
                break;
            }
            self.channel_pass(i, now, due_before, &mut report).await?;
        }
        Ok(report)
    }

    async fn channel_pass(
        &mut self,
        i: usize,
        now: DateTime<Utc>,
        due_before: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<(), NotifyError> {
        let channel = &self.channels[i];
        let name = channel.name().to_owned();
        let schedule = Schedule {
            tz: channel.voice.tz,
            digest_at: chrono::NaiveTime::MIN,
            every: super::config::Every::Day,
            quiet: channel.config.quiet_times().ok().flatten(),
        };
        let cap = channel.config.max_per_hour;
        let quiet = is_quiet(now, &schedule);
        let mut sent_hour = self
            .store
            .outbox_channel_sent_since(&name, now - chrono::Duration::hours(1))?;
        if !quiet && sent_hour < cap {
            self.fold_held(&name, now, report)?;
        }
        loop {
            let rows = self.store.outbox_channel_due(&name, due_before, 64)?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in rows {
                if self.stop.is_cancelled() {
                    return Ok(());
                }
                let n = &row.notification;
                let summary = n.kind == NotificationKind::Digest;
                let urgent = n.severity == crate::model::Severity::Critical && n.kind.is_incident();
                let hold = if summary {
                    None
                } else if quiet && !urgent {
                    Some("quiet hours")
                } else if sent_hour >= cap {
                    Some("hourly cap reached")
                } else {
                    None
                };
                if let Some(reason) = hold {
                    self.store.outbox_hold(row.id, reason)?;
                    tracing::info!(channel = %name, notification = row.id, reason, "Channel message held for a summary.");
                    report.held += 1;
                    continue;
                }
                let out = self.request(i, &row, now);
                let keyed = self.channels[i].config.kind.idempotent();
                if !keyed {
                    // Committed before the request leaves: a stop before its answer is recorded leaves
                    // this trace, and the row is then not sent a second time.
                    self.store.outbox_begin_attempt(row.id, now)?;
                }
                match self.channels[i].send(&out).await {
                    Ok(answer) => {
                        self.store.outbox_mark_sent(
                            row.id,
                            now,
                            &answer.to_string(),
                            false,
                            None,
                        )?;
                        tracing::info!(channel = %name, notification = row.id, kind = n.kind.as_str(), response = %answer, "Channel message sent.");
                        sent_hour += 1;
                        report.sent += 1;
                    }
                    Err(e) if !keyed && e.may_have_arrived() => {
                        let error = format!("{e}; {UNCERTAIN}");
                        self.store.outbox_mark_uncertain(row.id, &error)?;
                        tracing::warn!(channel = %name, notification = row.id, error = %e, "Channel message may have arrived without an answer; it is not sent again (see `veille outbox`).");
                        report.uncertain += 1;
                    }
                    Err(e) if e.is_transient() => {
                        if row.attempts + 1 >= MAX_ATTEMPTS {
                            let error = format!("gave up after {MAX_ATTEMPTS} attempts: {e}");
                            self.store.outbox_mark_failed(row.id, &error)?;
                            tracing::error!(channel = %name, notification = row.id, error = %error, "Channel message abandoned; see `veille outbox`.");
                            report.failed += 1;
                            continue;
                        }
                        let wait = e
                            .retry_after()
                            .and_then(|d| chrono::Duration::from_std(d).ok())
                            .unwrap_or_else(|| backoff(row.attempts));
                        let next = now + wait;
                        self.store.outbox_mark_retry(row.id, next, &e.to_string())?;
                        tracing::warn!(channel = %name, notification = row.id, attempts = row.attempts + 1, retry_at = %next.to_rfc3339(), error = %e, "Channel message deferred; it will be tried again.");
                        report.deferred += 1;
                        // Keep the order: the rows behind it wait for it.
                        return Ok(());
                    }
                    Err(e) => {
                        self.store.outbox_mark_failed(row.id, &e.to_string())?;
                        tracing::error!(channel = %name, notification = row.id, error = %e, "Channel message refused for good; see `veille outbox`.");
                        report.failed += 1;
                    }
                }
            }
        }
    }

    /// Folds the rows `name` holds into one summary row, queued at once.
    fn fold_held(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<(), NotifyError> {
        let held = self.store.outbox_channel_held(name)?;
        if held.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = held.iter().map(|r| r.id).collect();
        let items: Vec<Notification> = held.into_iter().map(|r| r.notification).collect();
        let severity = items.iter().map(|n| n.severity).max().unwrap_or_default();
        let mut brands: Vec<&str> = Vec::new();
        for n in &items {
            if !brands.contains(&n.brand.as_str()) {
                brands.push(&n.brand);
            }
        }
        let mut summary =
            Notification::new(NotificationKind::Digest, severity, brands.join(", "), now);
        // The most telling mentions of what it folds, most telling first within each.
        summary.mentions = items.iter().flat_map(|n| n.mentions.clone()).collect();
        summary.items = items;
        let id = self
            .store
            .outbox_queue_channel_summary(name, &summary, &ids, now)?;
        tracing::info!(channel = %name, notification = id, carried = ids.len(), "Channel summary queued.");
        report.digests += 1;
        Ok(())
    }

    /// The request for `row` on channel `i`: its card in the channel's words, keyed by the decision.
    fn request(&self, i: usize, row: &OutboxRow, now: DateTime<Utc>) -> Outgoing {
        let channel = &self.channels[i];
        let n = &row.notification;
        let card = Card::of(
            n,
            &channel.voice,
            channel.config.max_mentions,
            self.public_url.as_deref(),
        );
        let key = row
            .event_key
            .clone()
            .unwrap_or_else(|| format!("outbox/{}", row.id));
        channel.request(n, &card, &key, now)
    }

    /// Sends until `token` is cancelled: a pass now, then whenever a row is due (at least every few
    /// seconds, to see new rows), and takes the settings `changes` brings (a reload) between passes.
    /// Cancellation is honoured between messages, never inside a request.
    pub async fn run(
        mut self,
        token: CancellationToken,
        mut changes: tokio::sync::watch::Receiver<ChannelSettings>,
    ) {
        self.stop = token.clone();
        tracing::info!(channels = self.channels.len(), "Channel notifier started.");
        let mut reloads = true;
        loop {
            if let Err(e) = self.pass(Utc::now()).await {
                tracing::error!(error = %e, "Channel outbox pass failed; it will be tried again.");
            }
            let wait = wait_for(self.store.outbox_channel_next_due());
            tokio::select! {
                () = token.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
                changed = changes.changed(), if reloads => {
                    if changed.is_err() {
                        // The daemon dropped its side: no reload will come, keep sending.
                        reloads = false;
                        continue;
                    }
                    let settings = changes.borrow_and_update().clone();
                    match self.apply(&settings) {
                        Ok(errors) => {
                            for e in errors {
                                tracing::error!(error = %e, "Channel not set up: its messages stay in the outbox.");
                            }
                            tracing::info!(channels = self.channels.len(), "Channels reloaded.");
                        }
                        Err(e) => tracing::error!(error = %e, "Channels not reloaded; the running ones stay."),
                    }
                }
            }
        }
        tracing::info!("Channel notifier stopped.");
    }

    /// Hands every pending channel row to its service, whatever its backoff says, within `limit`; what
    /// could not be delivered stays pending.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn flush(
        &mut self,
        now: DateTime<Utc>,
        limit: Duration,
    ) -> Result<PassReport, NotifyError> {
        let far = now + chrono::Duration::days(36_500);
        match tokio::time::timeout(limit, self.pass_due_before(now, far)).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!(
                    seconds = limit.as_secs(),
                    "Channel flush timed out; the rest stays pending."
                );
                Ok(PassReport::default())
            }
        }
    }
}

/// What an uncertain row's error says besides the cause.
const UNCERTAIN: &str = "it may have reached the service, which takes no idempotency key: not sent again, check the channel";

/// Marks uncertain the rows a previous process was handing to a service without an idempotency key when
/// it stopped, and says so once for each.
fn settle_interrupted(store: &mut Store) -> Result<(), NotifyError> {
    let error = format!("the daemon stopped before the answer was recorded; {UNCERTAIN}");
    for r in store.outbox_settle_interrupted(&error)? {
        tracing::warn!(
            channel = r.channel.as_deref().unwrap_or_default(),
            notification = r.id,
            kind = r.notification.kind.as_str(),
            "Channel message may have arrived before the stop; it is not sent again (see `veille outbox`)."
        );
    }
    Ok(())
}

/// What `veille run --once` calls for the channels: hand every pending channel row to its service within
/// `limit`. `None` when no channel is configured.
///
/// # Errors
/// When the database fails.
pub async fn flush_channels(
    config: &crate::config::Config,
    limit: Duration,
) -> Result<Option<PassReport>, NotifyError> {
    if config.channels.is_empty() {
        return Ok(None);
    }
    let dir = config_dir(&config.path);
    let (mut notifier, errors) = ChannelNotifier::open(
        &config.channels,
        &dir,
        &config.database,
        config.locale,
        config.timezone.0,
    )?;
    for e in errors {
        tracing::error!(error = %e, "Channel not set up: its messages stay in the outbox.");
    }
    notifier.flush(Utc::now(), limit).await.map(Some)
}
