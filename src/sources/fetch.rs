//! Fetching: getting a source's bytes, politely and within limits.
//!
//! In: a source location (an `http(s)://` URL, a `file://` URL or a path) and what was saved from the last
//! fetch (ETag, Last-Modified). Out: the body with its declared charset, `NotModified`, or a [`FetchError`]
//! that says what happened and whether waiting will help.
//!
//! HTTP goes through one shared reqwest client (rustls, gzip/brotli/deflate, connect and total timeouts, a
//! redirect limit, `User-Agent: veille/<version>`, no proxy); the body size limit is enforced while
//! streaming, so a hostile server cannot fill the memory. Every hop, the first request and each redirect,
//! goes through the address guard ([`super::guard`]): names are resolved by its resolver, IP literals are
//! checked before the request and in the redirect policy, and a refusal is [`FetchError::Refused`]. A
//! global semaphore and one per host bound concurrency. A request may also carry a politeness gap (the
//! source kinds of [`super::kinds`] set it per service): requests to that host with a gap then go one at a
//! time, each starting at least the gap after the previous one.
//!
//! Files on disk go through the same path so that demos, tests and benchmarks exercise the real pipeline;
//! their modification time and size stand in for an ETag. Only regular files are read (a device such as
//! `/dev/zero`, a FIFO, a socket or a directory is an error, found without waiting on it), within
//! `max_body_bytes` counted while reading and within the `[http]` timeout.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use serde::Deserialize;
use tokio::sync::Semaphore;

use super::guard::{AddressPolicy, GuardedResolver, Refusal};
use super::parse::ParseError;
use super::schedule::Outcome;
use crate::model::Interval;

/// HTTP limits: the `[http]` table of the configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Whole-request timeout.
    pub timeout: Interval,
    /// Connection timeout.
    pub connect_timeout: Interval,
    /// Largest body accepted, in bytes.
    pub max_body_bytes: u64,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// Fetches in flight at once, all hosts together.
    pub concurrency: usize,
    /// Fetches in flight at once on one host.
    pub per_host: usize,
    /// Longest wait between two attempts on a failing source.
    pub max_backoff: Interval,
    /// CPU time one poll's parsing and analysis may take; past it the source fails as too costly to read.
    pub read_budget: Interval,
    /// Let sources reach loopback, private (RFC 1918), shared (CGNAT) and unique-local addresses.
    pub allow_private: bool,
    /// Host names (`rss.intranet`, `*.intranet`) and CIDR ranges (`10.1.2.0/24`) sources may reach even
    /// though they are not public.
    pub allow: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout: Interval::secs(30),
            connect_timeout: Interval::secs(10),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            concurrency: 16,
            per_host: 2,
            max_backoff: Interval::secs(24 * 3600),
            read_budget: Interval::secs(20),
            allow_private: false,
            allow: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// Builds the fetcher these settings describe.
    ///
    /// # Errors
    /// When the TLS stack cannot be set up (no usable crypto provider or system certificates), or an
    /// `allow` entry does not parse (the configuration's validation reports it first, with its line).
    pub fn build(&self) -> Result<Fetcher, FetchError> {
        // reqwest is built without a default crypto provider; ring is the one veille ships with.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let policy = Arc::new(
            AddressPolicy::new(self.allow_private, &self.allow)
                .map_err(|e| FetchError::Network(format!("[http] allow: {e}")))?,
        );
        let redirects = Arc::clone(&policy);
        let max_redirects = self.max_redirects;
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "veille/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/veille)"
            ))
            .timeout(self.timeout.0)
            .connect_timeout(self.connect_timeout.0)
            // Names are checked on the addresses they resolve to, IP literals here, at every hop.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max_redirects {
                    attempt.error("too many redirects")
                } else if let Err(refusal) = redirects.check_url(attempt.url()) {
                    attempt.error(refusal)
                } else {
                    attempt.follow()
                }
            }))
            .dns_resolver(GuardedResolver {
                policy: Arc::clone(&policy),
            })
            // A proxy would resolve and connect on veille's behalf, out of the guard's sight.
            .no_proxy()
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()
            .map_err(|e| FetchError::Network(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            policy,
            max_body: self.max_body_bytes,
            timeout: self.timeout.0,
            global: Arc::new(Semaphore::new(self.concurrency.max(1))),
            per_host_limit: self.per_host.max(1),
            per_host: Mutex::new(HashMap::new()),
            polite: Mutex::new(HashMap::new()),
        })
    }
}

/// Where a source's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Http(url::Url),
    File(PathBuf),
}

impl Location {
    /// Reads a source URL as the configuration gives it: `http(s)://`, `file://` or a plain path, which is
    /// taken relative to `base` when relative.
    ///
    /// # Errors
    /// A message for URLs of another scheme or that do not parse.
    pub fn parse(text: &str, base: Option<&Path>) -> Result<Location, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty URL".into());
        }
        if let Some((scheme, _)) = t.split_once("://") {
            let url = url::Url::parse(t).map_err(|e| format!("invalid URL {t:?}: {e}"))?;
            return match scheme.to_ascii_lowercase().as_str() {
                "http" | "https" => Ok(Location::Http(url)),
                "file" => url
                    .to_file_path()
                    .map(Location::File)
                    .map_err(|()| format!("invalid file URL {t:?}")),
                other => Err(format!(
                    "unsupported URL scheme {other:?} in {t:?}: use http://, https://, file:// or a path"
                )),
            };
        }
        let path = PathBuf::from(t);
        Ok(Location::File(match base {
            Some(b) if path.is_relative() => b.join(path),
            _ => path,
        }))
    }

    /// The URL shown to people and in logs.
    pub fn display(&self) -> String {
        match self {
            Location::Http(u) => u.to_string(),
            Location::File(p) => format!("file://{}", p.display()),
        }
    }
}

/// What the last successful fetch left to make the next one conditional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A body fetched.
#[derive(Debug, Clone)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// The charset the `Content-Type` header declared.
    pub charset: Option<String>,
    pub validators: Validators,
}

/// An HTTP request of a source kind: a GET of a feed or an API, or a POST of JSON (a session to open).
/// Its `Debug` leaves out the body and the token, which may carry a password or a session.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub url: url::Url,
    /// A JSON body to POST; `None` is a GET.
    pub json: Option<String>,
    /// What the service answers in: `Accept` header.
    pub accept: &'static str,
    /// A bearer token (`Authorization: Bearer …`), never logged.
    pub bearer: Option<String>,
    /// The least time between two requests to this host with a gap (the service's politeness); zero for
    /// none.
    pub gap: Duration,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("url", &self.url.as_str())
            .field("json", &self.json.as_ref().map(|_| "…"))
            .field("accept", &self.accept)
            .field("bearer", &self.bearer.as_ref().map(|_| "…"))
            .field("gap", &self.gap)
            .finish()
    }
}

/// What feeds are asked for.
const FEED_ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5";

impl Request {
    /// A GET of a feed.
    pub fn feed(url: url::Url) -> Request {
        Request {
            url,
            json: None,
            accept: FEED_ACCEPT,
            bearer: None,
            gap: Duration::ZERO,
        }
    }

    /// A GET of a JSON API.
    pub fn api(url: url::Url, gap: Duration) -> Request {
        Request {
            url,
            json: None,
            accept: "application/json",
            bearer: None,
            gap,
        }
    }
}

/// The result of a successful fetch.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// `304 Not Modified`, or a file that has not changed: nothing to parse.
    NotModified,
    Body(Body),
}

/// Why a fetch failed. The message says what happened; [`FetchError::outcome`] says what scheduling does.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", reason(*.status))]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("timed out after {0:?} (the server is slow or unreachable)")]
    Timeout(Duration),
    #[error(
        "response larger than the {limit}-byte limit (raise [http] max_body_bytes if this feed is legitimate)"
    )]
    TooLarge { limit: u64 },
    #[error("too many redirects")]
    TooManyRedirects,
    /// The address guard refused the source's host or a redirect's.
    #[error("{0}")]
    Refused(Refusal),
    #[error("network error: {0}")]
    Network(String),
    #[error("cannot read {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// The service refused to answer (401, 403): waiting will not help, someone must change something.
    #[error("source {name:?}: {url} answered HTTP {status}{}: {advice}", reason(*.status))]
    Denied {
        /// The source's name.
        name: String,
        url: String,
        status: u16,
        /// What it means for this service and what to do.
        advice: String,
    },
    /// The service answered with a page that says it is throttling veille (some answer 200 with it).
    #[error("{url} is throttling requests ({what}); veille waits {} min before asking again", .wait.as_secs() / 60)]
    Throttled {
        url: String,
        what: String,
        wait: Duration,
    },
}

fn reason(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default()
}

impl FetchError {
    /// How scheduling treats this failure.
    pub fn outcome(&self) -> Outcome {
        match self {
            FetchError::Status {
                status: 404 | 410, ..
            } => Outcome::Gone,
            FetchError::Status {
                retry_after: Some(d),
                status: 429 | 503,
            } => Outcome::RetryAfter(*d),
            FetchError::Throttled { wait, .. } => Outcome::RetryAfter(*wait),
            _ => Outcome::Failed,
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status == 429 || *status >= 500,
            FetchError::Timeout(_) | FetchError::Network(_) | FetchError::Throttled { .. } => true,
            FetchError::Denied { .. } => false,
            FetchError::TooLarge { .. }
            | FetchError::TooManyRedirects
            | FetchError::Refused(_)
            | FetchError::Parse(_) => false,
            FetchError::File { .. } => false,
        }
    }
}

/// The running fetcher: one HTTP client and the concurrency limits.
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    max_body: u64,
    timeout: Duration,
    global: Arc<Semaphore>,
    per_host_limit: usize,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Per host, when the last request with a politeness gap started; the lock is held through the request,
    /// so polite requests to one host go one at a time.
    polite: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<tokio::time::Instant>>>>>,
}

impl Fetcher {
    /// Fetches a location, conditionally on `validators`.
    ///
    /// # Errors
    /// [`FetchError`] for every way the fetch can fail; the body is not parsed here.
    pub async fn fetch(
        &self,
        location: &Location,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        match location {
            Location::File(path) => self.fetch_file(path, validators).await,
            Location::Http(url) => self.send(&Request::feed(url.clone()), validators).await,
        }
    }

    /// Sends one HTTP request through the same path as feeds: the address guard, the concurrency limits,
    /// the size cap, conditional headers, `Retry-After`, and the request's politeness gap.
    ///
    /// # Errors
    /// [`FetchError`] for every way the request can fail; the body is not parsed here.
    pub async fn send(
        &self,
        request: &Request,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let host_name = request.url.host_str().unwrap_or("").to_owned();
        let polite = (!request.gap.is_zero()).then(|| self.polite_slot(&host_name));
        let mut last = match &polite {
            Some(slot) => Some(slot.clone().lock_owned().await),
            None => None,
        };
        if let Some(last) = last.as_mut() {
            if let Some(at) = **last {
                tokio::time::sleep_until(at + request.gap).await;
            }
            **last = Some(tokio::time::Instant::now());
        }
        let _global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        let host = self.host_semaphore(&host_name);
        let _host = host.acquire_owned().await.expect("semaphore never closed");
        self.fetch_http(request, validators).await
    }

    fn polite_slot(&self, host: &str) -> Arc<tokio::sync::Mutex<Option<tokio::time::Instant>>> {
        let mut map = self
            .polite
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(host.to_owned()).or_default().clone()
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut map = self
            .per_host
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host_limit)))
            .clone()
    }

    async fn fetch_file(
        &self,
        path: &Path,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let owned = path.to_owned();
        let max = self.max_body;
        let etag = validators.etag.clone();
        let read =
            tokio::task::spawn_blocking(move || read_regular_file(&owned, max, etag.as_deref()));
        // A file on a stuck network mount must not hold the source forever.
        match tokio::time::timeout(self.timeout, read).await {
            Err(_) => Err(FetchError::Timeout(self.timeout)),
            Ok(Err(join)) => Err(FetchError::File {
                path: path.to_owned(),
                message: join.to_string(),
            }),
            Ok(Ok(result)) => result,
        }
    }

    async fn fetch_http(
        &self,
        r: &Request,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        // An IP literal never reaches the guard's resolver: check it before anything is sent.
        self.policy.check_url(&r.url).map_err(FetchError::Refused)?;
        let mut request = match &r.json {
            None => self.client.get(r.url.clone()),
            Some(json) => self
                .client
                .post(r.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(json.clone()),
        }
        .header(reqwest::header::ACCEPT, r.accept);
        if let Some(token) = &r.bearer {
            request = request.bearer_auth(token);
        }
        if let Some(etag) = &validators.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, lm);
        }
        let response = request.send().await.map_err(|e| self.classify(e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if !status.is_success() {
            let retry_after =
                header(reqwest::header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after,
            });
        }
        let charset = header(reqwest::header::CONTENT_TYPE).and_then(|ct| charset_of(&ct));
        let new_validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        if response.content_length().is_some_and(|l| l > self.max_body) {
            return Err(FetchError::TooLarge {
                limit: self.max_body,
            });
        }
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(e))?;
            if bytes.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body(Body {
            bytes,
            charset,
            validators: new_validators,
        }))
    }

    fn classify(&self, e: reqwest::Error) -> FetchError {
        // The guard's refusal, from the resolver or the redirect policy, wherever reqwest wrapped it.
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(c) = cause {
            if let Some(refusal) = c.downcast_ref::<Refusal>() {
                return FetchError::Refused(refusal.clone());
            }
            cause = c.source();
        }
        if e.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else if e.is_redirect() {
            FetchError::TooManyRedirects
        } else {
            // The innermost cause is the one a person understands ("Connection refused").
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message = s.to_string();
                source = s.source();
            }
            FetchError::Network(message)
        }
    }
}

/// Reads a file source: a regular file only, at most `max` bytes counted while reading.
fn read_regular_file(path: &Path, max: u64, etag: Option<&str>) -> Result<Fetched, FetchError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let error = |message: String| FetchError::File {
        path: path.to_owned(),
        message,
    };
    let io_error = |e: std::io::Error| error(e.to_string());
    // Refuse special files before opening them: opening a FIFO waits for a writer.
    let meta = std::fs::metadata(path).map_err(io_error)?;
    if let Some(kind) = special_kind(&meta.file_type()) {
        return Err(error(not_regular(kind)));
    }
    // O_NONBLOCK in case the path was swapped for a FIFO since: the open returns at once, and the check
    // on the opened file below refuses it. Regular files ignore the flag.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    if let Some(kind) = special_kind(&meta.file_type()) {
        return Err(error(not_regular(kind)));
    }
    if meta.len() > max {
        return Err(FetchError::TooLarge { limit: max });
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let tag = format!("file:{mtime:x}:{:x}", meta.len());
    if etag == Some(tag.as_str()) {
        return Ok(Fetched::NotModified);
    }
    // The size said is not trusted: the file may grow while it is read.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > max {
        return Err(FetchError::TooLarge { limit: max });
    }
    Ok(Fetched::Body(Body {
        bytes,
        charset: None,
        validators: Validators {
            etag: Some(tag),
            last_modified: None,
        },
    }))
}

/// What a file is when it is not a regular file.
fn special_kind(t: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO")
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("a special file")
    }
}

fn not_regular(kind: &str) -> String {
    format!("it is {kind}, not a regular file; a file source must be a regular file")
}

/// The charset parameter of a `Content-Type` header.
pub fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// A `Retry-After` value: seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (when.to_utc() - chrono::Utc::now()).num_seconds().max(0);
    Some(Duration::from_secs(secs as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert!(matches!(
            Location::parse("https://ex.example/feed", None),
            Ok(Location::Http(_))
        ));
        assert_eq!(
            Location::parse("feeds/a.xml", Some(Path::new("/etc/veille"))),
            Ok(Location::File(PathBuf::from("/etc/veille/feeds/a.xml")))
        );
        assert_eq!(
            Location::parse("file:///tmp/a.xml", Some(Path::new("/etc"))),
            Ok(Location::File(PathBuf::from("/tmp/a.xml")))
        );
        assert!(
            Location::parse("ftp://ex.example/x", None)
                .unwrap_err()
                .contains("unsupported URL scheme")
        );
    }

    #[test]
    fn the_size_limit_holds_while_reading_not_only_on_the_size_the_file_says() {
        // /proc files are regular files whose size reads 0, like a device's: only counting while reading
        // catches them (issue 16, item 7: /dev/zero was read until the memory ran out).
        let path = Path::new("/proc/self/maps");
        assert_eq!(std::fs::metadata(path).map(|m| m.len()).ok(), Some(0));
        assert_eq!(
            read_regular_file(path, 16, None).unwrap_err(),
            FetchError::TooLarge { limit: 16 }
        );
        let Fetched::Body(body) = read_regular_file(path, 1 << 24, None).unwrap() else {
            panic!("a first read is never NotModified");
        };
        assert!(body.bytes.len() > 16);
    }

    #[test]
    fn special_files_are_named_for_what_they_are() {
        let message = |p: &str| match read_regular_file(Path::new(p), 1 << 20, None) {
            Err(FetchError::File { message, .. }) => message,
            other => panic!("{p}: {other:?}"),
        };
        assert_eq!(
            message("/dev/zero"),
            "it is a device, not a regular file; a file source must be a regular file"
        );
        assert!(message("/").starts_with("it is a directory"));
    }

    #[test]
    fn charset_is_read_from_content_type() {
        assert_eq!(
            charset_of("text/xml; charset=ISO-8859-1").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(
            charset_of("application/rss+xml;charset=\"utf-8\"").as_deref(),
            Some("utf-8")
        );
        assert_eq!(charset_of("application/rss+xml"), None);
    }

    #[test]
    fn retry_after_reads_seconds() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn errors_map_to_scheduling() {
        let s = |status, retry_after| FetchError::Status {
            status,
            retry_after,
        };
        assert_eq!(s(404, None).outcome(), Outcome::Gone);
        assert_eq!(s(410, None).outcome(), Outcome::Gone);
        assert_eq!(
            s(429, Some(Duration::from_secs(5))).outcome(),
            Outcome::RetryAfter(Duration::from_secs(5))
        );
        assert_eq!(s(500, None).outcome(), Outcome::Failed);
        assert!(s(503, None).is_transient());
        assert!(!s(404, None).is_transient());
        assert_eq!(s(404, None).to_string(), "HTTP 404 Not Found");
    }
}
