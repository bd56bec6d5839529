//! Read-only commands: `veille sources`, `veille mentions` and `veille status`. They open the database
//! read-only, so they never block the running daemon; `veille status` also reads the daemon's status file.

use std::io::Write as _;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use crate::model::Interval;
use crate::model::Locale;
use crate::store::status_file;
use crate::store::{MentionFilter, Store, StoryTally};
use crate::views::{self, status::Problem, status::Verdict};

use super::{Place, error, load_config, open_read_only};

/// The first `max` characters of a text, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", text[..i].trim_end()),
        None => text.to_owned(),
    }
}

/// A mention's line in a listing (`veille mentions`, the demo): when, where, language, label and score on
/// the audience's clock and in its words, then `title`.
pub(crate) fn heading(
    v: &crate::i18n::Voice,
    m: &crate::store::StoredMention,
    title: String,
) -> String {
    format!(
        "{}  {:<16} {:<5} {:<8} {:>6}  {}",
        v.moment(m.published.unwrap_or(m.fetched)),
        m.source,
        m.lang.as_str(),
        crate::i18n::words::label(v, m.label),
        v.signed(f64::from(m.score)),
        title
    )
}

/// A rule a mention matched, with its severity and terms, in the audience's words.
pub(crate) fn rule_match(v: &crate::i18n::Voice, rm: &crate::model::RuleMatch) -> String {
    v.say(
        "demo-rule-match",
        &[
            ("rule", rm.rule.as_str().into()),
            (
                "severity",
                crate::i18n::words::severity(v, rm.severity).into(),
            ),
            ("terms", distinct_terms(rm).join(", ").into()),
        ],
    )
}

/// The terms of a rule match, each once (a brand named in the title and the text is one term).
pub fn distinct_terms(rm: &crate::model::RuleMatch) -> Vec<&str> {
    let mut terms: Vec<&str> = Vec::new();
    for t in &rm.terms {
        if !terms.iter().any(|seen| seen.eq_ignore_ascii_case(&t.text)) {
            terms.push(&t.text);
        }
    }
    terms
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "—".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

pub fn sources(place: Place<'_>, json: bool) -> anyhow::Result<ExitCode> {
    let Some((config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    let states = store.source_states()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if json {
        for source in &config.sources {
            let state = states.iter().find(|s| s.name == source.name);
            let row = serde_json::json!({
                "name": source.name,
                "kind": source.kind,
                "url": source.url,
                "enabled": source.enabled,
                "tags": source.tags,
                "interval": source.interval.to_string(),
                "state": state,
            });
            serde_json::to_writer(&mut out, &row)?;
            writeln!(out)?;
        }
    } else {
        writeln!(
            out,
            "{:<20} {:<8} {:<16} {:<16} {:>6} {:>8}  LAST ERROR",
            "NAME", "STATUS", "LAST SUCCESS", "NEXT DUE", "ERRORS", "MENTIONS"
        )?;
        for source in &config.sources {
            let state = states.iter().find(|s| s.name == source.name);
            let status = match (source.enabled, state) {
                (false, _) => "disabled",
                (true, None) => "new",
                (true, Some(s)) if s.consecutive_errors > 0 => "failing",
                (true, Some(_)) => "ok",
            };
            writeln!(
                out,
                "{:<20} {:<8} {:<16} {:<16} {:>6} {:>8}  {}",
                source.name,
                status,
                when(state.and_then(|s| s.last_success)),
                when(state.and_then(|s| s.next_due)),
                state.map_or(0, |s| s.consecutive_errors),
                state.map_or(0, |s| s.mentions),
                state.and_then(|s| s.last_error.as_deref()).unwrap_or(""),
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// What `veille mentions` is asked.
#[derive(Debug, clap::Args)]
pub struct MentionsArgs {
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// Only mentions of the last DUR (e.g. 2h, 3d).
    #[arg(long, value_name = "DUR")]
    since: Option<String>,
    /// Only mentions that matched this rule.
    #[arg(long, value_name = "ID")]
    rule: Option<String>,
    /// At most N mentions.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Only the mentions of this story: its id or its first digits, as listed (`↳ sujet 3f2a9c01`).
    #[arg(long, value_name = "ID")]
    story: Option<crate::store::StoryPrefix>,
    /// One JSON object per mention.
    #[arg(long)]
    json: bool,
    /// Language: fr or en (default: $LANG when it is one of them, else the configuration's `locale`).
    #[arg(long, value_name = "LANG")]
    lang: Option<crate::i18n::Locale>,
    #[command(flatten)]
    pub db: super::DbArg,
}

pub(crate) fn mentions(config: &std::path::Path, args: MentionsArgs) -> anyhow::Result<ExitCode> {
    let MentionsArgs {
        source,
        since,
        rule,
        limit,
        story,
        json,
        lang,
        db,
    } = args;
    let place = Place::new(config, &db.db);
    let now = Utc::now();
    let since = match since.as_deref().map(Interval::parse).transpose() {
        Ok(None) => None,
        // A length past the calendar (`--since 20000000w`) is refused, not left to overflow the clock.
        Ok(Some(d)) => match chrono::Duration::from_std(d.0)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
        {
            Some(t) => Some(t),
            None => {
                error(format_args!("--since {d}: too long"));
                return Ok(ExitCode::from(2));
            }
        },
        Err(e) => {
            error(format_args!("--since: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    let Some((config, store)) = open_read_only(place)? else {
        return Ok(ExitCode::from(1));
    };
    if let Some(id) = &source
        && !config.sources.iter().any(|s| &s.name == id)
        && store.source_state(id)?.is_none()
    {
        error(format_args!(
            "no source {id:?} in the configuration or the database (see `veille sources`)"
        ));
        return Ok(ExitCode::from(1));
    }
    if let Some(id) = &rule
        && !known_rule(&config, &store, id)?
    {
        error(format_args!(
            "no rule {id:?} in the rules of {} and no stored mention matched it (see `veille rules check`)",
            config.rules.display()
        ));
        return Ok(ExitCode::from(1));
    }
    let filter = MentionFilter {
        source,
        since,
        rule,
        limit,
        story,
    };
    let mentions = store.mentions(&filter)?;
    let stories: Vec<u64> = mentions.iter().map(|m| m.story).collect();
    let tallies = store.story_tallies(&stories)?;
    let v = super::voice(&config, lang);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for m in &mentions {
        let tally = tallies.get(&m.story).copied().unwrap_or(StoryTally {
            mentions: 1,
            sources: 1,
        });
        if json {
            /// A mention with how far its story went.
            #[derive(serde::Serialize)]
            struct Row<'a> {
                #[serde(flatten)]
                mention: &'a crate::store::StoredMention,
                story_mentions: u32,
                story_sources: u32,
            }
            serde_json::to_writer(
                &mut out,
                &Row {
                    mention: m,
                    story_mentions: tally.mentions,
                    story_sources: tally.sources,
                },
            )?;
            writeln!(out)?;
        } else {
            // The listing reads as the demo's: the audience's clock, the label and score in words.
            writeln!(
                out,
                "{}",
                heading(
                    &v,
                    m,
                    m.title.clone().unwrap_or_else(|| v.say("untitled", &[]))
                )
            )?;
            if !m.text.is_empty() {
                writeln!(out, "    {}", excerpt(&m.text, 140))?;
            }
            for rm in &m.matches {
                writeln!(out, "    ↳ {}", rule_match(&v, rm))?;
            }
            // A story told by more than this mention: a copy of an article, or a customer saying it again.
            if tally.mentions > 1 {
                let id = crate::store::story_id(m.story);
                writeln!(
                    out,
                    "    {}",
                    v.say(
                        "mention-story",
                        &[
                            ("id", id[..8].to_owned().into()),
                            ("mentions", tally.mentions.into()),
                            ("sources", tally.sources.into()),
                        ],
                    )
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Whether the rule files define rule `id`, or a stored mention matched it (a rule since removed).
fn known_rule(config: &crate::config::Config, store: &Store, id: &str) -> anyhow::Result<bool> {
    if crate::config::rules::load_rules(&config.rules).is_ok_and(|set| set.rule(id).is_some()) {
        return Ok(true);
    }
    let one = MentionFilter {
        rule: Some(id.to_owned()),
        limit: Some(1),
        ..MentionFilter::default()
    };
    Ok(!store.mentions(&one)?.is_empty())
}

/// `veille status`: the daemon's health from the database and from the status file the daemon keeps beside
/// it ([`crate::store::status_file`]), which is how a database the daemon cannot write (a full disk, a lock
/// held elsewhere) is seen at all. Exit 0 when all is well, 1 when something needs attention (the database
/// cannot be written, failing sources, undelivered or delayed notifications, open incidents), 2 when the
/// daemon does not seem to run (no fetch for longer than `stale`, a daemon that died, or no database).
pub fn status(
    place: Place<'_>,
    stale: Option<String>,
    json: bool,
    fail_on_incident: bool,
    lang: Option<Locale>,
) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(place) else {
        return Ok(ExitCode::from(2));
    };
    let v = super::voice(&config, lang);
    let stale = match stale.as_deref().map(Interval::parse).transpose() {
        Ok(Some(s)) => s.0,
        Ok(None) => {
            let longest = config
                .sources
                .iter()
                .filter(|s| s.enabled)
                .map(|s| s.interval.0)
                .max()
                .unwrap_or_default();
            (longest * 3).max(std::time::Duration::from_secs(1800))
        }
        Err(e) => {
            error(format_args!("--stale: {e}"));
            return Ok(ExitCode::from(2));
        }
    };
    let daemon = status_file::read(&config.database);
    let store = match Store::open_read_only(&config.database) {
        Ok(s) => s,
        Err(e) => {
            // A daemon alive and waiting out a database fault: the fault, named; else the service is down.
            let fault = views::status::daemon_fault(daemon.as_ref());
            let verdict = if fault.is_some() {
                Verdict::Attention
            } else {
                Verdict::Critical
            };
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{}{} {}",
                v.say("status-verdict", &[("verdict", verdict.as_str().into())]),
                v.word("colon"),
                v.say("status-database-error", &[("error", e.to_string().into())])
            )?;
            if let Some(p) = &fault {
                writeln!(out, "  - {}", problem_words(&v, p))?;
            }
            return Ok(ExitCode::from(verdict.exit_code()));
        }
    };
    let states = store.source_states()?;
    let blind: Vec<crate::detect::blind::SourceEvent> = store
        .open_source_incidents()?
        .into_iter()
        .filter_map(|(_, detail)| match serde_json::from_str(&detail) {
            Ok(crate::detect::Decision::Source(e)) => Some(e),
            _ => None,
        })
        .collect();
    let status = views::status::service_status(views::status::Inputs {
        config: &config,
        health: store.health()?,
        states: &states,
        daemon,
        stale,
        fail_on_incident,
        blind: &blind,
        now: Utc::now(),
    });
    let mut out = std::io::stdout().lock();
    if json {
        let problems: Vec<String> = status
            .problems
            .iter()
            .map(|p| problem_words(&v, p))
            .collect();
        let row = serde_json::json!({
            "status": status.verdict.as_str(),
            "health": status.health,
            "sources": status.sources,
            "failing_sources": status.failing_sources,
            "open_incidents": status.open_incidents,
            "daemon": status.daemon,
            "problems": problems,
            "facts": status.problems,
        });
        writeln!(out, "{row}")?;
    } else {
        let h = &status.health;
        let when = |t: Option<DateTime<Utc>>| t.map_or_else(|| v.word("none"), |t| v.time(t));
        writeln!(
            out,
            "{}",
            v.say(
                "status-summary",
                &[
                    ("verdict", status.verdict.as_str().into()),
                    ("sources", status.sources.into()),
                    ("failing", status.failing_sources.into()),
                    ("mentions", h.mentions.into()),
                    ("last_fetch", when(h.last_fetch).into()),
                    ("last_success", when(h.last_success).into()),
                    ("pending", h.outbox_pending.into()),
                    ("failed", h.outbox_failed.into()),
                ],
            )
        )?;
        for p in &status.problems {
            writeln!(out, "  - {}", problem_words(&v, p))?;
        }
        writeln!(
            out,
            "{}",
            v.say(
                "status-business",
                &[("incidents", status.open_incidents.into())]
            )
        )?;
        // The console as the daemon last wrote it: up only while the daemon itself runs.
        if let Some((d, web)) = status
            .daemon
            .as_ref()
            .and_then(|d| d.web.as_ref().map(|w| (d, w)))
        {
            let up = web.up
                && d.phase != crate::store::status_file::DaemonPhase::Stopped
                && crate::store::status_file::process_alive(d.pid);
            writeln!(
                out,
                "{}",
                v.say(
                    "status-web",
                    &[
                        ("up", if up { "yes" } else { "no" }.into()),
                        ("listen", web.listen.as_str().into()),
                        ("requests", web.requests.into()),
                        ("errors", web.errors.into()),
                        ("at", v.time(d.updated).into()),
                    ]
                )
            )?;
        }
        writeln!(
            out,
            "{}",
            v.say(
                "times-in",
                // The zone of the times shown (its offset then), not of the moment the command runs.
                &[("zone", v.zone(h.last_fetch.unwrap_or_else(Utc::now)).into())]
            )
        )?;
    }
    Ok(ExitCode::from(status.verdict.exit_code()))
}

/// One problem of the service, in words.
fn problem_words(v: &crate::i18n::Voice, p: &Problem) -> String {
    let at = |t: Option<DateTime<Utc>>| t.map_or_else(|| v.word("none"), |t| v.time(t));
    let args: Vec<(&str, crate::i18n::Arg<'_>)> = match p {
        Problem::StoreFault { fault, since } => vec![
            ("at", at(*since).into()),
            ("fault", crate::i18n::words::store_fault(v, *fault).into()),
            ("fault_kind", fault.as_str().into()),
        ],
        Problem::DaemonGone { pid, last } => vec![
            ("pid", pid.to_string().into()),
            ("at", v.time(*last).into()),
        ],
        Problem::DaemonFailed { at, detail } => {
            vec![
                ("at", v.time(*at).into()),
                ("detail", detail.as_str().into()),
            ]
        }
        Problem::NoFetchSince { at } => vec![("at", v.time(*at).into())],
        Problem::NoFetchEver => Vec::new(),
        Problem::SourceFailing {
            name,
            errors,
            error,
        } => vec![
            ("name", name.as_str().into()),
            ("errors", (*errors).into()),
            ("error", error.as_str().into()),
        ],
        Problem::SourceBlind {
            name,
            why,
            since,
            error,
        } => vec![
            ("name", name.as_str().into()),
            ("why", why.as_str().into()),
            ("at", v.time(*since).into()),
            (
                "error",
                error
                    .as_deref()
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .unwrap_or("none")
                    .into(),
            ),
        ],
        Problem::OutboxFailed { count }
        | Problem::OutboxUncertain { count }
        | Problem::OpenIncidents { count } => {
            vec![("count", (*count).into())]
        }
        Problem::OutboxStuck { since } => vec![("at", v.time(*since).into())],
    };
    let key = serde_json::to_value(p)
        .ok()
        .and_then(|j| j.get("problem").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let mut all = vec![("problem", crate::i18n::Arg::from(key))];
    all.extend(args);
    v.say("status-problem", &all)
}
