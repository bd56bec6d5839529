//! The console's pages: each handler reads a view ([`crate::views`]), says it through a [`Voice`] and
//! renders a template. No handler queries the store beyond calling views, and no sentence is written here:
//! every word comes from the message files (`web.ftl` for the console's own, the incident's from the same
//! functions `veille incidents show` uses).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::extract::{ConnectInfo, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use minijinja::Environment;
use serde::Serialize;

use axum::extract::Query;

use super::{IncidentQuery, MentionQuery, Person, RulesQuery, Shared, to_login};
use crate::i18n::{Voice, words};
use crate::model::Label;
use crate::store::StoredMention;
use crate::store::console::MentionScope;
use crate::store::search::Cursor;
use crate::views::{
    IncidentLine, IncidentStatus, IncidentView, IncidentWindow, MentionPage, Overview, Search,
    TimelineEntry, WatchSeries, incident_lines, source_health, window_scope,
};

/// The console's own words, handed to every template as `t`.
const WORDS: &[&str] = &[
    "web-title",
    "web-nav-overview",
    "web-nav-incidents",
    "web-nav-mentions",
    "web-nav-sources",
    "web-nav-rules",
    "web-logout",
    "web-signed-in-as",
    "web-login-title",
    "web-username",
    "web-password",
    "web-login-submit",
    "web-open-incidents",
    "web-no-incident",
    "web-take",
    "web-ack-note-label",
    "web-timeline-note-label",
    "web-note-submit",
    "web-silence",
    "web-silence-duration",
    "web-silence-reason",
    "web-actions",
    "web-search",
    "web-search-submit",
    "web-csv",
    "web-next-page",
    "web-no-mention",
    "web-sources-title",
    "web-rules-title",
    "web-rules-test",
    "web-rules-test-submit",
    "web-filter",
    "web-all",
    "web-lang-switch",
    "web-col-time",
    "web-col-source",
    "web-col-title",
    "web-col-sentiment",
    "web-col-last-success",
    "web-col-last-error",
    "web-col-failures",
    "web-col-next-poll",
    "web-col-items",
    "web-col-id",
    "web-col-watch",
    "web-col-severity",
    "web-col-status",
    "web-col-summary",
    "web-download-svg",
    "web-last-24h",
    "web-last-7d",
    "section-what",
    "section-timeline",
    "web-download-png",
    "web-critical",
    "web-charts",
    "web-first-mentions",
    "web-press",
    "web-social",
    "web-top-authors",
    "web-telling",
    "web-syndication",
    "web-none-yet",
    "web-resolve",
    "web-resolve-note-label",
    "web-period",
    "web-period-24h",
    "web-period-7d",
    "web-period-30d",
    "web-col-rule",
    "web-col-language",
    "web-col-label",
    "web-col-incident",
    "web-filters-reset",
    "web-users",
    "web-users-title",
    "web-col-name",
    "web-col-role",
    "web-col-lang",
    "web-col-created",
    "web-user-add",
    "web-user-save",
    "web-user-remove",
    "web-user-new-password",
    "web-lang-browser",
    "web-role-lecteur",
    "web-role-veilleur",
    "web-role-admin",
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.add_test("http_link", crate::notify::render::http_link);
        // For an account's name in a path (names hold no space, so form encoding is path encoding).
        env.add_filter("urlencode", |s: String| -> String {
            url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
        });
        // Names ending in .html are auto-escaped: everything that came from a feed is text, never markup.
        for (name, src) in [
            ("base.html", include_str!("templates/base.html")),
            ("login.html", include_str!("templates/login.html")),
            ("message.html", include_str!("templates/message.html")),
            ("overview.html", include_str!("templates/overview.html")),
            ("incidents.html", include_str!("templates/incidents.html")),
            ("incident.html", include_str!("templates/incident.html")),
            ("mentions.html", include_str!("templates/mentions.html")),
            ("sources.html", include_str!("templates/sources.html")),
            ("rules.html", include_str!("templates/rules.html")),
            ("users.html", include_str!("templates/users.html")),
        ] {
            env.add_template(name, src)
                .expect("embedded templates are valid");
        }
        env
    })
}

fn words_of(v: &Voice) -> BTreeMap<&'static str, String> {
    WORDS.iter().map(|id| (*id, v.word(id))).collect()
}

#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    lang: &'static str,
    t: BTreeMap<&'static str, String>,
    user: Option<&'a str>,
    role: Option<&'static str>,
    csrf: Option<&'a str>,
    /// The other language, for the switch.
    other_lang: &'static str,
    page: &'a str,
    #[serde(flatten)]
    body: T,
}

/// Renders a page of another module of the console.
pub(super) fn render_page<T: Serialize>(
    v: &Voice,
    person: Option<&Person>,
    page: &str,
    template: &str,
    body: T,
    status: StatusCode,
) -> Response {
    render(v, person, page, template, body, status)
}

fn render<T: Serialize>(
    v: &Voice,
    person: Option<&Person>,
    page: &str,
    template: &str,
    body: T,
    status: StatusCode,
) -> Response {
    let frame = Frame {
        lang: v.locale.tag(),
        t: words_of(v),
        user: person.map(|p| p.name.as_str()),
        role: person.map(|p| p.role.as_str()),
        csrf: person.map(|p| p.csrf.as_str()),
        other_lang: match v.locale {
            crate::i18n::Locale::Fr => "en",
            crate::i18n::Locale::En => "fr",
        },
        page,
        body,
    };
    match environment()
        .get_template(template)
        .and_then(|t| t.render(&frame))
    {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, template, "Console page could not be rendered.");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Serialize)]
struct MessageBody {
    message: String,
}

/// A refusal page saying message `id`.
pub(super) fn refusal(v: &Voice, status: StatusCode, id: &str) -> Response {
    render(
        v,
        None,
        "",
        "message.html",
        MessageBody {
            message: v.word(id),
        },
        status,
    )
}

#[derive(Serialize)]
struct LoginBody {
    error: Option<String>,
}

/// The sign-in form, with the message `error` when the last attempt failed.
pub(super) fn login_page(v: &Voice, error: Option<&str>, status: StatusCode) -> Response {
    render(
        v,
        None,
        "login",
        "login.html",
        LoginBody {
            error: error.map(|id| v.word(id)),
        },
        status,
    )
}

pub(super) async fn login_form(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match c.person(&headers, peer.ip()).await {
        Ok(Some(_)) => axum::response::Redirect::to("/").into_response(),
        Ok(None) => login_page(&c.voice(None, &headers), None, StatusCode::OK),
        Err(r) => r,
    }
}

/// The signed-in person and their voice, or the redirect to the sign-in page.
async fn signed_in(
    c: &Shared,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Result<(Person, Voice), Response> {
    match c.person(headers, peer.ip()).await? {
        Some(p) => {
            let v = c.voice(Some(&p), headers);
            Ok((p, v))
        }
        None => Err(to_login()),
    }
}

#[derive(Serialize)]
struct IncidentRowCtx {
    id: i64,
    status: &'static str,
    status_words: String,
    severity: String,
    severity_key: String,
    watch: String,
    summary: String,
    opened: String,
}

fn incident_row(v: &Voice, line: &IncidentLine) -> IncidentRowCtx {
    let summary = words::incident_summary(v, line);
    IncidentRowCtx {
        id: line.row.id,
        status: line.status.as_str(),
        status_words: words::status(v, line.status.as_str()),
        severity: words::severity_str(v, &line.row.severity),
        severity_key: line.row.severity.clone(),
        watch: line
            .row
            .watch
            .clone()
            .or_else(|| line.row.rule.clone())
            .or_else(|| line.source().map(str::to_owned))
            .unwrap_or_default(),
        summary,
        opened: v.moment(line.row.opened_at),
    }
}

#[derive(Serialize)]
struct WatchCtx {
    id: String,
    name: String,
    /// Stories and negative stories, last 24 hours (SVG, drawn here, every text escaped).
    day: String,
    day_negative: String,
    week_negative: String,
    /// The charts' titles, said as captions above them (the phone scrolls a chart, not its caption).
    day_title: String,
    day_negative_title: String,
    week_negative_title: String,
    share: String,
}

#[derive(Serialize)]
struct OverviewBody {
    sources_line: String,
    incidents: Vec<IncidentRowCtx>,
    mentions_line: String,
    watches: Vec<WatchCtx>,
}

/// The series of every watch over 24 hours and 7 days.
fn watch_series(
    store: &crate::store::Store,
    rules: Option<&crate::analysis::rules::RuleSet>,
    now: chrono::DateTime<Utc>,
) -> crate::store::Result<Vec<(WatchSeries, WatchSeries)>> {
    let Some(rules) = rules else {
        return Ok(Vec::new());
    };
    rules
        .watches()
        .iter()
        .map(|w| {
            Ok((
                WatchSeries::load(store, w, chrono::TimeDelta::hours(24), now)?,
                WatchSeries::load(store, w, chrono::TimeDelta::days(7), now)?,
            ))
        })
        .collect()
}

pub(super) async fn overview(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (p, v) = match signed_in(&c, &headers, peer).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = c.now();
    let rules = c.rules();
    let (o, series) = match c
        .read(move |s| {
            Ok((
                Overview::load(s, now)?,
                watch_series(s, rules.as_ref(), now)?,
            ))
        })
        .await
    {
        Ok(o) => o,
        Err(r) => return r,
    };
    let failing_for = o
        .worst_source
        .as_ref()
        .and_then(|s| s.failing_since)
        .map(|t| v.duration(now - t))
        .unwrap_or_default();
    let body = OverviewBody {
        sources_line: v.say(
            "web-sources-line",
            &[
                ("count", o.health.sources.into()),
                ("failing", o.health.failing_sources.into()),
                ("since", failing_for.into()),
            ],
        ),
        mentions_line: v.say("web-mentions-line", &[("count", o.health.mentions.into())]),
        incidents: o.open.iter().map(|l| incident_row(&v, l)).collect(),
        watches: series
            .iter()
            .map(|(day, week)| WatchCtx {
                id: day.watch.clone(),
                name: day.name.clone(),
                day: super::chart::svg(day, &v, false),
                day_negative: super::chart::svg(day, &v, true),
                week_negative: super::chart::svg(week, &v, true),
                day_title: super::chart::title(day, &v, false),
                day_negative_title: super::chart::title(day, &v, true),
                week_negative_title: super::chart::title(week, &v, true),
                share: day
                    .negative_share
                    .map(|s| words::share_words(&v, s, day.usual_negative_share))
                    .unwrap_or_default(),
            })
            .collect(),
    };
    render(
        &v,
        Some(&p),
        "overview",
        "overview.html",
        body,
        StatusCode::OK,
    )
}

/// The query of a chart download: which span, and which count.
#[derive(Debug, serde::Deserialize, Default)]
pub(super) struct ChartQuery {
    #[serde(default)]
    days: Option<u32>,
    #[serde(default)]
    negative: Option<bool>,
}

/// A chart as a file for a slide: the SVG as drawn in the page, or a PNG of it.
fn chart_file(svg: String, name: &str, png: bool) -> Response {
    let name = name.replace(|ch: char| !ch.is_ascii_alphanumeric() && ch != '-', "_");
    let (body, kind, ext) = if png {
        match super::chart::png(&svg) {
            Some(bytes) => (axum::body::Body::from(bytes), "image/png", "png"),
            None => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    } else {
        (axum::body::Body::from(svg), "image/svg+xml", "svg")
    };
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    r
}

/// `stem.svg` or `stem.png`: the stem and whether a PNG is asked for.
fn chart_name(file: &str) -> Option<(&str, bool)> {
    file.strip_suffix(".svg")
        .map(|s| (s, false))
        .or_else(|| file.strip_suffix(".png").map(|s| (s, true)))
}

/// `GET /charts/{watch}.svg|png?days=1|7&negative=true`: a watch's chart as a file, for a slide.
pub(super) async fn chart(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
    Query(q): Query<ChartQuery>,
) -> Response {
    let (_, v) = match signed_in(&c, &headers, peer).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some((watch, png)) = chart_name(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(w) = c
        .rules()
        .and_then(|r| r.watches().iter().find(|w| w.id == watch).cloned())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let days = i64::from(q.days.unwrap_or(1).clamp(1, 28));
    let now = c.now();
    let series = match c
        .read(move |s| WatchSeries::load(s, &w, chrono::TimeDelta::days(days), now))
        .await
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    let svg = super::chart::svg(&series, &v, q.negative.unwrap_or(false));
    chart_file(svg, &format!("{watch}-{days}d"), png)
}

/// `GET /incidents/{id}/charts/volume|share.svg|png`: an incident's chart, its window marked.
pub(super) async fn incident_chart(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath((id, file)): UrlPath<(i64, String)>,
    headers: HeaderMap,
) -> Response {
    let (_, v) = match signed_in(&c, &headers, peer).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some((kind, png)) = chart_name(&file).filter(|(k, _)| matches!(*k, "volume" | "share"))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let rules = c.rules();
    let now = c.now();
    let reaches = c.reaches.clone();
    let window = match c
        .read(move |s| {
            let Some(view) = IncidentView::load(s, id, rules.as_ref(), now)? else {
                return Ok(None);
            };
            let watch = incident_watch(rules.as_ref(), &view);
            IncidentWindow::load(s, &view, watch.as_ref(), &reaches, now).map(Some)
        })
        .await
    {
        Ok(Some(w)) => w,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(r) => return r,
    };
    let Some(series) = &window.series else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let marked = Some((window.from, window.to));
    let svg = if kind == "volume" {
        super::chart::svg_marked(series, &v, false, marked)
    } else {
        super::chart::share_svg(series, &v, marked)
    };
    chart_file(svg, &format!("incident-{id}-{kind}"), png)
}

#[derive(Serialize)]
struct IncidentsBody {
    incidents: Vec<IncidentRowCtx>,
    statuses: Vec<Choice>,
    watches: Vec<Choice>,
    severities: Vec<Choice>,
    periods: Vec<Choice>,
    filtered: bool,
}

pub(super) async fn incidents(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<IncidentQuery>,
) -> Response {
    let (p, v) = match signed_in(&c, &headers, peer).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = c.now();
    let lines = match c
        .read(move |s| incident_lines(s, false, Some(500), now))
        .await
    {
        Ok(l) => l,
        Err(r) => return r,
    };
    let since = q
        .period
        .as_deref()
        .and_then(super::period_span)
        .map(|span| now - span);
    let wanted = |l: &IncidentLine| {
        since.is_none_or(|t| l.row.updated_at >= t || l.row.opened_at >= t)
            && q.status
                .as_deref()
                .filter(|s| !s.is_empty())
                .is_none_or(|s| l.status.as_str() == s)
            && q.watch
                .as_deref()
                .filter(|s| !s.is_empty())
                .is_none_or(|w| l.row.watch.as_deref() == Some(w))
            && q.severity
                .as_deref()
                .filter(|s| !s.is_empty())
                .is_none_or(|s| l.row.severity == s)
    };
    let chosen = |x: &Option<String>| x.clone().unwrap_or_default();
    let statuses = choices(
        &chosen(&q.status),
        [
            IncidentStatus::Open,
            IncidentStatus::Acknowledged,
            IncidentStatus::Silenced,
            IncidentStatus::Resolved,
        ]
        .map(|s| (s.as_str().to_owned(), words::status(&v, s.as_str()))),
    );
    let severities = choices(
        &chosen(&q.severity),
        ["critical", "warning", "info"].map(|s| (s.to_owned(), words::severity_str(&v, s))),
    );
    let body = IncidentsBody {
        incidents: lines
            .iter()
            .filter(|l| wanted(l))
            .map(|l| incident_row(&v, l))
            .collect(),
        statuses,
        watches: watch_choices(&c, &chosen(&q.watch)),
        severities,
        periods: period_choices(&v, &chosen(&q.period)),
        filtered: [&q.status, &q.watch, &q.severity, &q.period]
            .iter()
            .any(|x| x.as_deref().is_some_and(|s| !s.is_empty())),
    };
    render(
        &v,
        Some(&p),
        "incidents",
        "incidents.html",
        body,
        StatusCode::OK,
    )
}

#[derive(Serialize)]
struct Field {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct TimelineCtx {
    time: String,
    kind: String,
    text: String,
}

#[derive(Serialize)]
struct MentionCtx {
    time: String,
    source: String,
    title: String,
    link: Option<String>,
    author: String,
    sentiment: String,
    terms: String,
}

#[derive(Serialize)]
struct SyndicatedCtx {
    title: String,
    link: Option<String>,
    carried: String,
}

fn tallies(t: &[crate::detect::Tally]) -> Vec<(String, u32)> {
    t.iter().map(|t| (t.name.clone(), t.count)).collect()
}

#[derive(Serialize)]
struct IncidentBody {
    id: i64,
    heading: String,
    status: &'static str,
    fields: Vec<Field>,
    sentence: String,
    figures: String,
    /// How far the window's stories were picked up, and by which press (« un article repris par 2 sites ;
    /// presse : … »).
    pickup: Option<String>,
    critical: Vec<MentionCtx>,
    /// How many more critical mentions the incident counted than it shows (a flood is counted, not kept
    /// one by one).
    critical_more: Option<String>,
    timeline: Vec<TimelineCtx>,
    zone: String,
    /// The volume chart with the usual band and the window marked, and the negative share (SVG).
    volume_chart: Option<String>,
    share_chart: Option<String>,
    volume_title: String,
    share_title: String,
    /// About a source that went blind: it has no mentions of its own, so the sections on who carried it
    /// are left out.
    about_source: bool,
    first: Vec<MentionCtx>,
    press: Vec<(String, u32)>,
    social: Vec<(String, u32)>,
    authors: Vec<(String, u32)>,
    telling: Vec<MentionCtx>,
    syndicated: Vec<SyndicatedCtx>,
    window_read: String,
    /// May resolve it by hand: it is not resolved.
    can_resolve: bool,
    /// May act (note, silence) on it.
    can_act: bool,
    /// May take it: it is not taken yet.
    can_take: bool,
    can_silence: bool,
}

/// What an event of the timeline says, as `veille incidents show` says it, and by whom.
fn event_words(v: &Voice, e: &TimelineEntry) -> String {
    let mut text = words::timeline_entry(v, e);
    if let Some(by) = e.row.by.as_deref().filter(|by| !text.contains(by)) {
        text.push(' ');
        text.push_str(&v.say("timeline-by", &[("by", by.into())]));
    }
    text
}

fn field(v: &Voice, id: &str, value: String) -> Field {
    Field {
        label: v.say("field", &[("field", id.into())]),
        value,
    }
}

pub(super) async fn incident(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(id): UrlPath<i64>,
    headers: HeaderMap,
) -> Response {
    let (p, v) = match signed_in(&c, &headers, peer).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let rules = c.rules();
    let now = c.now();
    let reaches = c.reaches.clone();
    let (view, window) = match c
        .read(move |s| {
            let Some(view) = IncidentView::load(s, id, rules.as_ref(), now)? else {
                return Ok(None);
            };
            let watch = incident_watch(rules.as_ref(), &view);
            let window = IncidentWindow::load(s, &view, watch.as_ref(), &reaches, now)?;
            Ok(Some((view, window)))
        })
        .await
    {
        Ok(Some(x)) => x,
        Ok(None) => return refusal(&v, StatusCode::NOT_FOUND, "web-not-found"),
        Err(r) => return r,
    };
    let marked = Some((window.from, window.to));
    let row = &view.row;
    let mut fields = Vec::new();
    if let Some(w) = &row.watch {
        let value = match &view.watch_name {
            Some(name) if name != w => format!("{w} — {name}"),
            _ => w.clone(),
        };
        fields.push(field(&v, "watch", value));
    }
    if let Some(r) = &row.rule {
        let value = match &view.rule_name {
            Some(name) => format!("{r} — {name}"),
            None => r.clone(),
        };
        fields.push(field(&v, "rule", value));
    }
    let about_source = view.source().is_some();
    if let Some(source) = view.source() {
        fields.push(field(&v, "source", source.to_owned()));
    }
    fields.push(field(&v, "opened", v.time(row.opened_at)));
    fields.push(field(&v, "updated", v.time(row.updated_at)));
    if !about_source {
        fields.push(field(&v, "mentions", v.integer(u64::from(row.mentions))));
    }
    if let Some(t) = row.acknowledged_at {
        let value = v.say(
            "ack-value",
            &[
                ("by", row.acknowledged_by.as_deref().unwrap_or("?").into()),
                ("at", v.time(t).into()),
                (
                    "note",
                    row.ack_note
                        .as_deref()
                        .map(|n| v.quote(n))
                        .unwrap_or_default()
                        .into(),
                ),
            ],
        );
        fields.push(field(&v, "acknowledged", value));
    }
    let sentence = words::what_happened(&v, &view);
    let figures = view
        .explanation
        .as_ref()
        // The short form: the sources, authors, telling mentions and stories have their own sections.
        .map(|x| words::explanation(&v, x, view.metric(), false))
        .unwrap_or_default();
    let pickup = view
        .explanation
        .as_ref()
        .and_then(|x| x.pickup.as_ref())
        .map(|p| v.say("pickup-value", &words::pickup_args(p)));
    if let Some(x) = view.explanation.as_ref().filter(|x| !x.terms.is_empty()) {
        fields.push(field(&v, "driving-terms", words::tallies(&x.terms)));
    }
    let critical: Vec<MentionCtx> = view
        .critical()
        .iter()
        .take(20)
        .map(|m| MentionCtx {
            time: v.moment(m.at),
            source: m.source.clone(),
            title: m.title.clone().unwrap_or_default(),
            link: crate::notify::said::safe_link(m.link.as_deref()).map(|(l, _)| l),
            author: m.author.clone().unwrap_or_default(),
            sentiment: v.signed(f64::from(m.score)),
            terms: m.matched.join(", "),
        })
        .collect();
    let body = IncidentBody {
        id,
        heading: v.say(
            "show-heading",
            &[
                ("id", id.to_string().into()),
                ("kind", words::incident_kind(&v, &row.kind).into()),
                ("severity", words::severity_str(&v, &row.severity).into()),
                ("status", words::status(&v, view.status.as_str()).into()),
            ],
        ),
        status: view.status.as_str(),
        fields,
        sentence,
        figures,
        pickup,
        critical_more: (view.row.kind == "critical_mention")
            .then(|| view.critical_count() as usize)
            .filter(|&total| total > critical.len())
            .map(|total| {
                v.say(
                    "web-critical-more",
                    &[("count", (total - critical.len()).into())],
                )
            }),
        critical,
        timeline: view
            .timeline
            .iter()
            .map(|e| TimelineCtx {
                time: v.time(e.row.at),
                kind: words::event_kind_str(&v, &e.row.kind),
                text: event_words(&v, e),
            })
            .collect(),
        zone: v.say("times-in", &[("zone", v.zone(row.opened_at).into())]),
        volume_chart: window
            .series
            .as_ref()
            .map(|series| super::chart::svg_marked(series, &v, false, marked)),
        share_chart: window
            .series
            .as_ref()
            .map(|series| super::chart::share_svg(series, &v, marked)),
        volume_title: window
            .series
            .as_ref()
            .map(|series| super::chart::title(series, &v, false))
            .unwrap_or_default(),
        share_title: window
            .series
            .as_ref()
            .map(|series| super::chart::share_title(series, &v))
            .unwrap_or_default(),
        about_source,
        first: window.first.iter().map(|m| mention_ctx(&v, m)).collect(),
        press: tallies(&window.press),
        social: tallies(&window.social),
        authors: tallies(&window.authors),
        telling: view
            .explanation
            .as_ref()
            .map(|x| {
                x.telling
                    .iter()
                    .map(|m| MentionCtx {
                        time: m.at.map(|t| v.moment(t)).unwrap_or_default(),
                        source: m.source.clone(),
                        title: m.title.clone().unwrap_or_default(),
                        link: crate::notify::said::safe_link(m.link.as_deref()).map(|(l, _)| l),
                        author: m.author.clone().unwrap_or_default(),
                        sentiment: v.signed(f64::from(m.score)),
                        terms: m.terms.join(", "),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        syndicated: window
            .syndicated
            .iter()
            .map(|g| SyndicatedCtx {
                title: g.title.clone(),
                link: crate::notify::said::safe_link(g.link.as_deref()).map(|(l, _)| l),
                carried: v.say(
                    "web-syndicated-by",
                    &[
                        ("count", g.sources.len().into()),
                        ("sources", g.sources.join(", ").into()),
                    ],
                ),
            })
            .collect(),
        // An incident that began before the retention horizon and shows no mention has lost them to the
        // pruning, not had none.
        window_read: if window.read == 0
            && window.from < now - chrono::TimeDelta::days(i64::from(c.retention_days))
        {
            v.say("web-window-pruned", &[("days", c.retention_days.into())])
        } else {
            v.say(
                "web-window-read",
                &[
                    ("count", window.read.into()),
                    ("capped", if window.capped { "yes" } else { "no" }.into()),
                ],
            )
        },
        can_resolve: p.role.acts() && view.status != IncidentStatus::Resolved,
        can_act: p.role.acts() && view.status != IncidentStatus::Resolved,
        can_take: p.role.acts()
            && view.status != IncidentStatus::Resolved
            && row.acknowledged_at.is_none(),
        can_silence: p.role.acts() && view.silence_target().is_some(),
    };
    render(
        &v,
        Some(&p),
        "incidents",
        "incident.html",
        body,
        StatusCode::OK,
    )
}

/// The watch an incident is about, as the rule files define it.
fn incident_watch(
    rules: Option<&crate::analysis::rules::RuleSet>,
    view: &IncidentView,
) -> Option<crate::analysis::rules::Watch> {
    let w = view.row.watch.as_deref()?;
    rules?.watches().iter().find(|x| x.id == w).cloned()
}

fn parse_cursor(s: Option<&str>) -> Option<Cursor> {
    let (at, key) = s?.split_once('.')?;
    Some(Cursor {
        at: at.parse().ok()?,
        key: key.parse().ok()?,
    })
}

fn mention_ctx(v: &Voice, m: &StoredMention) -> MentionCtx {
    MentionCtx {
        time: v.moment(m.published.unwrap_or(m.fetched)),
        source: m.source.clone(),
        title: m
            .title
            .clone()
            .unwrap_or_else(|| m.text.chars().take(140).collect()),
        link: crate::notify::said::safe_link(m.link.as_deref()).map(|(l, _)| l),
        author: m.author.clone().unwrap_or_default(),
        sentiment: format!(
            "{} ({})",
            words::label(v, m.label),
            v.signed(f64::from(m.score))
        ),
        terms: String::new(),
    }
}

/// A choice of a filter: its value, its words, whether it is the one chosen.
#[derive(Serialize)]
struct Choice {
    value: String,
    words: String,
    selected: bool,
}

fn choices(chosen: &str, options: impl IntoIterator<Item = (String, String)>) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, words)| Choice {
            selected: value == chosen,
            value,
            words,
        })
        .collect()
}

fn period_choices(v: &Voice, chosen: &str) -> Vec<Choice> {
    choices(
        chosen,
        ["24h", "7d", "30d"].map(|p| (p.to_owned(), v.word(&format!("web-period-{p}")))),
    )
}

fn watch_choices(c: &Shared, chosen: &str) -> Vec<Choice> {
    choices(
        chosen,
        c.rules()
            .map(|r| {
                r.watches()
                    .iter()
                    .map(|w| (w.id.clone(), w.name.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    )
}

#[derive(Serialize, Default)]
struct MentionFilters {
    watches: Vec<Choice>,
    rules: Vec<Choice>,
    sources: Vec<Choice>,
    langs: Vec<Choice>,
    labels: Vec<Choice>,
    periods: Vec<Choice>,
    incident: String,
    any: bool,
}

fn mention_filters(c: &Shared, v: &Voice, q: &MentionQuery) -> MentionFilters {
    let mut sources: Vec<String> = c.reaches.0.keys().cloned().collect();
    sources.sort();
    MentionFilters {
        watches: watch_choices(c, &q.watch),
        rules: choices(
            &q.rule,
            c.rules()
                .map(|r| {
                    r.rules()
                        .iter()
                        .map(|x| (x.id.clone(), x.name.clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        ),
        sources: choices(&q.source, sources.into_iter().map(|s| (s.clone(), s))),
        langs: choices(
            &q.lang,
            ["fr", "en", "other"]
                .map(|l| (l.to_owned(), v.say("web-lang-name", &[("lang", l.into())]))),
        ),
        labels: choices(
            &q.label,
            [Label::Neg, Label::Neu, Label::Pos]
                .map(|l| (l.as_str().to_owned(), words::label(v, l))),
        ),
        periods: period_choices(v, &q.period),
        incident: q.incident.clone(),
        any: !q.url_query().is_empty(),
    }
}

/// The store's scope of a mentions query at `now` (an incident's window for `incident`).
fn mention_scope(
    s: &crate::store::Store,
    q: &MentionQuery,
    now: chrono::DateTime<Utc>,
) -> crate::store::Result<MentionScope> {
    let some = |x: &str| (!x.trim().is_empty()).then(|| x.trim().to_owned());
    let mut scope = match q.incident.trim().parse::<i64>() {
        Ok(id) => match IncidentView::load(s, id, None, now)? {
            Some(view) => window_scope(s, &view, now)?,
            // An incident that does not exist holds no mention.
            None => MentionScope {
                from: Some(now),
                to: Some(now),
                ..MentionScope::default()
            },
        },
        Err(_) => MentionScope::default(),
    };
    if let Some(w) = some(&q.watch) {
        scope.watch = Some(w);
    }
    if let Some(r) = some(&q.rule) {
        scope.rule = Some(r);
    }
    scope.source = some(&q.source);
    scope.lang = some(&q.lang);
    scope.label = some(&q.label).filter(|l| matches!(l.as_str(), "neg" | "neu" | "pos"));
    if let Some(span) = super::period_span(&q.period) {
        let from = now - span;
        scope.from = Some(scope.from.map_or(from, |f| f.max(from)));
    }
    Ok(scope)
}

#[derive(Serialize)]
struct MentionsBody {
    q: String,
    /// The search and its filters as a URL's query (for the CSV link and the next page).
    query: String,
    filters: MentionFilters,
    error: Option<String>,
    mentions: Vec<MentionCtx>,
    next: Option<String>,
    capped: bool,
    /// Says that the page stopped reading before it was full.
    capped_words: String,
}

/// How many mentions a page shows.
const PAGE: usize = 50;

pub(super) async fn mentions(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<MentionQuery>,
) -> Response {
    let (p, v) = match signed_in(&c, &headers, peer).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let search = match Search::parse(&q.q) {
        Ok(s) => s,
        Err(e) => {
            let body = MentionsBody {
                query: q.url_query(),
                filters: mention_filters(&c, &v, &q),
                q: q.q.clone(),
                error: Some(v.say("web-search-invalid", &[("problem", e.0.into())])),
                mentions: Vec::new(),
                next: None,
                capped: false,
                capped_words: String::new(),
            };
            return render(
                &v,
                Some(&p),
                "mentions",
                "mentions.html",
                body,
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let after = parse_cursor(q.after.as_deref());
    let now = c.now();
    let query = q.clone();
    let page = match c
        .read(move |s| {
            let scope = mention_scope(s, &query, now)?;
            MentionPage::load_in(s, &search, &scope, after, PAGE)
        })
        .await
    {
        Ok(pg) => pg,
        Err(r) => return r,
    };
    let body = MentionsBody {
        error: None,
        mentions: page.mentions.iter().map(|m| mention_ctx(&v, m)).collect(),
        next: page.next.map(|c| format!("{}.{}", c.at, c.key)),
        capped: page.scan_capped,
        capped_words: v.say(
            "web-search-capped",
            &[("count", crate::views::mentions::SCAN_LIMIT.into())],
        ),
        query: q.url_query(),
        filters: mention_filters(&c, &v, &q),
        q: q.q,
    };
    render(
        &v,
        Some(&p),
        "mentions",
        "mentions.html",
        body,
        StatusCode::OK,
    )
}

/// A CSV field: quoted, and a leading `=`, `+`, `-`, `@` made inert so that a spreadsheet does not run a
/// feed's text as a formula.
fn csv_field(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// How many rows one export holds at most.
const CSV_ROWS: usize = 10_000;

pub(super) async fn mentions_csv(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<MentionQuery>,
) -> Response {
    if let Err(r) = signed_in(&c, &headers, peer).await {
        return r;
    }
    let Ok(search) = Search::parse(&q.q) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let now = c.now();
    let page = match c
        .read(move |s| {
            let scope = mention_scope(s, &q, now)?;
            MentionPage::load_in(s, &search, &scope, None, CSV_ROWS)
        })
        .await
    {
        Ok(pg) => pg,
        Err(r) => return r,
    };
    let mut out = String::from("published,source,title,author,link,lang,label,score,text\r\n");
    for m in &page.mentions {
        let fields = [
            m.published.unwrap_or(m.fetched).to_rfc3339(),
            m.source.clone(),
            m.title.clone().unwrap_or_default(),
            m.author.clone().unwrap_or_default(),
            m.link.clone().unwrap_or_default(),
            m.lang.as_str().to_owned(),
            m.label.as_str().to_owned(),
            format!("{:.3}", m.score),
            m.text.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    let mut r = out.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"mentions.csv\""),
    );
    r
}

#[derive(Serialize)]
struct SourceCtx {
    name: String,
    last_success: String,
    last_error: String,
    failures: u32,
    next_poll: String,
    items: u64,
}

#[derive(Serialize)]
struct SourcesBody {
    sources: Vec<SourceCtx>,
}

pub(super) async fn sources(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (p, v) = match signed_in(&c, &headers, peer).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let rows = match c.read(source_health).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let never = v.word("web-never");
    let body = SourcesBody {
        sources: rows
            .into_iter()
            .map(|s| SourceCtx {
                last_success: s
                    .state
                    .last_success
                    .map_or_else(|| never.clone(), |t| v.moment(t)),
                last_error: s.state.last_error.clone().unwrap_or_default(),
                failures: s.state.consecutive_errors,
                next_poll: s.state.next_due.map_or_else(String::new, |t| v.moment(t)),
                items: s.state.items_seen,
                name: s.state.name,
            })
            .collect(),
    };
    render(
        &v,
        Some(&p),
        "sources",
        "sources.html",
        body,
        StatusCode::OK,
    )
}

#[derive(Serialize)]
struct RuleCtx {
    id: String,
    name: String,
    severity: String,
}

#[derive(Serialize)]
struct RulesBody {
    loaded: bool,
    rules: Vec<RuleCtx>,
    watches: Vec<(String, String)>,
    text: String,
    tested: bool,
    matched: Vec<RuleCtx>,
}

pub(super) async fn rules(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<RulesQuery>,
) -> Response {
    let (p, v) = match signed_in(&c, &headers, peer).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let set = c.rules();
    let text = q.text.unwrap_or_default();
    let (rules, watches, matched) = match &set {
        None => (Vec::new(), Vec::new(), Vec::new()),
        Some(set) => {
            let rule_ctx = |id: &str| {
                set.rule(id).map(|r| RuleCtx {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    severity: words::severity(&v, r.severity),
                })
            };
            let rules = set.rules().iter().filter_map(|r| rule_ctx(&r.id)).collect();
            let watches = set
                .watches()
                .iter()
                .map(|w| (w.id.clone(), w.name.clone()))
                .collect();
            let matched = if text.trim().is_empty() {
                Vec::new()
            } else {
                let folded = crate::analysis::fold::fold(&text);
                let view = crate::analysis::rules::MentionView {
                    title: None,
                    text: crate::analysis::rules::FieldText {
                        original: &text,
                        folded: &folded,
                    },
                    author: None,
                    site: None,
                    lang: None,
                    source: "",
                    tags: &[],
                    sentiment: None,
                };
                set.matches(&view)
                    .iter()
                    .filter_map(|m| rule_ctx(&m.rule))
                    .collect()
            };
            (rules, watches, matched)
        }
    };
    let body = RulesBody {
        loaded: set.is_some(),
        rules,
        watches,
        tested: !text.trim().is_empty(),
        text,
        matched,
    };
    render(&v, Some(&p), "rules", "rules.html", body, StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_console_word_exists_in_every_language() {
        for locale in crate::i18n::Locale::ALL {
            let v = Voice::new(locale, crate::i18n::DEFAULT_TZ);
            for id in WORDS {
                assert!(
                    !v.word(id).starts_with('{'),
                    "{id} missing in {}",
                    locale.tag()
                );
            }
        }
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_made_inert() {
        assert_eq!(csv_field("a \"b\", c"), "\"a \"\"b\"\", c\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "\"'-1\"");
    }

    #[tokio::test]
    async fn templates_escape_what_came_from_a_feed() {
        let v = Voice::french();
        let body = MentionsBody {
            q: "\"><script>".into(),
            query: String::new(),
            filters: MentionFilters::default(),
            error: None,
            mentions: vec![mention_ctx(
                &v,
                &StoredMention {
                    key: 1,
                    id: "g".into(),
                    source: "s".into(),
                    link: Some("javascript:alert(1)".into()),
                    title: Some("<script>alert(1)</script>\"><img src=x onerror=alert(1)>".into()),
                    text: "t".into(),
                    author: None,
                    published: None,
                    fetched: chrono::DateTime::default(),
                    lang: crate::model::Lang::Fr,
                    score: 0.0,
                    label: crate::model::Label::Neu,
                    matches: Vec::new(),
                    kind: crate::model::SourceKind::Feed,
                    author_handle: None,
                    author_followers: None,
                    likes: None,
                    reposts: None,
                    replies: None,
                    points: None,
                    story: 1,
                    medium: None,
                },
            )],
            next: None,
            capped: false,
            capped_words: String::new(),
        };
        let r = render(&v, None, "mentions", "mentions.html", body, StatusCode::OK);
        assert_eq!(r.status(), StatusCode::OK);
        let html = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        let html = String::from_utf8(html.to_vec()).unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}
