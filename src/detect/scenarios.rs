//! Scenario tests: simulated timelines driven hour by hour through [`on_mention`] and [`evaluate`], the way
//! the daemon and `veille replay` drive them.
//!
//! A seeded generator draws each hour's mentions from Poisson counts, so every run sees the same timeline;
//! the runner evaluates each bucket in progress at half past and again once closed, keeps the history as the
//! store would, and collects every decision.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::detect::said::Said as _;
use crate::model::{Label, MatchedTerm, RuleMatch, Severity, TermWeight, WatchSettings};

const WATCH: &str = "acme";

fn t0() -> DateTime<Utc> {
    // A Monday at midnight.
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

/// What one hour looks like: mean counts per label, and how many distinct people post negatively (`None`:
/// every mention by someone new).
#[derive(Debug, Clone, Copy)]
struct Hour {
    neg: f64,
    neu: f64,
    pos: f64,
}

impl Hour {
    fn new(neg: f64, neu: f64, pos: f64) -> Hour {
        Hour { neg, neu, pos }
    }
}

/// A seeded timeline generator.
struct Timeline {
    rng: fastrand::Rng,
    seq: u64,
}

impl Timeline {
    fn new(seed: u64) -> Timeline {
        Timeline {
            rng: fastrand::Rng::with_seed(seed),
            seq: 0,
        }
    }

    fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 50.0 {
            // Normal approximation (Box–Muller): Knuth's product underflows for large means.
            let (u1, u2) = (self.rng.f64().max(1e-12), self.rng.f64());
            let n = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            return (lambda + lambda.sqrt() * n).round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0u32, 1.0);
        loop {
            p *= self.rng.f64();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    /// One mention by a new author on one of eight sources, at a random minute of the hour.
    fn mention(&mut self, start: DateTime<Utc>, label: Label) -> AnalysedMention {
        self.seq += 1;
        let n = self.seq;
        let minute = i64::from(self.rng.u32(0..60));
        let (score, terms) = match label {
            Label::Neg => (
                -0.3 - 0.6 * self.rng.f32(),
                vec![
                    TermWeight {
                        term: ["arnaque", "scandale", "honte"][self.rng.usize(0..3)].into(),
                        weight: -0.6,
                    },
                    TermWeight {
                        term: "nul".into(),
                        weight: -0.3,
                    },
                ],
            ),
            Label::Neu => (0.0, Vec::new()),
            Label::Pos => (
                0.5,
                vec![TermWeight {
                    term: "super".into(),
                    weight: 0.5,
                }],
            ),
        };
        AnalysedMention {
            key: format!("src{}/{n}", n % 8),
            time: start + TimeDelta::minutes(minute),
            source: format!("src{}", n % 8),
            author: Some(format!("user{n}")),
            story: n,
            label,
            score,
            title: Some(format!("mention {n}")),
            link: Some(format!("https://example.org/{n}")),
            terms,
            matches: Vec::new(),
            press: false,
        }
    }

    fn hour(&mut self, start: DateTime<Utc>, h: Hour) -> Vec<AnalysedMention> {
        let mut out = Vec::new();
        for (label, lambda) in [
            (Label::Neg, h.neg),
            (Label::Neu, h.neu),
            (Label::Pos, h.pos),
        ] {
            for _ in 0..self.poisson(lambda) {
                let m = self.mention(start, label);
                out.push(m);
            }
        }
        out
    }
}

/// Drives one watch through time as the daemon does, through [`WatchFeed`], collecting every decision.
struct Runner {
    feed: WatchFeed,
    silences: Vec<Silence>,
    decisions: Vec<Decision>,
    /// Serialize and restore the state around every call, as a restart between any two calls would.
    restart_every_call: bool,
}

impl Runner {
    fn new(settings: WatchSettings) -> Runner {
        Runner {
            feed: WatchFeed::new(WATCH, settings, WatchState::default(), Vec::new()),
            silences: Vec::new(),
            decisions: Vec::new(),
            restart_every_call: false,
        }
    }

    fn state(&self) -> &WatchState {
        self.feed.state()
    }

    fn history(&self) -> &[BucketCounts] {
        self.feed.history()
    }

    fn settings(&self) -> &WatchSettings {
        self.feed.settings()
    }

    fn keep(&mut self, decisions: Vec<Decision>) {
        self.decisions.extend(decisions);
        if self.restart_every_call {
            let json = serde_json::to_string(self.feed.state()).unwrap();
            self.feed.restore(serde_json::from_str(&json).unwrap());
        }
    }

    /// One bucket: mentions one by one, the bucket in progress judged at half past, and once closed.
    fn bucket(&mut self, start: DateTime<Utc>, mut mentions: Vec<AnalysedMention>) {
        mentions.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.key.cmp(&b.key)));
        let half = start + TimeDelta::minutes(30);
        let end = start + TimeDelta::hours(1);
        let split = mentions.partition_point(|m| m.time < half);
        let later = mentions.split_off(split);
        for m in mentions {
            let at = m.time;
            let d = self.feed.mention(m, at, &self.silences);
            self.keep(d);
        }
        let d = self.feed.check(half, &self.silences);
        self.keep(d);
        for m in later {
            let at = m.time;
            let d = self.feed.mention(m, at, &self.silences);
            self.keep(d);
        }
        let d = self.feed.advance(end, &self.silences);
        self.keep(d);
    }

    fn hours(
        &mut self,
        tl: &mut Timeline,
        from: DateTime<Utc>,
        n: i64,
        shape: impl Fn(DateTime<Utc>) -> Hour,
    ) {
        for i in 0..n {
            let start = from + TimeDelta::hours(i);
            let ms = tl.hour(start, shape(start));
            self.bucket(start, ms);
        }
    }

    fn events(&self, kind: EventKind) -> Vec<&IncidentEvent> {
        self.decisions
            .iter()
            .filter_map(|d| match d {
                Decision::Incident(e) if e.kind == kind && e.rule.is_none() => Some(e),
                _ => None,
            })
            .collect()
    }
}

fn quiet(_: DateTime<Utc>) -> Hour {
    Hour::new(1.0, 4.0, 2.0)
}

/// Two quiet weeks, then a burst growing for three hours and fading over two, then calm for two days.
fn burst_run(runner: &mut Runner, seed: u64) -> DateTime<Utc> {
    let mut tl = Timeline::new(seed);
    runner.hours(&mut tl, t0(), 14 * 24, quiet);
    let burst = t0() + TimeDelta::days(14) + TimeDelta::hours(9);
    runner.hours(&mut tl, t0() + TimeDelta::days(14), 9, quiet);
    for (i, neg) in [16.0, 20.0, 40.0, 25.0, 12.0].into_iter().enumerate() {
        let start = burst + TimeDelta::hours(i as i64);
        let ms = tl.hour(start, Hour::new(neg, 4.0, 2.0));
        runner.bucket(start, ms);
    }
    runner.hours(&mut tl, burst + TimeDelta::hours(5), 48, quiet);
    burst
}

#[test]
fn a_burst_opens_one_incident_that_escalates_and_resolves() {
    let mut r = Runner::new(WatchSettings::default());
    let burst = burst_run(&mut r, 7);
    let opened = r.events(EventKind::Opened);
    assert_eq!(
        opened.len(),
        1,
        "exactly one incident: {:?}",
        opened.iter().map(|e| e.opened).collect::<Vec<_>>()
    );
    let o = opened[0];
    assert_eq!(o.opened, burst, "opened on the first bucket of the burst");
    assert!(
        o.at <= burst + TimeDelta::hours(1),
        "decided within the first bucket, at {}",
        o.at
    );
    assert_eq!(o.severity, Severity::Warning);
    assert!(o.notify);
    let esc = r.events(EventKind::Escalated);
    assert_eq!(esc.len(), 1);
    assert_eq!(esc[0].severity, Severity::Critical);
    assert!(esc[0].at > o.at && esc[0].at <= burst + TimeDelta::hours(3));
    let resolved = r.events(EventKind::Resolved);
    assert_eq!(resolved.len(), 1);
    let end_of_burst = burst + TimeDelta::hours(5);
    let res = resolved[0];
    assert!(
        res.at >= end_of_burst + TimeDelta::hours(6)
            && res.at <= end_of_burst + TimeDelta::hours(8),
        "resolved at {} after a burst ending {end_of_burst}",
        res.at
    );
    assert!(res.notify, "the end of a crisis is mailed");
    assert!(res.duration_secs.unwrap() >= 4 * 3600);
    assert!(res.peak >= 30, "peak {}", res.peak);
    assert!(res.mentions >= 90, "mentions {}", res.mentions);
    assert!(
        !r.events(EventKind::Updated).is_empty(),
        "a growing burst updates the incident"
    );
    assert!(r.state().incident.is_none());
    assert_eq!(
        r.state().frozen.len(),
        1,
        "the incident's span is kept out of the baseline"
    );
    let fr = res.explain_fr();
    assert!(
        fr.starts_with(
            "Crise terminée sur «\u{a0}acme\u{a0}»\u{a0}: retour au niveau habituel depuis 6 h."
        ),
        "{fr}"
    );
    let words = o.explain_fr();
    assert!(
        words.starts_with("Bad buzz détecté sur «\u{a0}acme\u{a0}» (niveau\u{a0}: alerte).\n"),
        "{words}"
    );
    assert!(words.contains("d'habitude à cette heure"), "{words}");
    assert!(words.contains("Mentions marquantes"), "{words}");
    let e = o.explanation.as_ref().unwrap();
    assert_eq!(e.profile, Profile::HourOfDay);
    assert_eq!(e.samples, 14);
    assert!(!e.telling.is_empty() && e.telling.len() <= 5);
}

#[test]
fn state_restored_before_every_call_changes_nothing() {
    let mut plain = Runner::new(WatchSettings::default());
    burst_run(&mut plain, 7);
    let mut restarted = Runner::new(WatchSettings::default());
    restarted.restart_every_call = true;
    burst_run(&mut restarted, 7);
    assert_eq!(plain.decisions, restarted.decisions);
    assert_eq!(plain.state(), restarted.state());
}

#[test]
fn evaluating_a_window_again_decides_nothing_new() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(3);
    r.hours(&mut tl, t0(), 14 * 24, quiet);
    let start = t0() + TimeDelta::days(14);
    let ms = tl.hour(start, Hour::new(20.0, 4.0, 2.0));
    r.bucket(start, ms.clone());
    assert_eq!(r.events(EventKind::Opened).len(), 1);
    // The same batch handed again after a restart from the saved state: nothing new for the store.
    let state = r.state().clone();
    let history = &r.history()[..r.history().len() - 1];
    let counts = BucketCounts::aggregate(start, &ms);
    let window = Window {
        counts: &counts,
        mentions: &ms,
    };
    let end = start + TimeDelta::hours(1);
    let (d, again) = evaluate(WATCH, r.settings(), history, &window, &state, &[], end);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(again, state);
    for m in &ms {
        assert!(
            on_mention(WATCH, r.settings(), m, &state, &[], m.time)
                .0
                .is_empty()
        );
    }
}

/// A big brand's day on its audience's clock (Paris): quiet nights, and every evening from 19:00 to 21:00
/// the after-work complaints triple the negatives.
fn evening_burst(t: DateTime<Utc>) -> Hour {
    use chrono::Timelike;
    let h = t.with_timezone(&chrono_tz::Europe::Paris).hour();
    let day = if (1..7).contains(&h) { 0.25 } else { 1.0 };
    let evening = if (19..21).contains(&h) { 3.0 } else { 1.0 };
    Hour::new(40.0 * day * evening, 100.0 * day, 60.0 * day)
}

#[test]
fn a_big_brand_with_a_daily_evening_burst_raises_nothing_in_four_weeks() {
    // The four weeks span the change to summer time (29 March): the evening moves an hour in UTC.
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(11);
    r.hours(&mut tl, t0(), 30 * 24, evening_burst);
    assert!(
        r.events(EventKind::Opened).is_empty(),
        "{:?}",
        r.events(EventKind::Opened)
    );
    assert_eq!(
        r.history().len(),
        28 * 24,
        "the runner keeps four weeks, as the store would"
    );
    // Its last evening (19:00 in Paris, summer time) is judged against the same hour of the week by then,
    // winter evenings included.
    let last_evening = chrono_tz::Europe::Paris
        .with_ymd_and_hms(2026, 3, 31, 19, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let b = baseline::learn(r.settings(), r.history(), t0(), &[], last_evening);
    assert_eq!(b.profile, Profile::HourOfWeek);
    assert!(
        b.negative.median > 100.0,
        "the evening burst is the norm at that hour: {}",
        b.negative.median
    );
}

#[test]
fn on_the_utc_clock_the_change_of_time_makes_the_evening_look_like_bad_buzz() {
    // The same brand judged on the UTC clock: after 29 March its evening comes an hour early, into an
    // hour that was quiet all month. This is what the watch's `timezone` setting is for.
    let mut r = Runner::new(WatchSettings {
        timezone: crate::model::Timezone::UTC,
        ..WatchSettings::default()
    });
    let mut tl = Timeline::new(11);
    r.hours(&mut tl, t0(), 30 * 24, evening_burst);
    let opened = r.events(EventKind::Opened);
    assert!(!opened.is_empty(), "a false alarm was expected");
    let change = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
    assert!(opened.iter().all(|e| e.at >= change), "{opened:?}");
}

#[test]
fn one_customer_posting_twelve_times_is_not_bad_buzz() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(5);
    r.hours(&mut tl, t0(), 14 * 24, quiet);
    let start = t0() + TimeDelta::days(14) + TimeDelta::hours(15);
    r.hours(&mut tl, t0() + TimeDelta::days(14), 15, quiet);
    let mut ms = tl.hour(start, quiet(start));
    // Two other people happen to grumble that hour too: three voices, but one carries nearly everything.
    for who in [
        "angry", "angry", "angry", "angry", "angry", "angry", "angry", "angry", "angry", "angry",
        "angry", "angry", "bob", "carol",
    ] {
        let mut m = tl.mention(start, Label::Neg);
        m.author = Some(who.into());
        m.source = "social".into();
        ms.push(m);
    }
    let counts = BucketCounts::aggregate(start, &ms);
    assert!(counts.negative_authors >= 3 && counts.loudest_negative == 12);
    r.bucket(start, ms);
    r.hours(&mut tl, start + TimeDelta::hours(1), 24, quiet);
    assert!(r.events(EventKind::Opened).is_empty());
}

#[test]
fn a_launch_is_buzz_not_bad_buzz() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(9);
    r.hours(&mut tl, t0(), 14 * 24, |_| Hour::new(3.0, 10.0, 7.0));
    let launch = t0() + TimeDelta::days(14) + TimeDelta::hours(9);
    r.hours(&mut tl, t0() + TimeDelta::days(14), 9, |_| {
        Hour::new(3.0, 10.0, 7.0)
    });
    // Five times the volume for six hours, mostly delighted, and more complaints too, though a smaller share.
    r.hours(&mut tl, launch, 6, |_| Hour::new(10.0, 30.0, 60.0));
    r.hours(&mut tl, launch + TimeDelta::hours(6), 24, |_| {
        Hour::new(3.0, 10.0, 7.0)
    });
    assert!(r.events(EventKind::Opened).is_empty());
    let buzzes: Vec<&BuzzAlert> = r
        .decisions
        .iter()
        .filter_map(|d| {
            if let Decision::Buzz(b) = d {
                Some(b)
            } else {
                None
            }
        })
        .collect();
    // Chance can make an info buzz of a young profile's thin history (three samples) too; the launch is the
    // one that matters, told once in its first hour and not again while it lasts.
    let during: Vec<_> = buzzes.iter().filter(|b| b.at >= launch).collect();
    assert_eq!(
        during.len(),
        1,
        "one buzz for the launch, told once: {:?}",
        buzzes.iter().map(|b| b.at).collect::<Vec<_>>()
    );
    let buzz: &BuzzAlert = during[0];
    assert!(buzz.at <= launch + TimeDelta::hours(1));
    assert!(
        buzz.explanation.share < buzz.explanation.usual_share,
        "negativity is down"
    );
    assert!(
        buzz.explanation.telling.iter().any(|t| t.score > 0.0),
        "a launch is told through its loudest mentions, praise included"
    );
    let from_sources: u32 = buzz.explanation.top_sources.iter().map(|t| t.count).sum();
    assert!(
        from_sources > buzz.explanation.counts.negative,
        "sources of all mentions"
    );
    assert_eq!(Decision::Buzz(buzz.clone()).severity(), Severity::Info);
    assert!(
        buzz.explain_fr().starts_with("Buzz sur «\u{a0}acme\u{a0}»"),
        "{}",
        buzz.explain_fr()
    );
}

#[test]
fn two_isolated_negative_posts_on_a_quiet_brand_are_nothing() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(1);
    r.hours(&mut tl, t0(), 10 * 24, |_| Hour::new(0.0, 0.2, 0.1));
    let start = t0() + TimeDelta::days(10);
    let ms = vec![tl.mention(start, Label::Neg), tl.mention(start, Label::Neg)];
    r.bucket(start, ms);
    r.hours(&mut tl, start + TimeDelta::hours(1), 12, |_| {
        Hour::new(0.0, 0.2, 0.1)
    });
    assert!(r.decisions.is_empty(), "{:?}", r.decisions);
}

fn critical(mut m: AnalysedMention, rule: &str) -> AnalysedMention {
    m.matches.push(RuleMatch {
        rule: rule.into(),
        severity: Severity::Critical,
        terms: vec![MatchedTerm {
            text: "intoxication".into(),
            start: 0,
            end: 12,
            field: Default::default(),
        }],
    });
    m
}

/// Guards against rule terms listed twice in an alert ("Boycott, Maison Brioche, boycott, Maison Brioche")
/// when they occur in the title and again in the text.
#[test]
fn a_critical_mention_lists_each_rule_term_once() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(2);
    let start = t0();
    let mut m = critical(tl.mention(start, Label::Neg), "sante");
    for text in ["Intoxication", "salmonelle", "intoxication"] {
        m.matches[0].terms.push(MatchedTerm {
            text: text.into(),
            start: 0,
            end: text.len(),
            field: Default::default(),
        });
    }
    // Sentiment terms too: "boycott" in the title and again in the text is one term.
    m.terms = [
        ("boycott", -0.6),
        ("intoxication", -0.8),
        ("boycott", -0.6),
        ("honte", -0.5),
    ]
    .into_iter()
    .map(|(term, weight)| TermWeight {
        term: term.into(),
        weight,
    })
    .collect();
    r.bucket(start, vec![m]);
    let found: Vec<_> = r
        .decisions
        .iter()
        .filter_map(|d| match d {
            Decision::CriticalMention(c) => Some((c.matched.clone(), c.sentiment_terms.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        found,
        [(
            vec!["intoxication".to_owned(), "salmonelle".to_owned()],
            vec![
                "intoxication".to_owned(),
                "boycott".to_owned(),
                "honte".to_owned()
            ]
        )]
    );
}

#[test]
fn a_critical_mention_alerts_at_once_even_during_warm_up() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(2);
    r.hours(&mut tl, t0(), 2, |_| Hour::new(0.0, 1.0, 0.0));
    let start = t0() + TimeDelta::hours(2);
    let m = critical(tl.mention(start, Label::Neg), "sante");
    r.bucket(start, vec![m.clone()]);
    let alerts: Vec<_> = r
        .decisions
        .iter()
        .filter_map(|d| {
            if let Decision::CriticalMention(c) = d {
                Some(c.clone())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(alerts.len(), 1);
    let c = &alerts[0];
    assert!(c.notify && c.opens && c.suppressed.is_none());
    assert_eq!(c.at, m.time);
    assert_eq!(c.mention, m.key);
    assert_eq!(c.matched, ["intoxication"]);
    assert!(
        c.explain_fr()
            .starts_with("Mention critique sur «\u{a0}acme\u{a0}» (règle «\u{a0}sante\u{a0}»)"),
        "{}",
        c.explain_fr()
    );
    assert!(
        c.explain_fr()
            .contains("Termes de la règle\u{a0}: intoxication.")
    );
    assert!(
        r.events(EventKind::Opened).is_empty(),
        "no bad buzz in warm-up"
    );
    // Calm for the resolve time: the rule's incident ends quietly.
    r.hours(&mut tl, start + TimeDelta::hours(1), 7, |_| {
        Hour::new(0.0, 1.0, 0.0)
    });
    let ends: Vec<_> = r
        .decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Incident(e) if e.kind == EventKind::Resolved => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].rule.as_deref(), Some("sante"));
    assert_eq!(ends[0].incident, c.attach_to);
    assert!(!ends[0].notify);
    assert!(r.state().rules.is_empty());
}

#[test]
fn twenty_sites_syndicating_one_article_are_one_story() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(4);
    r.hours(&mut tl, t0(), 14 * 24, quiet);
    let start = t0() + TimeDelta::days(14);
    let article = |i: u32| {
        let mut m = tl_article(i);
        m.time = start + TimeDelta::minutes(10);
        m
    };
    // Alone, the syndicated article is one negative story: no incident.
    let alone: Vec<_> = (0..20).map(article).collect();
    assert_eq!(BucketCounts::aggregate(start, &alone).negative_stories, 1);
    r.bucket(start, alone);
    assert!(r.events(EventKind::Opened).is_empty());
    // With a real surge next hour, the explanation says the twenty copies count as one.
    let next = start + TimeDelta::hours(1);
    let mut ms = tl.hour(next, Hour::new(12.0, 4.0, 2.0));
    ms.extend((100..120).map(|i| {
        let mut m = tl_article(i);
        m.time = next + TimeDelta::minutes(5);
        m
    }));
    r.bucket(next, ms);
    let opened = r.events(EventKind::Opened);
    assert_eq!(opened.len(), 1);
    let e = opened[0].explanation.as_ref().unwrap();
    assert_eq!(e.syndication.as_ref().map(|s| s.sources), Some(20));
    assert_eq!(e.counts.negative - e.counts.negative_stories, 19);
    let fr = opened[0].explain_fr();
    assert!(
        fr.contains("Un même article repris par 20 sources ne compte que pour un sujet"),
        "{fr}"
    );
    assert!(fr.contains("repris par 20 sources"), "{fr}");
    assert!(
        opened[0]
            .explain_en()
            .contains("One article carried by 20 sources counts as a single story")
    );
}

fn tl_article(i: u32) -> AnalysedMention {
    AnalysedMention {
        key: format!("site{i}/recall"),
        time: t0(),
        source: format!("site{i}"),
        author: None,
        story: 0xA11CE,
        label: Label::Neg,
        score: -0.5,
        title: Some("Acme rappelle ses yaourts".into()),
        link: None,
        terms: vec![TermWeight {
            term: "rappel".into(),
            weight: -0.4,
        }],
        matches: Vec::new(),
        press: false,
    }
}

#[test]
fn a_silence_keeps_the_incident_but_not_the_mail() {
    let mut r = Runner::new(WatchSettings::default());
    r.silences.push(Silence {
        target: SilenceTarget::Watch(WATCH.into()),
        until: t0() + TimeDelta::days(30),
        reason: "campagne de rappel prévue".into(),
    });
    burst_run(&mut r, 7);
    let opened = r.events(EventKind::Opened);
    assert_eq!(opened.len(), 1, "the incident is still recorded");
    assert!(!opened[0].notify);
    assert!(
        matches!(&opened[0].suppressed, Some(Suppression::Silenced { reason, .. }) if reason == "campagne de rappel prévue")
    );
    assert!(
        opened[0]
            .explain_fr()
            .contains("(Non notifié\u{a0}: silence jusqu'au")
    );
    assert!(
        r.decisions.iter().all(|d| !d.notify()),
        "nothing of it is mailed"
    );
    assert_eq!(r.events(EventKind::Resolved).len(), 1);
}

#[test]
fn an_open_bad_buzz_inhibits_the_brand_critical_alerts() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(3);
    r.hours(&mut tl, t0(), 14 * 24, quiet);
    let start = t0() + TimeDelta::days(14);
    let ms = tl.hour(start, Hour::new(20.0, 4.0, 2.0));
    r.bucket(start, ms);
    let id = r
        .state()
        .incident
        .as_ref()
        .expect("bad buzz open")
        .id
        .clone();
    let m = critical(tl.mention(start + TimeDelta::hours(1), Label::Neg), "sante");
    let (d, _) = on_mention(WATCH, r.settings(), &m, r.state(), &[], m.time);
    assert_eq!(d.len(), 1);
    let Decision::CriticalMention(c) = &d[0] else {
        panic!("{d:?}")
    };
    assert_eq!(c.attach_to, id);
    assert!(!c.notify && !c.opens);
    assert_eq!(c.suppressed, Some(Suppression::Inhibited { by: id }));
}

#[test]
fn a_three_day_crisis_stays_one_open_incident() {
    // A short baseline, so that without freezing three days of crisis would be most of it.
    let settings = WatchSettings {
        baseline: crate::model::Interval::secs(5 * 86_400),
        ..WatchSettings::default()
    };
    let mut r = Runner::new(settings);
    let mut tl = Timeline::new(13);
    r.hours(&mut tl, t0(), 14 * 24, quiet);
    let crisis = t0() + TimeDelta::days(14);
    r.hours(&mut tl, crisis, 72, |_| Hour::new(15.0, 4.0, 2.0));
    assert_eq!(r.events(EventKind::Opened).len(), 1);
    assert!(
        r.events(EventKind::Resolved).is_empty(),
        "still open after three days of crisis"
    );
    assert!(r.state().incident.is_some());
    // Its own hours are not the norm: the crisis hour is judged against the quiet days before it.
    let frozen = [Span {
        start: crisis,
        end: DateTime::<Utc>::MAX_UTC,
    }];
    let b = baseline::learn(
        r.settings(),
        r.history(),
        t0(),
        &frozen,
        crisis + TimeDelta::hours(72),
    );
    assert!(b.negative.median <= 2.0);
    let learnt = baseline::learn(
        r.settings(),
        r.history(),
        t0(),
        &[],
        crisis + TimeDelta::hours(72),
    );
    assert!(
        learnt.negative.median >= 10.0,
        "unfrozen, the crisis would have become normal"
    );
    r.hours(&mut tl, crisis + TimeDelta::hours(72), 12, quiet);
    assert_eq!(r.events(EventKind::Resolved).len(), 1);
    assert_eq!(r.events(EventKind::Opened).len(), 1);
}

#[test]
fn cooldown_holds_off_a_new_incident() {
    let settings = WatchSettings {
        cooldown: crate::model::Interval::secs(12 * 3600),
        ..WatchSettings::default()
    };
    let mut r = Runner::new(settings);
    let mut tl = Timeline::new(21);
    r.hours(&mut tl, t0(), 14 * 24, quiet);
    let first = t0() + TimeDelta::days(14);
    r.hours(&mut tl, first, 2, |_| Hour::new(20.0, 4.0, 2.0));
    r.hours(&mut tl, first + TimeDelta::hours(2), 7, quiet);
    assert_eq!(r.events(EventKind::Resolved).len(), 1);
    // A second burst within the cool-down opens nothing; one after it does.
    r.hours(&mut tl, first + TimeDelta::hours(9), 1, |_| {
        Hour::new(20.0, 4.0, 2.0)
    });
    assert_eq!(r.events(EventKind::Opened).len(), 1);
    r.hours(&mut tl, first + TimeDelta::hours(10), 12, quiet);
    r.hours(&mut tl, first + TimeDelta::hours(22), 1, |_| {
        Hour::new(20.0, 4.0, 2.0)
    });
    assert_eq!(r.events(EventKind::Opened).len(), 2);
}

#[test]
fn decisions_serialize_for_the_store() {
    let mut r = Runner::new(WatchSettings::default());
    burst_run(&mut r, 7);
    let json = serde_json::to_string(&r.decisions).unwrap();
    let back: Vec<Decision> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r.decisions);
    assert!(json.contains("\"type\":\"incident\""));
    assert!(json.contains("\"kind\":\"opened\""));
}

#[test]
fn replaying_stored_mentions_finds_the_same_incident() {
    let mut tl = Timeline::new(7);
    let mut mentions = Vec::new();
    for h in 0..14 * 24 + 9 {
        let start = t0() + TimeDelta::hours(h);
        mentions.extend(tl.hour(start, quiet(start)));
    }
    let burst = t0() + TimeDelta::days(14) + TimeDelta::hours(9);
    for (i, neg) in [16.0, 20.0, 40.0, 25.0, 12.0].into_iter().enumerate() {
        mentions.extend(tl.hour(burst + TimeDelta::hours(i as i64), Hour::new(neg, 4.0, 2.0)));
    }
    // Stored mentions come back in any order.
    mentions.reverse();
    let until = burst + TimeDelta::hours(20);
    let (decisions, feed) = replay(WATCH, &WatchSettings::default(), &mentions, &[], until);
    let kinds: Vec<_> = decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Incident(e) => Some((e.kind, e.opened)),
            _ => None,
        })
        .filter(|(k, _)| *k != EventKind::Updated)
        .collect();
    assert_eq!(
        kinds,
        [
            (EventKind::Opened, burst),
            (EventKind::Escalated, burst),
            (EventKind::Resolved, burst)
        ]
    );
    assert!(feed.state().incident.is_none());
    assert_eq!(feed.open_bucket().map(|(s, _)| s), Some(until));
    assert_eq!(
        feed.history().last().map(|b| b.start),
        Some(until - TimeDelta::hours(1))
    );
    let opened = decisions.iter().find_map(|d| match d {
        Decision::Incident(e) if e.kind == EventKind::Opened => Some(e),
        _ => None,
    });
    assert!(
        opened.unwrap().at < burst + TimeDelta::hours(1),
        "the quarter-hour checks open it within the bucket"
    );
}

#[test]
fn a_late_mention_counts_in_the_bucket_in_progress() {
    let mut feed = WatchFeed::new(
        WATCH,
        WatchSettings::default(),
        WatchState::default(),
        Vec::new(),
    );
    let mut tl = Timeline::new(1);
    let start = t0() + TimeDelta::hours(5);
    feed.advance(start, &[]);
    let fresh = tl.mention(start, Label::Neu);
    let mut late = tl.mention(start, Label::Neg);
    late.time = start - TimeDelta::hours(3);
    let (t1, t2) = (fresh.time, late.time);
    feed.mention(fresh, t1, &[]);
    feed.mention(late, t2, &[]);
    let (s, open) = feed.open_bucket().unwrap();
    assert_eq!((s, open.len()), (start, 2));
    feed.advance(start + TimeDelta::hours(2), &[]);
    let h = feed.history();
    assert_eq!(h.len(), 2, "the closed bucket and an empty one");
    assert_eq!((h[0].start, h[0].negative), (start, 1));
    assert_eq!(h[1].total, 0);
}

#[test]
fn decision_keys_are_unique_and_stable() {
    let mut r = Runner::new(WatchSettings::default());
    burst_run(&mut r, 7);
    let mut tl = Timeline::new(8);
    let at = t0() + TimeDelta::days(17);
    let ms = vec![
        critical(tl.mention(at, Label::Neg), "sante"),
        critical(tl.mention(at, Label::Neg), "sante"),
    ];
    r.bucket(at, ms);
    let keys: Vec<String> = r.decisions.iter().map(Decision::key).collect();
    let unique: std::collections::BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "{keys:#?}");
    assert!(
        keys.contains(&"acme@2026-03-16T09:00Z/opened".to_owned()),
        "{keys:#?}"
    );
    assert!(keys.iter().any(|k| k.starts_with("acme/sante/mention/")));
    let mut again = Runner::new(WatchSettings::default());
    burst_run(&mut again, 7);
    let first: Vec<String> = again.decisions.iter().map(Decision::key).collect();
    assert_eq!(first[..], keys[..first.len()]);
    assert!(r.decisions.iter().all(|d| d.incident().is_some()));
    let opened = &r.decisions[0];
    assert_eq!(
        opened.explain_fr().lines().next().unwrap(),
        "Bad buzz détecté sur «\u{a0}acme\u{a0}» (niveau\u{a0}: alerte)."
    );
    assert_eq!(
        opened.explain_en().lines().next().unwrap(),
        "Bad buzz detected on “acme” (level: warning)."
    );
}

#[test]
fn a_feed_rebuilt_mid_bucket_after_a_restart_goes_on_unchanged() {
    let mut tl = Timeline::new(7);
    let mut mentions = Vec::new();
    for h in 0..14 * 24 + 9 {
        let start = t0() + TimeDelta::hours(h);
        mentions.extend(tl.hour(start, quiet(start)));
    }
    let burst = t0() + TimeDelta::days(14) + TimeDelta::hours(9);
    for (i, neg) in [16.0, 20.0, 40.0].into_iter().enumerate() {
        let start = burst + TimeDelta::hours(i as i64);
        let mut ms = tl.hour(start, Hour::new(neg, 4.0, 2.0));
        // A critical mention in the burst, inhibited by the incident.
        ms.push(critical(tl.mention(start, Label::Neg), "sante"));
        mentions.extend(ms);
    }
    mentions.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.key.cmp(&b.key)));
    let until = burst + TimeDelta::hours(12);
    let settings = WatchSettings::default();
    let run = |restart_at: Option<DateTime<Utc>>| {
        let mut feed = WatchFeed::new(WATCH, settings.clone(), WatchState::default(), Vec::new());
        let mut out = Vec::new();
        let mut restarted = false;
        for m in &mentions {
            if restart_at.is_some_and(|t| m.time >= t) && !restarted {
                restarted = true;
                // What the daemon finds after a restart: the saved state, the stored buckets and the
                // stored mentions of the bucket in progress, fed again.
                let json = serde_json::to_string(feed.state()).unwrap();
                let (_, open) = feed.open_bucket().unwrap();
                let open = open.to_vec();
                feed = WatchFeed::new(
                    WATCH,
                    settings.clone(),
                    serde_json::from_str(&json).unwrap(),
                    feed.history().to_vec(),
                );
                for o in open {
                    let at = o.time;
                    let again = feed.mention(o, at, &[]);
                    assert!(again.is_empty(), "nothing twice: {again:?}");
                }
            }
            out.extend(feed.mention(m.clone(), m.time, &[]));
        }
        out.extend(feed.advance(until, &[]));
        (out, feed.state().clone())
    };
    let (plain, plain_state) = run(None);
    let (restarted, restarted_state) = run(Some(burst + TimeDelta::minutes(90)));
    assert_eq!(plain, restarted);
    assert_eq!(plain_state, restarted_state);
    assert_eq!(
        plain
            .iter()
            .filter(|d| matches!(d, Decision::Incident(e) if e.kind == EventKind::Opened))
            .count(),
        1
    );
    let inhibited = plain
        .iter()
        .filter(|d| matches!(d, Decision::CriticalMention(c) if c.suppressed.is_some()))
        .count();
    assert!(
        inhibited >= 2,
        "critical mentions during the incident are attached to it"
    );
}

/// Calibration guard: on Poisson noise alone (quiet, medium with a daily cycle, nearly silent), the
/// thresholds should almost never open an incident. Each count that does is a one-in-ten-thousand-hours
/// event or rarer, so about one false incident in thirty watch-months is expected; more means the score
/// has become too lenient.
#[test]
fn noise_alone_rarely_opens_an_incident() {
    use chrono::Timelike;
    let mut incidents = 0;
    let mut months = 0;
    for seed in 0..4u64 {
        for kind in 0..3u64 {
            let mut r = Runner::new(WatchSettings::default());
            let mut tl = Timeline::new(seed * 31 + kind);
            r.hours(&mut tl, t0(), 30 * 24, |t| {
                let night = if (1..7).contains(&t.hour()) { 0.3 } else { 1.0 };
                match kind {
                    0 => Hour::new(1.0, 4.0, 2.0),
                    1 => Hour::new(5.0 * night, 20.0 * night, 10.0 * night),
                    _ => Hour::new(0.3, 1.0, 0.5),
                }
            });
            incidents += r.events(EventKind::Opened).len();
            months += 1;
        }
    }
    assert!(
        incidents <= 2,
        "{incidents} false incidents in {months} watch-months"
    );
}

/// Old news: mentions arriving at `now`, long after they were published, all in one batch.
fn arrive(runner: &mut Runner, now: DateTime<Utc>, mentions: Vec<AnalysedMention>) {
    let d = runner.feed.advance(now, &runner.silences);
    runner.keep(d);
    for m in mentions {
        let d = runner.feed.mention(m, now, &runner.silences);
        runner.keep(d);
    }
    let d = runner
        .feed
        .check(now + TimeDelta::minutes(10), &runner.silences);
    runner.keep(d);
    let d = runner
        .feed
        .advance(now + TimeDelta::hours(3), &runner.silences);
    runner.keep(d);
}

/// Three weeks of quiet talk, then `mentions(now)` arriving at once at `now` (day 21, 10:05).
fn three_weeks_then(
    settings: WatchSettings,
    mentions: impl FnOnce(&mut Timeline, DateTime<Utc>) -> Vec<AnalysedMention>,
) -> Runner {
    let mut r = Runner::new(settings);
    let mut tl = Timeline::new(21);
    r.hours(&mut tl, t0(), 21 * 24 + 10, quiet);
    let now = t0() + TimeDelta::days(21) + TimeDelta::hours(10) + TimeDelta::minutes(5);
    let ms = mentions(&mut tl, now);
    arrive(&mut r, now, ms);
    r
}

/// `late_after` so long that nothing is late: how detection behaved before old news was told apart.
fn nothing_is_late() -> WatchSettings {
    WatchSettings {
        late_after: crate::model::Interval::secs(400 * 86_400),
        ..WatchSettings::default()
    }
}

/// Guards the bug of issue 13 where a new source whose feed holds ten negative posts dated 40 to 67 days
/// ago opened a bad-buzz incident ("10 mentions négatives en 1 h … ×10,0") on its first poll.
#[test]
fn a_new_source_full_of_old_complaints_opens_nothing() {
    let old = |tl: &mut Timeline, now: DateTime<Utc>| {
        (0..10)
            .map(|i| {
                let mut m = tl.mention(now, Label::Neg);
                m.time = now - TimeDelta::days(40 + 3 * i);
                m
            })
            .collect::<Vec<_>>()
    };
    let r = three_weeks_then(WatchSettings::default(), old);
    assert!(r.events(EventKind::Opened).is_empty(), "{:?}", r.decisions);
    // The same posts counted on arrival open an incident: the test can fail.
    let r = three_weeks_then(nothing_is_late(), old);
    assert_eq!(r.events(EventKind::Opened).len(), 1);
}

/// A search source (news search, Reddit) returning three weeks of results on its first poll: they fill
/// the history of their own hours, and open nothing.
#[test]
fn a_search_backfill_fills_history_and_opens_nothing() {
    let backfill = |tl: &mut Timeline, now: DateTime<Utc>| {
        (0..60i64)
            .map(|i| {
                let label = if i % 2 == 0 { Label::Neg } else { Label::Neu };
                let mut m = tl.mention(now, label);
                m.time = now - TimeDelta::hours(7) - TimeDelta::hours(8 * i);
                m
            })
            .collect::<Vec<_>>()
    };
    let before: u32 = three_weeks_then(WatchSettings::default(), |_, _| Vec::new())
        .history()
        .iter()
        .map(|b| b.total)
        .sum();
    let r = three_weeks_then(WatchSettings::default(), backfill);
    assert!(r.events(EventKind::Opened).is_empty(), "{:?}", r.decisions);
    let after: u32 = r.history().iter().map(|b| b.total).sum();
    assert_eq!(after, before + 60, "every result counted in its own hour");
    let r = three_weeks_then(nothing_is_late(), backfill);
    assert_eq!(r.events(EventKind::Opened).len(), 1);
}

/// The daemon down for a day: on its return the day's ordinary talk arrives at once. What is older than
/// `late_after` goes to its own hours; the last six hours crowd the bucket in progress, a loud bucket but
/// not a more negative one, so no bad buzz.
#[test]
fn the_restart_after_a_day_down_opens_nothing() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(5);
    r.hours(&mut tl, t0(), 21 * 24, quiet);
    let down = t0() + TimeDelta::days(21);
    let missed: Vec<AnalysedMention> = (0..24)
        .flat_map(|h| {
            let start = down + TimeDelta::hours(h);
            tl.hour(start, quiet(start))
        })
        .collect();
    let n = missed.len() as u32;
    let back = down + TimeDelta::days(1) + TimeDelta::minutes(5);
    arrive(&mut r, back, missed);
    assert!(r.events(EventKind::Opened).is_empty(), "{:?}", r.decisions);
    let counted: u32 = r
        .history()
        .iter()
        .filter(|b| b.start >= down)
        .map(|b| b.total)
        .sum();
    assert_eq!(counted, n, "every missed mention counted once");
}

/// A real burst first seen two hours after it began (a source down, a slow feed): its mentions are late
/// but not old news, and it is still going, so it is caught at once.
#[test]
fn a_real_burst_seen_two_hours_late_is_caught() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(9);
    r.hours(&mut tl, t0(), 21 * 24 + 10, quiet);
    let burst = t0() + TimeDelta::days(21) + TimeDelta::hours(10);
    let seen = burst + TimeDelta::hours(2) + TimeDelta::minutes(5);
    let mut ms: Vec<AnalysedMention> = (0..2)
        .flat_map(|h| {
            let start = burst + TimeDelta::hours(h);
            tl.hour(start, Hour::new(20.0, 4.0, 2.0))
        })
        .collect();
    ms.extend((0..8).map(|_| tl.mention(burst + TimeDelta::hours(2), Label::Neg)));
    for m in &mut ms {
        m.time = m.time.min(seen);
    }
    arrive(&mut r, seen, ms);
    let opened = r.events(EventKind::Opened);
    assert_eq!(opened.len(), 1, "{:?}", r.decisions);
    assert!(
        opened[0].at <= seen + TimeDelta::minutes(10),
        "{}",
        opened[0].at
    );
}

fn launch_event(from: DateTime<Utc>) -> WatchSettings {
    WatchSettings {
        events: vec![crate::model::PlannedEvent {
            label: "Lancement Brioche Max".into(),
            from,
            until: from + TimeDelta::hours(8),
        }],
        ..WatchSettings::default()
    }
}

/// Guards the planned-event contract: during an `[[event]]`, a launch's surge of volume is an expected peak
/// (said with the event's label, recorded, not mailed) and opens nothing.
#[test]
fn a_launch_during_its_planned_event_is_an_expected_peak_not_mailed() {
    let launch = t0() + TimeDelta::days(14) + TimeDelta::hours(9);
    let mut r = Runner::new(launch_event(launch));
    let mut tl = Timeline::new(9);
    let usual = |_| Hour::new(3.0, 10.0, 7.0);
    r.hours(&mut tl, t0(), 14 * 24 + 9, usual);
    r.hours(&mut tl, launch, 6, |_| Hour::new(10.0, 30.0, 60.0));
    r.hours(&mut tl, launch + TimeDelta::hours(6), 24, usual);
    assert!(r.events(EventKind::Opened).is_empty());
    let during: Vec<&BuzzAlert> = r
        .decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Buzz(b) if b.at >= launch => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(during.len(), 1, "told once");
    let peak = during[0];
    assert_eq!(
        peak.explanation.event.as_deref(),
        Some("Lancement Brioche Max")
    );
    assert!(!peak.notify, "an expected peak is not mailed");
    let fr = peak.explain_fr();
    assert!(
        fr.starts_with("Pic attendu\u{a0}: Lancement Brioche Max"),
        "{fr}"
    );
    assert!(
        peak.explain_en()
            .starts_with("Expected peak: Lancement Brioche Max"),
        "{}",
        peak.explain_en()
    );
}

/// Guards the other half of the contract: a rise of the negative share during a planned event still opens
/// a bad-buzz incident, mailed, whose explanation names the event.
#[test]
fn a_bad_buzz_during_a_planned_event_still_opens_and_names_the_event() {
    let burst = t0() + TimeDelta::days(14) + TimeDelta::hours(9);
    let mut r = Runner::new(launch_event(burst - TimeDelta::hours(1)));
    assert_eq!(burst_run(&mut r, 7), burst);
    let opened = r.events(EventKind::Opened);
    assert_eq!(opened.len(), 1);
    assert!(opened[0].notify);
    let x = opened[0].explanation.as_ref().unwrap();
    assert_eq!(x.event.as_deref(), Some("Lancement Brioche Max"));
    let fr = opened[0].explain_fr();
    assert!(
        fr.contains("Pendant l'événement prévu «\u{a0}Lancement Brioche Max\u{a0}»"),
        "{fr}"
    );
    assert!(
        opened[0]
            .explain_en()
            .contains("During the planned event “Lancement Brioche Max”"),
        "{}",
        opened[0].explain_en()
    );
    // Outside the event, the same explanation says nothing of it.
    let later = r.events(EventKind::Resolved);
    assert!(later[0].explanation.as_ref().unwrap().event.is_none());
}

/// Guards the near-duplicate grouping: one negative article rewritten by twenty sites (each copy with its
/// own exact hash) is one story in the feed's counts, and its explanation names the first sites.
#[test]
fn twenty_sites_rewriting_one_article_are_one_story_naming_the_sites() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(4);
    r.hours(&mut tl, t0(), 14 * 24, quiet);
    let start = t0() + TimeDelta::days(14);
    let story = "Acme rappelle ses yaourts à la fraise après la découverte de morceaux de verre dans plusieurs magasins du Rhône";
    // The detection stage groups each new mention into its story before detection sees it.
    let mut stories = crate::analysis::story::StoryIndex::new();
    let copies: Vec<AnalysedMention> = (0..20u32)
        .map(|i| {
            let text = match i % 4 {
                0 => story.to_owned(),
                1 => format!("Selon nos confrères, {story}"),
                2 => format!("{story} (mise à jour)"),
                _ => format!("INFO — {story}"),
            };
            let mut m = tl_article(i);
            m.key = format!("presse{i:02}/1");
            m.source = format!("presse{i:02}");
            m.press = i % 4 != 3;
            m.time = start + TimeDelta::minutes(i64::from(i));
            m.story = stories.assign(1000 + u64::from(i), None, &text, m.time);
            m
        })
        .collect();
    // Next hour, a real surge, with the twenty copies in it.
    let mut ms = tl.hour(start, Hour::new(12.0, 4.0, 2.0));
    ms.extend(copies);
    r.bucket(start, ms);
    let opened = r.events(EventKind::Opened);
    assert_eq!(opened.len(), 1);
    let e = opened[0].explanation.as_ref().unwrap();
    let s = e.syndication.as_ref().expect("the rewritten article");
    assert_eq!(s.sources, 20);
    assert_eq!(
        s.sites,
        ["presse00", "presse01", "presse02", "presse03", "presse04"]
    );
    // The tally names the press among the twenty (one in four is a forum), the most copies first.
    let p = e.pickup.as_ref().expect("the pickup");
    assert_eq!((p.stories, p.sites, p.more_press), (1, 20, 10));
    let fr = opened[0].explain_fr();
    assert!(
        fr.contains(
            "Un même article repris par 20 sources ne compte que pour un sujet\u{a0}: «\u{a0}Acme rappelle ses yaourts\u{a0}»."
        ),
        "{fr}"
    );
    assert!(
        fr.contains(
            "Reprises\u{a0}: un article repris par 20 sites\u{a0}; presse\u{a0}: presse00, presse01, presse02, presse04, presse05 et 10 autres."
        ),
        "{fr}"
    );
    assert!(
        opened[0].explain_en().contains(
            "Pickup: one article carried by 20 sites; press: presse00, presse01, presse02, presse04, presse05 and 10 more."
        ),
        "{}",
        opened[0].explain_en()
    );
}

/// Guards the slow-crisis path through the feed: a steady volume whose negative share climbs from 20 % to
/// about 45 % over two days opens one trend incident during the climb and no bad buzz; it resolves once
/// the share is back.
#[test]
fn a_slow_crisis_opens_a_trend_through_the_feed_and_resolves() {
    let mut r = Runner::new(WatchSettings::default());
    let mut tl = Timeline::new(13);
    let usual = |_| Hour::new(2.0, 4.0, 4.0);
    r.hours(&mut tl, t0(), 21 * 24, usual);
    let climb = t0() + TimeDelta::days(21);
    r.hours(&mut tl, climb, 48, |t| {
        let step = (t - climb).num_hours() as f64;
        Hour::new(
            2.0 + 4.0 * step / 47.0,
            4.0 - step / 47.0,
            4.0 - step / 47.0,
        )
    });
    let opened = r.events(EventKind::Opened);
    assert_eq!(
        opened.len(),
        1,
        "{:?}",
        opened.iter().map(|e| &e.incident).collect::<Vec<_>>()
    );
    assert!(opened[0].trend.is_some(), "a trend, not a bad buzz");
    assert!(opened[0].opened >= climb && opened[0].opened < climb + TimeDelta::days(2));
    let id = opened[0].incident.clone();
    r.hours(&mut tl, climb + TimeDelta::days(2), 48, usual);
    let resolved = r.events(EventKind::Resolved);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].incident, id);
    assert!(r.state().trend.is_none());
}
