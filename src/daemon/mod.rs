//! The daemon: the running service and its lifecycle.
//!
//! In: a validated configuration. Out: a process that polls each source when it is due, keeps the database
//! up to date, answers signals and tells systemd how it is doing. No business logic lives here: a poll is
//! [`crate::pipeline::poll_source`], validation is [`Config::load`].
//!
//! - `READY=1` once the database is open and migrated, the rules are loaded and the scheduler runs;
//!   `STATUS=` with a line a person understands; `WATCHDOG=1` from the scheduler loop, at half the
//!   watchdog interval, only while the loop turns; `STOPPING=1` when shutdown starts.
//! - Scheduling is `scheduler`'s: a due-time queue with admission within the HTTP limits, so a cycle costs
//!   time linear in the number of sources and holds only `[http] concurrency` polls in memory at once. A
//!   cycle ends when nothing is in flight or due; after one of at least 16 polls (or at most once a minute
//!   otherwise) the allocator hands its free pages back to the system, and the kernel drops the
//!   executable's pages the cycle touched ([`release_memory`]).
//! - SIGTERM / SIGINT: stop taking new work; polls still fetching, waiting for a core or reading are
//!   abandoned (nothing of them is written yet) and polls already handed to the writer commit (each is one
//!   transaction); then exit within the stop deadline. What is abandoned is fetched again next time.
//! - SIGHUP: reload the configuration and rules through the same validation as `veille check`; when they are
//!   invalid the running ones stay, and every problem is logged. Channels added, removed or changed (and
//!   their secret files) are taken by the channel worker between two messages.
//! - A database fault that waiting may clear ([`StoreFault`]: a full disk, a lock held elsewhere beyond the
//!   busy timeout, a passing I/O error) never ends the process — a restart would meet it again, and
//!   systemd's start limit would leave the service dead. No new poll is admitted but one probe after a
//!   growing backoff; the failed polls' sources stay due, so their items are fetched again once the probe
//!   writes. The fault shows in `STATUS=`, the `veille_store_fault` gauge and the status file beside the
//!   database that `veille status` reads ([`crate::store::status_file`]). A start on such a database
//!   waits the same way ([`Daemon::start_waiting`]).

pub(crate) mod scheduler;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::analysis::Analyzer;
use crate::config::{Config, ConfigErrors};
use crate::pipeline::{PollReport, Stages, poll_source};
use crate::store::status_file::{DaemonPhase, DaemonStatus, StatusFile};
use crate::store::writer::{self, WriterThread};
use crate::store::{Store, StoreError, StoreFault};
use scheduler::{Limits, Scheduler};

/// How long `veille run --once` may spend handing pending emails to the server before it exits.
pub const FLUSH_DEADLINE: Duration = Duration::from_secs(30);

/// How often detection's clock moves when no mention arrives (so that incidents resolve in quiet times).
const TICK: Duration = Duration::from_secs(60);

/// How long shutdown may take before what is left is abandoned.
pub const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// Least time between two `STATUS=` updates while polls finish (each one is a message to systemd).
const STATUS_EVERY: Duration = Duration::from_secs(1);
/// How often the status file is written again while all is well (for the console's figures).
const STATUS_FILE_EVERY: Duration = Duration::from_secs(15);

/// A cycle of at least this many polls hands its memory back at its end (and is logged at info level).
const TRIM_AFTER_POLLS: usize = 16;

/// Otherwise memory is handed back at the end of a cycle at most this often.
const TRIM_EVERY: Duration = Duration::from_secs(60);

/// The process's resident memory in MiB (0 where `/proc` cannot say).
fn resident_mib() -> u64 {
    // statm: size resident shared … in pages.
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    pages * page / (1024 * 1024)
}

/// Hands the allocator's free memory back to the system, and the executable's pages the cycle touched.
///
/// glibc keeps the pages freed by a cycle's polls in its per-thread arenas (300 MB idle after a
/// 10,000-source cycle, of which 30 MB in use); `malloc_trim` returns them. Other C libraries return
/// memory on their own: nothing to do there. Then [`page_out_executable`]: with five sources, 15 of the
/// 26 MiB resident at rest were the executable's own pages (start-up, configuration, migrations, one
/// poll), while the allocator's arenas held nothing to return — `M_ARENA_MAX` = 2 and one to eight
/// tokio workers left the 11 MiB of heap unchanged (see `examples/bench_daemon.rs` and the issue's
/// note). Called once a cycle is over, when little is allocated; it walks every arena, so it is not
/// called after every poll.
pub fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own free lists; it is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
    #[cfg(target_os = "linux")]
    if let Err(e) = page_out_executable() {
        tracing::debug!(error = %e, "Executable pages kept in memory.");
    }
}

/// Asks the kernel to drop the resident pages of the executable's read-only mappings (`MADV_PAGEOUT`,
/// Linux 5.4 and later): they are clean copies of the file, read back on their next touch. The daemon
/// touches about 8 MiB of its code during a cycle and most of the rest only at start, so between cycles
/// this is memory held for nothing (measured on a release build with five sources: 25.0 MiB resident
/// before, 12.6 MiB after, 18.6 MiB after the next two cycles had touched what they need). Returns the
/// bytes advised.
///
/// # Errors
/// When `/proc/self` cannot be read, or the kernel refuses the advice (older than 5.4: `EINVAL`).
#[cfg(target_os = "linux")]
pub fn page_out_executable() -> std::io::Result<usize> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let mut advised = 0;
    for line in maps.lines() {
        // address perms offset dev inode path (the path may hold spaces).
        let mut fields = line.splitn(6, char::is_whitespace);
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let path = fields.nth(3).map(str::trim_start);
        if perms.contains('w') || path.map(std::path::Path::new) != Some(exe.as_path()) {
            continue;
        }
        let Some((start, end)) = range.split_once('-').and_then(|(a, b)| {
            Some((
                usize::from_str_radix(a, 16).ok()?,
                usize::from_str_radix(b, 16).ok()?,
            ))
        }) else {
            continue;
        };
        // SAFETY: [start, end) is a whole read-only, file-backed mapping of this process's executable, as
        // the kernel lists it: paging it out changes no byte the process can see, only whether the page is
        // resident (it is read back from the file on its next touch).
        let rc =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        advised += end - start;
    }
    Ok(advised)
}

/// Why the daemon could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Setup(String),
}

/// Makes any panic outside the parsing of untrusted input fatal: it is logged, and the process aborts so that
/// systemd restarts a clean one rather than leaving a half-alive daemon (a task that died while the others
/// go on). Panics while parsing a feed stay that feed's error: the parser runs behind `catch_unwind`, which
/// is why the build keeps unwinding instead of `panic = "abort"`.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if crate::sources::parse::PARSING_UNTRUSTED.with(std::cell::Cell::get) {
            tracing::debug!(panic = %info, "The feed parser panicked; the source gets an error.");
            return;
        }
        tracing::error!(panic = %info, "A task panicked: this is a bug. Aborting so that the service restarts clean.");
        default(info);
        std::process::abort();
    }));
}

/// The summary of `veille run --once`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnceSummary {
    pub sources_ok: usize,
    pub sources_failed: usize,
    pub new_mentions: usize,
    pub items: usize,
    pub seconds: f64,
}

impl std::fmt::Display for OnceSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} sources ok, {} failed; {} items, {} new mentions in {:.2} s",
            self.sources_ok, self.sources_failed, self.items, self.new_mentions, self.seconds
        )
    }
}

/// Hands pending outbox rows to the mail server within [`FLUSH_DEADLINE`]; logs what it could not do.
async fn flush_outbox(
    email: Option<&crate::notify::EmailConfig>,
    config_dir: &std::path::Path,
    database: &std::path::Path,
) {
    if email.is_none() {
        tracing::info!(
            "No [email] table in the configuration: notifications stay in the outbox, unsent."
        );
    }
    match crate::notify::flush(email, config_dir, database, FLUSH_DEADLINE).await {
        Ok(Some(r)) if r != crate::notify::PassReport::default() => tracing::info!(
            sent = r.sent,
            held = r.held,
            failed = r.failed,
            deferred = r.deferred,
            "Outbox flushed."
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "Outbox not flushed; the rows stay pending."),
    }
}

/// The analysis stage a configuration describes.
///
/// # Errors
/// The rules' problems, as configuration errors.
pub fn build_analyzer(config: &Config) -> Result<Analyzer, ConfigErrors> {
    crate::config::rules::load_checked(&config.rules)
        .map(Analyzer::new)
        .map_err(ConfigErrors)
}

/// When the main loop last did each of its periodic things.
struct Clocks {
    last_cycle: Option<Instant>,
    cycle_started: Option<Instant>,
    last_tick: Instant,
    last_prune: Option<Instant>,
    last_trim: Instant,
}

impl Clocks {
    fn new() -> Clocks {
        Clocks {
            last_cycle: None,
            cycle_started: None,
            last_tick: Instant::now(),
            last_prune: None,
            last_trim: Instant::now(),
        }
    }
}

/// A started daemon: the database is open and every stage is built.
pub struct Daemon {
    config: Config,
    stages: Stages,
    writer_thread: WriterThread,
    scheduler: Scheduler,
    /// Open incidents, as last read from the database (for `STATUS=`).
    open_incidents: u64,
    /// The database fault being waited out, as `STATUS=` shows it first.
    fault_line: Option<String>,
    /// The time `run --once` takes for now, when given (`--at`); the system clock otherwise.
    clock: Option<chrono::DateTime<Utc>>,
    /// Hands the channel worker its new settings on reload.
    channel_settings: Option<tokio::sync::watch::Sender<crate::notify::worker::ChannelSettings>>,
}

/// A database fault the daemon is waiting out: no new poll is admitted but one probe after each backoff.
struct FaultWait {
    fault: StoreFault,
    since: chrono::DateTime<Utc>,
    /// Failed probes so far (the backoff grows with them).
    failures: u32,
    /// Whether the poll in flight is the probe (its failure grows the backoff; polls already running
    /// when the fault began do not).
    probing: bool,
    next_probe: Instant,
    detail: String,
}

/// The voice of the status line systemd shows: the configuration's language and clock.
fn status_voice(config: &Config) -> crate::i18n::Voice {
    crate::i18n::Voice::new(config.locale, config.timezone.0)
}

/// The wait before the next try after `failures` failed ones: 1 s, doubling, at most 60 s.
fn fault_backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(6)).min(Duration::from_secs(60))
}

/// Writes the daemon's state beside the database for `veille status`, opening the file on first use.
/// A failure is logged once per opening attempt and never stops the daemon.
fn write_status_file(
    file: &mut Option<StatusFile>,
    database: &std::path::Path,
    phase: DaemonPhase,
    fault: Option<(StoreFault, chrono::DateTime<Utc>)>,
    detail: Option<String>,
) {
    if file.is_none() {
        match StatusFile::open(database) {
            Ok(f) => *file = Some(f),
            Err(e) => {
                tracing::warn!(error = %e, "The status file beside the database cannot be written; `veille status` will not see this state.");
                return;
            }
        }
    }
    let status = DaemonStatus {
        pid: std::process::id(),
        phase,
        fault: fault.map(|(f, _)| f),
        fault_since: fault.map(|(_, t)| t),
        detail,
        updated: Utc::now(),
        web: crate::metrics::METRICS.web_state(),
    };
    if let Some(Err(e)) = file.as_ref().map(|f| f.write(&status)) {
        tracing::warn!(error = %e, "The status file beside the database cannot be updated.");
    }
}

impl Daemon {
    /// Opens the database, applies migrations and builds the stages.
    ///
    /// # Errors
    /// When the rules are invalid, the database cannot be opened, or HTTP cannot be set up.
    pub fn start(config: Config) -> Result<Daemon, DaemonError> {
        let analyzer = build_analyzer(&config)?;
        let mut store = Store::open(&config.database)?;
        // Before detection runs: its transactions queue a row for each channel registered here.
        store.set_outbox_channels(&crate::notify::worker::outbox_channels(&config.channels))?;
        let scheduler = Scheduler::new(
            &config.sources,
            store.source_states()?,
            Limits::of(&config.http),
            Utc::now(),
        );
        let fetcher = config
            .http
            .build()
            .map_err(|e| DaemonError::Setup(e.to_string()))?;
        let detector = crate::pipeline::detect::Detector::load(
            &store,
            crate::pipeline::detect::spec_of(analyzer.rules()),
            Utc::now(),
        )?;
        let (writer, writer_thread) = writer::spawn(store, Box::new(detector));
        let stages = Stages {
            fetcher: Arc::new(fetcher),
            analyzer: Arc::new(analyzer),
            writer,
            backoff_cap: config.http.max_backoff.0,
            read_budget: config.http.read_budget.0,
            cpu: Arc::new(tokio::sync::Semaphore::new(Stages::cpu_permits())),
            shutdown: CancellationToken::new(),
        };
        Ok(Daemon {
            config,
            stages,
            writer_thread,
            scheduler,
            open_incidents: 0,
            fault_line: None,
            clock: None,
            channel_settings: None,
        })
    }

    /// [`Daemon::start`] for the service: a database fault that waiting may clear (a full disk, a lock
    /// held by another program) does not end the process — systemd's start limit would soon leave the
    /// service dead — but is retried with backoff, said in `STATUS=` and the status file, while the start
    /// timeout is extended. `None` when a stop signal came first.
    ///
    /// # Errors
    /// As [`Daemon::start`], for every other error.
    pub async fn start_waiting(config: Config) -> Result<Option<Daemon>, DaemonError> {
        use tokio::signal::unix::{SignalKind, signal};
        let setup =
            |e: std::io::Error| DaemonError::Setup(format!("cannot listen for signals: {e}"));
        let mut sigterm = signal(SignalKind::terminate()).map_err(setup)?;
        let mut sigint = signal(SignalKind::interrupt()).map_err(setup)?;
        let watchdog = sd_notify::watchdog_enabled().map(|d| d / 2);
        let mut failures = 0u32;
        let mut since = None;
        let mut file = None;
        loop {
            let e = match Daemon::start(config.clone()) {
                Err(DaemonError::Store(e)) if e.is_transient() => e,
                Ok(daemon) => {
                    if failures > 0 {
                        tracing::info!("Database usable again; starting.");
                        crate::metrics::METRICS.set_store_fault(None);
                    }
                    return Ok(Some(daemon));
                }
                Err(e) => return Err(e),
            };
            let fault = e.fault().unwrap_or(StoreFault::Io);
            failures += 1;
            let since = *since.get_or_insert_with(Utc::now);
            let wait = fault_backoff(failures).min(watchdog.unwrap_or(Duration::MAX));
            if failures == 1 {
                tracing::warn!(fault = fault.as_str(), error = %e, "Database unusable at start; waiting and retrying.");
            }
            crate::metrics::METRICS.set_store_fault(Some(fault));
            let line = status_voice(&config).say(
                "status-line-unusable",
                &[
                    (
                        "fault",
                        crate::i18n::words::store_fault(&status_voice(&config), fault).into(),
                    ),
                    ("seconds", wait.as_secs().max(1).into()),
                ],
            );
            let extend = (wait + Duration::from_secs(30))
                .as_micros()
                .min(u128::from(u32::MAX)) as u32;
            let _ = sd_notify::notify(&[
                sd_notify::NotifyState::Status(&line),
                sd_notify::NotifyState::ExtendTimeoutUsec(extend),
            ]);
            if watchdog.is_some() {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
            }
            write_status_file(
                &mut file,
                &config.database,
                DaemonPhase::Starting,
                Some((fault, since)),
                Some(e.to_string()),
            );
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = sigterm.recv() => { tracing::info!(signal = "SIGTERM", "Stopping."); return Ok(None) }
                _ = sigint.recv() => { tracing::info!(signal = "SIGINT", "Stopping."); return Ok(None) }
            }
        }
    }

    /// Polls every enabled source once, admitted within the HTTP limits, then closes the database.
    ///
    /// # Errors
    /// Only when the database cannot be written.
    pub async fn run_once(mut self) -> Result<OnceSummary, DaemonError> {
        let started = Instant::now();
        let start_time = self.now();
        self.scheduler.all_due(start_time);
        let mut set = tokio::task::JoinSet::new();
        let mut summary = OnceSummary::default();
        let mut store_error = None;
        loop {
            while let Some(start) = self.scheduler.next_start(start_time) {
                let stages = self.stages.clone();
                let now = self.now();
                set.spawn(async move {
                    let report = poll_source(&stages, &start.source, start.previous, now).await;
                    (start.source.name.clone(), report)
                });
            }
            let Some(joined) = set.join_next().await else {
                break;
            };
            let (name, report) =
                joined.map_err(|join| DaemonError::Setup(format!("a poll task failed: {join}")))?;
            match report {
                Ok(None) => {
                    self.scheduler.finished(&name, None, None, self.now());
                }
                Ok(Some(report)) => {
                    summary.items += report.items;
                    summary.new_mentions += report.new_mentions;
                    if report.error.is_some() {
                        summary.sources_failed += 1;
                    } else {
                        summary.sources_ok += 1;
                    }
                    self.scheduler
                        .finished(&name, Some(report.state), None, self.now());
                }
                Err(e) => {
                    store_error = Some(e);
                    self.scheduler.finished(&name, None, None, self.now());
                }
            }
        }
        // Let detection judge the buckets that closed meanwhile (calm, resolution), then the sources'
        // health.
        if let Err(e) = self.stages.writer.tick(self.now()).await {
            store_error.get_or_insert(e);
        }
        if let Err(e) = self.check_sources(self.now()).await {
            store_error.get_or_insert(e);
        }
        summary.seconds = started.elapsed().as_secs_f64();
        let email = self.config.email.clone();
        let config_dir = crate::notify::worker::config_dir(&self.config.path);
        let database = self.config.database.clone();
        let config = self.config.clone();
        self.close(None);
        if store_error.is_none() {
            self::flush_outbox(email.as_ref(), &config_dir, &database).await;
            match crate::notify::worker::flush_channels(&config, FLUSH_DEADLINE).await {
                Ok(Some(r)) if r != crate::notify::PassReport::default() => tracing::info!(
                    sent = r.sent,
                    held = r.held,
                    failed = r.failed,
                    deferred = r.deferred,
                    "Channel outbox flushed."
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "Channel outbox not flushed; the rows stay pending.")
                }
            }
        }
        match store_error {
            Some(e) => Err(e.into()),
            None => Ok(summary),
        }
    }

    /// Takes `at` for now in [`Daemon::run_once`]: the polls' times, detection's clock and the check of
    /// sources that go blind (`veille run --once --at`, to see what the daemon would do then).
    pub fn at(mut self, at: chrono::DateTime<Utc>) -> Daemon {
        self.clock = Some(at);
        self
    }

    fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// Judges every source's health at `now` ([`crate::pipeline::blind`]); `source` incidents open or
    /// resolve in the writer's transaction.
    async fn check_sources(&self, now: chrono::DateTime<Utc>) -> Result<usize, StoreError> {
        let check =
            crate::pipeline::blind::SourceCheck::of(&self.config, self.stages.analyzer.rules());
        self.stages
            .writer
            .run(move |tx| crate::pipeline::blind::check_sources(tx, &check, now))
            .await
    }

    /// Closes the database once the last write is committed.
    /// Drops the stages and waits for the writer to commit and close, at most `within` when given;
    /// `false` when it was still busy then.
    fn close(self, within: Option<Duration>) -> bool {
        let Daemon {
            stages,
            writer_thread,
            ..
        } = self;
        drop(stages);
        match within {
            Some(d) => writer_thread.join_timeout(d),
            None => {
                writer_thread.join();
                true
            }
        }
    }

    /// Runs until `token` is cancelled or a stop signal arrives.
    ///
    /// # Errors
    /// When the database can no longer be written (systemd then restarts the service).
    pub async fn run(mut self, token: CancellationToken) -> Result<(), DaemonError> {
        use tokio::signal::unix::{SignalKind, signal};
        let setup =
            |e: std::io::Error| DaemonError::Setup(format!("cannot listen for signals: {e}"));
        let mut sigterm = signal(SignalKind::terminate()).map_err(setup)?;
        let mut sigint = signal(SignalKind::interrupt()).map_err(setup)?;
        let mut sighup = signal(SignalKind::hangup()).map_err(setup)?;

        let tracker = TaskTracker::new();
        type Report = (String, Result<Option<PollReport>, StoreError>);
        // Unbounded, yet never more than the polls in flight (the scheduler admits at most `concurrency`):
        // a poll's report never waits, even once the loop has stopped reading.
        let (report_tx, mut report_rx) = tokio::sync::mpsc::unbounded_channel::<Report>();
        let watchdog = sd_notify::watchdog_enabled().map(|d| d / 2);
        let mut last_watchdog = Instant::now();
        let mut clocks = Clocks::new();
        let mut last_status = Instant::now();
        let mut last_status_file: Option<Instant> = None;
        let mut status_dirty = false;
        let mut fatal: Option<StoreError> = None;
        let mut fault: Option<FaultWait> = None;
        let mut status_file: Option<StatusFile> = None;
        write_status_file(
            &mut status_file,
            &self.config.database,
            DaemonPhase::Running,
            None,
            None,
        );
        crate::metrics::METRICS.set_store_fault(None);

        let metrics_token = token.child_token();
        if let Some(metrics) = self.config.metrics.clone() {
            let db = self.config.database.clone();
            let metrics_token = metrics_token.clone();
            // Bind before READY=1, so that a bad address fails the start rather than going unnoticed.
            let listener_check = std::net::TcpListener::bind(metrics.listen).map_err(|e| {
                DaemonError::Setup(format!(
                    "[metrics] cannot listen on {}: {e}",
                    metrics.listen
                ))
            })?;
            drop(listener_check);
            tracker.spawn(async move {
                if let Err(e) = crate::metrics::serve(metrics, db, metrics_token).await {
                    tracing::error!(error = %e, "Metrics endpoint stopped.");
                }
            });
        }
        if let Some(web) = self.config.web.clone() {
            // Bound before READY=1 too: a console that cannot listen fails the start.
            let console = crate::web::Console::new(web, &self.config);
            let listener = console
                .bind()
                .map_err(|e| DaemonError::Setup(e.to_string()))?;
            let web_token = metrics_token.clone();
            tracker.spawn(async move {
                if let Err(e) = console.serve(listener, web_token).await {
                    tracing::error!(error = %e, "Console stopped.");
                }
            });
        }
        let notify_token = token.child_token();
        self.spawn_notifier(&tracker, notify_token.clone());

        if let Ok(h) = Store::open_read_only(&self.config.database).and_then(|s| s.health()) {
            self.open_incidents = h.open_incidents;
        }
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        self.notify_status(clocks.last_cycle, None);
        tracing::info!(
            sources = self.config.sources.iter().filter(|s| s.enabled).count(),
            db = %self.config.database.display(),
            "Daemon started."
        );

        loop {
            let now = Utc::now();
            // While the database cannot be written, ticks and pruning wait too: they would only fail.
            if fault.is_none() {
                // Detection's tick waits for the writer, which may be in a long transaction: a stop signal
                // must not wait behind it.
                let failed = tokio::select! {
                    failed = self.housekeeping(&mut clocks, now) => failed,
                    () = token.cancelled() => break,
                    _ = sigterm.recv() => { tracing::info!(signal = "SIGTERM", "Stopping."); break }
                    _ = sigint.recv() => { tracing::info!(signal = "SIGINT", "Stopping."); break }
                };
                if let Some(e) = failed {
                    self.store_fault(&mut fault, &e, &mut status_file, clocks.last_cycle);
                }
            }
            // While the database cannot be written, fetching more would only pile up what cannot be kept:
            // no poll is admitted but one probe at a time, after the backoff.
            let mut admit = match fault.as_mut() {
                None => usize::MAX,
                Some(f) if self.scheduler.in_flight() == 0 && Instant::now() >= f.next_probe => {
                    f.probing = true;
                    1
                }
                Some(_) => 0,
            };
            while admit > 0
                && let Some(start) = self.scheduler.next_start(now)
            {
                admit -= 1;
                clocks.cycle_started.get_or_insert_with(Instant::now);
                let stages = self.stages.clone();
                let tx = report_tx.clone();
                tracker.spawn(async move {
                    let report = poll_source(&stages, &start.source, start.previous, now).await;
                    let _ = tx.send((start.source.name.clone(), report));
                });
            }
            let next_wake = match &fault {
                // Sources stay due during a fault: the next try is the probe's.
                Some(f) => {
                    let probe_in = f.next_probe.saturating_duration_since(Instant::now());
                    now + chrono::Duration::from_std(probe_in.min(Duration::from_secs(60)))
                        .unwrap_or_default()
                }
                None => self
                    .scheduler
                    .next_due()
                    .map_or(now + chrono::Duration::seconds(60), |due| {
                        due.min(now + chrono::Duration::seconds(60))
                    }),
            };
            let sleep_for = (next_wake - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .max(Duration::from_millis(50));
            let sleep_for = watchdog.map_or(sleep_for, |w| sleep_for.min(w));
            // With a console, wake for its state in the status file too.
            let sleep_for = if self.config.web.is_some() {
                sleep_for.min(STATUS_FILE_EVERY)
            } else {
                sleep_for
            };
            let mut cycle_ended = false;
            tokio::select! {
                () = token.cancelled() => break,
                _ = sigterm.recv() => { tracing::info!(signal = "SIGTERM", "Stopping."); break }
                _ = sigint.recv() => { tracing::info!(signal = "SIGINT", "Stopping."); break }
                _ = sighup.recv() => self.reload().await,
                Some((name, report)) = report_rx.recv() => match report {
                    Ok(None) => {
                        cycle_ended |= self.scheduler.finished(&name, None, None, Utc::now());
                    }
                    Ok(Some(report)) => {
                        if let Some(f) = fault.take() {
                            tracing::info!(fault = f.fault.as_str(), since = %f.since, "Database writable again; polling resumes.");
                            crate::metrics::METRICS.set_store_fault(None);
                            self.fault_line = None;
                            write_status_file(&mut status_file, &self.config.database, DaemonPhase::Running, None, None);
                        }
                        cycle_ended |= self.scheduler.finished(&report.source, Some(report.state), None, Utc::now());
                        status_dirty = true;
                    }
                    Err(e) if e.is_transient() => {
                        // A full disk or a locked database: nothing of this poll was written and the
                        // source's saved state is unchanged, so it is due again at once and its items are
                        // fetched again once a probe finds the database writable. Nothing lost, nothing twice.
                        cycle_ended |= self.scheduler.finished(&name, None, Some(Utc::now()), Utc::now());
                        self.store_fault(&mut fault, &e, &mut status_file, clocks.last_cycle);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "Database write failed; stopping so that the service restarts.");
                        fatal = Some(e);
                        break;
                    }
                },
                () = tokio::time::sleep(sleep_for) => {}
            }
            if cycle_ended {
                self.end_cycle(&mut clocks);
                status_dirty = true;
            }
            if status_dirty && (cycle_ended || last_status.elapsed() >= STATUS_EVERY) {
                self.notify_status(clocks.last_cycle, None);
                last_status = Instant::now();
                status_dirty = false;
            }
            // The console's state (listening, requests) reaches `veille status` through the status file.
            if fault.is_none()
                && self.config.web.is_some()
                && last_status_file.is_none_or(|t: Instant| t.elapsed() >= STATUS_FILE_EVERY)
            {
                write_status_file(
                    &mut status_file,
                    &self.config.database,
                    DaemonPhase::Running,
                    None,
                    None,
                );
                last_status_file = Some(Instant::now());
            }
            // A poll may fetch (the HTTP timeout), wait for a reading slot behind the other polls in flight
            // and read within its budget: only far beyond all that is it stuck.
            let budget = self.stages.read_budget;
            let stuck_after = self.config.http.timeout.0 * 2
                + Duration::from_secs(60)
                + budget.saturating_mul(
                    u32::try_from(self.config.http.concurrency)
                        .unwrap_or(u32::MAX)
                        .saturating_add(1),
                );
            let wedged = self
                .scheduler
                .oldest_in_flight()
                .is_some_and(|started| started.elapsed() > stuck_after);
            if wedged {
                tracing::error!(
                    "A poll has been running far beyond the HTTP timeout; the watchdog is no longer fed."
                );
            }
            if let Some(w) = watchdog.filter(|_| !wedged)
                && last_watchdog.elapsed() >= w
            {
                let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
                last_watchdog = Instant::now();
            }
        }

        let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
        let stop_started = Instant::now();
        metrics_token.cancel();
        // Polls still fetching, waiting for a reading slot or reading are abandoned (nothing of them is
        // written yet); polls already handed to the writer finish their one transaction.
        self.stages.shutdown.cancel();
        notify_token.cancel();
        tracker.close();
        drop(report_tx);
        // Nothing reads reports any more: a poll that finishes now sends into a closed channel and ends.
        drop(report_rx);
        if tokio::time::timeout(STOP_DEADLINE, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "Stop deadline reached; abandoning the work in flight (it will be done again)."
            );
        }
        let left = STOP_DEADLINE
            .saturating_sub(stop_started.elapsed())
            .max(Duration::from_secs(1));
        let database = self.config.database.clone();
        if !self.close(Some(left)) {
            tracing::warn!(
                "The database writer did not finish in time; its open transaction is rolled back."
            );
        }
        write_status_file(
            &mut status_file,
            &database,
            DaemonPhase::Stopped,
            None,
            fatal.as_ref().map(ToString::to_string),
        );
        tracing::info!("Daemon stopped.");
        match fatal {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Detection's clock once a minute (incidents resolve in quiet times), pruning once a day.
    /// A tick that fails on a fault waiting may clear (a full disk, a lock) returns that error.
    async fn housekeeping(
        &mut self,
        clocks: &mut Clocks,
        now: chrono::DateTime<Utc>,
    ) -> Option<StoreError> {
        let mut fault = None;
        if clocks.last_tick.elapsed() >= TICK {
            if let Err(e) = self.stages.writer.tick(now).await {
                tracing::error!(error = %e, "Detection could not judge the closed buckets.");
                if e.is_transient() {
                    fault = Some(e);
                }
            } else if let Err(e) = self.check_sources(now).await {
                tracing::error!(error = %e, "The sources' health could not be judged.");
                if e.is_transient() {
                    fault = Some(e);
                }
            }
            if let Ok(h) = Store::open_read_only(&self.config.database).and_then(|s| s.health()) {
                self.open_incidents = h.open_incidents;
            }
            clocks.last_tick = Instant::now();
        }
        if clocks
            .last_prune
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(86_400))
        {
            let before = now - chrono::Duration::days(i64::from(self.config.retention_days));
            match self.stages.writer.prune(before).await {
                Ok(n) if n > 0 => tracing::info!(pruned = n, "Old mentions pruned."),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "Pruning failed."),
            }
            clocks.last_prune = Some(Instant::now());
        }
        fault
    }

    /// A cycle is over (nothing in flight or due): the metrics and the log say so, and memory goes back.
    fn end_cycle(&mut self, clocks: &mut Clocks) {
        let polls = self.scheduler.take_cycle_polls();
        let seconds = clocks
            .cycle_started
            .take()
            .map_or(0.0, |t| t.elapsed().as_secs_f64());
        clocks.last_cycle = Some(Instant::now());
        crate::metrics::METRICS.last_cycle.store(
            Utc::now().timestamp().max(0) as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        // Sources spread over the interval end a "cycle" at nearly every poll: trimming then would cost more
        // than the poll (a walk of every arena). Trim after a real cycle, or once a minute.
        let held_mib = resident_mib();
        if polls >= TRIM_AFTER_POLLS || clocks.last_trim.elapsed() >= TRIM_EVERY {
            release_memory();
            clocks.last_trim = Instant::now();
        }
        let failing = self.scheduler.failing();
        let resident_mib = resident_mib();
        if polls >= TRIM_AFTER_POLLS {
            tracing::info!(
                polls,
                failing,
                seconds,
                held_mib,
                resident_mib,
                "Cycle finished."
            );
        } else {
            tracing::debug!(
                polls,
                failing,
                seconds,
                held_mib,
                resident_mib,
                "Cycle finished."
            );
        }
    }

    /// Starts the outbox worker when the configuration has an `[email]` table; says once that nothing will
    /// be sent when it has none, or when the mailer cannot be built (the rows wait in the outbox).
    fn spawn_notifier(&mut self, tracker: &TaskTracker, token: CancellationToken) {
        self.spawn_channel_notifier(tracker, token.clone());
        let Some(email) = &self.config.email else {
            tracing::info!(
                "No [email] table in the configuration: notifications stay in the outbox, unsent."
            );
            return;
        };
        let dir = crate::notify::worker::config_dir(&self.config.path);
        match crate::notify::Notifier::open(email, &dir, &self.config.database) {
            Ok(mut notifier) => {
                notifier
                    .set_public_url(self.config.web.as_ref().and_then(|w| w.public_url.clone()));
                tracker.spawn(notifier.run(token));
            }
            Err(e) => tracing::error!(
                error = %e,
                "Cannot start the notifier: notifications stay in the outbox, unsent."
            ),
        }
    }

    /// Starts the channels' outbox worker, with or without `[[channel]]` tables: a reload may add some.
    fn spawn_channel_notifier(&mut self, tracker: &TaskTracker, token: CancellationToken) {
        let c = &self.config;
        let settings = crate::notify::worker::ChannelSettings::of(c);
        match crate::notify::worker::ChannelNotifier::open(
            &c.channels,
            &settings.config_dir,
            &c.database,
            c.locale,
            c.timezone.0,
        ) {
            Ok((mut notifier, errors)) => {
                for e in errors {
                    tracing::error!(error = %e, "Channel not set up: its messages stay in the outbox.");
                }
                notifier.set_public_url(settings.public_url.clone());
                let (tx, rx) = tokio::sync::watch::channel(settings);
                self.channel_settings = Some(tx);
                tracker.spawn(notifier.run(token, rx));
            }
            Err(e) => tracing::error!(
                error = %e,
                "Cannot start the channel notifier: messages stay in the outbox, unsent."
            ),
        }
    }

    /// Enters (or extends) the wait for a database fault: backoff, log, metrics, `STATUS=`, status file.
    fn store_fault(
        &mut self,
        wait: &mut Option<FaultWait>,
        e: &StoreError,
        file: &mut Option<StatusFile>,
        last_cycle: Option<Instant>,
    ) {
        let kind = e.fault().unwrap_or(StoreFault::Io);
        let f = wait.get_or_insert_with(|| {
            tracing::warn!(fault = kind.as_str(), error = %e, "Database cannot be written; no new polls until it can, retrying with backoff (nothing is lost: the items are fetched again).");
            FaultWait {
                fault: kind,
                since: Utc::now(),
                failures: 0,
                probing: true,
                next_probe: Instant::now(),
                detail: String::new(),
            }
        });
        if f.probing {
            f.failures += 1;
            f.probing = false;
        }
        f.fault = kind;
        f.detail = e.to_string();
        let backoff = fault_backoff(f.failures);
        f.next_probe = Instant::now() + backoff;
        tracing::debug!(
            fault = kind.as_str(),
            retry_in_s = backoff.as_secs(),
            "Database still unwritable."
        );
        crate::metrics::METRICS.set_store_fault(Some(kind));
        let v = status_voice(&self.config);
        self.fault_line = Some(v.say(
            "status-line-waiting",
            &[
                ("fault", crate::i18n::words::store_fault(&v, kind).into()),
                ("seconds", backoff.as_secs().into()),
            ],
        ));
        let (fault, since, detail) = (f.fault, f.since, f.detail.clone());
        write_status_file(
            file,
            &self.config.database,
            DaemonPhase::Running,
            Some((fault, since)),
            Some(detail),
        );
        self.notify_status(last_cycle, None);
    }

    fn notify_status(&self, last_cycle: Option<Instant>, problem: Option<&str>) {
        let enabled = self.scheduler.enabled();
        let failing = self.scheduler.failing();
        let v = status_voice(&self.config);
        let mut status = v.say(
            "status-line",
            &[
                ("sources", enabled.into()),
                ("failing", failing.into()),
                ("incidents", self.open_incidents.into()),
                (
                    "cycle",
                    last_cycle
                        .map_or(-1, |t| t.elapsed().as_secs() as i64)
                        .into(),
                ),
            ],
        );
        if let Some(p) = problem {
            status = format!("{p} — {status}");
        }
        if let Some(f) = &self.fault_line {
            status = format!("{f} — {status}");
        }
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Status(&status)]);
    }

    /// Reloads configuration and rules; keeps the running ones when the new ones are invalid.
    async fn reload(&mut self) {
        let path: PathBuf = self.config.path.clone();
        let loaded =
            crate::config::load_with_rules(&path).map(|(c, rules)| (c, Analyzer::new(rules)));
        match loaded {
            Ok((config, analyzer)) => {
                if config.database != self.config.database {
                    tracing::warn!(
                        "The database path changed; it applies at the next restart, not on reload."
                    );
                }
                if config.email != self.config.email {
                    tracing::warn!(
                        "The [email] settings changed; they apply at the next restart, not on reload."
                    );
                }
                let channels = crate::notify::worker::ChannelSettings::of(&config);
                if let Some(tx) = &self.channel_settings {
                    // Even unchanged settings go: the worker reads the secret files again (a rotated
                    // key). It takes them between two messages, never in the middle of one.
                    tx.send_replace(channels);
                }
                let spec = crate::pipeline::detect::spec_of(analyzer.rules());
                if let Err(e) = self.stages.writer.set_spec(spec, Utc::now()).await {
                    tracing::error!(error = %e, "Detection could not take the new watches.");
                }
                self.stages.analyzer = Arc::new(analyzer);
                if config.http != self.config.http {
                    match config.http.build() {
                        Ok(fetcher) => {
                            self.stages.fetcher = Arc::new(fetcher);
                            self.stages.backoff_cap = config.http.max_backoff.0;
                            self.stages.read_budget = config.http.read_budget.0;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "New HTTP settings unusable; the running ones stay.")
                        }
                    }
                }
                if config.metrics != self.config.metrics {
                    tracing::warn!(
                        "The [metrics] settings changed; they apply at the next restart, not on reload."
                    );
                }
                let sources = config.sources.len();
                self.scheduler
                    .reload(&config.sources, Limits::of(&config.http), Utc::now());
                self.config = Config {
                    database: self.config.database.clone(),
                    ..config
                };
                tracing::info!(sources, "Configuration reloaded.");
                self.notify_status(None, None);
            }
            Err(errors) => {
                for e in &errors.0 {
                    tracing::error!(problem = %e, "Reload refused; the running configuration stays.");
                }
                self.notify_status(
                    None,
                    Some(&format!("rechargement refusé ({} erreurs)", errors.0.len())),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fault_backoff_doubles_from_one_second_up_to_a_minute() {
        let waits: Vec<u64> = (0..=9).map(|n| fault_backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(fault_backoff(u32::MAX), Duration::from_secs(60));
    }

    /// The executable's resident pages (kB), from `/proc/self/status`.
    fn rss_file_kib() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("RssFile:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap()
    }

    /// Idle memory with five sources (issue 16): 15 of its 26 MiB were pages of the executable touched
    /// once. Paging them out must find the executable's mappings and leave fewer of its pages resident.
    #[cfg(target_os = "linux")]
    #[test]
    fn paging_out_the_executable_leaves_fewer_of_its_pages_resident() {
        let before = rss_file_kib();
        let advised = match page_out_executable() {
            Ok(n) => n,
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                println!("skipped: this kernel has no MADV_PAGEOUT (Linux 5.4 and later): {e}");
                return;
            }
            Err(e) => panic!("{e}"),
        };
        assert!(advised > 0, "no mapping of the executable found");
        let after = rss_file_kib();
        assert!(
            after < before,
            "{before} kB resident before, {after} kB after"
        );
    }
}
