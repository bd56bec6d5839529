//! What a notification says, once, for every face that tells it: the email ([`mod@super::render`]) and the
//! chat cards and webhooks ([`super::channels`]) are laid out from these pieces, never from a copy of them.
//!
//! In: a [`Notification`] (as detection queued it, or a digest or summary the worker assembled) and the
//! reader's [`Voice`]. Out: a [`Said`]: the one line and the one sentence that say what happened (the
//! decision's headline through [`crate::i18n::words`]), the figures as label/value pairs in the words the
//! CLI uses, and the telling mentions with their fields cleaned and only `http(s)` links kept. Pure: no
//! clock, no I/O. Escaping for a format (HTML, Markdown, Adaptive Card text) is each layout's job: the
//! pieces here are plain text.

use serde::Serialize;

use crate::detect::Decision;
use crate::i18n::{Locale, Voice, words};
use crate::model::{Label, Notification, NotificationKind, NotifiedMention, Severity};

/// A notification, said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Said {
    pub severity: Severity,
    /// One line: what it is about (a subject without its prefix).
    pub line: String,
    /// One sentence saying what happened.
    pub sentence: String,
    /// The figures, label and value, in order.
    pub figures: Vec<(String, String)>,
    /// The most telling mentions, at most the number asked for.
    pub mentions: Vec<SaidMention>,
    /// How many more mentions the notification holds than are shown.
    pub more_mentions: usize,
    /// For a digest or a summary: one line per notification it gathers.
    pub items: Vec<String>,
    /// The incident's page in the console, when `public_url` is known and it is about an incident.
    pub incident_url: Option<String>,
    /// "Times in Paris time (UTC+1)."
    pub zone: String,
}

impl Said {
    /// Says `n` in `v`'s language and on its clock, with at most `max_mentions` mentions.
    pub fn of(n: &Notification, v: &Voice, max_mentions: usize, public_url: Option<&str>) -> Said {
        let shown: Vec<SaidMention> = n
            .mentions
            .iter()
            .take(max_mentions)
            .map(|m| mention(m, v))
            .collect();
        Said {
            severity: n.severity,
            line: one_line(&line(v, n)),
            sentence: clean(&sentence(v, n)),
            figures: figures(v, n),
            more_mentions: n.mentions.len() - shown.len(),
            mentions: shown,
            items: n.items.iter().map(|i| one_line(&line(v, i))).collect(),
            incident_url: incident_url(public_url, n),
            zone: v.say("times-in", &[("zone", v.zone(n.at).into())]),
        }
    }
}

/// The incident's page in the console served at `public_url`.
pub(crate) fn incident_url(public_url: Option<&str>, n: &Notification) -> Option<String> {
    match (public_url, n.incident) {
        (Some(base), Some(id)) => Some(format!("{}/incidents/{id}", base.trim_end_matches('/'))),
        _ => None,
    }
}

/// A telling mention as every face shows it: its fields cleaned of control characters, its time on the
/// reader's clock, its sentiment in words, and its link only when it is `http(s)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaidMention {
    pub source: String,
    pub time: String,
    pub title: String,
    pub excerpt: String,
    pub sentiment: Option<String>,
    pub link: Option<String>,
    pub host: Option<String>,
    pub terms: String,
}

/// A link worth an `href`: `http` or `https` only, and its host.
pub(crate) fn safe_link(link: Option<&str>) -> Option<(String, Option<String>)> {
    let u = url::Url::parse(link?.trim()).ok()?;
    let host = u.host_str().map(str::to_owned);
    (matches!(u.scheme(), "http" | "https") && host.is_some()).then(|| (u.to_string(), host))
}

pub(crate) fn mention(m: &NotifiedMention, v: &Voice) -> SaidMention {
    let (link, host) = safe_link(m.link.as_deref()).map_or((None, None), |(l, h)| (Some(l), h));
    let sentiment = match (m.score, m.label) {
        (Some(s), label) => Some(format!(
            "{} ({})",
            words::label(v, label.unwrap_or(Label::of_score(s))),
            v.signed(f64::from(s))
        )),
        (None, Some(label)) => Some(words::label(v, label)),
        (None, None) => None,
    };
    SaidMention {
        source: clean(&m.source),
        time: m.time.map_or_else(|| "—".into(), |t| v.moment(t)),
        title: m
            .title
            .as_deref()
            .map(clean)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| v.word("untitled")),
        excerpt: cut(&clean(&m.excerpt), 300),
        sentiment,
        link,
        host,
        terms: clean(&m.terms.join(", ")),
    }
}

/// The decision behind a notification, when it carries one.
pub(crate) fn decision(n: &Notification) -> Option<Decision> {
    n.decision
        .as_ref()
        .and_then(|d| serde_json::from_value(d.clone()).ok())
}

/// The subject without its prefix: what a digest lists.
pub(crate) fn line(v: &Voice, n: &Notification) -> String {
    let h = &n.headline;
    let brand = clean(&n.brand);
    let window = window_words(v, h);
    match n.kind {
        NotificationKind::IncidentOpened
        | NotificationKind::IncidentEscalated
        | NotificationKind::Digest => v.say(
            "email-line-surge",
            &[
                ("brand", brand.into()),
                ("count", h.count.map_or(-1, i64::from).into()),
                ("window", window.into()),
                ("ratio", ratio(v, n).unwrap_or_default().into()),
                (
                    "rising",
                    if n.kind == NotificationKind::IncidentEscalated {
                        "yes"
                    } else {
                        "no"
                    }
                    .into(),
                ),
            ],
        ),
        // More critical mentions of an incident, counted since the last message.
        NotificationKind::CriticalMention if h.count.is_some() => v.say(
            "email-line-critical-more",
            &[
                ("brand", brand.into()),
                ("count", h.count.map_or(0, i64::from).into()),
                (
                    "rule",
                    n.rule
                        .as_deref()
                        .map(|r| v.quote(&clean(r)))
                        .unwrap_or_default()
                        .into(),
                ),
            ],
        ),
        NotificationKind::CriticalMention => v.say(
            "email-line-critical",
            &[
                ("brand", brand.into()),
                (
                    "source",
                    n.mentions
                        .first()
                        .map(|m| clean(&m.source))
                        .unwrap_or_default()
                        .into(),
                ),
            ],
        ),
        NotificationKind::SourceDown | NotificationKind::SourceRecovered => {
            decision(n).map_or_else(|| sentence(v, n), |d| words::headline(v, &d))
        }
        NotificationKind::IncidentResolved => v.say(
            "email-line-resolved",
            &[
                ("brand", brand.into()),
                (
                    "lasted",
                    h.duration_secs
                        .map(|d| {
                            v.duration(chrono::TimeDelta::seconds(d.min(i64::MAX as u64) as i64))
                        })
                        .unwrap_or_default()
                        .into(),
                ),
                ("peak", h.peak.map_or(-1, i64::from).into()),
            ],
        ),
    }
}

/// The window a count covers, as the detector saw it; for notifications queued before windows were kept,
/// its length.
pub(crate) fn window_words(v: &Voice, h: &crate::model::Headline) -> String {
    match (h.window_start, h.window_end, &h.window) {
        (Some(s), Some(e), _) => v.window(s, e),
        (_, _, Some(w)) => v.say("email-legacy-window", &[("window", clean(w).into())]),
        _ => String::new(),
    }
}

/// `5,9` when the usual level is at least one: below it the detector divides by a floor, which is no
/// "times the usual".
pub(crate) fn ratio(v: &Voice, n: &Notification) -> Option<String> {
    let h = &n.headline;
    match (h.ratio, h.baseline) {
        (Some(r), Some(b)) if b >= 1.0 && r.is_finite() => Some(v.number(r, 1)),
        (Some(r), None) if r.is_finite() => Some(v.number(r, 1)),
        _ => None,
    }
}

/// One sentence saying what happened: the decision's headline said in the reader's language, else what
/// detection wrote when the notification was queued, else made from the figures.
pub(crate) fn sentence(v: &Voice, n: &Notification) -> String {
    if let Some(d) = decision(n) {
        // A source's last error and the watches it feeds are what the reader acts on: all of it, on one line.
        if matches!(d, Decision::Source(_)) {
            return words::decision(v, &d).lines().collect::<Vec<_>>().join(" ");
        }
        return words::headline(v, &d);
    }
    let written = match v.locale {
        Locale::Fr => &n.explanation_fr,
        Locale::En => &n.explanation_en,
    };
    if let Some(s) = written.as_deref().filter(|s| !s.trim().is_empty()) {
        return s.to_owned();
    }
    let h = &n.headline;
    v.say(
        "email-sentence",
        &[
            ("kind", kind_key(n.kind).into()),
            ("brand", clean(&n.brand).into()),
            ("count", h.count.map_or(-1, i64::from).into()),
            (
                "usual",
                h.baseline.map(|b| v.figure(b)).unwrap_or_default().into(),
            ),
            (
                "rule",
                n.rule
                    .as_deref()
                    .map(|r| v.quote(&clean(r)))
                    .unwrap_or_default()
                    .into(),
            ),
            (
                "lasted",
                h.duration_secs
                    .map(|d| v.duration(chrono::TimeDelta::seconds(d.min(i64::MAX as u64) as i64)))
                    .unwrap_or_default()
                    .into(),
            ),
        ],
    )
}

pub(crate) fn kind_key(k: NotificationKind) -> &'static str {
    match k {
        NotificationKind::IncidentOpened => "opened",
        NotificationKind::IncidentEscalated => "escalated",
        NotificationKind::IncidentResolved => "resolved",
        NotificationKind::CriticalMention => "critical",
        NotificationKind::Digest => "digest",
        NotificationKind::SourceDown => "source_down",
        NotificationKind::SourceRecovered => "source_recovered",
    }
}

/// The figures of a notification, label and value, in the words the CLI uses for the same facts.
pub(crate) fn figures(v: &Voice, n: &Notification) -> Vec<(String, String)> {
    let h = &n.headline;
    let label = |k: &str| v.say("email-figure", &[("figure", k.into())]);
    let mut out = Vec::new();
    let window = window_words(v, h);
    let x = decision(n).and_then(|d| match d {
        Decision::Incident(e) => e.explanation,
        Decision::Buzz(b) => Some(b.explanation),
        Decision::CriticalMention(_) | Decision::Source(_) => None,
    });
    if let Some(c) = h.count {
        // A critical mention's count is of critical mentions (those since the last message), not of
        // negative ones.
        let what = if n.kind == NotificationKind::CriticalMention {
            "critical"
        } else {
            "count"
        };
        // Stories, not copies: when copies were folded, the count says so as the CLI does ("9 sujets
        // négatifs distincts (10 mentions négatives)").
        let metric = match decision(n) {
            Some(Decision::Buzz(_)) => words::Metric::Volume,
            _ => words::Metric::Negative,
        };
        let count = match &x {
            Some(x)
                if what == "count"
                    && (match metric {
                        words::Metric::Negative => x.negative.count,
                        words::Metric::Volume => x.volume.count,
                    }) == c =>
            {
                words::count_words(v, x, metric)
            }
            _ => v.integer(u64::from(c)),
        };
        out.push((
            label(what),
            v.say(
                "email-count-value",
                &[("count", count.into()), ("window", window.into())],
            ),
        ));
    }
    if let Some(b) = h.baseline {
        let place = x
            .as_ref()
            .map(|x| words::usual_where(v, x))
            .unwrap_or_default();
        out.push((
            label("usual"),
            v.say(
                "email-usual-value",
                &[
                    ("zero", if b == 0.0 { "yes" } else { "no" }.into()),
                    ("usual", v.figure(b).into()),
                    ("where", place.into()),
                ],
            ),
        ));
    }
    if let Some(r) = ratio(v, n) {
        out.push((label("ratio"), format!("×{r}")));
    }
    if let Some(s) = h.negative_share {
        out.push((
            label("share"),
            v.say(
                "share-value",
                &[
                    ("share", v.percent(s).into()),
                    (
                        "usual",
                        h.usual_negative_share
                            .map(|u| v.percent(u))
                            .unwrap_or_default()
                            .into(),
                    ),
                ],
            ),
        ));
    }
    if let Some(s) = h.sources {
        out.push((label("sources"), v.integer(u64::from(s))));
    }
    if let Some(z) = h.z.filter(|z| z.is_finite()) {
        out.push((label("z"), v.number(z, 1)));
    }
    if let Some(d) = h.duration_secs {
        out.push((
            label("duration"),
            v.duration(chrono::TimeDelta::seconds(d.min(i64::MAX as u64) as i64)),
        ));
    }
    if let Some(p) = h.peak {
        out.push((label("peak"), v.say("n-mentions", &[("count", p.into())])));
    }
    // The share test, the planned event in force and a slow crisis's days: the same words as the CLI's.
    if let Some(z) = x.as_ref().and_then(|x| x.share_z) {
        out.push((label("share-test"), words::share_test_value(v, z)));
    }
    if let Some(p) = x.as_ref().and_then(|x| x.pickup.as_ref()) {
        out.push((
            label("pickup"),
            v.say("pickup-value", &words::pickup_args(p)),
        ));
    }
    if let Some(event) = x.as_ref().and_then(|x| x.event.as_deref()) {
        out.push((label("event"), clean(event)));
    }
    if let Some(Decision::Incident(e)) = decision(n)
        && let Some(t) = &e.trend
    {
        out.push((label("trend"), words::trend_figures(v, t)));
    }
    out
}

/// Removes control characters (tabs and newlines become spaces), so that nothing from a feed can shape
/// the email: it stays the text it was.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

/// [`clean`], then at most 250 characters, for a header.
pub(crate) fn one_line(s: &str) -> String {
    cut(&clean(s), 250)
}

pub(crate) fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
        None => s.to_owned(),
    }
}
