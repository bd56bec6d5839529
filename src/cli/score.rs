//! `veille score`: scores text typed or piped in, one text per line, exactly as the daemon would.
//!
//! In: lines on standard input. Out: exactly one line per input line, in order, empty lines included:
//! with `--json` one object `{"lang", "score", "label", "terms": [{"term", "weight"}]}`, otherwise
//! `label  score  lang  term(weight) …`. Output is streamed: each line is scored as it is read.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::analysis::fold::fold;
use crate::analysis::lang::detect;
use crate::analysis::sentiment::Scorer;
use crate::model::{Lang, TermWeight};

/// The language to score in: detected per line, or fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangChoice {
    Auto,
    Fr,
    En,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Language of the texts: detected per line (`auto`), or fixed.
    #[arg(long, value_enum, default_value = "auto")]
    pub lang: LangChoice,

    /// One JSON object per line instead of a human-readable line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    lang: &'static str,
    score: f32,
    label: &'static str,
    terms: &'a [TermWeight],
}

/// Scores standard input line by line.
///
/// # Errors
/// Reading standard input or writing standard output failed (a closed pipe ends the command quietly).
pub fn run(args: ScoreArgs) -> anyhow::Result<ExitCode> {
    let scorer = Scorer::new();
    let stdin = std::io::stdin();
    let mut input = std::io::BufReader::with_capacity(1 << 16, stdin.lock());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("reading standard input")?
            == 0
        {
            break;
        }
        // Bytes that are not UTF-8 are replaced rather than ending the run: one line, one answer.
        let decoded = String::from_utf8_lossy(&line);
        let text = decoded.trim_end_matches(['\n', '\r']);
        let folded = fold(text);
        let lang = match args.lang {
            LangChoice::Fr => Lang::Fr,
            LangChoice::En => Lang::En,
            LangChoice::Auto => detect(&folded, None),
        };
        let s = scorer.score(text, &folded, lang);
        let written = if args.json {
            let rec = Line {
                lang: lang.as_str(),
                score: (s.score * 10_000.0).round() / 10_000.0,
                label: s.label.as_str(),
                terms: &s.terms,
            };
            serde_json::to_writer(&mut out, &rec)
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        } else {
            let mut r = write!(
                out,
                "{}  {:+.2}  {}",
                s.label.as_str(),
                s.score,
                lang.as_str()
            );
            for t in &s.terms {
                r = r.and_then(|()| write!(out, "  {}({})", t.term, t.weight));
            }
            r.and_then(|()| writeln!(out))
        };
        // When the reader is interactive, show each answer as soon as it is ready.
        let written = written.and_then(|()| {
            if input.buffer().is_empty() {
                out.flush()
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            Err(e) => return Err(e).context("writing standard output"),
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing standard output")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
