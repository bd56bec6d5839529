//! A notification as detection decides it: its kind, its figures, the mentions it shows. Stored as JSON in
//! the outbox row written in the same transaction as the change that causes it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Analysis, Label, Mention, Severity};

/// What a notification is about. Detection chooses it; notification only words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A new incident: a surge of negative mentions, or a first critical mention, of a watch.
    IncidentOpened,
    /// A running incident got worse (a higher severity or a new peak).
    IncidentEscalated,
    /// An incident is over: the counts have been back near their usual level long enough.
    IncidentResolved,
    /// One mention matched a critical rule.
    CriticalMention,
    /// Several held notifications gathered in one email (built by the notifier, never by detection).
    Digest,
    /// A source can no longer be heard (failing, rate-limited or silent): a `source` incident opened.
    SourceDown,
    /// The source is heard again: its `source` incident resolved.
    SourceRecovered,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::IncidentOpened => "incident_opened",
            NotificationKind::IncidentEscalated => "incident_escalated",
            NotificationKind::IncidentResolved => "incident_resolved",
            NotificationKind::CriticalMention => "critical_mention",
            NotificationKind::Digest => "digest",
            NotificationKind::SourceDown => "source_down",
            NotificationKind::SourceRecovered => "source_recovered",
        }
    }

    /// The kind of incident a notification is about, as `[[email.route]] kind` names it: `bad_buzz`,
    /// `critical_mention`, `buzz` or `source` (`digest` for a digest).
    pub fn incident_kind(
        self,
        rule: Option<&str>,
        decision: Option<&serde_json::Value>,
    ) -> &'static str {
        match self {
            NotificationKind::SourceDown | NotificationKind::SourceRecovered => "source",
            NotificationKind::CriticalMention => "critical_mention",
            NotificationKind::Digest => "digest",
            _ if rule.is_some() => "critical_mention",
            _ if decision
                .and_then(|d| d.get("type"))
                .and_then(|t| t.as_str())
                == Some("buzz") =>
            {
                "buzz"
            }
            _ => "bad_buzz",
        }
    }

    /// Whether the notification is about an incident (opened, escalated or resolved).
    pub fn is_incident(self) -> bool {
        matches!(
            self,
            NotificationKind::IncidentOpened
                | NotificationKind::IncidentEscalated
                | NotificationKind::IncidentResolved
                | NotificationKind::SourceDown
                | NotificationKind::SourceRecovered
        )
    }
}

/// The figures that justify a notification, as detection computed them. Every field is optional: a
/// critical mention has no baseline, a surge has no single mention.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Headline {
    /// Negative (or matching) mentions in the window.
    pub count: Option<u32>,
    /// The window the count covers, as people say it ("1 h", "30 min"): kept for notifications queued
    /// before `window_start` and `window_end` existed.
    pub window: Option<String>,
    /// The window the count covers, as the detector saw it.
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    /// Which past windows the usual level comes from (`hour_of_day`, `hour_of_week`, `all_hours`).
    pub profile: Option<String>,
    /// The usual count for such a window (median of the baseline).
    pub baseline: Option<f64>,
    /// `count / baseline`.
    pub ratio: Option<f64>,
    /// Robust z-score of the count.
    pub z: Option<f64>,
    /// Share of negative mentions now, in [0, 1].
    pub negative_share: Option<f64>,
    /// Usual share of negative mentions, in [0, 1].
    pub usual_negative_share: Option<f64>,
    /// Distinct sources the mentions came from.
    pub sources: Option<u32>,
    /// How long the incident lasted, in seconds (resolutions).
    pub duration_secs: Option<u64>,
    /// The highest count of the incident (resolutions).
    pub peak: Option<u32>,
}

/// A mention as an email shows it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifiedMention {
    pub source: String,
    pub time: Option<DateTime<Utc>>,
    pub title: Option<String>,
    /// A short excerpt of the text (detection or the store cuts it; the notifier cuts again if too long).
    pub excerpt: String,
    pub score: Option<f32>,
    pub label: Option<Label>,
    pub link: Option<String>,
    /// Terms that made it matter (rule terms, sentiment terms).
    pub terms: Vec<String>,
}

impl NotifiedMention {
    /// Longest excerpt kept, in characters: an email shows a glimpse, not the article.
    pub const EXCERPT_CHARS: usize = 280;

    /// A mention and its analysis as an email shows them (before or after they are stored): the terms are
    /// those its rules matched, then those that moved its sentiment.
    pub fn of(m: &Mention, a: &Analysis) -> NotifiedMention {
        let mut terms: Vec<String> = Vec::new();
        let rule_terms = a
            .matches
            .iter()
            .flat_map(|rm| rm.terms.iter().map(|t| &t.text));
        for t in rule_terms.chain(a.sentiment.terms.iter().map(|t| &t.term)) {
            if !terms.contains(t) {
                terms.push(t.clone());
            }
        }
        NotifiedMention {
            source: m.source.clone(),
            time: Some(m.time()),
            title: m.title.clone(),
            excerpt: NotifiedMention::excerpt_of(&m.text),
            score: Some(a.sentiment.score),
            label: Some(a.sentiment.label),
            link: m.link.clone(),
            terms,
        }
    }

    /// The first [`NotifiedMention::EXCERPT_CHARS`] characters of `text`, with an ellipsis when cut.
    pub fn excerpt_of(text: &str) -> String {
        match text.char_indices().nth(Self::EXCERPT_CHARS) {
            Some((i, _)) => format!("{}…", text[..i].trim_end()),
            None => text.to_owned(),
        }
    }
}

/// One notification: everything an email needs, and nothing else. Stored as JSON in the outbox row written
/// in the same transaction as the change that causes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub kind: NotificationKind,
    pub severity: Severity,
    #[serde(default)]
    pub incident: Option<i64>,
    /// The watch (brand or topic) it is about, by id.
    #[serde(default)]
    pub watch: Option<String>,
    /// The rule that matched, for a critical mention.
    #[serde(default)]
    pub rule: Option<String>,
    /// The display name of the brand.
    pub brand: String,
    /// When the thing happened (detection's clock).
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub headline: Headline,
    /// The most telling mentions, most telling first.
    #[serde(default)]
    pub mentions: Vec<NotifiedMention>,
    /// Terms matched across the mentions.
    #[serde(default)]
    pub terms: Vec<String>,
    /// The watch is silenced: the notification is recorded for the record and the digest.
    #[serde(default)]
    pub silenced: bool,
    /// The decision behind it, as detection made it (its facts; the words are said from them when the
    /// email is written, in the reader's language and on the reader's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<serde_json::Value>,
    /// The decision's stable key (the same decision detected again has the same key): chat channels and
    /// webhooks use it as their idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Detection's explanation, already written, in French: read only for notifications queued before
    /// `decision` existed.
    #[serde(default)]
    pub explanation_fr: Option<String>,
    /// Detection's explanation, already written, in English.
    #[serde(default)]
    pub explanation_en: Option<String>,
    /// For a digest: the notifications it gathers, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Notification>,
}

impl Notification {
    /// A notification with the given kind, severity, brand and time, and nothing else yet.
    pub fn new(
        kind: NotificationKind,
        severity: Severity,
        brand: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Notification {
        Notification {
            kind,
            severity,
            incident: None,
            watch: None,
            rule: None,
            brand: brand.into(),
            at,
            headline: Headline::default(),
            mentions: Vec::new(),
            terms: Vec::new(),
            silenced: false,
            decision: None,
            key: None,
            explanation_fr: None,
            explanation_en: None,
            items: Vec::new(),
        }
    }
}
