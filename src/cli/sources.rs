//! `veille sources`: the sources with their state (no subcommand), `import FILE.opml` and `export`.
//!
//! `import` reads a feed reader's subscription list ([`crate::sources::opml`]), skips the feeds whose URL a
//! source already has (in the configuration, its sources directory, or earlier in the file) and writes the
//! others as `[[source]]` tables to a new file of the sources directory
//! ([`crate::config::sources_dir_of`]), never overwriting one; the configuration is read again with that
//! file before the command says it is done, and the file is removed if the result would not read. `export`
//! prints OPML 2.0 of every source with an http(s) URL on standard output.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::{DbArg, Place, error, load_config, print_problems, voice};
use crate::config::Config;
use crate::sources::fetch::Location;
use crate::sources::opml;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SourcesArgs {
    #[command(subcommand)]
    action: Option<SourcesAction>,
    /// One JSON object per source.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArg,
}

#[derive(Debug, clap::Subcommand)]
enum SourcesAction {
    /// Add the feeds of an OPML file (1.0 or 2.0) as sources, in a new file of the sources directory;
    /// nested outlines become tags, feeds whose URL is already a source are skipped and counted.
    Import {
        /// The OPML file.
        file: PathBuf,
        /// Language: fr or en (default: $LANG when it is one of them, else the configuration's `locale`).
        #[arg(long, value_name = "LANG")]
        lang: Option<crate::i18n::Locale>,
    },
    /// Print every source with an http(s) URL as OPML 2.0 on standard output; tags become folders.
    Export,
}

/// Runs `veille sources …`.
///
/// # Errors
/// An unreadable file, an unwritable sources directory or an unusable database.
pub fn run(config: &Path, args: SourcesArgs) -> anyhow::Result<ExitCode> {
    match args.action {
        None => super::inspect::sources(Place::new(config, &args.db.db), args.json),
        Some(SourcesAction::Import { file, lang }) => import(config, &file, lang),
        Some(SourcesAction::Export) => export(config),
    }
}

/// A URL as compared for duplicates: parsed (scheme and host lower-cased, default port dropped) when it
/// parses, trimmed otherwise.
fn same_url(url: &str) -> String {
    let t = url.trim();
    url::Url::parse(t).map_or_else(|_| t.to_owned(), |u| u.to_string())
}

/// A name for an imported feed: its title, else its host, else "source"; a name already taken gets " 2",
/// " 3"… Any string is safe in TOML once the serializer quotes it; names are one line without control
/// characters ([`opml::clean_title`]).
fn unique_name(feed: &opml::OpmlFeed, taken: &mut HashSet<String>) -> String {
    let base = if feed.title.is_empty() {
        url::Url::parse(&feed.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "source".to_owned())
    } else {
        feed.title.clone()
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base} {n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

#[derive(serde::Serialize)]
struct SourcesFile {
    source: Vec<SourceTable>,
}

#[derive(serde::Serialize)]
struct SourceTable {
    name: String,
    url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
}

/// The file of the sources directory an import of `opml` writes: `import-STEM.toml`, or `import-STEM-2.toml`
/// and so on when taken.
fn target_file(dir: &Path, opml: &Path) -> PathBuf {
    let stem: String = opml
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("opml")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let mut path = dir.join(format!("import-{stem}.toml"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("import-{stem}-{n}.toml"));
        n += 1;
    }
    path
}

fn import(
    config_path: &Path,
    file: &Path,
    lang: Option<crate::i18n::Locale>,
) -> anyhow::Result<ExitCode> {
    // The sources already there: the whole configuration must read, so that the names and URLs compared
    // are the daemon's.
    let config = if config_path.exists() {
        match load_config(Place {
            config: config_path,
            db: None,
        }) {
            Some(c) => c,
            None => return Ok(ExitCode::from(1)),
        }
    } else {
        let mut c = Config::bare(PathBuf::new(), PathBuf::new());
        c.sources_dir =
            crate::config::sources_dir_of(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
        c
    };
    let v = voice(&config, lang);
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let feeds = match opml::parse(&bytes) {
        Ok(f) => f,
        Err(e) => {
            error(format_args!("{}: {e}", file.display()));
            return Ok(ExitCode::from(1));
        }
    };
    let mut urls: HashSet<String> = config.sources.iter().map(|s| same_url(&s.url)).collect();
    let mut names: HashSet<String> = config.sources.iter().map(|s| s.name.clone()).collect();
    let mut duplicates = 0usize;
    let mut refused = 0usize;
    let mut tables = Vec::new();
    for feed in &feeds {
        // Only what the daemon can fetch: an http(s) URL (a path in someone else's file means nothing here).
        if !matches!(Location::parse(&feed.url, None), Ok(Location::Http(_))) {
            refused += 1;
            continue;
        }
        if !urls.insert(same_url(&feed.url)) {
            duplicates += 1;
            continue;
        }
        tables.push(SourceTable {
            name: unique_name(feed, &mut names),
            url: feed.url.clone(),
            tags: feed.tags.clone(),
        });
    }
    let mut out = std::io::stdout().lock();
    let written = if tables.is_empty() {
        None
    } else {
        let dir = &config.sources_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the sources directory {}", dir.display()))?;
        let target = target_file(dir, file);
        let header = v.say(
            "sources-import-header",
            &[("file", file.display().to_string().into())],
        );
        let body = toml::to_string(&SourcesFile { source: tables })
            .context("cannot write the sources as TOML")?;
        let text = format!(
            "# {}\n\n{body}",
            header.lines().collect::<Vec<_>>().join("\n# ")
        );
        // Written beside the target and moved in place, never over an existing file.
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        tmp.write_all(text.as_bytes())?;
        tmp.persist_noclobber(&target)
            .with_context(|| format!("cannot write {}", target.display()))?;
        if config_path.exists()
            && let Err(errors) = Config::load(config_path)
        {
            let _ = std::fs::remove_file(&target);
            print_problems(&errors, "with the imported sources; nothing was added");
            return Ok(ExitCode::from(1));
        }
        Some(target)
    };
    let added = feeds.len() - duplicates - refused;
    writeln!(
        out,
        "{}",
        v.say(
            "sources-imported",
            &[
                ("added", added.into()),
                ("duplicates", duplicates.into()),
                ("refused", refused.into()),
                (
                    "file",
                    written
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |p| p.display().to_string())
                        .into()
                ),
            ]
        )
    )?;
    Ok(ExitCode::SUCCESS)
}

fn export(config_path: &Path) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(Place {
        config: config_path,
        db: None,
    }) else {
        return Ok(ExitCode::from(1));
    };
    let feeds: Vec<opml::ExportedFeed<'_>> = config
        .sources
        .iter()
        .filter(|s| matches!(s.location, Location::Http(_)))
        .map(|s| opml::ExportedFeed {
            title: &s.name,
            url: &s.url,
            tags: &s.tags,
        })
        .collect();
    let xml = opml::write(&feeds, "veille", chrono::Utc::now());
    std::io::stdout().lock().write_all(xml.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
