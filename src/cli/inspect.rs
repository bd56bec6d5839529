//! Read-only commands: `veille sources` and `veille mentions`. They open the database read-only, so they
//! never block the running daemon.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::model::Interval;
use crate::store::{MentionFilter, Store};

use super::load_config;

/// The first `max` characters of a text, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", text[..i].trim_end()),
        None => text.to_owned(),
    }
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "—".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

fn open(config_path: &Path) -> anyhow::Result<Option<(crate::config::Config, Store)>> {
    let Some(config) = load_config(config_path) else {
        return Ok(None);
    };
    let store = Store::open_read_only(&config.database).with_context(|| {
        format!(
            "cannot open the database (has `veille run` been started with {}?)",
            config_path.display()
        )
    })?;
    Ok(Some((config, store)))
}

pub fn sources(config_path: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let Some((config, store)) = open(config_path)? else {
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
    config_path: &Path,
    source: Option<String>,
    since: Option<String>,
    rule: Option<String>,
    limit: Option<usize>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let since = match since.as_deref().map(Interval::parse).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("veille: --since: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let Some((_config, store)) = open(config_path)? else {
        return Ok(ExitCode::from(1));
    };
    let filter = MentionFilter {
        source,
        since: since.map(|d| Utc::now() - chrono::Duration::from_std(d.0).unwrap_or_default()),
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
                let terms: Vec<&str> = rm.terms.iter().map(|t| t.text.as_str()).collect();
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
