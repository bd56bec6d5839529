//! Source kinds: each service's public interface, its requests, its answers and its manners.
//!
//! In: a source's kind and keys as the configuration gives them (`kind = "mastodon-tag"`, `instance`,
//! `tag`…), later its saved cursor. Out: at configuration time a [`Built`] source, either a feed URL that the
//! ordinary feed path reads (Google News, Bing News, Google Alerts, Reddit, YouTube, Lemmy, WordPress
//! comments), or a [`Target`] read through a JSON API (Mastodon, Bluesky, Hacker News, the App Store); at
//! poll time, for the JSON kinds, a [`Harvest`]: the new posts as mentions and the cursor to start from next
//! time, so that each poll asks only for what is new.
//!
//! One file per service family builds its requests and reads its answers; those functions are pure (bytes
//! in, mentions out) and tested on their own; the reading runs on the blocking pool, off the async threads.
//! The only I/O is the small `harvest` loop of each JSON kind, which sends its requests through
//! [`Fetcher::send`]: the same address guard, size cap, concurrency limits
//! and `Retry-After` handling as feeds, plus the kind's politeness gap between two requests to one host
//! ([`politeness`]). Every kind accepts `base_url`, which replaces the service's scheme, host and port
//! ([`rebase`]) for mirrors, self-hosted instances and tests on loopback.

pub mod apple;
pub mod bluesky;
pub mod closed;
pub mod hn;
pub mod lemmy;
pub mod mastodon;
pub mod news;
pub mod reddit;
pub mod wordpress;
pub mod youtube;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::fetch::{Body, FetchError, Fetched, Fetcher, Location, Request, Validators};
use crate::model::{Mention, SourceKind};

/// The cursor of a kind that asks for what came after the newest item it saw (App Store reviews, Bluesky
/// posts), stored as JSON in `source.cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeCursor {
    pub after: Option<DateTime<Utc>>,
}

/// The most pages one poll reads from a paged API: a source far behind catches up over several polls
/// rather than in one burst.
pub const MAX_PAGES: usize = 5;

/// How gently a kind treats its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Politeness {
    /// The shortest `interval` the configuration accepts for a source of this kind.
    pub min_interval: Duration,
    /// The least time between two requests to one host (requests with a gap also go one at a time per host).
    pub gap: Duration,
}

/// The politeness of each kind, as the README's table of kinds states it.
pub fn politeness(kind: SourceKind) -> Politeness {
    let p = |min_interval: u64, gap_ms: u64| Politeness {
        min_interval: Duration::from_secs(min_interval),
        gap: Duration::from_millis(gap_ms),
    };
    match kind {
        // A feed is whatever its owner serves: the interval and the [http] limits are the whole manners.
        SourceKind::Feed => p(10, 0),
        // Search engines throttle robots hard: a query every 15 minutes is plenty for news.
        SourceKind::GoogleNews | SourceKind::BingNews => p(15 * 60, 2_000),
        SourceKind::GoogleAlerts => p(15 * 60, 1_000),
        // Mastodon allows 300 requests per 5 minutes per address; veille stays far below.
        SourceKind::MastodonTag => p(60, 1_000),
        SourceKind::BlueskyProfile => p(60, 1_000),
        // createSession is limited to 30 per 5 minutes and 300 a day per account.
        SourceKind::BlueskySearch => p(5 * 60, 1_000),
        // Reddit asks unauthenticated clients for at most about one request a minute.
        SourceKind::RedditSearch => p(5 * 60, 60_000),
        // Algolia's public HN API allows 10 000 requests an hour per address.
        SourceKind::HnSearch => p(60, 1_000),
        SourceKind::YoutubeChannel | SourceKind::YoutubePlaylist => p(15 * 60, 1_000),
        SourceKind::LemmyCommunity => p(5 * 60, 1_000),
        SourceKind::WordpressComments => p(5 * 60, 1_000),
        // Reviews come slowly and Apple's feed is cached for hours.
        SourceKind::AppStoreReviews => p(60 * 60, 2_000),
    }
}

/// What a source reads, once its keys are checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A feed at the source's location: `feed` and every kind a service serves as RSS or Atom.
    Feed,
    MastodonTag(mastodon::Tag),
    BlueskyProfile(bluesky::Profile),
    BlueskySearch(bluesky::Search),
    HnSearch(hn::Search),
    AppStoreReviews(apple::Reviews),
}

/// A source's kind-specific keys, as strings, before they are checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keys {
    pub url: Option<String>,
    pub query: Option<String>,
    pub lang: Option<String>,
    pub country: Option<String>,
    pub instance: Vec<String>,
    pub tag: Option<String>,
    pub handle: Option<String>,
    pub identifier: Option<String>,
    pub password_file: Option<String>,
    pub subreddit: Option<String>,
    pub channel_id: Option<String>,
    pub playlist_id: Option<String>,
    pub community: Option<String>,
    pub site: Option<String>,
    pub app_id: Option<String>,
    pub base_url: Option<String>,
}

/// Every kind-specific key, as the configuration spells it.
pub const KIND_KEYS: &[&str] = &[
    "url",
    "query",
    "lang",
    "country",
    "instance",
    "tag",
    "handle",
    "identifier",
    "password_file",
    "subreddit",
    "channel_id",
    "playlist_id",
    "community",
    "site",
    "app_id",
    "base_url",
];

/// The keys a kind takes: those it needs, then those it may take (`base_url` is for every kind).
pub fn keys_of(kind: SourceKind) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        SourceKind::Feed | SourceKind::GoogleAlerts => (&["url"], &[]),
        SourceKind::GoogleNews => (&["query"], &["lang", "country"]),
        SourceKind::BingNews => (&["query"], &[]),
        SourceKind::MastodonTag => (&["instance", "tag"], &[]),
        SourceKind::BlueskyProfile => (&["handle"], &[]),
        SourceKind::BlueskySearch => (&["query", "identifier", "password_file"], &[]),
        SourceKind::RedditSearch => (&["query"], &["subreddit"]),
        SourceKind::HnSearch => (&["query"], &[]),
        SourceKind::YoutubeChannel => (&["channel_id"], &[]),
        SourceKind::YoutubePlaylist => (&["playlist_id"], &[]),
        SourceKind::LemmyCommunity => (&["instance", "community"], &[]),
        SourceKind::WordpressComments => (&["site"], &[]),
        SourceKind::AppStoreReviews => (&["app_id"], &["country"]),
    }
}

/// A problem with one key of a source (or with the source as a whole when `key` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    pub key: Option<&'static str>,
    pub message: String,
}

impl KeyProblem {
    fn at(key: &'static str, message: impl Into<String>) -> KeyProblem {
        KeyProblem {
            key: Some(key),
            message: message.into(),
        }
    }
}

/// A source's kind and keys made into what the poll reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    /// Where the feed is, for the feed kinds; the service's first address for the JSON kinds (the
    /// scheduler's per-host slots and the logs use it).
    pub location: Location,
    pub target: Target,
}

/// Checks a source's keys for its kind and builds what the poll reads. `dir` is the configuration's
/// directory (relative paths and `file://` feeds, the app password's file).
///
/// # Errors
/// Every problem found, each on its key when it has one.
pub fn build(kind: SourceKind, keys: &Keys, dir: &Path) -> Result<Built, Vec<KeyProblem>> {
    let mut problems = Vec::new();
    let base = match keys.base_url.as_deref() {
        None => None,
        Some(b) => match parse_base(b) {
            Ok(u) => Some(u),
            Err(e) => {
                problems.push(KeyProblem::at("base_url", e));
                None
            }
        },
    };
    let text = |key: &'static str, value: &Option<String>, problems: &mut Vec<KeyProblem>| {
        let v = value.as_deref().map(str::trim).unwrap_or("");
        if v.is_empty() {
            if value.is_some() {
                problems.push(KeyProblem::at(key, format!("{key} must not be empty")));
            }
            None
        } else {
            Some(v.to_owned())
        }
    };
    let query = text("query", &keys.query, &mut problems);
    let built = match kind {
        SourceKind::Feed | SourceKind::GoogleAlerts => {
            let url = text("url", &keys.url, &mut problems);
            url.and_then(|u| match Location::parse(&u, Some(dir)) {
                Ok(Location::Http(mut url)) => {
                    if let Some(b) = &base {
                        rebase(&mut url, b);
                    }
                    if let Some(platform) = closed::platform(&url) {
                        problems.push(KeyProblem::at("url", closed::problem(platform)));
                        return None;
                    }
                    Some(Built {
                        location: Location::Http(url),
                        target: Target::Feed,
                    })
                }
                Ok(Location::File(_)) if kind == SourceKind::GoogleAlerts => {
                    problems.push(KeyProblem::at(
                        "url",
                        "a google-alerts url is the alert's feed address (https://www.google.com/alerts/feeds/…)",
                    ));
                    None
                }
                Ok(location) => Some(Built {
                    location,
                    target: Target::Feed,
                }),
                Err(e) => {
                    problems.push(KeyProblem::at("url", e));
                    None
                }
            })
        }
        SourceKind::GoogleNews => {
            let lang = keys.lang.clone().unwrap_or_else(|| "fr".into());
            let country = keys.country.clone().unwrap_or_else(|| "FR".into());
            if !is_code(&lang) {
                problems.push(KeyProblem::at(
                    "lang",
                    format!("lang must be a language code such as \"fr\" or \"en\", not {lang:?}"),
                ));
            }
            if !is_code(&country) {
                problems.push(KeyProblem::at(
                    "country",
                    format!(
                        "country must be a country code such as \"FR\" or \"BE\", not {country:?}"
                    ),
                ));
            }
            query.map(|q| feed_at(news::google_news(&q, &lang, &country), base.as_ref()))
        }
        SourceKind::BingNews => query.map(|q| feed_at(news::bing_news(&q), base.as_ref())),
        SourceKind::RedditSearch => {
            let sub = text("subreddit", &keys.subreddit, &mut problems);
            let sub = sub.map(|s| s.trim_start_matches("r/").to_owned());
            if let Some(s) = &sub
                && !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                problems.push(KeyProblem::at(
                    "subreddit",
                    format!("subreddit must be a name such as \"france\", not {s:?}"),
                ));
            }
            query.map(|q| feed_at(reddit::search(&q, sub.as_deref()), base.as_ref()))
        }
        SourceKind::YoutubeChannel => text("channel_id", &keys.channel_id, &mut problems)
            .map(|id| feed_at(youtube::channel(&id), base.as_ref())),
        SourceKind::YoutubePlaylist => text("playlist_id", &keys.playlist_id, &mut problems)
            .map(|id| feed_at(youtube::playlist(&id), base.as_ref())),
        SourceKind::LemmyCommunity => {
            let instance = one_instance(keys, &mut problems);
            let community = text("community", &keys.community, &mut problems);
            match (instance, community) {
                (Some(i), Some(c)) => Some(feed_at(lemmy::community(&i, &c), base.as_ref())),
                _ => None,
            }
        }
        SourceKind::WordpressComments => text("site", &keys.site, &mut problems).and_then(|s| {
            match wordpress::comments_feed(&s) {
                Ok(url) => Some(feed_at(url, base.as_ref())),
                Err(e) => {
                    problems.push(KeyProblem::at("site", e));
                    None
                }
            }
        }),
        SourceKind::MastodonTag => {
            let mut instances = Vec::new();
            for i in &keys.instance {
                match host_of(i) {
                    Ok(h) if !instances.contains(&h) => instances.push(h),
                    Ok(_) => {}
                    Err(e) => problems.push(KeyProblem::at("instance", e)),
                }
            }
            let tag =
                text("tag", &keys.tag, &mut problems).map(|t| t.trim_start_matches('#').to_owned());
            if let Some(t) = &tag
                && !t.chars().all(|c| c.is_alphanumeric() || c == '_')
            {
                problems.push(KeyProblem::at(
                    "tag",
                    format!("tag must be one hashtag, letters, digits and _ only, not {t:?}"),
                ));
            }
            match (instances.is_empty(), tag) {
                (false, Some(tag)) => {
                    let t = mastodon::Tag {
                        instances,
                        tag,
                        base: base.clone(),
                    };
                    Some(api_at(t.first_url(), Target::MastodonTag(t)))
                }
                _ => None,
            }
        }
        SourceKind::BlueskyProfile => text("handle", &keys.handle, &mut problems).map(|h| {
            let p = bluesky::Profile {
                handle: h.trim_start_matches('@').to_owned(),
                base: base.clone(),
            };
            api_at(p.request(None).url, Target::BlueskyProfile(p))
        }),
        SourceKind::BlueskySearch => {
            let identifier = text("identifier", &keys.identifier, &mut problems);
            let password_file =
                text("password_file", &keys.password_file, &mut problems).map(PathBuf::from);
            if let Some(f) = &password_file {
                let path = bluesky::secret_path(f, dir);
                if let Err(e) = bluesky::read_password(&path) {
                    problems.push(KeyProblem::at("password_file", e));
                }
            }
            match (query, identifier, password_file) {
                (Some(query), Some(identifier), Some(password_file)) => {
                    let s = bluesky::Search {
                        query,
                        identifier,
                        password_file,
                        dir: dir.to_owned(),
                        base: base.clone(),
                    };
                    Some(api_at(s.session_request("").url, Target::BlueskySearch(s)))
                }
                _ => None,
            }
        }
        SourceKind::HnSearch => query.map(|query| {
            let s = hn::Search {
                query,
                base: base.clone(),
            };
            api_at(s.request(None, 0).url, Target::HnSearch(s))
        }),
        SourceKind::AppStoreReviews => {
            let app_id = text("app_id", &keys.app_id, &mut problems);
            if let Some(a) = &app_id
                && !a.chars().all(|c| c.is_ascii_digit())
            {
                problems.push(KeyProblem::at(
                    "app_id",
                    format!("app_id must be the app's number (the digits after \"id\" in its App Store address), not {a:?}"),
                ));
            }
            let country = keys.country.clone().unwrap_or_else(|| "fr".into());
            if !is_code(&country) {
                problems.push(KeyProblem::at(
                    "country",
                    format!("country must be a country code such as \"fr\", not {country:?}"),
                ));
            }
            app_id.map(|app_id| {
                let r = apple::Reviews {
                    app_id,
                    country: country.to_ascii_lowercase(),
                    base: base.clone(),
                };
                api_at(r.request(1).url, Target::AppStoreReviews(r))
            })
        }
    };
    match built {
        Some(b) if problems.is_empty() => Ok(b),
        _ => Err(problems),
    }
}

fn feed_at(mut url: url::Url, base: Option<&url::Url>) -> Built {
    if let Some(b) = base {
        rebase(&mut url, b);
    }
    Built {
        location: Location::Http(url),
        target: Target::Feed,
    }
}

fn api_at(url: url::Url, target: Target) -> Built {
    Built {
        location: Location::Http(url),
        target,
    }
}

fn one_instance(keys: &Keys, problems: &mut Vec<KeyProblem>) -> Option<String> {
    match keys.instance.as_slice() {
        [one] => match host_of(one) {
            Ok(h) => Some(h),
            Err(e) => {
                problems.push(KeyProblem::at("instance", e));
                None
            }
        },
        [] => None,
        _ => {
            problems.push(KeyProblem::at(
                "instance",
                "lemmy-community reads one instance; give one host",
            ));
            None
        }
    }
}

/// A two- or three-letter code (`fr`, `FR`, `fra`).
fn is_code(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphabetic())
}

/// An instance as a host name: `piaille.fr`, or a URL of it whose host is kept.
fn host_of(text: &str) -> Result<String, String> {
    let t = text.trim().trim_end_matches('/');
    let host = if t.contains("://") {
        url::Url::parse(t)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    } else {
        url::Url::parse(&format!("https://{t}"))
            .ok()
            .filter(|u| u.path() == "/" && u.query().is_none())
            .and_then(|u| u.host_str().map(str::to_owned))
    };
    host.filter(|h| !h.is_empty())
        .ok_or_else(|| format!("instance must be a host name such as \"piaille.fr\", not {text:?}"))
}

/// Reads `base_url`: an http(s) URL whose scheme, host and port replace the service's.
fn parse_base(text: &str) -> Result<url::Url, String> {
    let url =
        url::Url::parse(text.trim()).map_err(|e| format!("base_url {text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "base_url must be an http:// or https:// address such as \"http://127.0.0.1:8080\", not {text:?}"
        ));
    }
    Ok(url)
}

/// Replaces `url`'s scheme, host and port with `base`'s; the path and query stay.
pub fn rebase(url: &mut url::Url, base: &url::Url) {
    let mut out = base.clone();
    out.set_path(url.path());
    out.set_query(url.query());
    out.set_fragment(None);
    *url = out;
}

/// What the JSON kinds found in one poll.
#[derive(Debug, Clone, Default)]
pub struct Harvest {
    /// The new posts, as mentions (each service's id, so that two instances' copies of one post are one).
    pub mentions: Vec<Mention>,
    /// The cursor to start from next time (unchanged when nothing new was read).
    pub cursor: Option<String>,
    /// A failure on part of the source (one of several instances): what was read is kept, and the source
    /// is failing until it is fixed.
    pub partial: Option<FetchError>,
}

/// Reads what is new on a JSON kind's service since `cursor`.
///
/// # Errors
/// The first failure that left nothing to keep (a refusal, a throttle, a malformed answer).
pub async fn harvest(
    fetcher: &Fetcher,
    target: &Target,
    source: &str,
    cursor: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Harvest, FetchError> {
    match target {
        Target::Feed => Ok(Harvest {
            cursor: cursor.map(str::to_owned),
            ..Harvest::default()
        }),
        Target::MastodonTag(t) => t.harvest(fetcher, source, cursor, now).await,
        Target::BlueskyProfile(p) => p.harvest(fetcher, source, cursor, now).await,
        Target::BlueskySearch(s) => s.harvest(fetcher, source, cursor, now).await,
        Target::HnSearch(s) => s.harvest(fetcher, source, cursor, now).await,
        Target::AppStoreReviews(r) => r.harvest(fetcher, source, cursor, now).await,
    }
}

/// Sends one API request and returns its body; a 401 or 403 becomes [`FetchError::Denied`] with `advice`.
async fn get(
    fetcher: &Fetcher,
    request: &Request,
    source: &str,
    advice: &str,
) -> Result<Body, FetchError> {
    match fetcher.send(request, &Validators::default()).await {
        Ok(Fetched::Body(body)) => Ok(body),
        // No validators were sent: a 304 is a server's confusion; read it as an empty answer.
        Ok(Fetched::NotModified) => Ok(Body {
            bytes: Vec::new(),
            charset: None,
            validators: Validators::default(),
        }),
        Err(FetchError::Status {
            status: status @ (401 | 403),
            ..
        }) => Err(FetchError::Denied {
            name: source.to_owned(),
            url: request.url.to_string(),
            status,
            advice: advice.to_owned(),
        }),
        Err(e) => Err(e),
    }
}

/// Runs a kind's reading of a body on the blocking pool: parsing is CPU work and must not hold an async
/// thread (a 10 MiB answer takes tens of milliseconds).
async fn off_thread<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, crate::sources::parse::ParseError> + Send + 'static,
) -> Result<T, FetchError> {
    match tokio::task::spawn_blocking(read).await {
        Ok(result) => Ok(result?),
        Err(join) => Err(FetchError::Parse(
            crate::sources::parse::ParseError::ParserPanic(join.to_string()),
        )),
    }
}

/// A time as services write it (RFC 3339).
fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?.trim())
        .ok()
        .map(|t| t.to_utc())
}

/// Reads a source once, as its first poll would, without storing anything: what `veille fetch` and
/// `veille sources add` show before a source is kept. Returns the mentions and the feed's title, if any.
///
/// # Errors
/// The fetch's or the parse's failure.
pub async fn try_once(
    fetcher: &Fetcher,
    name: &str,
    kind: SourceKind,
    location: &Location,
    target: &Target,
    now: DateTime<Utc>,
) -> Result<(Vec<Mention>, Option<String>), FetchError> {
    if !matches!(target, Target::Feed) {
        let h = harvest(fetcher, target, name, None, now).await?;
        return match h.partial {
            Some(e) => Err(e),
            None => Ok((h.mentions, None)),
        };
    }
    let fetched = match location {
        Location::Http(url) => {
            let mut request = Request::feed(url.clone());
            request.gap = politeness(kind).gap;
            let fetched = fetcher.send(&request, &Validators::default()).await?;
            if let Fetched::Body(body) = &fetched {
                check_feed_body(kind, url.as_str(), &body.bytes)?;
            }
            fetched
        }
        Location::File(_) => fetcher.fetch(location, &Validators::default()).await?,
    };
    match fetched {
        Fetched::NotModified => Ok((Vec::new(), None)),
        Fetched::Body(body) => {
            let mut feed =
                crate::sources::parse::parse_feed(name, &body.bytes, body.charset.as_deref(), now)?;
            for m in &mut feed.mentions {
                m.kind = kind;
                m.reach.handle = feed_handle(kind, m.author.as_deref());
            }
            Ok((feed.mentions, feed.title))
        }
    }
}

/// The author's handle on the service, for the feed kinds whose feeds give one as the author's name
/// (Reddit writes `/u/alice`).
pub fn feed_handle(kind: SourceKind, author: Option<&str>) -> Option<String> {
    match kind {
        SourceKind::RedditSearch => author
            .map(str::trim)
            .and_then(|a| a.strip_prefix('/').or(Some(a)))
            .filter(|a| a.starts_with("u/"))
            .map(str::to_owned),
        _ => None,
    }
}

/// Checks a feed kind's body before it is parsed: a service that throttles with a page instead of a status.
///
/// # Errors
/// [`FetchError::Throttled`] when the body is such a page.
pub fn check_feed_body(kind: SourceKind, url: &str, bytes: &[u8]) -> Result<(), FetchError> {
    match kind {
        SourceKind::RedditSearch => reddit::check_throttled(url, bytes),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::default()
    }

    #[test]
    fn base_url_replaces_scheme_host_and_port_only() {
        let mut url = url::Url::parse("https://news.google.com/rss/search?q=a%20b&hl=fr").unwrap();
        rebase(
            &mut url,
            &url::Url::parse("http://127.0.0.1:8080/ignored?x=1").unwrap(),
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/rss/search?q=a%20b&hl=fr"
        );
    }

    #[test]
    fn missing_and_foreign_values_are_named_by_key() {
        let k = Keys {
            base_url: Some("ftp://x".into()),
            query: Some("  ".into()),
            ..keys()
        };
        let problems = build(SourceKind::HnSearch, &k, Path::new("/")).unwrap_err();
        let keys: Vec<_> = problems.iter().map(|p| p.key).collect();
        assert_eq!(keys, vec![Some("base_url"), Some("query")]);
    }

    #[test]
    fn instances_are_hosts_and_tags_lose_their_hash() {
        let k = Keys {
            instance: vec![
                "https://piaille.fr/".into(),
                "mastodon.social".into(),
                "piaille.fr".into(),
            ],
            tag: Some("#MaisonBrioche".into()),
            ..keys()
        };
        let built = build(SourceKind::MastodonTag, &k, Path::new("/")).unwrap();
        let Target::MastodonTag(t) = built.target else {
            panic!("{built:?}")
        };
        assert_eq!(t.instances, vec!["piaille.fr", "mastodon.social"]);
        assert_eq!(t.tag, "MaisonBrioche");
        let bad = Keys {
            instance: vec!["piaille.fr/some/path".into()],
            tag: Some("two words".into()),
            ..keys()
        };
        let problems = build(SourceKind::MastodonTag, &bad, Path::new("/")).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn every_kind_names_its_needed_keys() {
        for kind in SourceKind::ALL {
            let (needed, optional) = keys_of(kind);
            assert!(!needed.is_empty(), "{kind}");
            for k in needed.iter().chain(optional) {
                assert!(KIND_KEYS.contains(k), "{kind}: {k}");
            }
        }
    }

    #[test]
    fn reddit_authors_are_handles() {
        assert_eq!(
            feed_handle(SourceKind::RedditSearch, Some("/u/alice")).as_deref(),
            Some("u/alice")
        );
        assert_eq!(feed_handle(SourceKind::RedditSearch, Some("alice")), None);
        assert_eq!(feed_handle(SourceKind::Feed, Some("/u/alice")), None);
    }

    #[test]
    fn a_closed_platform_is_refused_as_a_feed() {
        let k = Keys {
            url: Some("https://x.com/maisonbrioche".into()),
            ..keys()
        };
        let problems = build(SourceKind::Feed, &k, Path::new("/")).unwrap_err();
        assert!(problems[0].message.contains("RSS-Bridge"), "{problems:?}");
    }
}
