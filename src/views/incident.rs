//! An incident as every face shows it: its stored row, where it stands, the decisions of its timeline as
//! detection made them, the explanation of its peak, its critical mentions, and what people did about it.
//!
//! In: the store (read-only is enough), an incident id, the rule set when it loads (for rule names), the
//! time. Out: an [`IncidentView`] of facts. `veille incidents show`, the console's incident page and the chat
//! cards render it with [`crate::i18n::words`]; none of them reads the store or computes a figure itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::rules::RuleSet;
use crate::detect::{CriticalMention, Decision, EventKind, Explanation, Figures};
use crate::i18n::words::Metric;
use crate::store::incidents::{EventRow, IncidentRow, SilenceRow};
use crate::store::{Result, Store};

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    Acknowledged,
    /// A silence in force covers its watch or rule: its alerts are recorded, not sent.
    Silenced,
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Silenced => "silenced",
            IncidentStatus::Resolved => "resolved",
        }
    }

    /// Resolved, then silenced (a silence in force covers it: of its watch, its rule, or the `source` it is
    /// about), then acknowledged, else open.
    pub fn of(row: &IncidentRow, source: Option<&str>, silences: &[SilenceRow]) -> IncidentStatus {
        let covered = silences.iter().any(|s| {
            let target = match s.target_kind.as_str() {
                "watch" => row.watch.as_deref(),
                "source" => source,
                _ => row.rule.as_deref(),
            };
            target == Some(s.target.as_str())
        });
        if row.resolved_at.is_some() {
            IncidentStatus::Resolved
        } else if covered {
            IncidentStatus::Silenced
        } else if row.acknowledged_at.is_some() {
            IncidentStatus::Acknowledged
        } else {
            IncidentStatus::Open
        }
    }
}

/// What a person did, as the store keeps it beside the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PersonFacts {
    Silence {
        until: DateTime<Utc>,
        reason: String,
    },
    Note {
        #[serde(default)]
        by: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub row: EventRow,
    /// Detection's decision, for detection's events.
    pub decision: Option<Decision>,
    /// What a person did, for theirs (acknowledgement, silence, note).
    pub person: Option<PersonFacts>,
}

impl TimelineEntry {
    fn of(row: EventRow) -> TimelineEntry {
        let detail = row.detail.as_deref();
        let decision = detail.and_then(|d| serde_json::from_str::<Decision>(d).ok());
        let person = match decision {
            Some(_) => None,
            None => detail.and_then(|d| serde_json::from_str::<PersonFacts>(d).ok()),
        };
        TimelineEntry {
            row,
            decision,
            person,
        }
    }
}

/// An incident, whole.
#[derive(Debug, Clone)]
pub struct IncidentView {
    pub row: IncidentRow,
    pub status: IncidentStatus,
    /// The rule's name from the rule files, when they load: a person knows rules by name.
    pub rule_name: Option<String>,
    /// The watch's display name (the brand).
    pub watch_name: Option<String>,
    /// The explanation of the window that opened it or of its peak.
    pub explanation: Option<Explanation>,
    pub timeline: Vec<TimelineEntry>,
}

impl IncidentView {
    /// Reads incident `id`: `None` when there is none.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load(
        store: &Store,
        id: i64,
        rules: Option<&RuleSet>,
        now: DateTime<Utc>,
    ) -> Result<Option<IncidentView>> {
        let Some(row) = store.incident(id)? else {
            return Ok(None);
        };
        let silences = store.silences(now)?;
        let timeline = store
            .incident_events(id)?
            .into_iter()
            .map(TimelineEntry::of)
            .collect();
        Ok(Some(IncidentView::new(row, &silences, timeline, rules)))
    }

    fn new(
        row: IncidentRow,
        silences: &[SilenceRow],
        timeline: Vec<TimelineEntry>,
        rules: Option<&RuleSet>,
    ) -> IncidentView {
        let rule_name = row
            .rule
            .as_deref()
            .and_then(|r| rules.and_then(|set| set.rule(r).map(|rule| rule.name.clone())));
        let watch_name = row.watch.as_deref().and_then(|w| {
            rules.and_then(|set| {
                set.watches()
                    .iter()
                    .find(|x| x.id == w)
                    .map(|x| x.name.clone())
            })
        });
        let explanation = row
            .explanation
            .as_deref()
            .and_then(|x| serde_json::from_str(x).ok());
        let mut view = IncidentView {
            status: IncidentStatus::Open,
            row,
            rule_name,
            watch_name,
            explanation,
            timeline,
        };
        view.status = IncidentStatus::of(&view.row, view.source(), silences);
        view
    }

    /// The decisions of the timeline, oldest first.
    pub fn decisions(&self) -> impl Iterator<Item = &Decision> {
        self.timeline.iter().filter_map(|e| e.decision.as_ref())
    }

    /// The latest turn of the incident (opened, escalated, resolved; not a mere new peak): it says where
    /// the incident stands.
    pub fn latest_turn(&self) -> Option<&Decision> {
        self.decisions()
            .filter(|d| match d {
                Decision::Incident(e) => e.kind != EventKind::Updated,
                Decision::Buzz(_) | Decision::Source(_) => true,
                Decision::CriticalMention(_) => false,
            })
            .last()
    }

    /// The source a `source` incident is about.
    pub fn source(&self) -> Option<&str> {
        self.decisions().find_map(|d| match d {
            Decision::Source(s) => Some(s.source.as_str()),
            _ => None,
        })
    }

    /// What a silence of this incident silences, as the store names it: its watch, else its rule, else
    /// the source it is about.
    pub fn silence_target(&self) -> Option<(&'static str, &str)> {
        match (&self.row.watch, &self.row.rule) {
            (Some(w), _) => Some(("watch", w)),
            (None, Some(r)) => Some(("rule", r)),
            (None, None) => self.source().map(|s| ("source", s)),
        }
    }

    /// Its critical mentions as recorded, the most negative first: each one alerted at once, and the
    /// samples its updates told of the others (a flood is counted, not kept mention by mention: see
    /// [`IncidentView::critical_count`] for how many there were).
    pub fn critical(&self) -> Vec<&CriticalMention> {
        let mut v: Vec<&CriticalMention> = self
            .decisions()
            .flat_map(|d| match d {
                Decision::CriticalMention(c) => std::slice::from_ref(c),
                Decision::Incident(e) => e.more.as_ref().map_or(&[][..], |m| &m.samples[..]),
                _ => &[],
            })
            .collect();
        // A sample shown by a recorded update is shown again by the next one.
        let mut seen = std::collections::HashSet::new();
        v.retain(|c| seen.insert((&c.mention, &c.rule)));
        v.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.at.cmp(&b.at)));
        v
    }

    /// What its figures count: all stories for a buzz, negative stories otherwise.
    pub fn metric(&self) -> Metric {
        if self.row.kind == "buzz" {
            Metric::Volume
        } else {
            Metric::Negative
        }
    }

    /// The figures of its explanation, with the raw count of mentions behind them.
    pub fn figures(&self) -> Option<(&Figures, u32)> {
        self.explanation.as_ref().map(|x| match self.metric() {
            Metric::Volume => (&x.volume, x.counts.total),
            Metric::Negative => (&x.negative, x.counts.negative),
        })
    }

    /// How many critical mentions it holds: the stored count, or the decisions when more were recorded.
    pub fn critical_count(&self) -> u32 {
        (self.critical().len() as u32).max(self.row.mentions)
    }
}

/// An incident as a list shows it: its row, where it stands, and the decision its summary is said from.
#[derive(Debug, Clone)]
pub struct IncidentLine {
    pub row: IncidentRow,
    pub status: IncidentStatus,
    /// The first decision of its timeline, for incidents without a stored explanation (critical mentions).
    pub first: Option<Decision>,
}

impl IncidentLine {
    /// The source a `source` incident is about.
    pub fn source(&self) -> Option<&str> {
        match &self.first {
            Some(Decision::Source(s)) => Some(&s.source),
            _ => None,
        }
    }
}

/// The incidents, newest first, as lists show them.
///
/// # Errors
/// On SQLite failure.
pub fn incident_lines(
    store: &Store,
    open_only: bool,
    limit: Option<usize>,
    now: DateTime<Utc>,
) -> Result<Vec<IncidentLine>> {
    let rows = store.incidents(open_only, limit)?;
    let silences = store.silences(now)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let first = if row.explanation.is_none() {
            store
                .incident_decisions(row.id)?
                .iter()
                .find_map(|d| serde_json::from_str::<Decision>(d).ok())
        } else {
            None
        };
        let mut line = IncidentLine {
            status: IncidentStatus::Open,
            row,
            first,
        };
        line.status = IncidentStatus::of(&line.row, line.source(), &silences);
        out.push(line);
    }
    Ok(out)
}
