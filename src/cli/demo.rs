//! `veille demo`: the main job, offline, on bundled sample feeds.
//!
//! The sample feeds (French and English, about fictitious brands) are embedded in the binary with their
//! dates as offsets from now, so that the demo always shows recent events. They are written to a temporary
//! directory with a configuration, polled once through the real pipeline into a fresh SQLite file, and what
//! veille found is printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::Utc;

use crate::config::Config;
use crate::daemon::Daemon;
use crate::store::{MentionFilter, Store};

/// (source name, file name, template bytes, tags).
const FEEDS: &[(&str, &str, &[u8], &str)] = &[
    (
        "journal-gourmets",
        "presse-fr.xml",
        include_bytes!("../../examples/demo/presse-fr.xml.in"),
        "presse",
    ),
    (
        "forum-conso",
        "forum-fr.atom",
        include_bytes!("../../examples/demo/forum-fr.atom.in"),
        "forum",
    ),
    (
        "gadget-weekly",
        "tech-en.json",
        include_bytes!("../../examples/demo/tech-en.json.in"),
        "presse",
    ),
    (
        "mastodon-acme",
        "social-en.atom",
        include_bytes!("../../examples/demo/social-en.atom.in"),
        "social",
    ),
];

/// The example rule files of the repository, as the demo installs them.
const RULES: &[(&str, &str)] = &[
    (
        "maison-brioche.toml",
        include_str!("../../rules/maison-brioche.toml"),
    ),
    (
        "acme-telecom.toml",
        include_str!("../../rules/acme-telecom.toml"),
    ),
];

/// Replaces `@@RFC2822-5h@@` and `@@RFC3339-5h@@` with the date five hours before `now`.
fn render(template: &[u8], now: chrono::DateTime<Utc>) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.windows(2).position(|w| w == b"@@") {
        out.extend_from_slice(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.windows(2).position(|w| w == b"@@") else {
            out.extend_from_slice(&rest[start..]);
            return out;
        };
        let token = String::from_utf8_lossy(&after[..end]);
        let rendered = token.split_once('-').and_then(|(format, ago)| {
            let ago = crate::model::Interval::parse(ago).ok()?;
            let t = now - chrono::Duration::from_std(ago.0).ok()?;
            Some(match format {
                "RFC2822" => t.to_rfc2822(),
                _ => t.to_rfc3339(),
            })
        });
        match rendered {
            Some(r) => out.extend_from_slice(r.as_bytes()),
            None => out.extend_from_slice(&rest[start..start + 4 + end]),
        }
        rest = &after[end + 2..];
    }
    out.extend_from_slice(rest);
    out
}

fn write_demo(dir: &Path, db: &Path) -> anyhow::Result<PathBuf> {
    let now = Utc::now();
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds)
        .with_context(|| format!("cannot create {}", feeds.display()))?;
    let mut config = format!(
        "database = {:?}\nrules = \"rules\"\ninterval = \"10m\"\n",
        db.display().to_string()
    );
    for (name, file, template, tag) in FEEDS {
        std::fs::write(feeds.join(file), render(template, now))?;
        config.push_str(&format!(
            "\n[[source]]\nname = {name:?}\nurl = \"feeds/{file}\"\ntags = [{tag:?}]\n"
        ));
    }
    std::fs::create_dir_all(dir.join("rules"))?;
    for (name, text) in RULES {
        std::fs::write(dir.join("rules").join(name), text)?;
    }
    let path = dir.join("veille.toml");
    std::fs::write(&path, config)?;
    Ok(path)
}

pub fn run(db: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let tmp = tempfile::Builder::new()
        .prefix("veille-demo-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let db = db.unwrap_or_else(|| tmp.path().join("veille.db"));
    let config_path = write_demo(tmp.path(), &db)?;
    let config = Config::load(&config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "veille demo — {} sample feeds, database {}",
        FEEDS.len(),
        db.display()
    )?;
    writeln!(out)?;
    let rt = super::runtime()?;
    let summary = rt.block_on(async { Daemon::start(config)?.run_once().await })?;
    writeln!(out, "Poll: {summary}")?;
    writeln!(out)?;
    let store = Store::open_read_only(&db)?;
    let mentions = store.mentions(&MentionFilter::default())?;
    writeln!(out, "Mentions ({}), newest first:", mentions.len())?;
    for m in &mentions {
        writeln!(
            out,
            "  {}  {:<16} {:<5} {:<3} {:>5.2}  {}",
            m.published.unwrap_or(m.fetched).format("%d/%m %H:%M"),
            m.source,
            m.lang.as_str(),
            m.label.as_str(),
            m.score,
            m.title
                .clone()
                .unwrap_or_else(|| super::inspect::excerpt(&m.text, 70))
        )?;
        for rm in &m.matches {
            let mut terms: Vec<&str> = Vec::new();
            for t in &rm.terms {
                if !terms.iter().any(|seen| seen.eq_ignore_ascii_case(&t.text)) {
                    terms.push(&t.text);
                }
            }
            writeln!(
                out,
                "      ↳ règle {} ({}) : {}",
                rm.rule,
                rm.severity,
                terms.join(", ")
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_render_relative_to_now() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-05-10T12:00:00Z")
            .unwrap()
            .to_utc();
        let out = render(b"<a>@@RFC3339-2h@@</a><b>@@RFC2822-1d@@</b>", now);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<a>2026-05-10T10:00:00+00:00</a><b>Sat, 9 May 2026 12:00:00 +0000</b>"
        );
    }

    #[test]
    fn unknown_tokens_stay() {
        let now = Utc::now();
        assert_eq!(render(b"x @@nope@@ y", now), b"x @@nope@@ y");
        assert_eq!(render(b"x @@open", now), b"x @@open");
    }
}
