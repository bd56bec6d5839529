//! The check of sources that go blind, inside the writer: each source's stored health judged by
//! [`crate::detect::blind`], its `source` incident opened or resolved, and the notification queued — in
//! one transaction, like detection's decisions.
//!
//! In: which sources the configuration follows, `[health] alert_after`, the watches' names, the clock.
//! Out: incident rows and their timeline ([`crate::store::incidents::record`]) and an outbox row per
//! notified decision ([`crate::store::outbox::enqueue_in`], which also fans it out to the chat channels
//! that take warnings for every watch). The daemon runs it with detection's tick, and `veille run --once`
//! after its polls. A decision is recorded under its unique key, so a check run twice records once.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::Transaction;

use crate::detect::blind::{SourceEvent, SourceFacts, decide};
use crate::detect::{Decision, EventKind, Suppression};
use crate::i18n::words;
use crate::i18n::{Locale, Voice};
use crate::model::{Notification, NotificationKind, Severity};
use crate::store::incidents::{self, DecisionRecord};
use crate::store::{blind, outbox};

/// How far back a source's mentions say which watches it feeds.
const FED_SPAN: TimeDelta = TimeDelta::days(30);

/// What the check needs from the configuration and the rules.
#[derive(Debug, Clone)]
pub struct SourceCheck {
    /// The enabled sources, by name.
    pub followed: Vec<String>,
    pub alert_after: TimeDelta,
    /// Watch ids to their display names.
    pub watch_names: HashMap<String, String>,
    /// The clock the stored words are said on.
    pub timezone: chrono_tz::Tz,
}

impl SourceCheck {
    /// The check for a configuration and its rules.
    pub fn of(
        config: &crate::config::Config,
        rules: &crate::analysis::rules::RuleSet,
    ) -> SourceCheck {
        SourceCheck {
            followed: config
                .sources
                .iter()
                .filter(|s| s.enabled)
                .map(|s| s.name.clone())
                .collect(),
            alert_after: TimeDelta::from_std(config.health.alert_after.0)
                .unwrap_or(TimeDelta::hours(6)),
            watch_names: rules
                .watches()
                .iter()
                .map(|w| (w.id.clone(), w.name.clone()))
                .collect(),
            timezone: config.timezone.0,
        }
    }
}

/// Judges every source the store knows at `now`; returns how many decisions were recorded.
///
/// # Errors
/// On SQLite failure; the caller's transaction is then rolled back.
pub fn check_sources(
    tx: &Transaction<'_>,
    check: &SourceCheck,
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    let mut open: HashMap<String, SourceEvent> = HashMap::new();
    for (source, detail) in blind::open_source_incidents(tx)? {
        if let Ok(Decision::Source(e)) = serde_json::from_str::<Decision>(&detail) {
            open.insert(source, e);
        }
    }
    let silences = super::detect::to_silences(&incidents::silences_in(tx, now)?);
    let mut recorded = 0;
    for row in blind::source_health(tx)? {
        let facts = SourceFacts {
            followed: check.followed.contains(&row.name),
            name: row.name,
            last_fetch: row.last_fetch,
            last_success: row.last_success,
            failing_since: row.failing_since,
            consecutive_errors: row.consecutive_errors,
            last_error: row.last_error,
            last_status: row.last_status,
            item_times: row.item_times,
            last_new_item: row.last_new_item,
        };
        let opened = open.get(&facts.name);
        // Cheap first: most sources are fine and have no incident, and then the watches are not needed.
        if opened.is_none() && crate::detect::blind::judge(&facts, check.alert_after, now).is_none()
        {
            continue;
        }
        let watches: Vec<String> = blind::watches_fed(tx, &facts.name, now - FED_SPAN)?
            .into_iter()
            .map(|w| check.watch_names.get(&w).cloned().unwrap_or(w))
            .collect();
        let Some(event) = decide(&facts, opened, &watches, &silences, check.alert_after, now)
        else {
            continue;
        };
        let d = Decision::Source(event);
        let voices = [
            Voice::new(Locale::Fr, check.timezone),
            Voice::new(Locale::En, check.timezone),
        ];
        let Decision::Source(e) = &d else { continue };
        let record = record_of(&d, e, &voices);
        if let Some(incident) = incidents::record(tx, &record)? {
            recorded += 1;
            if e.notify {
                outbox::enqueue_in(tx, &notification(&d, e, incident, &voices), now)?;
            }
            tracing::info!(
                incident,
                source = %e.source,
                event = record.event,
                why = e.why.as_str(),
                notify = e.notify,
                "Source health decided."
            );
        }
    }
    Ok(recorded)
}

/// A source decision as the store records it.
pub(crate) fn record_of(d: &Decision, e: &SourceEvent, [fr, en]: &[Voice; 2]) -> DecisionRecord {
    DecisionRecord {
        key: d.key(),
        incident_key: e.incident.0.clone(),
        incident_kind: "source",
        event: e.kind.as_str(),
        alert: e.kind == EventKind::Opened,
        watch: None,
        rule: None,
        severity: Severity::Warning,
        at: e.at,
        opened: e.opened,
        resolved: (e.kind == EventKind::Resolved).then_some(e.at),
        notify: e.notify,
        silenced: matches!(e.suppressed, Some(Suppression::Silenced { .. })),
        peak: None,
        peak_at: None,
        mentions: Some(0),
        baseline: None,
        explanation: None,
        summary_fr: None,
        summary_en: None,
        text_fr: words::decision(fr, d),
        text_en: words::decision(en, d),
        detail: serde_json::to_string(d).unwrap_or_default(),
        mention: None,
        source: Some(e.source.clone()),
    }
}

/// The notification of a source decision: `source_down` or `source_recovered`, about the source.
pub(crate) fn notification(
    d: &Decision,
    e: &SourceEvent,
    incident: i64,
    [fr, en]: &[Voice; 2],
) -> Notification {
    let kind = if e.kind == EventKind::Resolved {
        NotificationKind::SourceRecovered
    } else {
        NotificationKind::SourceDown
    };
    let mut n = Notification::new(kind, Severity::Warning, e.source.clone(), e.at);
    n.incident = Some(incident);
    n.explanation_fr = Some(words::headline(fr, d));
    n.explanation_en = Some(words::headline(en, d));
    n.decision = serde_json::to_value(d).ok();
    n.key = Some(d.key());
    if e.kind == EventKind::Resolved {
        n.headline.duration_secs = Some((e.at - e.since).num_seconds().max(0) as u64);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Analysis, Mention, SourceState};
    use crate::store::{AnalysedMention, Poll, Store};

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap() + TimeDelta::hours(h)
    }

    /// A poll of `presse` at `at` that worked and gave one item published then.
    fn hourly_item(at: DateTime<Utc>, n: i64) -> Poll {
        Poll {
            state: SourceState {
                name: "presse".into(),
                url: "https://presse.example/rss".into(),
                last_fetch: Some(at),
                last_success: Some(at),
                ..SourceState::default()
            },
            mentions: vec![AnalysedMention {
                mention: Mention {
                    source: "presse".into(),
                    id: format!("item-{n}"),
                    link: None,
                    title: Some(format!("Article {n}")),
                    text: "texte".into(),
                    author: None,
                    lang: None,
                    published: Some(at),
                    fetched: at,
                    story: n as u64,
                    kind: crate::model::SourceKind::Feed,
                    reach: crate::model::Reach::default(),
                },
                analysis: Analysis::default(),
            }],
        }
    }

    fn check(followed: &[&str]) -> SourceCheck {
        SourceCheck {
            followed: followed.iter().map(|s| (*s).to_owned()).collect(),
            alert_after: TimeDelta::hours(6),
            watch_names: HashMap::new(),
            timezone: chrono_tz::UTC,
        }
    }

    fn run(store: &mut Store, check: &SourceCheck, now: DateTime<Utc>) -> usize {
        let mut n = 0;
        store
            .in_transaction(|tx| {
                n = check_sources(tx, check, now)?;
                Ok(())
            })
            .unwrap();
        n
    }

    /// The store's facts reach the decision: the latest items give the cadence, a silence of a day past an
    /// hourly habit opens one incident (checked twice, recorded once), and a source no longer followed
    /// closes it without a notice.
    #[test]
    fn a_silent_source_opens_once_from_the_stored_items_and_a_removed_one_closes_quietly() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("v.db")).unwrap();
        for n in 0..10 {
            store.write_poll(&hourly_item(t(n), n)).unwrap();
        }
        let followed = check(&["presse"]);
        assert_eq!(
            run(&mut store, &followed, t(9 + 20)),
            0,
            "20 h of silence is not a day"
        );
        assert_eq!(run(&mut store, &followed, t(9 + 25)), 1);
        assert_eq!(run(&mut store, &followed, t(9 + 26)), 0, "already open");
        let open = store.open_source_incidents().unwrap();
        assert_eq!(open.len(), 1);
        let Ok(Decision::Source(e)) = serde_json::from_str::<Decision>(&open[0].1) else {
            panic!("not a source decision: {}", open[0].1);
        };
        assert_eq!(
            e.why,
            crate::detect::blind::Blindness::Silent {
                usual_gap_secs: 3600
            }
        );
        assert_eq!(e.since, t(9));
        assert_eq!(store.health().unwrap().blind_sources, 1);
        let queued = store.outbox(None, 10).unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].notification.kind, NotificationKind::SourceDown);

        assert_eq!(run(&mut store, &check(&[]), t(9 + 27)), 1);
        assert!(store.open_source_incidents().unwrap().is_empty());
        assert_eq!(
            store.outbox(None, 10).unwrap().len(),
            1,
            "no notice for a removed source"
        );
    }
}
