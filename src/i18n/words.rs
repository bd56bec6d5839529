//! Detection's facts in words: a decision, an explanation, a severity or a kind of incident, as a person
//! reads them, through the message files.
//!
//! In: the facts [`crate::detect`] returns ([`Decision`], [`Explanation`], [`EventKind`], …) and a
//! [`Voice`]. Out: sentences. Every face (the CLI, the email, the console, the chat cards) says an incident
//! with these functions, so it reads the same everywhere.
//!
//! The figures are said as the detector saw them: the window by its hours on the reader's clock ("entre
//! 9 h et 14 h"), a usual level of zero as such ("d'habitude : aucune à cette heure"), and a ratio only when
//! the usual level is at least one (below that the detector divides by a floor of one, which is no "times
//! the usual").

use chrono::{Datelike as _, TimeDelta, Timelike as _};

use super::{Arg, Voice};
use crate::detect::{
    BuzzAlert, CriticalMention, Decision, EventKind, Explanation, Figures, IncidentEvent, Pickup,
    Profile, Suppression, Tally, Telling, TellingMention, TrendFacts,
};
use crate::model::{Label, Severity};

/// What an explanation counts: negative stories (bad buzz) or all stories (a buzz).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Negative,
    Volume,
}

/// A severity in words: `critique`, `alerte`, `info`.
pub fn severity(v: &Voice, s: Severity) -> String {
    v.say("severity", &[("severity", severity_key(s).into())])
}

fn severity_key(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// A stored severity (`critical`, `warning`, `info`) in words; another value as it is.
pub fn severity_str(v: &Voice, s: &str) -> String {
    match s {
        "critical" => severity(v, Severity::Critical),
        "warning" => severity(v, Severity::Warning),
        "info" => severity(v, Severity::Info),
        other => other.to_owned(),
    }
}

/// A fault of the database, for a person: `disque plein`, `base verrouillée`.
pub fn store_fault(v: &Voice, f: crate::store::StoreFault) -> String {
    v.say("store-fault", &[("fault", f.as_str().into())])
}

/// A kind of incident (`bad_buzz`, `trend`, `critical_mention`, `buzz`, `source`) in words.
pub fn incident_kind(v: &Voice, kind: &str) -> String {
    v.say("incident-kind", &[("kind", kind.into())])
}

/// Where an incident stands (`open`, `acknowledged`, `silenced`, `resolved`) in words.
pub fn status(v: &Voice, status: &str) -> String {
    v.say("incident-status", &[("status", status.into())])
}

/// A line of an incident's timeline: `ouvert`, `nouveau pic`, `pris en charge`…
pub fn event_kind(v: &Voice, kind: EventKind) -> String {
    v.say("event-kind", &[("kind", kind.as_str().into())])
}

/// A stored timeline kind in words: the event kinds, and the critical mentions the store records beside them.
pub fn event_kind_str(v: &Voice, kind: &str) -> String {
    match serde_json::from_value::<EventKind>(serde_json::Value::String(kind.into())) {
        Ok(k) => event_kind(v, k),
        Err(_) => v.say("event-kind", &[("kind", kind.into())]),
    }
}

/// A sentiment label: `négatif`, `neutre`, `positif`.
pub fn label(v: &Voice, l: Label) -> String {
    v.say("label", &[("label", l.as_str().into())])
}

/// Why a decision was not mailed, in brackets.
pub fn suppression(v: &Voice, s: &Suppression) -> String {
    match s {
        Suppression::Silenced { reason, until } => v.say(
            "suppressed-silenced",
            &[
                ("until", v.moment(*until).into()),
                ("reason", v.quote(reason).into()),
            ],
        ),
        Suppression::Inhibited { by } => v.say(
            "suppressed-inhibited",
            &[("incident", by.0.as_str().into())],
        ),
        Suppression::SameStory { .. } => v.word("suppressed-same-story"),
    }
}

/// A decision in words: what happened, then (for a window) its figures and who said what.
pub fn decision(v: &Voice, d: &Decision) -> String {
    match d {
        Decision::Incident(e) => incident_event(v, e),
        Decision::CriticalMention(c) => critical_mention(v, c),
        Decision::Buzz(b) => buzz(v, b),
        Decision::Source(s) => source_event(v, s),
    }
}

/// The first line of [`decision`]: what happened, for a mail subject, a timeline line or a chat title.
pub fn headline(v: &Voice, d: &Decision) -> String {
    decision(v, d).lines().next().unwrap_or_default().to_owned()
}

fn watch_name<'a>(name: &'a Option<String>, id: &'a str) -> &'a str {
    name.as_deref().unwrap_or(id)
}

fn incident_event(v: &Voice, e: &IncidentEvent) -> String {
    let watch = v.quote(watch_name(&e.watch_name, &e.watch));
    if let Some(t) = &e.trend {
        return trend_event(v, e, t, &watch);
    }
    let mut out = match (&e.rule, e.kind) {
        (None, EventKind::Resolved) => {
            let window = e.explanation.as_ref().map_or_else(
                || v.duration(TimeDelta::hours(1)),
                |x| v.duration(x.window_end - x.window_start),
            );
            v.say(
                "buzz-resolved",
                &[
                    ("watch", watch.into()),
                    ("calm", v.duration(seconds(e.calm_secs)).into()),
                    ("lasted", v.duration(seconds(e.duration_secs)).into()),
                    ("peak", e.peak.into()),
                    ("window", window.into()),
                    ("peak_at", v.moment(e.peak_at).into()),
                    ("mentions", e.mentions.into()),
                ],
            )
        }
        (None, kind) => v.say(
            "buzz-event",
            &[
                ("watch", watch.into()),
                ("event", kind.as_str().into()),
                ("severity", severity(v, e.severity).into()),
            ],
        ),
        (Some(rule), EventKind::Resolved) => v.say(
            "rule-incident-resolved",
            &[
                ("rule", v.quote(rule).into()),
                ("watch", watch.into()),
                ("calm", v.duration(seconds(e.calm_secs)).into()),
                ("mentions", e.mentions.into()),
                ("opened", v.moment(e.opened).into()),
            ],
        ),
        (Some(rule), _) if e.more.is_some() => {
            let more = e.more.as_ref().map_or(0, |m| m.count);
            let since = e.more.as_ref().map_or(e.opened, |m| m.since);
            v.say(
                "rule-incident-more",
                &[
                    ("count", more.into()),
                    ("rule", v.quote(rule).into()),
                    ("watch", watch.into()),
                    ("since", v.moment(since).into()),
                    ("mentions", e.mentions.into()),
                    ("opened", v.moment(e.opened).into()),
                ],
            )
        }
        (Some(rule), kind) => v.say(
            "rule-incident-event",
            &[
                ("rule", v.quote(rule).into()),
                ("watch", watch.into()),
                ("event", event_kind(v, kind).into()),
            ],
        ),
    };
    if let Some(s) = &e.suppressed {
        out.push(' ');
        out.push_str(&suppression(v, s));
    }
    if let Some(x) = &e.explanation {
        out.push('\n');
        // The end of a crisis needs the figures, not the mentions of a calm hour.
        let full = e.kind != EventKind::Resolved;
        out.push_str(&explanation(v, x, Metric::Negative, full));
    }
    out
}

/// A slow crisis (a trend incident) opened or over, then its days' figures.
fn trend_event(v: &Voice, e: &IncidentEvent, t: &TrendFacts, watch: &str) -> String {
    let mut out = if e.kind == EventKind::Resolved {
        v.say(
            "trend-resolved",
            &[
                ("watch", watch.into()),
                ("lasted", v.duration(seconds(e.duration_secs)).into()),
            ],
        )
    } else {
        v.say("trend-opened", &[("watch", watch.into())])
    };
    if let Some(s) = &e.suppressed {
        out.push(' ');
        out.push_str(&suppression(v, s));
    }
    out.push('\n');
    out.push_str(&trend_figures(v, t));
    out
}

/// The figures of a trend: the last day's share against the usual one, the share test, and the CUSUM.
pub fn trend_figures(v: &Voice, t: &TrendFacts) -> String {
    let mut out = v.say(
        "trend-day",
        &[
            ("from", v.moment(t.window_start).into()),
            ("to", v.moment(t.window_end).into()),
            ("negative", t.negative_stories.into()),
            ("stories", t.stories.into()),
            (
                "share",
                t.share.map(|s| v.percent(s)).unwrap_or_default().into(),
            ),
            ("usual", v.percent(t.usual_share).into()),
            ("days", t.usual_days.into()),
        ],
    );
    if let Some(z) = t.share_z {
        out.push(' ');
        out.push_str(&share_test(v, z));
    }
    if t.cusum > 0.0 {
        out.push(' ');
        out.push_str(
            &v.say(
                "trend-cusum",
                &[
                    (
                        "since",
                        t.rising_since
                            .map_or_else(|| "none".to_owned(), |s| v.moment(s))
                            .into(),
                    ),
                    ("cusum", v.number(t.cusum, 1).into()),
                    ("threshold", v.number(t.threshold, 0).into()),
                    ("alarm", v.percent(t.alarm_share).into()),
                ],
            ),
        );
    }
    out
}

/// The share test's result in words: a clear rise beyond the scorer's usual mistakes, or within them.
pub fn share_test(v: &Voice, z: f64) -> String {
    share_test_as(v, z, "explain-share-test")
}

/// The share test's result without its name, for a row that names it: `hausse nette, … (z = 3,5)`.
pub fn share_test_value(v: &Voice, z: f64) -> String {
    share_test_as(v, z, "share-test-value")
}

fn share_test_as(v: &Voice, z: f64, id: &str) -> String {
    v.say(
        id,
        &[
            (
                "sure",
                if z >= crate::detect::baseline::SHARE_Z {
                    "yes"
                } else {
                    "no"
                }
                .into(),
            ),
            ("z", v.number(z, 1).into()),
        ],
    )
}

/// Stored figures read back from JSON are not trusted to be sane: clamped to a century.
fn seconds(s: Option<i64>) -> TimeDelta {
    crate::detect::counts::seconds(s.unwrap_or(0))
}

fn critical_mention(v: &Voice, c: &CriticalMention) -> String {
    let mut out = v.say(
        "critical-mention",
        &[
            ("watch", v.quote(watch_name(&c.watch_name, &c.watch)).into()),
            ("rule", v.quote(&c.rule).into()),
            (
                "title",
                v.quote(c.title.as_deref().unwrap_or(&c.mention)).into(),
            ),
            ("source", c.source.as_str().into()),
            ("author", c.author.as_deref().unwrap_or("").into()),
        ],
    );
    if !c.matched.is_empty() {
        out.push(' ');
        out.push_str(&v.say(
            "critical-rule-terms",
            &[("terms", c.matched.join(", ").into())],
        ));
    }
    if !c.sentiment_terms.is_empty() {
        out.push(' ');
        out.push_str(&v.say(
            "critical-negative-terms",
            &[("terms", c.sentiment_terms.join(", ").into())],
        ));
    }
    if let Some(l) = &c.link {
        out.push_str(&format!(" <{l}>"));
    }
    if let Some(s) = &c.suppressed {
        out.push(' ');
        out.push_str(&suppression(v, s));
    }
    out
}

fn buzz(v: &Voice, b: &BuzzAlert) -> String {
    let watch = v.quote(watch_name(&b.watch_name, &b.watch));
    let mut out = match &b.explanation.event {
        // A surge during a planned event is what the team expected: said so, by the event's name.
        Some(event) => v.say(
            "expected-peak",
            &[("event", event.as_str().into()), ("watch", watch.into())],
        ),
        None => v.say("volume-buzz", &[("watch", watch.into())]),
    };
    if let Some(s) = &b.suppressed {
        out.push(' ');
        out.push_str(&suppression(v, s));
    }
    out.push('\n');
    out.push_str(&explanation(v, &b.explanation, Metric::Volume, true));
    out
}

/// A source that can no longer be heard, or is heard again: what happened, then the last error and the
/// watches it feeds.
fn source_event(v: &Voice, s: &crate::detect::blind::SourceEvent) -> String {
    use crate::detect::blind::Blindness;
    let source = v.quote(&s.source);
    let held = |mut out: String| {
        if let Some(x) = &s.suppressed {
            out.push(' ');
            out.push_str(&suppression(v, x));
        }
        out
    };
    if s.kind == EventKind::Resolved {
        return held(v.say(
            "source-resolved",
            &[
                ("source", source.into()),
                ("removed", if s.removed { "yes" } else { "no" }.into()),
                ("lasted", v.duration(s.at - s.since).into()),
            ],
        ));
    }
    let gap = match s.why {
        Blindness::Silent { usual_gap_secs } => v.duration(TimeDelta::seconds(usual_gap_secs)),
        _ => String::new(),
    };
    let out = v.say(
        "source-opened",
        &[
            ("source", source.into()),
            ("why", s.why.as_str().into()),
            ("since", v.moment(s.since).into()),
            ("gap", gap.into()),
        ],
    );
    let mut out = held(out);
    // The second line holds the rest, as a timeline line holds its figures.
    out.push('\n');
    if let Some(e) = s.last_error.as_deref().filter(|e| !e.trim().is_empty()) {
        out.push_str(&v.say(
            "source-last-error",
            &[("error", e.trim().into()), ("errors", s.errors.into())],
        ));
        out.push(' ');
    }
    let quoted: Vec<String> = s.watches.iter().map(|w| v.quote(w)).collect();
    out.push_str(&v.say(
        "source-feeds",
        &[
            ("count", quoted.len().into()),
            ("watches", quoted.join(", ").into()),
        ],
    ));
    out
}

/// An incident as a list shows it, in one line: its figures when it has an explanation, else what its first
/// decision said (a critical mention without its link, which a list shows beside it), else its kind. The
/// CLI's `veille incidents` and the console's lists both say it with this.
pub fn incident_summary(v: &Voice, line: &crate::views::IncidentLine) -> String {
    let x: Option<Explanation> = line
        .row
        .explanation
        .as_deref()
        .and_then(|x| serde_json::from_str(x).ok());
    let metric = if line.row.kind == "buzz" {
        Metric::Volume
    } else {
        Metric::Negative
    };
    match (x, &line.first) {
        (Some(x), _) => explanation(v, &x, metric, false),
        (None, Some(Decision::CriticalMention(c))) => {
            let mut c = c.clone();
            c.link = None;
            critical_mention(v, &c)
        }
        (None, Some(d)) => headline(v, d),
        (None, None) => incident_kind(v, &line.row.kind),
    }
}

/// What happened to an incident, in one sentence: how many critical mentions of which rule since when, or
/// the latest turn of a bad buzz (opened, escalated, resolved), or what its first event said when it was
/// recorded. The CLI's `incidents show` and the console's incident page both say it with this.
pub fn what_happened(v: &Voice, view: &crate::views::IncidentView) -> String {
    let row = &view.row;
    if row.kind == "critical_mention" {
        return v.say(
            "critical-summary",
            &[
                ("count", view.critical_count().into()),
                ("rule", v.quote(row.rule.as_deref().unwrap_or("?")).into()),
                (
                    "watch",
                    v.quote_opt(view.watch_name.as_deref().or(row.watch.as_deref()))
                        .into(),
                ),
                ("since", v.moment(row.opened_at).into()),
            ],
        );
    }
    view.latest_turn()
        .map(|d| headline(v, d))
        .or_else(|| {
            view.timeline.first().map(|e| {
                stored(v, &e.row)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
        })
        .unwrap_or_default()
}

/// What an event said when it was recorded, for events whose facts cannot be read again.
fn stored<'a>(v: &Voice, e: &'a crate::store::incidents::EventRow) -> &'a str {
    match v.locale {
        crate::i18n::Locale::Fr => &e.text_fr,
        crate::i18n::Locale::En => &e.text_en,
    }
}

/// What a line of an incident's timeline says: the decision's words said again, a person's act, or what
/// was stored when neither can be read again.
pub fn timeline_entry(v: &Voice, e: &crate::views::TimelineEntry) -> String {
    use crate::views::incident::PersonFacts;
    if let Some(d) = &e.decision {
        return decision(v, d);
    }
    match &e.person {
        Some(PersonFacts::Silence { until, reason }) => v.say(
            "person-silence",
            &[
                ("until", v.moment(*until).into()),
                ("reason", v.quote(reason).into()),
            ],
        ),
        Some(PersonFacts::Note { by, note }) => v.say(
            match e.row.kind.as_str() {
                "acknowledged" => "person-ack",
                "resolved" => "person-resolve",
                _ => "person-note",
            },
            &[
                (
                    "by",
                    by.as_deref().or(e.row.by.as_deref()).unwrap_or("?").into(),
                ),
                ("note", v.quote_opt(note.as_deref()).into()),
            ],
        ),
        None => stored(v, &e.row).to_owned(),
    }
}

/// What a person did about an incident (taken, noted, silenced, resolved by hand), with when and who, for
/// the email that follows; `None` for detection's own lines.
pub fn person_line(v: &Voice, e: &crate::views::TimelineEntry) -> Option<String> {
    e.person.as_ref()?;
    let mut text = timeline_entry(v, e);
    if let Some(by) = e.row.by.as_deref().filter(|by| !text.contains(by)) {
        text.push(' ');
        text.push_str(&v.say("timeline-by", &[("by", by.into())]));
    }
    Some(format!("{} — {text}", v.time(e.row.at)))
}

/// Which past buckets the window was compared with: `à cette heure des 14 derniers jours`, `les mardis à 20 h des 4 dernières semaines`.
pub fn usual_where(v: &Voice, x: &Explanation) -> String {
    let profile = match x.profile {
        Profile::AllHours => "all-hours",
        Profile::HourOfDay => "hour-of-day",
        Profile::HourOfWeek => "hour-of-week",
    };
    let local = x.window_start.with_timezone(&v.tz);
    v.say(
        "usual-where",
        &[
            ("profile", profile.into()),
            ("samples", x.samples.into()),
            ("day", local.weekday().num_days_from_monday().into()),
            (
                "hour",
                v.hour(local.with_minute(0).unwrap_or(local).to_utc())
                    .into(),
            ),
        ],
    )
}

/// The count of a window as a person reads it: `7 sujets négatifs distincts (26 mentions négatives)`, or
/// just `47 mentions négatives` when every mention is its own story.
pub fn count_words(v: &Voice, x: &Explanation, metric: Metric) -> String {
    let (figures, raw) = figures_of(x, metric);
    let negative = if metric == Metric::Negative {
        "yes"
    } else {
        "no"
    };
    let mentions = v.say(
        "n-window-mentions",
        &[("count", raw.into()), ("negative", negative.into())],
    );
    if raw == figures.count {
        return mentions;
    }
    v.say(
        "n-stories-of-mentions",
        &[
            ("count", figures.count.into()),
            ("negative", negative.into()),
            ("mentions", mentions.into()),
        ],
    )
}

fn figures_of(x: &Explanation, metric: Metric) -> (&Figures, u32) {
    match metric {
        Metric::Negative => (&x.negative, x.counts.negative),
        Metric::Volume => (&x.volume, x.counts.total),
    }
}

/// The usual level in words, and the comparison: `contre 8 d'habitude à cette heure des 14 derniers jours (×5,9 ; z = 6,2)`,
/// `alors que d'habitude il n'y en a aucune à cette heure (z = 4,1)`.
pub fn against_usual(v: &Voice, x: &Explanation, metric: Metric) -> String {
    let (f, _) = figures_of(x, metric);
    let level = if f.median == 0.0 {
        "zero"
    } else if f.median < 1.0 {
        "below-one"
    } else {
        "some"
    };
    v.say(
        "against-usual",
        &[
            ("level", level.into()),
            ("usual", v.figure(f.median).into()),
            ("where", usual_where(v, x).into()),
            ("ratio", v.number(f.ratio, 1).into()),
            ("z", v.number(f.z, 1).into()),
        ],
    )
}

/// The figures of a window, then (when `full`) who said it, the telling mentions and the driving terms.
pub fn explanation(v: &Voice, x: &Explanation, metric: Metric, full: bool) -> String {
    let mut out = v.say(
        "explain-count",
        &[
            ("count", count_words(v, x, metric).into()),
            ("window", v.window(x.window_start, x.window_end).into()),
            ("against", against_usual(v, x, metric).into()),
        ],
    );
    if let Some(share) = x.share {
        out.push(' ');
        out.push_str(&share_words(v, share, x.usual_share));
        if let Some(z) = x.share_z {
            out.push(' ');
            out.push_str(&share_test(v, z));
        }
    }
    if let Some(event) = &x.event {
        out.push(' ');
        let id = match metric {
            Metric::Negative => "explain-event",
            Metric::Volume => "explain-expected",
        };
        out.push_str(&v.say(id, &[("event", v.quote(event).into())]));
    }
    if let Some(s) = &x.syndication {
        out.push(' ');
        out.push_str(
            &v.say(
                "explain-syndication",
                &[
                    ("sources", s.sources.into()),
                    ("title", v.quote_opt(s.title.as_deref()).into()),
                    (
                        "sites",
                        // With the pickup said below, the sites are named there (the press first).
                        if s.sites.is_empty() || x.pickup.is_some() {
                            "none".to_owned()
                        } else {
                            s.sites.join(", ")
                        }
                        .into(),
                    ),
                    (
                        "more",
                        (s.sources as usize).saturating_sub(s.sites.len()).into(),
                    ),
                ],
            ),
        );
    }
    if let Some(p) = &x.pickup {
        out.push(' ');
        out.push_str(&v.say("explain-pickup", &pickup_args(p)));
    }
    if !full {
        return out;
    }
    if !x.top_sources.is_empty() {
        out.push('\n');
        out.push_str(&v.say(
            "explain-top-sources",
            &[("sources", tallies(&x.top_sources).into())],
        ));
    }
    let voices = match metric {
        Metric::Negative => x.counts.negative_authors,
        Metric::Volume => x.counts.authors,
    };
    if voices > 0 {
        let loud: Vec<Tally> = x
            .top_authors
            .iter()
            .filter(|t| t.count > 1)
            .cloned()
            .collect();
        out.push('\n');
        out.push_str(&v.say(
            "explain-authors",
            &[("count", voices.into()), ("loud", tallies(&loud).into())],
        ));
    }
    if !x.telling.is_empty() {
        out.push('\n');
        out.push_str(&v.word("explain-telling"));
        for t in &x.telling {
            out.push_str("\n- ");
            out.push_str(&telling_line(v, t));
        }
    }
    if !x.terms.is_empty() {
        out.push('\n');
        out.push_str(&v.say("explain-terms", &[("terms", tallies(&x.terms).into())]));
    }
    out
}

/// `Part négative : 88 % (habituellement 20 %).`
pub fn share_words(v: &Voice, share: f64, usual: Option<f64>) -> String {
    v.say(
        "explain-share",
        &[
            ("share", v.percent(share).into()),
            (
                "usual",
                usual.map(|u| v.percent(u)).unwrap_or_default().into(),
            ),
        ],
    )
}

/// Why a telling mention is shown: `parmi les plus négatives`, `la plus reprise`, `ton le plus marqué`.
pub fn telling_why(v: &Voice, why: Telling) -> String {
    let key = match why {
        Telling::MostNegative => "most-negative",
        Telling::MostShared => "most-shared",
        Telling::Strongest => "strongest",
    };
    v.say("telling-why", &[("why", key.into())])
}

/// One telling mention on one line: its title, who, its score, its reach, its terms, its link.
pub fn telling_line(v: &Voice, t: &TellingMention) -> String {
    let mut line = v.say(
        "telling-line",
        &[
            (
                "title",
                v.quote(t.title.as_deref().unwrap_or(&t.key)).into(),
            ),
            ("source", t.source.as_str().into()),
            ("author", t.author.as_deref().unwrap_or("").into()),
            ("score", v.number(f64::from(t.score), 2).into()),
            ("sources", t.sources.into()),
            ("terms", t.terms.join(", ").into()),
        ],
    );
    if let Some(l) = &t.link {
        line.push_str(&format!(" <{l}>"));
    }
    line
}

/// The arguments of `pickup-value`: how many stories several sources carried, by how many sites, and the
/// press among them.
pub fn pickup_args(p: &Pickup) -> Vec<(&'static str, Arg<'static>)> {
    vec![
        ("stories", p.stories.into()),
        ("sites", p.sites.into()),
        (
            "press",
            if p.press.is_empty() {
                "none".to_owned()
            } else {
                p.press.join(", ")
            }
            .into(),
        ),
        ("more", p.more_press.into()),
    ]
}

/// `forum0 (3), site01 (2)`.
pub fn tallies(t: &[Tally]) -> String {
    t.iter()
        .map(|t| format!("{} ({})", t.name, t.count))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone as _, Utc};

    use super::*;
    use crate::detect::baseline::Baseline;
    use crate::detect::counts::{AnalysedMention, BucketCounts, Window};
    use crate::detect::explain::tests::{baseline, burst};
    use crate::i18n::{DEFAULT_TZ, Locale};

    fn fr_() -> Voice {
        Voice::new(Locale::Fr, chrono_tz::UTC)
    }

    fn en_() -> Voice {
        Voice::new(Locale::En, chrono_tz::UTC)
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    fn mention(
        key: &str,
        source: &str,
        author: Option<&str>,
        story: u64,
        label: Label,
    ) -> AnalysedMention {
        crate::detect::counts::tests::mention(key, source, author, story, label)
    }

    fn explained(ms: &[AnalysedMention], b: &Baseline) -> Explanation {
        let counts = BucketCounts::aggregate(at(17, 0), ms);
        let w = Window {
            counts: &counts,
            mentions: ms,
        };
        Explanation::new("acme", &w, at(18, 0), b)
    }

    #[test]
    fn french_words_state_the_facts() {
        let e = explained(&burst(), &baseline(1.0, Some(0.2)));
        let fr = explanation(&fr_(), &e, Metric::Negative, true);
        assert!(
            fr.starts_with(
                "7 sujets négatifs distincts (26 mentions négatives) le 02/03 entre 17 h et 18 h, contre 1 d'habitude à cette heure des 14 derniers jours (×7,0\u{a0}; z = 3,1)."
            ),
            "{fr}"
        );
        assert!(
            fr.contains("Part négative\u{a0}: 88\u{202f}% (habituellement 20\u{202f}%)."),
            "{fr}"
        );
        assert!(
            fr.contains("Un même article repris par 20 sources ne compte que pour un sujet"),
            "{fr}"
        );
        assert!(
            fr.contains("Termes dominants\u{a0}: scandale (6), arnaque (3), honte (3)."),
            "{fr}"
        );
        assert!(
            fr.contains("«\u{a0}Acme rappelle ses yaourts\u{a0}»"),
            "{fr}"
        );
        assert!(fr.contains("\n26 auteurs distincts.\n"), "{fr}");
        assert!(
            fr.contains("\nMentions marquantes\u{a0}:\n- «\u{a0}title n5\u{a0}» — forum1, user5\u{a0}; score -0,80\u{a0}; termes\u{a0}: scandale, arnaque\n"),
            "{fr}"
        );
        let summary = explanation(&fr_(), &e, Metric::Negative, false);
        assert!(!summary.contains('\n'));
        assert!(fr.starts_with(&summary));
        let en = explanation(&en_(), &e, Metric::Negative, true);
        assert!(
            en.starts_with("7 distinct negative stories (26 negative mentions) on 02 Mar between 17:00 and 18:00, against a usual 1 at this hour of the last 14 days (×7.0; z = 3.1)."),
            "{en}"
        );
        assert!(
            en.contains("One article carried by 20 sources counts as a single story"),
            "{en}"
        );
    }

    #[test]
    fn the_share_test_is_said_sure_or_within_the_scorers_noise() {
        let mut e = explained(&burst(), &baseline(1.0, Some(0.2)));
        let fr = explanation(&fr_(), &e, Metric::Negative, false);
        assert!(
            !fr.contains("Test de hausse"),
            "no test without a baseline: {fr}"
        );
        e.share_z = Some(3.46);
        let fr = explanation(&fr_(), &e, Metric::Negative, false);
        assert!(
            fr.contains("Test de hausse\u{a0}: hausse nette, au-delà des erreurs habituelles du score de sentiment (z = 3,5)."),
            "{fr:?}"
        );
        e.share_z = Some(1.0);
        let en = explanation(&en_(), &e, Metric::Negative, false);
        assert!(
            en.contains("Share test: within the sentiment scorer's usual mistakes (z = 1.0)."),
            "{en}"
        );
    }

    #[test]
    fn a_usual_level_of_zero_is_said_and_no_ratio_against_a_floor() {
        let ms: Vec<_> = (0..13u64)
            .map(|i| mention(&format!("m{i}"), "s", Some(&format!("u{i}")), i, Label::Neg))
            .collect();
        let e = explained(&ms, &baseline(0.0, None));
        let fr = explanation(&fr_(), &e, Metric::Negative, false);
        assert!(
            fr.starts_with("13 mentions négatives le 02/03 entre 17 h et 18 h, alors que d'habitude il n'y en a aucune à cette heure des 14 derniers jours (z = "),
            "{fr}"
        );
        assert!(!fr.contains('×'), "{fr}");
        let en = explanation(&en_(), &e, Metric::Negative, false);
        assert!(
            en.contains("when there are usually none at this hour of the last 14 days (z = "),
            "{en}"
        );
        let half = explained(&ms, &baseline(0.5, None));
        let fr = explanation(&fr_(), &half, Metric::Negative, false);
        assert!(
            fr.contains("contre 0,5 d'habitude à cette heure des 14 derniers jours (z = "),
            "{fr}"
        );
        assert!(
            !fr.contains('×'),
            "a ratio against the floor of one is not said: {fr}"
        );
    }

    #[test]
    fn plain_counts_read_plainly() {
        let ms: Vec<_> = (0..47u64)
            .map(|i| mention(&format!("m{i}"), "s", Some(&format!("u{i}")), i, Label::Neg))
            .collect();
        let mut b = baseline(8.0, Some(0.22));
        b.negative.spread = 6.3;
        let e = explained(&ms, &b);
        let fr = explanation(&fr_(), &e, Metric::Negative, true);
        assert!(
            fr.starts_with("47 mentions négatives le 02/03 entre 17 h et 18 h, contre 8 d'habitude à cette heure des 14 derniers jours (×5,9\u{a0}; z = 6,2)."),
            "{fr}"
        );
    }

    #[test]
    fn authors_who_spoke_more_than_once_are_named() {
        let mut ms: Vec<_> = (0..6u64)
            .map(|i| mention(&format!("m{i}"), "s", Some(&format!("u{i}")), i, Label::Neg))
            .collect();
        for i in 6..9u64 {
            ms.push(mention(&format!("m{i}"), "s", Some("loud"), i, Label::Neg));
        }
        let e = explained(&ms, &baseline(1.0, None));
        let fr = explanation(&fr_(), &e, Metric::Negative, true);
        assert!(
            fr.contains("\n7 auteurs distincts\u{a0}; les plus actifs\u{a0}: loud · s (3).\n"),
            "{fr}"
        );
        let en = explanation(&en_(), &e, Metric::Negative, true);
        assert!(
            en.contains("\n7 distinct authors; most active: loud · s (3).\n"),
            "{en}"
        );
        assert!(
            fr.contains("Part négative\u{a0}: 100\u{202f}%."),
            "no usual share to compare with: {fr}"
        );
    }

    #[test]
    fn the_weekly_comparison_names_the_day_and_hour_on_the_readers_clock() {
        let mut e = explained(&burst(), &baseline(1.0, Some(0.2)));
        e.profile = Profile::HourOfWeek;
        // 2 March 2026 is a Monday; 17:00 UTC is 18 h in Paris.
        let paris = Voice::new(Locale::Fr, DEFAULT_TZ);
        assert_eq!(
            usual_where(&paris, &e),
            "les lundis à 18 h des 14 dernières semaines"
        );
        assert_eq!(
            usual_where(&Voice::new(Locale::En, DEFAULT_TZ), &e),
            "on Mondays at 18:00 of the last 14 weeks"
        );
    }

    #[test]
    fn every_kind_and_severity_has_words_in_every_language() {
        for v in [fr_(), en_()] {
            for s in [Severity::Info, Severity::Warning, Severity::Critical] {
                assert!(!severity(&v, s).contains('{'));
            }
            for k in ["bad_buzz", "trend", "critical_mention", "buzz", "source"] {
                let w = incident_kind(&v, k);
                assert!(!w.contains('_') && !w.contains('{'), "{k}: {w}");
            }
            for k in ["open", "acknowledged", "silenced", "resolved"] {
                assert!(!status(&v, k).contains('{'));
            }
        }
        assert_eq!(severity(&fr_(), Severity::Critical), "critique");
        assert_eq!(severity(&en_(), Severity::Critical), "critical");
        assert_eq!(
            incident_kind(&fr_(), "critical_mention"),
            "mention critique"
        );
    }
}
