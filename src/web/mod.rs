//! The console: the web pages where the communications team follows and works a crisis.
//!
//! In: the `[web]` table ([`WebConfig`]), the database, the rules. Out: an HTTP server (axum) the daemon
//! runs as one of its tasks. Pages are rendered on the server from the read side ([`crate::views`]) through
//! the translation layer ([`crate::i18n`]) into minijinja templates (`templates/*.html`, auto-escaped);
//! the stylesheet is embedded; no page needs JavaScript. Reads go through the console's own read-only
//! connection, actions (take, note, silence, resolve by hand, and the accounts page's, `users`) through
//! short write transactions as the CLI's, both off the async threads. Charts are drawn here as SVG and
//! rasterised to PNG on request (`chart`). Every answer is counted for `veille status` and `/metrics`.
//!
//! Security: sessions are random 256-bit ids of which the store keeps only the SHA-256, in an `HttpOnly`,
//! `SameSite=Lax` cookie (`Secure` when `public_url` is https) with idle and absolute expiry; every
//! state-changing form carries the session's CSRF token, and no GET changes anything; sign-in is throttled
//! per account and per address. In proxy mode the user header is believed only from `trusted_proxies`.

pub mod auth;
mod chart;
pub mod config;
mod pages;
mod users;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

pub use config::{AuthMode, WebConfig};

use crate::i18n::{Locale, Voice};
use crate::store::Store;
use auth::Role;

/// The session cookie's name.
pub const COOKIE: &str = "veille_session";

/// Why the console could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("[web] cannot listen on {listen}: {source}")]
    Listen {
        listen: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("console server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// What the console serves from.
pub struct Console {
    web: WebConfig,
    database: PathBuf,
    rules: PathBuf,
    locale: Locale,
    tz: chrono_tz::Tz,
    reader: Mutex<Option<Store>>,
    writer: Mutex<Option<Store>>,
    throttle: Mutex<auth::Throttle>,
    /// For proxy mode's CSRF tokens (no session row there): random per process.
    secret: String,
    /// The moment pages are shown at, when not now (the demo's fixed clock); sessions always use the real one.
    clock: Option<DateTime<Utc>>,
    /// Which sources are press and which social, from the configuration.
    reaches: crate::views::Reaches,
    /// `retention_days`: mentions older than this are pruned.
    retention_days: u32,
}

/// The signed-in person of a request.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub name: String,
    pub role: Role,
    pub lang: Option<Locale>,
    pub csrf: String,
}

impl Console {
    /// A console over the configuration's database and rules.
    pub fn new(web: WebConfig, config: &crate::config::Config) -> Console {
        Console {
            web,
            database: config.database.clone(),
            rules: config.rules.clone(),
            locale: config.locale,
            tz: config.timezone.0,
            reader: Mutex::new(None),
            writer: Mutex::new(None),
            throttle: Mutex::new(auth::Throttle::default()),
            secret: auth::random_token(),
            clock: None,
            reaches: crate::views::Reaches::of_config(config),
            retention_days: config.retention_days,
        }
    }

    /// Shows the pages as at `now` (the demo's fixed clock) instead of the real time.
    pub fn set_clock(&mut self, now: DateTime<Utc>) {
        self.clock = Some(now);
    }

    /// The moment pages are shown at.
    fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// Binds `[web] listen` (before the daemon says it is ready, so that a bad address fails the start).
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub fn bind(&self) -> Result<std::net::TcpListener, WebError> {
        let listen = self.web.listen;
        let l = std::net::TcpListener::bind(listen)
            .map_err(|source| WebError::Listen { listen, source })?;
        l.set_nonblocking(true)
            .map_err(|source| WebError::Listen { listen, source })?;
        Ok(l)
    }

    /// Serves on `listener` until `token` is cancelled.
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn serve(
        self,
        listener: std::net::TcpListener,
        token: CancellationToken,
    ) -> Result<(), WebError> {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(WebError::Serve)?;
        let addr = listener.local_addr().map_err(WebError::Serve)?;
        tracing::info!(listen = %addr, "Console listening.");
        crate::metrics::METRICS.set_web(Some(addr.to_string()), true);
        let app = router(Arc::new(self));
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { token.cancelled().await })
        .await
        .map_err(WebError::Serve);
        crate::metrics::METRICS.set_web(None, false);
        served
    }

    /// Runs `f` on the read-only connection, off the async threads.
    pub(crate) async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Store) -> crate::store::Result<T> + Send + 'static,
    ) -> Result<T, Response> {
        let me = self.clone();
        run_blocking(move || {
            let mut guard = me.reader.lock().unwrap_or_else(|e| e.into_inner());
            if guard.is_none() {
                *guard = Some(Store::open_read_only(&me.database)?);
            }
            let store = guard.as_ref().ok_or(crate::store::StoreError::WriterGone)?;
            f(store)
        })
        .await
    }

    /// Runs `f` in a short write beside the daemon's writer, off the async threads.
    pub(crate) async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> crate::store::Result<T> + Send + 'static,
    ) -> Result<T, Response> {
        let me = self.clone();
        run_blocking(move || {
            let mut guard = me.writer.lock().unwrap_or_else(|e| e.into_inner());
            if guard.is_none() {
                *guard = Some(Store::open(&me.database)?);
            }
            let store = guard.as_mut().ok_or(crate::store::StoreError::WriterGone)?;
            f(store)
        })
        .await
    }

    pub(crate) fn voice(&self, person: Option<&Person>, headers: &HeaderMap) -> Voice {
        let locale = person
            .and_then(|p| p.lang)
            .or_else(|| accept_language(headers))
            .unwrap_or(self.locale);
        Voice::new(locale, self.tz)
    }

    fn rules(&self) -> Option<crate::analysis::rules::RuleSet> {
        crate::config::rules::load_rules(&self.rules).ok()
    }

    /// The person a request comes from, if signed in.
    pub(crate) async fn person(
        self: &Arc<Self>,
        headers: &HeaderMap,
        peer: IpAddr,
    ) -> Result<Option<Person>, Response> {
        match self.web.auth {
            AuthMode::Proxy => Ok(self.proxied(headers, peer).await),
            AuthMode::Local => {
                let Some(id) = cookie(headers, COOKIE) else {
                    return Ok(None);
                };
                let hash = auth::session_hash(&id);
                let h = hash.clone();
                let Some(row) = self.read(move |s| s.session(&h)).await? else {
                    return Ok(None);
                };
                let now = Utc::now();
                let idle = chrono::Duration::seconds(self.web.session_idle.as_secs() as i64);
                let max = chrono::Duration::seconds(self.web.session_max.as_secs() as i64);
                if now - row.last_seen > idle || now - row.created > max {
                    let h = hash.clone();
                    self.write(move |s| s.end_session(&h)).await?;
                    tracing::info!(user = %row.user, "Console session expired.");
                    return Ok(None);
                }
                // Writing on every request would compete with the daemon's writer for nothing.
                if now - row.last_seen > chrono::Duration::seconds(60) {
                    self.write(move |s| s.touch_session(&hash, now)).await?;
                }
                Ok(Role::parse(&row.role).map(|role| Person {
                    name: row.user,
                    role,
                    lang: row.lang.as_deref().and_then(Locale::from_tag),
                    csrf: row.csrf,
                }))
            }
        }
    }

    async fn proxied(self: &Arc<Self>, headers: &HeaderMap, peer: IpAddr) -> Option<Person> {
        if !self.web.trusted_proxies.contains(&peer) {
            return None;
        }
        let name = headers
            .get(self.web.proxy_header.as_deref()?)?
            .to_str()
            .ok()?
            .trim()
            .to_owned();
        if name.is_empty() {
            return None;
        }
        // A proxied person with an account has its role; others read.
        let n = name.clone();
        let account = self
            .read(move |s| s.user_with_hash(&n))
            .await
            .ok()
            .flatten();
        let role = account
            .as_ref()
            .and_then(|(u, _)| Role::parse(&u.role))
            .unwrap_or(Role::Lecteur);
        let lang = account
            .and_then(|(u, _)| u.lang)
            .and_then(|l| Locale::from_tag(&l));
        Some(Person {
            csrf: auth::session_hash(&format!("{}\n{name}", self.secret)),
            name,
            role,
            lang,
        })
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::store::Result<T> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "Console: database read or write failed.");
            Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
        Err(e) => {
            tracing::error!(error = %e, "Console: a database task failed.");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// The first of `fr` or `en` the browser asks for.
fn accept_language(headers: &HeaderMap) -> Option<Locale> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    value
        .split(',')
        .filter_map(|part| {
            let tag = part.split(';').next()?.trim();
            Locale::from_tag(tag.split('-').next()?)
        })
        .next()
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

type Shared = Arc<Console>;

fn router(console: Shared) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/login", get(pages::login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang", post(set_lang))
        .route("/incidents", get(pages::incidents))
        .route("/incidents/{id}", get(pages::incident))
        .route("/incidents/{id}/ack", post(ack))
        .route("/incidents/{id}/note", post(note))
        .route("/incidents/{id}/silence", post(silence))
        .route("/incidents/{id}/resolve", post(resolve))
        .route("/incidents/{id}/charts/{file}", get(pages::incident_chart))
        .route("/mentions", get(pages::mentions))
        .route("/mentions.csv", get(pages::mentions_csv))
        .route("/sources", get(pages::sources))
        .route("/charts/{file}", get(pages::chart))
        .route("/rules", get(pages::rules))
        .route("/users", get(users::list).post(users::add))
        .route("/users/{name}", post(users::change))
        .route("/users/{name}/remove", post(users::remove))
        .route("/static/console.css", get(stylesheet))
        .layer(axum::middleware::map_response(strict_headers))
        .with_state(console)
}

async fn strict_headers(mut r: Response) -> Response {
    crate::metrics::METRICS.web_answered(r.status().as_u16());
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    r
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("static/console.css"),
    )
        .into_response()
}

/// Where a request without a session goes.
pub(crate) fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let v = c.voice(None, &headers);
    if c.web.auth == AuthMode::Proxy {
        return Redirect::to("/").into_response();
    }
    let name = form.username.trim().to_owned();
    let address = peer.ip();
    let allowed = c.throttle.lock().unwrap_or_else(|e| e.into_inner()).allows(
        &name,
        address,
        std::time::Instant::now(),
    );
    if !allowed {
        tracing::warn!(user = %name, address = %address, "Console sign-in refused: too many failures.");
        return pages::login_page(
            &v,
            Some("web-login-throttled"),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let n = name.clone();
    let account = match c.read(move |s| s.user_with_hash(&n)).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let password = form.password;
    // The hash is checked off the async threads: argon2 is deliberately slow.
    let ok = match account {
        Some((_, hash)) => {
            tokio::task::spawn_blocking(move || auth::password_matches(&password, &hash))
                .await
                .unwrap_or(false)
        }
        None => {
            // As slow as a real check, so that timing does not tell which names exist.
            let _ =
                tokio::task::spawn_blocking(move || auth::password_matches(&password, DUMMY_HASH))
                    .await;
            false
        }
    };
    if !ok {
        c.throttle.lock().unwrap_or_else(|e| e.into_inner()).failed(
            &name,
            address,
            std::time::Instant::now(),
        );
        tracing::warn!(user = %name, address = %address, "Console sign-in failed.");
        return pages::login_page(&v, Some("web-login-failed"), StatusCode::UNAUTHORIZED);
    }
    c.throttle
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .succeeded(&name);
    let id = auth::random_token();
    let (hash, csrf, now, user) = (
        auth::session_hash(&id),
        auth::random_token(),
        Utc::now(),
        name.clone(),
    );
    if let Err(r) = c
        .write(move |s| {
            s.prune_sessions(
                now - chrono::Duration::days(31),
                now - chrono::Duration::days(31),
            )?;
            s.create_session(&hash, &user, &csrf, now)
        })
        .await
    {
        return r;
    }
    tracing::info!(user = %name, address = %address, "Console sign-in.");
    let secure = if c.web.secure_cookie() {
        "; Secure"
    } else {
        ""
    };
    let set = format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        c.web.session_max.as_secs()
    );
    let mut r = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&set) {
        r.headers_mut().insert(header::SET_COOKIE, value);
    }
    r
}

/// An argon2id hash of nothing anyone knows, checked for unknown names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4rGR8D0dyuH5tLDOjb3Nv0tmMHPmwaqOhpS1Z3b+rE0";

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The person of a state-changing request whose form carries their CSRF token; else the refusal.
pub(crate) async fn acting(
    c: &Shared,
    headers: &HeaderMap,
    peer: SocketAddr,
    csrf: &str,
) -> Result<Person, Response> {
    let Some(p) = c.person(headers, peer.ip()).await? else {
        return Err(to_login());
    };
    if !auth::same_token(csrf, &p.csrf) {
        tracing::warn!(user = %p.name, "Console form refused: missing or wrong CSRF token.");
        return Err(pages::refusal(
            &c.voice(Some(&p), headers),
            StatusCode::FORBIDDEN,
            "web-csrf-refused",
        ));
    }
    Ok(p)
}

async fn logout(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = acting(&c, &headers, peer, &form.csrf).await {
        return r;
    }
    if let Some(id) = cookie(&headers, COOKIE) {
        let hash = auth::session_hash(&id);
        if let Err(r) = c.write(move |s| s.end_session(&hash)).await {
            return r;
        }
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("veille_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    r
}

#[derive(Deserialize)]
struct LangForm {
    #[serde(default)]
    csrf: String,
    lang: String,
}

async fn set_lang(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LangForm>,
) -> Response {
    let p = match acting(&c, &headers, peer, &form.csrf).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let lang = Locale::from_tag(&form.lang).map(|l| l.tag().to_owned());
    let name = p.name.clone();
    if let Err(r) = c
        .write(move |s| s.set_user_lang(&name, lang.as_deref()))
        .await
    {
        return r;
    }
    Redirect::to("/").into_response()
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// A person who may act on incidents, or the refusal.
async fn veilleur(
    c: &Shared,
    headers: &HeaderMap,
    peer: SocketAddr,
    csrf: &str,
) -> Result<Person, Response> {
    let p = acting(c, headers, peer, csrf).await?;
    if !p.role.acts() {
        tracing::warn!(user = %p.name, "Console action refused: the role only reads.");
        return Err(pages::refusal(
            &c.voice(Some(&p), headers),
            StatusCode::FORBIDDEN,
            "web-role-refused",
        ));
    }
    Ok(p)
}

/// Back to the incident's page, at its timeline, where what was just done shows.
fn back_to(id: i64) -> Response {
    Redirect::to(&format!("/incidents/{id}#timeline")).into_response()
}

fn note_text(note: &str) -> Option<String> {
    let n: String = note.trim().chars().take(2000).collect();
    (!n.is_empty()).then_some(n)
}

async fn ack(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(id): UrlPath<i64>,
    headers: HeaderMap,
    Form(form): Form<NoteForm>,
) -> Response {
    let p = match veilleur(&c, &headers, peer, &form.csrf).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let note = note_text(&form.note);
    let by = p.name.clone();
    match c
        .write(move |s| s.acknowledge(id, &by, note.as_deref(), Utc::now()))
        .await
    {
        Ok(true) => {
            tracing::info!(incident = id, user = %p.name, "Incident acknowledged from the console.");
            back_to(id)
        }
        Ok(false) => StatusCode::NOT_FOUND.into_response(),
        Err(r) => r,
    }
}

async fn note(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(id): UrlPath<i64>,
    headers: HeaderMap,
    Form(form): Form<NoteForm>,
) -> Response {
    let p = match veilleur(&c, &headers, peer, &form.csrf).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(text) = note_text(&form.note) else {
        return back_to(id);
    };
    let by = p.name.clone();
    match c
        .write(move |s| s.add_note(id, &by, &text, Utc::now()))
        .await
    {
        Ok(true) => back_to(id),
        Ok(false) => StatusCode::NOT_FOUND.into_response(),
        Err(r) => r,
    }
}

async fn resolve(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(id): UrlPath<i64>,
    headers: HeaderMap,
    Form(form): Form<NoteForm>,
) -> Response {
    let p = match veilleur(&c, &headers, peer, &form.csrf).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let note = note_text(&form.note);
    let by = p.name.clone();
    match c
        .write(move |s| {
            if s.incident(id)?.is_none() {
                return Ok(None);
            }
            s.resolve_by_hand(id, &by, note.as_deref(), Utc::now())
                .map(Some)
        })
        .await
    {
        // Resolved already (by detection or someone else): the page says so; nothing to do.
        Ok(Some(resolved)) => {
            if resolved {
                tracing::info!(incident = id, user = %p.name, "Incident resolved by hand from the console.");
            }
            back_to(id)
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct SilenceForm {
    #[serde(default)]
    csrf: String,
    /// A duration as people write it: `2h`, `1d`.
    duration: String,
    #[serde(default)]
    reason: String,
}

async fn silence(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(id): UrlPath<i64>,
    headers: HeaderMap,
    Form(form): Form<SilenceForm>,
) -> Response {
    let p = match veilleur(&c, &headers, peer, &form.csrf).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let v = c.voice(Some(&p), &headers);
    let Some(d) = crate::model::Interval::parse(&form.duration)
        .ok()
        .filter(|d| (60..=90 * 86_400).contains(&d.as_secs()))
    else {
        return pages::refusal(&v, StatusCode::BAD_REQUEST, "web-silence-bad-duration");
    };
    let now = Utc::now();
    let target = c
        .read(move |s| {
            Ok(
                crate::views::IncidentView::load(s, id, None, now)?.map(|view| {
                    view.silence_target()
                        .map(|(kind, target)| (kind, target.to_owned()))
                }),
            )
        })
        .await;
    let (kind, target) = match target {
        Ok(Some(Some(t))) => t,
        Ok(Some(None)) => return back_to(id),
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(r) => return r,
    };
    let reason = note_text(&form.reason).unwrap_or_default();
    let by = p.name.clone();
    let until: DateTime<Utc> = now + chrono::Duration::seconds(d.as_secs() as i64);
    match c
        .write(move |s| s.add_silence(kind, &target, until, &reason, Some(&by), now))
        .await
    {
        Ok(_) => {
            tracing::info!(incident = id, user = %p.name, "Silence added from the console.");
            back_to(id)
        }
        Err(r) => r,
    }
}

/// The query of a page that lists mentions: the search, its filters (each empty = any), the cursor.
#[derive(Debug, Deserialize, Serialize, Default, Clone)]
pub(crate) struct MentionQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub watch: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub lang: String,
    /// `neg`, `neu` or `pos`.
    #[serde(default)]
    pub label: String,
    /// `24h`, `7d` or `30d`.
    #[serde(default)]
    pub period: String,
    /// An incident's id: its watch (or rule) over its window.
    #[serde(default)]
    pub incident: String,
    /// The cursor of the page: `at.id` of the last mention of the previous page.
    #[serde(default, skip_serializing)]
    pub after: Option<String>,
}

impl MentionQuery {
    /// The search and its filters as a URL's query (without the cursor), for the CSV export and the next
    /// page: a filtered list keeps its filters.
    pub fn url_query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("watch", &self.watch),
            ("rule", &self.rule),
            ("source", &self.source),
            ("lang", &self.lang),
            ("label", &self.label),
            ("period", &self.period),
            ("incident", &self.incident),
        ] {
            if !v.trim().is_empty() {
                out.append_pair(k, v.trim());
            }
        }
        out.finish()
    }
}

/// How far back a `period` filter reaches: `24h`, `7d`, `30d`; anything else is no limit.
pub(crate) fn period_span(period: &str) -> Option<chrono::TimeDelta> {
    match period {
        "24h" => Some(chrono::TimeDelta::hours(24)),
        "7d" => Some(chrono::TimeDelta::days(7)),
        "30d" => Some(chrono::TimeDelta::days(30)),
        _ => None,
    }
}

/// The filters of the incidents list.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct IncidentQuery {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub watch: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// `24h`, `7d` or `30d`: opened or updated within.
    #[serde(default)]
    pub period: Option<String>,
}

/// The text typed in the rules page's test box.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct RulesQuery {
    #[serde(default)]
    pub text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_first_known_language() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE,en-GB;q=0.8,fr;q=0.5"),
        );
        assert_eq!(accept_language(&h), Some(Locale::En));
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("it"));
        assert_eq!(accept_language(&h), None);
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xveille_session=bad; veille_session=good"),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("good"));
    }

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        // An unknown name must cost a real verification, or timing would tell which names exist.
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
