//! Benchmarks of the detection core: counting a bucket, learning a baseline and judging a window, with the
//! sizes of a big brand (four weeks of hourly history, a few hundred mentions an hour).
//!
//! Run with `cargo bench --bench detect`. The daemon judges every watch at least once per bucket, so these
//! figures bound how many watches one core can follow.

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use veille::detect::{self, AnalysedMention, BucketCounts, WatchState, Window};
use veille::model::{Label, TermWeight, WatchSettings};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn mentions(rng: &mut fastrand::Rng, start: DateTime<Utc>, n: usize) -> Vec<AnalysedMention> {
    (0..n)
        .map(|i| {
            let label = match rng.u8(0..10) {
                0..=1 => Label::Neg,
                2..=6 => Label::Neu,
                _ => Label::Pos,
            };
            AnalysedMention {
                key: format!("src{}/{i}", i % 40),
                time: start + TimeDelta::seconds(i64::from(rng.u32(0..3600))),
                source: format!("src{}", i % 40),
                author: Some(format!("user{}", rng.u32(0..5000))),
                story: rng.u64(0..(n as u64)),
                label,
                score: if label == Label::Neg { -0.5 } else { 0.2 },
                title: Some(format!("mention {i}")),
                link: None,
                terms: vec![TermWeight {
                    term: "arnaque".into(),
                    weight: -0.6,
                }],
                matches: Vec::new(),
                press: false,
            }
        })
        .collect()
}

fn history(rng: &mut fastrand::Rng) -> Vec<BucketCounts> {
    (0..28 * 24)
        .map(|h| {
            let stories = 150 + rng.u32(0..100);
            let negative = stories / 5 + rng.u32(0..10);
            BucketCounts {
                total: stories + 20,
                negative,
                sources: 40,
                authors: stories,
                stories,
                negative_stories: negative,
                negative_authors: negative,
                loudest_negative: 2,
                ..BucketCounts::empty(t0() + TimeDelta::hours(h))
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut rng = fastrand::Rng::with_seed(1);
    let settings = WatchSettings::default();
    let now = t0() + TimeDelta::days(28);
    let window_mentions = mentions(&mut rng, now, 300);
    let history = history(&mut rng);

    c.bench_function("aggregate 300 mentions", |b| {
        b.iter(|| BucketCounts::aggregate(black_box(now), black_box(&window_mentions)))
    });
    c.bench_function("learn baseline, 4 weeks hourly", |b| {
        b.iter(|| detect::baseline::learn(&settings, black_box(&history), t0(), &[], now))
    });
    let quiet = BucketCounts::aggregate(now, &window_mentions);
    c.bench_function("evaluate quiet window", |b| {
        let w = Window {
            counts: &quiet,
            mentions: &window_mentions,
        };
        b.iter(|| {
            detect::evaluate(
                "acme",
                &settings,
                &history,
                &w,
                &WatchState::default(),
                &[],
                now,
            )
        })
    });
    // A surge makes a decision and its explanation, the costly path.
    let mut surge_mentions = window_mentions.clone();
    for m in surge_mentions.iter_mut().take(250) {
        m.label = Label::Neg;
        m.story = rng.u64(..);
    }
    let surge = BucketCounts::aggregate(now, &surge_mentions);
    c.bench_function("evaluate surge with explanation", |b| {
        let w = Window {
            counts: &surge,
            mentions: &surge_mentions,
        };
        b.iter(|| {
            let (d, _) = detect::evaluate(
                "acme",
                &settings,
                &history,
                &w,
                &WatchState::default(),
                &[],
                now,
            );
            assert!(!d.is_empty());
            d
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
