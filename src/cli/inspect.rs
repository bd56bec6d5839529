//! Read-only commands: `veille sources`, `veille mentions` and `veille status`. They open the database
//! read-only, so they never block the running daemon; `veille status` also reads the daemon's status file.

use std::io::Write as _;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use crate::model::Interval;
use crate::model::Locale;
use crate::store::status_file::{self, DaemonPhase};
use crate::store::{MentionFilter, Store, StoreFault};

use super::{Place, error, load_config, open_read_only};

/// The first `max` characters of a text, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", text[..i].trim_end()),
        None => text.to_owned(),
    }
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

pub fn mentions(
    place: Place<'_>,
    source: Option<String>,
    since: Option<String>,
    rule: Option<String>,
    limit: Option<usize>,
    json: bool,
) -> anyhow::Result<ExitCode> {
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
    };
    let mentions = store.mentions(&filter)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for m in &mentions {
        if json {
            serde_json::to_writer(&mut out, m)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{}  {:<14} {:<3} {:>5.2} {:<5}  {}",
                when(m.published.or(Some(m.fetched))),
                m.source,
                m.label.as_str(),
                m.score,
                m.lang.as_str(),
                m.title.as_deref().unwrap_or("(sans titre)")
            )?;
            if !m.text.is_empty() {
                writeln!(out, "    {}", excerpt(&m.text, 140))?;
            }
            for rm in &m.matches {
                let terms = distinct_terms(rm);
                writeln!(
                    out,
                    "    ↳ rule {} ({}): {}",
                    rm.rule,
                    rm.severity,
                    terms.join(", ")
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
pub fn status(place: Place<'_>, stale: Option<String>, json: bool) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(place) else {
        return Ok(ExitCode::from(2));
    };
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
    // A daemon that is alive and says the database cannot be written: the fault, named.
    let waiting = daemon.as_ref().filter(|d| {
        d.phase != DaemonPhase::Stopped && d.fault.is_some() && status_file::process_alive(d.pid)
    });
    let fault_problem = waiting.and_then(|d| {
        let fault = d.fault?;
        Some(format!(
            "the database cannot be written since {}: {} (the daemon waits and retries; nothing is lost){}",
            when(d.fault_since),
            fault.words(Locale::En),
            match fault {
                StoreFault::DiskFull => "; free some space on its disk",
                StoreFault::Locked => "; end the other program's transaction",
                StoreFault::Io => "; see the system log",
            }
        ))
    });
    let store = match Store::open_read_only(&config.database) {
        Ok(s) => s,
        Err(e) => {
            let mut out = std::io::stdout().lock();
            if let Some(p) = &fault_problem {
                writeln!(out, "ATTENTION: {e}")?;
                writeln!(out, "  - {p}")?;
                return Ok(ExitCode::from(1));
            }
            writeln!(out, "CRITICAL: {e}")?;
            return Ok(ExitCode::from(2));
        }
    };
    let health = store.health()?;
    let states = store.source_states()?;
    let now = Utc::now();
    let mut problems: Vec<String> = Vec::new();
    let mut critical = false;
    problems.extend(fault_problem.clone());
    if let Some(d) = &daemon {
        if d.phase != DaemonPhase::Stopped && !status_file::process_alive(d.pid) {
            critical = true;
            problems.push(format!(
                "the daemon (pid {}) is no longer running; it last reported at {}",
                d.pid,
                when(Some(d.updated))
            ));
        } else if let (DaemonPhase::Stopped, Some(detail)) = (d.phase, &d.detail) {
            critical = true;
            problems.push(format!(
                "the daemon stopped on an error at {}: {detail}",
                when(Some(d.updated))
            ));
        }
    }
    match health.last_fetch {
        Some(t) if (now - t).to_std().unwrap_or_default() <= stale => {}
        // A daemon waiting out a database fault cannot record its fetches: the fault says it all.
        Some(_) | None if fault_problem.is_some() => {}
        Some(t) => {
            critical = true;
            problems.push(format!(
                "no fetch since {} (is the daemon running?)",
                when(Some(t))
            ));
        }
        None => {
            critical = true;
            problems.push("no fetch ever recorded (is the daemon running?)".into());
        }
    }
    for s in states.iter().filter(|s| s.consecutive_errors > 0) {
        problems.push(format!(
            "source {} failing ({} in a row): {}",
            s.name,
            s.consecutive_errors,
            s.last_error.as_deref().unwrap_or("")
        ));
    }
    if health.outbox_failed > 0 {
        problems.push(format!(
            "{} notification(s) could not be delivered (see veille outbox)",
            health.outbox_failed
        ));
    }
    if let Some(t) = health
        .outbox_oldest_pending
        // Without a mail server nothing is sent, by design: a backlog then says nothing.
        .filter(|_| config.email.is_some())
        .filter(|t| now - *t > chrono::Duration::hours(1))
    {
        problems.push(format!(
            "notifications pending since {} (is the mail server reachable?)",
            when(Some(t))
        ));
    }
    if health.open_incidents > 0 {
        problems.push(format!(
            "{} incident(s) open (see veille incidents --open)",
            health.open_incidents
        ));
    }
    let verdict = if critical {
        "CRITICAL"
    } else if problems.is_empty() {
        "OK"
    } else {
        "ATTENTION"
    };
    let mut out = std::io::stdout().lock();
    if json {
        let row = serde_json::json!({ "status": verdict, "health": health, "daemon": daemon, "problems": problems });
        writeln!(out, "{row}")?;
    } else {
        writeln!(
            out,
            "{verdict}: {} sources ({} failing), {} mentions, last fetch {}, last success {}, {} incident(s) open, outbox {} pending / {} failed",
            health.sources,
            health.failing_sources,
            health.mentions,
            when(health.last_fetch),
            when(health.last_success),
            health.open_incidents,
            health.outbox_pending,
            health.outbox_failed
        )?;
        for p in &problems {
            writeln!(out, "  - {p}")?;
        }
    }
    Ok(ExitCode::from(match verdict {
        "OK" => 0,
        "ATTENTION" => 1,
        _ => 2,
    }))
}
