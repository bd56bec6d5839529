//! `veille replay`: runs feed files through the whole pipeline with each item's published time as the
//! clock, into a separate database, and prints the incidents it would have opened.
//!
//! Fixed contract of `--json`: one object per incident with at least `incident`, `watch` (or null), `rule`
//! (or null), `kind` (`bad_buzz`, `critical_mention`, `buzz`), `severity`, `opened_at` and `resolved_at`
//! (RFC 3339 or null), `peak_count`, `baseline`. Added since: `kind` `trend` (a slow crisis), `share_test`
//! (`{"z", "p"}`: the two-proportion test of the negative share's rise, and its one-sided p-value, or null)
//! and `event` (the planned event in force, or null).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::analysis::Analyzer;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Rules directory (default: the configuration's, else `./rules`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Database to replay into (created if needed; keep it apart from the daemon's).
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// One JSON object per incident.
    #[arg(long)]
    pub json: bool,
    /// Feed files, or directories of them.
    #[arg(required = true, value_name = "FILES/DIRS")]
    pub paths: Vec<PathBuf>,
}

fn rules_dir(args: &ReplayArgs, config: &Path) -> Result<PathBuf, ExitCode> {
    if let Some(r) = &args.rules {
        return Ok(r.clone());
    }
    if !config.exists() {
        return Ok(PathBuf::from("rules"));
    }
    match Config::load(config) {
        Ok(c) => Ok(c.rules),
        Err(errors) => {
            super::print_problems(&errors, "in the configuration");
            Err(ExitCode::from(1))
        }
    }
}

pub fn run(args: ReplayArgs, config: &Path) -> anyhow::Result<ExitCode> {
    let dir = match rules_dir(&args, config) {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let rules = match crate::config::rules::load_rules(&dir) {
        Ok(r) => r,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            super::error(format_args!("{} problem(s) in the rules", errors.len()));
            return Ok(ExitCode::from(1));
        }
    };
    let analyzer = Analyzer::new(rules);
    let files = crate::pipeline::replay::feed_files(&args.paths)?;
    let report = crate::pipeline::replay::replay(&files, &analyzer, &args.db)?;
    for (path, error) in &report.failed {
        super::error(format_args!("{}: {error}", path.display()));
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in &report.incidents {
        if args.json {
            let explanation: Option<crate::detect::Explanation> = i
                .explanation
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok());
            let row = serde_json::json!({
                "incident": i.id,
                "watch": i.watch,
                "rule": i.rule,
                "kind": i.kind,
                "severity": i.severity,
                "opened_at": i.opened_at.to_rfc3339(),
                "resolved_at": i.resolved_at.map(|t| t.to_rfc3339()),
                "peak_count": i.peak_count,
                "peak_at": i.peak_at.map(|t| t.to_rfc3339()),
                "baseline": i.baseline,
                "mentions": i.mentions,
                "figures": explanation.as_ref().map(|e| &e.negative),
                "negative_share": explanation.as_ref().and_then(|e| e.share),
                "usual_negative_share": explanation.as_ref().and_then(|e| e.usual_share),
                "share_test": explanation.as_ref().and_then(|e| e.share_z).map(|z| serde_json::json!({
                    "z": z,
                    "p": crate::detect::baseline::one_sided_p(z),
                })),
                "event": explanation.as_ref().and_then(|e| e.event.as_deref()),
                "summary_fr": i.summary_fr,
                "summary_en": i.summary_en,
            });
            writeln!(out, "{row}")?;
        } else {
            writeln!(
                out,
                "#{:<4} {:<17} {:<17} {:<8} {:<24} ouvert {}  {}  pic {}",
                i.id,
                i.kind,
                i.watch.as_deref().or(i.rule.as_deref()).unwrap_or("—"),
                i.severity,
                i.rule.as_deref().unwrap_or(""),
                i.opened_at.format("%Y-%m-%d %H:%M"),
                i.resolved_at.map_or_else(
                    || "toujours ouvert".to_owned(),
                    |t| format!("résolu {}", t.format("%Y-%m-%d %H:%M"))
                ),
                i.peak_count
            )?;
            if let Some(s) = &i.summary_fr {
                writeln!(out, "      {s}")?;
            }
        }
    }
    if !args.json {
        writeln!(
            out,
            "{} file(s), {} mention(s), {} incident(s) in {}",
            report.files,
            report.mentions,
            report.incidents.len(),
            args.db.display()
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
