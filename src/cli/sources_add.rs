//! `veille sources add KIND --name NAME [keys…] [--write]`: a source tried once, then given as TOML.
//!
//! In: the kind and its keys as options (`--query`, `--instance`…). Out: the source read once, exactly as
//! its first poll would (the configuration's `[http]` limits and address guard, the kind's politeness),
//! with how many mentions it gave, then its `[[source]]` table on standard output; with `--write`, the
//! table appended to `NAME.toml` in the sources directory (`sources_dir`) ([`source_file`], [`append`]). A source
//! whose keys are wrong or whose try fails is not written.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config::Config;
use crate::model::SourceKind;
use crate::sources::fetch::HttpConfig;
use crate::sources::kinds::{self, Keys};

/// The options of `veille sources add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The kind: feed, google-news, bing-news, google-alerts, mastodon-tag, bluesky-profile,
    /// bluesky-search, reddit-search, hn-search, youtube-channel, youtube-playlist, lemmy-community,
    /// wordpress-comments, app-store-reviews.
    #[arg(value_parser = parse_kind)]
    pub kind: SourceKind,
    /// The source's name (unique; also the file's name with --write).
    #[arg(long)]
    pub name: String,
    /// Append the table to NAME.toml in the sources directory (sources_dir, sources.d by default).
    #[arg(long)]
    pub write: bool,
    /// Let the try reach loopback and private addresses, as `[http] allow_private = true` does.
    #[arg(long)]
    pub allow_private: bool,
    /// Poll interval (e.g. 15m); the kind's default when not given.
    #[arg(long, value_name = "DUR")]
    pub interval: Option<String>,
    /// feed, google-alerts: the feed's address.
    #[arg(long)]
    pub url: Option<String>,
    /// google-news, bing-news, bluesky-search, reddit-search, hn-search: what to search for.
    #[arg(long)]
    pub query: Option<String>,
    /// google-news: the language (default fr).
    #[arg(long)]
    pub lang: Option<String>,
    /// google-news (default FR), app-store-reviews (default fr): the country.
    #[arg(long)]
    pub country: Option<String>,
    /// A Mastodon or Lemmy instance's host (repeat for several Mastodon instances).
    #[arg(long)]
    pub instance: Vec<String>,
    /// mastodon-tag: the hashtag.
    #[arg(long)]
    pub tag: Option<String>,
    /// bluesky-profile: the profile's handle.
    #[arg(long)]
    pub handle: Option<String>,
    /// bluesky-search: the account's handle or email.
    #[arg(long)]
    pub identifier: Option<String>,
    /// bluesky-search: the file holding the account's app password.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<String>,
    /// reddit-search: search only this subreddit.
    #[arg(long)]
    pub subreddit: Option<String>,
    /// youtube-channel: the channel's id (UC…).
    #[arg(long)]
    pub channel_id: Option<String>,
    /// youtube-playlist: the playlist's id (PL…).
    #[arg(long)]
    pub playlist_id: Option<String>,
    /// lemmy-community: the community's name.
    #[arg(long)]
    pub community: Option<String>,
    /// wordpress-comments: the site's or the article's address.
    #[arg(long)]
    pub site: Option<String>,
    /// app-store-reviews: the app's number.
    #[arg(long)]
    pub app_id: Option<String>,
    /// Any kind: replace the service's scheme, host and port (a mirror, a self-hosted instance).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

fn parse_kind(s: &str) -> Result<SourceKind, String> {
    SourceKind::parse(s).ok_or_else(|| {
        format!(
            "unknown kind {s:?} (kinds: {})",
            SourceKind::ALL.map(SourceKind::as_str).join(", ")
        )
    })
}

impl AddArgs {
    fn keys(&self) -> Keys {
        Keys {
            url: self.url.clone(),
            query: self.query.clone(),
            lang: self.lang.clone(),
            country: self.country.clone(),
            instance: self.instance.clone(),
            tag: self.tag.clone(),
            handle: self.handle.clone(),
            identifier: self.identifier.clone(),
            password_file: self.password_file.clone(),
            subreddit: self.subreddit.clone(),
            channel_id: self.channel_id.clone(),
            playlist_id: self.playlist_id.clone(),
            community: self.community.clone(),
            site: self.site.clone(),
            app_id: self.app_id.clone(),
            base_url: self.base_url.clone(),
        }
    }

    /// The source's `[[source]]` table, keys in the order the README gives them.
    pub fn toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
        let mut out = String::from("[[source]]\n");
        out.push_str(&format!("name = {}\n", quote(&self.name)));
        out.push_str(&format!("kind = {}\n", quote(self.kind.as_str())));
        let k = self.keys();
        let singles = [
            ("url", &k.url),
            ("query", &k.query),
            ("lang", &k.lang),
            ("country", &k.country),
        ];
        for (key, value) in singles {
            if let Some(v) = value {
                out.push_str(&format!("{key} = {}\n", quote(v)));
            }
        }
        match k.instance.as_slice() {
            [] => {}
            [one] => out.push_str(&format!("instance = {}\n", quote(one))),
            many => out.push_str(&format!(
                "instance = [{}]\n",
                many.iter().map(|i| quote(i)).collect::<Vec<_>>().join(", ")
            )),
        }
        let rest = [
            ("tag", &k.tag),
            ("handle", &k.handle),
            ("identifier", &k.identifier),
            ("password_file", &k.password_file),
            ("subreddit", &k.subreddit),
            ("channel_id", &k.channel_id),
            ("playlist_id", &k.playlist_id),
            ("community", &k.community),
            ("site", &k.site),
            ("app_id", &k.app_id),
            ("base_url", &k.base_url),
            ("interval", &self.interval),
        ];
        for (key, value) in rest {
            if let Some(v) = value {
                out.push_str(&format!("{key} = {}\n", quote(v)));
            }
        }
        out
    }
}

/// The file `veille sources add --write` writes a source to: `NAME.toml` in the configuration's sources
/// directory ([`crate::config::sources_dir_of`]: `sources_dir`, `sources.d` beside the configuration by
/// default). The name is kept to letters, digits, `-` and `_` so that it cannot leave the directory.
///
/// # Errors
/// When the configuration cannot be read for its `sources_dir`.
pub fn source_file(config: &Path, name: &str) -> Result<PathBuf, crate::config::ConfigErrors> {
    let dir = crate::config::sources_dir_of(config)?;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Ok(dir.join(format!("{safe}.toml")))
}

/// Appends a source's table to `file`, creating it and its directory when needed.
///
/// # Errors
/// When the directory or the file cannot be written.
pub fn append(file: &Path, table: &str) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    let separated = if f.metadata()?.len() > 0 { "\n" } else { "" };
    write!(f, "{separated}{table}")?;
    f.sync_all()
}

/// Runs `veille sources add`.
///
/// # Errors
/// When standard output cannot be written or the runtime cannot start.
pub fn run(config_path: &Path, args: &AddArgs) -> anyhow::Result<ExitCode> {
    let config = if config_path.exists() {
        match Config::load(config_path) {
            Ok(c) => Some(c),
            Err(errors) => {
                super::error(errors);
                return Ok(ExitCode::from(1));
            }
        }
    } else {
        None
    };
    let locale = crate::i18n::Locale::from_env()
        .or(config.as_ref().map(|c| c.locale))
        .unwrap_or_default();
    let v = crate::i18n::Voice::new(locale, chrono_tz::UTC);
    let file = match source_file(config_path, &args.name) {
        Ok(f) => f,
        Err(errors) => {
            super::error(errors);
            return Ok(ExitCode::from(1));
        }
    };
    if config
        .as_ref()
        .is_some_and(|c| c.sources.iter().any(|s| s.name == args.name.trim()))
    {
        super::error(v.say(
            "sources-add-exists",
            &[
                ("name", args.name.as_str().into()),
                ("file", config_path.display().to_string().into()),
            ],
        ));
        return Ok(ExitCode::from(1));
    }
    // The table is checked by the configuration's own reader, so that what is printed is what `veille
    // check` accepts, its problems named as they will be.
    let table = args.toml();
    let dir = config_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let probe = dir.join("veille.toml");
    let source = match Config::from_text(&probe, &table) {
        Ok(c) => c.sources.into_iter().next(),
        Err(errors) => {
            super::error(errors);
            return Ok(ExitCode::from(1));
        }
    };
    let Some(source) = source else {
        return Ok(ExitCode::from(1));
    };
    let mut http = config.map(|c| c.http).unwrap_or_else(HttpConfig::default);
    http.allow_private |= args.allow_private;
    let rt = super::runtime()?;
    let fetcher = http.build().map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = chrono::Utc::now();
    let tried = rt.block_on(kinds::try_once(
        &fetcher,
        &source.name,
        source.kind,
        &source.location,
        &source.target,
        now,
    ));
    let kind = source.kind.as_str();
    let mentions = match tried {
        Ok((m, _)) => m,
        Err(e) => {
            super::error(v.say(
                "sources-add-failed",
                &[
                    ("name", source.name.as_str().into()),
                    ("kind", kind.into()),
                    ("error", e.to_string().into()),
                ],
            ));
            return Ok(ExitCode::from(1));
        }
    };
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "{}",
        v.say(
            "sources-add-tried",
            &[
                ("name", source.name.as_str().into()),
                ("kind", kind.into()),
                ("count", mentions.len().into()),
                ("url", source.location.display().into()),
            ],
        )
    )?;
    for m in mentions.iter().take(3) {
        let title = m
            .title
            .clone()
            .unwrap_or_else(|| super::inspect::excerpt(&m.text, 100));
        writeln!(err, "  · {title}")?;
    }
    let mut out = std::io::stdout().lock();
    write!(out, "{table}")?;
    if args.write {
        append(&file, &table)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
        writeln!(
            err,
            "{}",
            v.say(
                "sources-add-written",
                &[("file", file.display().to_string().into())]
            )
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        add: AddArgs,
    }

    #[test]
    fn the_table_reads_back_as_the_same_source() {
        let cli = Cli::parse_from([
            "x",
            "mastodon-tag",
            "--name",
            "brioche «masto»",
            "--instance",
            "piaille.fr",
            "--instance",
            "mastodon.social",
            "--tag",
            "MaisonBrioche",
        ]);
        let table = cli.add.toml();
        assert_eq!(
            table,
            "[[source]]\nname = \"brioche «masto»\"\nkind = \"mastodon-tag\"\ninstance = [\"piaille.fr\", \"mastodon.social\"]\ntag = \"MaisonBrioche\"\n"
        );
        let c = Config::from_text(Path::new("/etc/veille/veille.toml"), &table).unwrap();
        assert_eq!(c.sources[0].kind, SourceKind::MastodonTag);
    }

    #[test]
    fn the_file_stays_in_sources_d() {
        assert_eq!(
            source_file(
                Path::new("/nonexistent/veille/veille.toml"),
                "../../etc/passwd"
            )
            .unwrap(),
            Path::new("/nonexistent/veille/sources.d/------etc-passwd.toml")
        );
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("veille.toml");
        std::fs::write(&config, "sources_dir = \"more\"\n").unwrap();
        assert_eq!(
            source_file(&config, "a").unwrap(),
            dir.path().join("more/a.toml")
        );
        let file = source_file(&config, "a").unwrap();
        append(&file, "[[source]]\nname = \"a\"\n").unwrap();
        append(&file, "[[source]]\nname = \"b\"\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "[[source]]\nname = \"a\"\n\n[[source]]\nname = \"b\"\n"
        );
    }
}
