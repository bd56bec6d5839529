//! `veille rules check` and `veille rules test`: validate the rule files, and show which rules a text
//! matches and why.
//!
//! In: the rules directory and, for `test`, texts (an argument, or stdin one mention per line). Out: a
//! listing or the matches on stdout, every error on stderr, and the exit code: for `check` 0 valid,
//! 1 invalid rules; for `test` grep's convention, 0 when some text matched a rule, 1 when none did, 2 on
//! an error (invalid rules, unreadable input).
//! The rules are loaded and matched by exactly the code the daemon uses ([`crate::config::rules`],
//! [`crate::analysis::rules`]).

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::analysis::fold::fold;
use crate::analysis::rules::{FieldText, MentionView, RuleSet};
use crate::config::rules::{RulesLoadError, load_rules};
use crate::model::{Lang, RuleMatch};

/// Where rules are read from when no directory is given and there is no configuration file.
const DEFAULT_RULES_DIR: &str = "rules";

/// The rules directory of the configuration at `config`; `rules` in the current directory when that file
/// does not exist. A configuration that exists but is invalid is reported, not silently replaced.
fn configured_dir(config: &std::path::Path) -> Result<PathBuf, ()> {
    if !config.exists() {
        return Ok(PathBuf::from(DEFAULT_RULES_DIR));
    }
    match crate::config::Config::load(config) {
        Ok(c) => Ok(c.rules),
        Err(errors) => {
            super::print_problems(&errors, "in the configuration");
            Err(())
        }
    }
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate the rule files and list their rules and watches; exit 1 with every error if any.
    Check {
        /// Directory of `*.toml` rule files (default: the configuration's `rules`, else `./rules`).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Same as DIR.
        #[arg(long = "rules", value_name = "DIR", conflicts_with = "dir")]
        rules: Option<PathBuf>,
    },
    /// Show which rules match a text, and the terms that made them match (byte offsets in the text).
    Test {
        /// Directory of `*.toml` rule files (default: the configuration's `rules`, else `./rules`).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Option<PathBuf>,
        /// Language of the texts: `auto` detects it per text as the daemon does (like `veille score`), or
        /// `fr`, `en`, `other`; without it, rules' language filters are not applied.
        #[arg(long, value_name = "LANG", value_parser = ["auto", "fr", "en", "other"])]
        lang: Option<String>,
        /// One JSON object per text: `{"matches": [{"rule", "severity", "terms": [{"text", "start", "end"}]}]}`.
        #[arg(long)]
        json: bool,
        /// The text to test; without it, stdin is read, one mention per line.
        #[arg(value_name = "TEXT")]
        text: Option<String>,
    },
}

/// Runs `veille rules …`.
pub fn run(args: RulesArgs, config: &std::path::Path) -> ExitCode {
    let given = match &args.command {
        RulesCommand::Check { dir, rules } => rules.clone().or_else(|| dir.clone()),
        RulesCommand::Test { rules, .. } => rules.clone(),
    };
    // An error is exit 1 for `check`, but 2 for `test`, where 1 says "no match".
    let failed = match &args.command {
        RulesCommand::Check { .. } => ExitCode::from(1),
        RulesCommand::Test { .. } => ExitCode::from(2),
    };
    let dir = match given {
        Some(d) => d,
        None => match configured_dir(config) {
            Ok(d) => d,
            Err(()) => return failed,
        },
    };
    let Some(set) = load(&dir) else {
        return failed;
    };
    match args.command {
        RulesCommand::Check { .. } => check(&dir, &set),
        RulesCommand::Test {
            lang, json, text, ..
        } => {
            let lang = match lang.as_deref() {
                None => Language::Unfiltered,
                Some("auto") => Language::Detected,
                Some(tag) => Language::Fixed(Lang::from_tag(tag)),
            };
            test(&set, lang, json, text)
        }
    }
}

/// The language `rules test` gives each text.
#[derive(Debug, Clone, Copy)]
enum Language {
    /// None: rules' language filters are not applied.
    Unfiltered,
    /// Detected per text, as the daemon does.
    Detected,
    Fixed(Lang),
}

/// The rules of `dir`, or `None` when they do not load (every problem is printed).
fn load(dir: &std::path::Path) -> Option<RuleSet> {
    match load_rules(dir) {
        Ok(set) => Some(set),
        Err(errors) => {
            print_errors(dir, &errors);
            None
        }
    }
}

fn print_errors(dir: &std::path::Path, errors: &[RulesLoadError]) {
    let mut err = std::io::stderr().lock();
    for e in errors {
        let _ = writeln!(err, "veille: error: {e}\n");
    }
    drop(err);
    let n = errors.len();
    super::error(format_args!(
        "{n} error{} in the rules of {}: nothing was loaded",
        if n == 1 { "" } else { "s" },
        dir.display()
    ));
}

fn check(dir: &std::path::Path, set: &RuleSet) -> ExitCode {
    if set.rules().is_empty() && set.watches().is_empty() {
        super::warning(format_args!(
            "no rule or watch in {}: is it the right directory (it should hold *.toml files)?",
            dir.display()
        ));
    }
    let mut out = std::io::stdout().lock();
    let rows: Vec<[String; 4]> = set
        .rules()
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.severity.to_string(),
                r.action.as_str().to_owned(),
                one_line(&r.query),
            ]
        })
        .collect();
    table(&mut out, ["RULE", "SEVERITY", "ACTION", "QUERY"], &rows);
    if !set.watches().is_empty() {
        let _ = writeln!(out);
        let rows: Vec<[String; 4]> = set
            .watches()
            .iter()
            .map(|w| {
                [
                    w.id.clone(),
                    w.name.clone(),
                    format!("bucket {}, {}", w.detection.bucket, w.detection.timezone),
                    one_line(&w.query),
                ]
            })
            .collect();
        table(&mut out, ["WATCH", "NAME", "DETECTION", "QUERY"], &rows);
    }
    let _ = writeln!(
        out,
        "\n{}: {} rules, {} watches, all valid.",
        dir.display(),
        set.rules().len(),
        set.watches().len()
    );
    ExitCode::SUCCESS
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn table(out: &mut impl Write, head: [&str; 4], rows: &[[String; 4]]) {
    let mut width = head.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == 3 {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = width[i]));
            }
        }
        s
    };
    let _ = writeln!(out, "{}", line(head));
    for row in rows {
        let _ = writeln!(out, "{}", line([&row[0], &row[1], &row[2], &row[3]]));
    }
}

#[derive(Serialize)]
struct JsonLine<'a> {
    matches: Vec<JsonMatch<'a>>,
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    rule: &'a str,
    severity: &'a str,
    terms: Vec<JsonTerm<'a>>,
}

#[derive(Serialize)]
struct JsonTerm<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn test(set: &RuleSet, language: Language, json: bool, text: Option<String>) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let single = text.is_some();
    let mut matched = false;
    let mut report = |n: usize, line: &str| -> std::io::Result<()> {
        let folded = fold(line);
        let lang = match language {
            Language::Unfiltered => None,
            Language::Detected => Some(crate::analysis::lang::detect(&folded, None)),
            Language::Fixed(l) => Some(l),
        };
        let view = MentionView {
            title: None,
            text: FieldText {
                original: line,
                folded: &folded,
            },
            author: None,
            site: None,
            lang,
            source: "",
            tags: &[],
            sentiment: None,
        };
        let outcome = set.evaluate(&view);
        matched |= !outcome.matches.is_empty();
        if json {
            let line = JsonLine {
                matches: outcome.matches.iter().map(json_match).collect(),
            };
            let text = serde_json::to_string(&line).map_err(std::io::Error::other)?;
            writeln!(out, "{text}")
        } else {
            human(
                &mut out,
                set,
                if single { None } else { Some(n) },
                &outcome.matches,
                &outcome.watches,
            )
        }
    };
    let result = match text {
        Some(t) => report(1, &t),
        None => {
            let stdin = std::io::stdin().lock();
            let mut result = Ok(());
            for (i, line) in stdin.split(b'\n').enumerate() {
                let line = match line {
                    Ok(l) => l,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                };
                let line = String::from_utf8_lossy(&line);
                let line = line.strip_suffix('\r').unwrap_or(&line);
                if let Err(e) = report(i + 1, line) {
                    result = Err(e);
                    break;
                }
            }
            result
        }
    };
    match result {
        // grep's convention: 0 when something matched, 1 when nothing did.
        Ok(()) if matched => ExitCode::SUCCESS,
        Ok(()) => ExitCode::from(1),
        // A closed pipe (`| head`) is not a failure of the command.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            super::error(e);
            ExitCode::from(2)
        }
    }
}

fn json_match(m: &RuleMatch) -> JsonMatch<'_> {
    JsonMatch {
        rule: &m.rule,
        severity: m.severity.as_str(),
        terms: m
            .terms
            .iter()
            .map(|t| JsonTerm {
                text: &t.text,
                start: t.start,
                end: t.end,
            })
            .collect(),
    }
}

fn human(
    out: &mut impl Write,
    set: &RuleSet,
    line: Option<usize>,
    matches: &[RuleMatch],
    watches: &[&str],
) -> std::io::Result<()> {
    let prefix = line.map(|n| format!("line {n}: ")).unwrap_or_default();
    if matches.is_empty() {
        writeln!(out, "{prefix}no rule matches")?;
    } else {
        writeln!(
            out,
            "{prefix}{} rule{} match",
            matches.len(),
            if matches.len() == 1 { "" } else { "s" }
        )?;
    }
    for m in matches {
        let (name, action) = set
            .rule(&m.rule)
            .map_or(("", ""), |r| (r.name.as_str(), r.action.as_str()));
        let terms: Vec<String> = m
            .terms
            .iter()
            .map(|t| format!("{:?} at {}..{}", t.text, t.start, t.end))
            .collect();
        writeln!(out, "  {} ({}, {action}) {name}", m.rule, m.severity)?;
        writeln!(
            out,
            "    because: {}",
            if terms.is_empty() {
                "-".to_owned()
            } else {
                terms.join(", ")
            }
        )?;
    }
    if !watches.is_empty() {
        writeln!(out, "  counts towards watch: {}", watches.join(", "))?;
    }
    Ok(())
}
