//! The commands a person types. Each command parses its arguments, calls the library and prints; no
//! business logic lives here. `main.rs` only calls [`main`].
//!
//! Exit codes: 0 success; 1 the command could not do its job (invalid configuration, unreadable source,
//! unusable database, an id that names nothing); 2 usage errors (from clap, or a value clap cannot judge).
//! `veille rules test` follows grep instead: 0 something matched, 1 nothing matched, 2 error.
//!
//! Every error a command prints starts with one prefix, `veille: error: ` (warnings `veille: warning: `);
//! a problem of a configuration or rule file is one line `FILE:LINE:COL: message`, and a last line
//! counts them.

mod demo;
pub mod generate;
mod incidents;
mod inspect;
mod logging;
mod notify;
mod replay;
pub mod rules;
pub mod score;
mod sources;
pub mod sources_add;
mod users;

use std::fmt::Display;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::daemon::Daemon;
use crate::sources::fetch::{Fetched, HttpConfig, Location, Validators};
use crate::sources::parse::parse_feed;

/// veille: keeps watch over what is said about your brand and warns you of bad buzz.
#[derive(Debug, Parser)]
#[command(name = "veille", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file.
    #[arg(short = 'c', long, global = true, env = "VEILLE_CONFIG", default_value = crate::config::DEFAULT_PATH)]
    pub config: PathBuf,

    /// Log format: `text` (default on a terminal), `json`, or `journald` (default under systemd).
    #[arg(long, global = true, value_name = "FORMAT", value_parser = ["text", "json", "journald"])]
    pub log_format: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll every source when it is due, analyse, detect, notify.
    Run {
        /// Poll every enabled source once, print a summary and exit.
        #[arg(long)]
        once: bool,
        /// With --once: take this time (RFC 3339) for now, for the polls, detection and the sources'
        /// health (to see what the daemon would decide then; used by the tests).
        #[arg(long, value_name = "TIME", requires = "once", hide = true)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Show the main job offline on bundled sample feeds, in a temporary database.
    Demo {
        /// Keep the demo's database at this path instead of a temporary directory.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// Language: fr or en (default: $LANG when it is one of them, else fr).
        #[arg(long, value_name = "LANG")]
        lang: Option<crate::i18n::Locale>,
        /// Print and exit, without serving the console on the demo's database.
        #[arg(long)]
        no_web: bool,
    },
    /// Validate the configuration and rules exactly as the daemon does; exit 1 listing every problem.
    Check,
    /// Fetch and parse one source without storing it, and print its mentions. The configuration's `[http]`
    /// settings apply when the file exists (the address guard included), the defaults otherwise.
    Fetch {
        /// An http(s):// or file:// URL, or a path.
        source: String,
        /// One JSON object per mention.
        #[arg(long)]
        json: bool,
        /// Let this fetch reach loopback and private addresses, as `[http] allow_private = true` does.
        #[arg(long)]
        allow_private: bool,
    },
    /// List the sources with their state; `import FILE.opml` adds a feed reader's subscriptions, `export`
    /// prints them as OPML.
    Sources(sources::SourcesArgs),
    /// The daemon's health from the database; exit 0 ok, 1 attention needed, 2 not running (for monitoring).
    Status {
        /// Consider the daemon stopped when nothing was fetched for this long (default: three times the
        /// longest source interval, at least 30 min).
        #[arg(long, value_name = "DUR")]
        stale: Option<String>,
        #[arg(long)]
        json: bool,
        /// Open incidents make the check fail too (exit 1); by default they are news for the team, not a
        /// fault of the service.
        #[arg(long)]
        fail_on_incident: bool,
        /// Language: fr or en (default: $LANG when it is one of them, else the configuration's `locale`).
        #[arg(long, value_name = "LANG")]
        lang: Option<crate::i18n::Locale>,
        #[command(flatten)]
        db: DbArg,
    },
    /// Run feed files through the whole pipeline with each item's published time as the clock, into a
    /// separate database, and print the incidents it would have opened.
    Replay(replay::ReplayArgs),
    /// Score the sentiment of text on standard input, one text per line.
    Score(score::ScoreArgs),
    /// Validate the watch rules, or test them on a text.
    Rules(rules::RulesArgs),
    /// List stored mentions, newest first.
    Mentions(inspect::MentionsArgs),
    /// Email: try the configured settings.
    Notify {
        #[command(subcommand)]
        action: NotifyAction,
    },
    /// List notifications waiting to be sent, held for the digest, sent and failed, newest first.
    Outbox {
        /// One JSON object per notification.
        #[arg(long)]
        json: bool,
        /// At most N notifications.
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        db: DbArg,
    },
    /// List incidents, newest first; `show ID` explains one with its timeline, `ack ID` records who handles it.
    Incidents(incidents::IncidentsArgs),
    /// List alerts (each critical mention, incident opened or escalated), newest first.
    Alerts(incidents::AlertsArgs),
    /// Stop mailing the alerts of a watch or rule for a while, list silences, end one.
    Silence(incidents::SilenceArgs),
    /// The web console's accounts.
    Users(users::UsersArgs),
    /// Write the manual pages or shell completions, generated from this command line (for packaging).
    #[command(hide = true)]
    Generate {
        #[command(subcommand)]
        artefact: generate::Artefact,
    },
}

/// What `veille notify` does.
#[derive(Debug, Subcommand)]
pub enum NotifyAction {
    /// Send a test email (or, with --channel, a test chat message or webhook) with the configured
    /// settings and print what the server answered.
    Test {
        /// Send to this address instead of the configured `to`.
        #[arg(long, value_name = "ADDR", conflicts_with = "channel")]
        to: Option<String>,
        /// Send to this `[[channel]]` (by name) instead of by email.
        #[arg(long, value_name = "NAME")]
        channel: Option<String>,
    },
}

/// `--db PATH`: the database a read command opens, instead of the configuration's.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DbArg {
    /// Read this database instead of the configuration's (e.g. one written by `veille replay --db`); the
    /// configuration is then optional.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

/// Where a command finds its data: the configuration file, and the database `--db` names, if any.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub config: &'a Path,
    pub db: Option<&'a Path>,
}

impl<'a> Place<'a> {
    fn new(config: &'a Path, db: &'a Option<PathBuf>) -> Place<'a> {
        Place {
            config,
            db: db.as_deref(),
        }
    }
}

/// Prints an error the one way every command does: `veille: error: …`.
pub(crate) fn error(message: impl Display) {
    let _ = writeln!(std::io::stderr(), "veille: error: {message}");
}

/// Prints a warning: `veille: warning: …`.
pub(crate) fn warning(message: impl Display) {
    let _ = writeln!(std::io::stderr(), "veille: warning: {message}");
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    let daemon_like = matches!(cli.command, Command::Run { .. });
    logging::init(cli.log_format.as_deref(), daemon_like);
    crate::daemon::install_panic_hook();
    match dispatch(cli) {
        Ok(code) => code,
        // A reader that stops reading (`veille mentions | head`) is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            error(format_args!("{e:#}"));
            ExitCode::from(1)
        }
    }
}

/// Help and version go to stdout as clap writes them; a usage error gets the common prefix, and exit 2.
fn usage(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
    }
    let text = e.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let _ = write!(std::io::stderr(), "veille: error: {text}");
    ExitCode::from(2)
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config.as_path();
    match cli.command {
        Command::Run { once, at } => run(config, once, at),
        Command::Demo { db, lang, no_web } => demo::run(db, lang, no_web),
        Command::Check => check(config),
        Command::Fetch {
            source,
            json,
            allow_private,
        } => fetch(config, &source, json, allow_private),
        Command::Sources(args) => sources::run(config, args),
        Command::Status {
            stale,
            json,
            fail_on_incident,
            lang,
            db,
        } => inspect::status(
            Place::new(config, &db.db),
            stale,
            json,
            fail_on_incident,
            lang,
        ),
        Command::Score(args) => score::run(args),
        Command::Replay(args) => replay::run(args, config),
        Command::Rules(args) => Ok(rules::run(args, config)),
        Command::Mentions(args) => inspect::mentions(config, args),
        Command::Notify {
            action: NotifyAction::Test { to, channel: None },
        } => notify::test(config, to),
        Command::Notify {
            action:
                NotifyAction::Test {
                    channel: Some(name),
                    ..
                },
        } => notify::test_channel(config, &name),
        Command::Outbox { json, limit, db } => {
            notify::outbox(Place::new(config, &db.db), json, limit)
        }
        Command::Incidents(args) => {
            let db = args.db.clone();
            incidents::incidents(Place::new(config, &db), args)
        }
        Command::Alerts(args) => {
            let db = args.db.clone();
            incidents::alerts(Place::new(config, &db), args)
        }
        Command::Silence(args) => {
            let db = args.db.clone();
            incidents::silence(Place::new(config, &db), args)
        }
        Command::Users(args) => users::run(config, args),
        Command::Generate { artefact } => generate::run(&artefact),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("veille")
        .build()
        .context("cannot start the async runtime")
}

/// Loads the configuration and opens its database read-only, beside a running daemon; `None` when the
/// configuration is invalid (its problems are printed).
fn open_read_only(place: Place<'_>) -> anyhow::Result<Option<(Config, crate::store::Store)>> {
    let Some(config) = load_config(place) else {
        return Ok(None);
    };
    let store =
        crate::store::Store::open_read_only(&config.database).with_context(|| match place.db {
            // The store's error names the file.
            Some(_) => "cannot open the database given by --db".to_owned(),
            None => format!(
                "cannot open the database (has `veille run` been started with {}?)",
                place.config.display()
            ),
        })?;
    Ok(Some((config, store)))
}

/// The voice of a command: `--lang`, else the environment's language (`LC_ALL`, `LC_MESSAGES`, `LANG`) when
/// veille speaks it, else the configuration's `locale`; on the configuration's clock.
pub(crate) fn voice(config: &Config, lang: Option<crate::i18n::Locale>) -> crate::i18n::Voice {
    let locale = lang
        .or_else(crate::i18n::Locale::from_env)
        .unwrap_or(config.locale);
    crate::i18n::Voice::new(locale, config.timezone.0)
}

/// Loads the configuration, printing every problem; `None` when invalid. With `--db`, the database is that
/// one, and a configuration file that does not exist is not needed (the rules are then `./rules`).
fn load_config(place: Place<'_>) -> Option<Config> {
    if let Some(db) = place.db
        && !place.config.exists()
    {
        return Some(Config::bare(db.to_owned(), PathBuf::from("rules")));
    }
    match Config::load(place.config) {
        Ok(mut c) => {
            if let Some(db) = place.db {
                c.database = db.to_owned();
            }
            Some(c)
        }
        Err(errors) => {
            print_problems(&errors, "in the configuration");
            None
        }
    }
}

/// Prints each problem on its line, then how many there are. A problem with a place is a line
/// `FILE:LINE:COL: message`, as editors and compilers print them; one without (a file that cannot be read)
/// is an error like any other, and alone it needs no count.
pub(crate) fn print_problems(errors: &crate::config::ConfigErrors, where_: &str) {
    if let [only] = errors.0.as_slice()
        && only.line.is_none()
    {
        error(only);
        return;
    }
    for e in &errors.0 {
        if e.line.is_some() {
            let _ = writeln!(std::io::stderr(), "{e}");
        } else {
            error(e);
        }
    }
    error(format_args!("{} problem(s) {where_}", errors.0.len()));
}

fn run(
    config_path: &Path,
    once: bool,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<ExitCode> {
    // The same reading as `veille check` and as a reload: the file and its rules, every problem listed.
    let config = match crate::config::load_with_rules(config_path) {
        Ok((config, _)) => config,
        Err(errors) => {
            print_problems(&errors, "in the configuration and its rules");
            return Ok(ExitCode::from(1));
        }
    };
    let rt = runtime()?;
    let result = rt.block_on(async {
        if once {
            let mut daemon = Daemon::start(config)?;
            if let Some(at) = at {
                daemon = daemon.at(at);
            }
            let summary = daemon.run_once().await?;
            writeln!(std::io::stdout(), "{summary}")?;
        } else if let Some(daemon) = Daemon::start_waiting(config).await? {
            daemon
                .run(tokio_util::sync::CancellationToken::new())
                .await?;
        }
        Ok(ExitCode::SUCCESS)
    });
    // Dropping the runtime would wait for every blocking task, and a feed being read at the stop may be
    // in one long step: the daemon has already dropped that work, so do not wait for it.
    rt.shutdown_timeout(Duration::from_millis(500));
    result
}

fn check(config_path: &Path) -> anyhow::Result<ExitCode> {
    let (config, rules) = match crate::config::load_with_rules(config_path) {
        Ok(loaded) => loaded,
        Err(errors) => {
            print_problems(&errors, "in the configuration and its rules");
            return Ok(ExitCode::from(1));
        }
    };
    writeln!(
        std::io::stdout(),
        "{}: ok ({} sources, {} enabled; database {}; rules {}: {} rules, {} watches)",
        config_path.display(),
        config.sources.len(),
        config.sources.iter().filter(|s| s.enabled).count(),
        config.database.display(),
        config.rules.display(),
        rules.rules().len(),
        rules.watches().len()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// One mention as `veille fetch --json` prints it (a fixed contract).
#[derive(serde::Serialize)]
struct FetchedItem<'a> {
    id: &'a str,
    link: Option<&'a str>,
    title: Option<&'a str>,
    text: &'a str,
    author: Option<&'a str>,
    published: Option<String>,
    lang: Option<&'a str>,
}

fn fetch(
    config_path: &Path,
    source: &str,
    json: bool,
    allow_private: bool,
) -> anyhow::Result<ExitCode> {
    // The same limits and address policy as the daemon's, so that a source tried by hand behaves as it will.
    let (mut http, locale) = if config_path.exists() {
        match load_config(Place {
            config: config_path,
            db: None,
        }) {
            Some(config) => (config.http, config.locale),
            None => return Ok(ExitCode::from(1)),
        }
    } else {
        (HttpConfig::default(), crate::model::Locale::default())
    };
    http.allow_private |= allow_private;
    let cwd = std::env::current_dir().ok();
    let location = match Location::parse(source, cwd.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            error(format_args!("{source}: {e}"));
            return Ok(ExitCode::from(1));
        }
    };
    if let Location::Http(url) = &location
        && let Some(platform) = crate::sources::kinds::closed::platform(url)
    {
        let locale = crate::i18n::Locale::from_env().unwrap_or(locale);
        let v = crate::i18n::Voice::new(locale, chrono_tz::UTC);
        error(v.say("fetch-closed-platform", &[("platform", platform.into())]));
        return Ok(ExitCode::from(1));
    }
    let rt = runtime()?;
    let fetcher = http.build().map_err(|e| anyhow::anyhow!("{e}"))?;
    let result = rt.block_on(fetcher.fetch(&location, &Validators::default()));
    let body = match result {
        Ok(Fetched::Body(body)) => body,
        Ok(Fetched::NotModified) => {
            error(format_args!("{}: not modified", location.display()));
            return Ok(ExitCode::from(1));
        }
        Err(e) => {
            error(format_args!("{}: {e}", location.display()));
            return Ok(ExitCode::from(1));
        }
    };
    let feed = match parse_feed(
        "fetch",
        &body.bytes,
        body.charset.as_deref(),
        chrono::Utc::now(),
    ) {
        Ok(f) => f,
        Err(e) => {
            error(format_args!("{}: {e}", location.display()));
            return Ok(ExitCode::from(1));
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for m in &feed.mentions {
        if json {
            let item = FetchedItem {
                id: &m.id,
                link: m.link.as_deref(),
                title: m.title.as_deref(),
                text: &m.text,
                author: m.author.as_deref(),
                published: m.published.map(|p| p.to_rfc3339()),
                lang: m.lang.as_deref(),
            };
            serde_json::to_writer(&mut out, &item)?;
            writeln!(out)?;
        } else {
            let when = m.published.map_or_else(
                || "—".to_owned(),
                |p| p.format("%Y-%m-%d %H:%M").to_string(),
            );
            writeln!(
                out,
                "{when}  {}",
                m.title.as_deref().unwrap_or("(sans titre)")
            )?;
            if let Some(link) = &m.link {
                writeln!(out, "    {link}")?;
            }
            if !m.text.is_empty() {
                writeln!(out, "    {}", inspect::excerpt(&m.text, 160))?;
            }
        }
    }
    if !json {
        writeln!(
            out,
            "{} mention(s) from {}{}",
            feed.mentions.len(),
            location.display(),
            feed.title.map(|t| format!(" ({t})")).unwrap_or_default()
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
