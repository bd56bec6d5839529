//! Near-duplicate grouping cost: 100,000 mentions of one day (about 300 characters each, half common
//! French words and half a long tail of 20,000 rarer ones, one in ten a rewritten copy of an earlier one)
//! assigned to stories by [`StoryIndex`].
//!
//! - `group_100k_mentions_of_a_day`: what grouping adds to the pipeline — the MinHash signature of the
//!   folded text (folded once by the analyser for rules, language and sentiment, so folded outside the
//!   timing here) and the band lookup, in an index that already holds the day before (a running daemon
//!   keeps two days of stories, and sizes its table from the stories it rebuilt at start, then from each
//!   window's at each pruning). The budget is 2 µs per mention at 100,000 mentions a day.
//! - `group_100k_from_an_empty_index`: the same from an index that grows on the way (the first day).
//! - `signature_only_100k`: the signature alone.
//! - `from_raw_text_100k`: everything from the raw text, folding included (what a restart pays per stored
//!   mention of the last two days when it rebuilds the index).
//!
//! Run with `cargo bench --bench stories`; criterion reports the time for the whole day and the mentions
//! per second (divide one by the other for the time per mention).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use veille::analysis::fold::fold;
use veille::analysis::story::{StoryIndex, signature_of};

const MENTIONS: usize = 100_000;

const WORDS: &[&str] = &[
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "et",
    "mais",
    "donc",
    "pour",
    "avec",
    "sans",
    "dans",
    "sur",
    "boulangerie",
    "brioche",
    "livraison",
    "commande",
    "client",
    "service",
    "magasin",
    "prix",
    "qualité",
    "retard",
    "remboursement",
    "excellent",
    "décevant",
    "rappel",
    "produit",
    "lot",
    "équipe",
    "nouveau",
    "boutique",
    "Lyon",
    "Paris",
    "semaine",
    "hier",
    "aujourd'hui",
    "vraiment",
    "jamais",
    "toujours",
    "merci",
    "honte",
    "scandale",
    "super",
    "goût",
    "chocolat",
    "beurre",
    "farine",
    "pâte",
    "four",
];

fn day() -> Vec<(u64, String, DateTime<Utc>)> {
    let mut rng = fastrand::Rng::with_seed(42);
    let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let mut out: Vec<(u64, String, DateTime<Utc>)> = Vec::with_capacity(MENTIONS);
    for i in 0..MENTIONS {
        let at = start + TimeDelta::milliseconds((i as i64) * 864);
        let text = if i > 100 && rng.u8(0..10) == 0 {
            let (_, original, _) = &out[rng.usize(i - 100..i)];
            format!("Selon nos confrères, {original} (mise à jour)")
        } else {
            // Common words, and the long tail of a real vocabulary (names, places, numbers, rarer words).
            let mut t = String::with_capacity(320);
            while t.len() < 300 {
                if rng.bool() {
                    t.push_str(WORDS[rng.usize(0..WORDS.len())]);
                } else {
                    t.push_str(&format!("mot{}", rng.u32(0..20_000)));
                }
                t.push(' ');
            }
            t
        };
        out.push((rng.u64(..), text, at));
    }
    out
}

fn bench(c: &mut Criterion) {
    let mentions = day();
    let folded: Vec<_> = mentions.iter().map(|(_, text, _)| fold(text)).collect();
    let mut g = c.benchmark_group("stories");
    g.sample_size(10);
    g.throughput(Throughput::Elements(MENTIONS as u64));
    // The day before, already in the index: a running daemon holds two days of stories.
    let day_before: Vec<_> = mentions
        .iter()
        .zip(&folded)
        .filter_map(|((exact, _, at), f)| {
            Some((exact ^ 0x5eed, signature_of(f)?, *at - TimeDelta::days(1)))
        })
        .collect();
    let mut yesterday = StoryIndex::with_capacity(2 * MENTIONS);
    for (exact, sig, at) in &day_before {
        // Other texts than today's: their signatures shifted so that none is a copy of today's.
        let mut other = *sig;
        other.iter_mut().for_each(|m| *m = m.wrapping_add(1));
        yesterday.assign_signature(*exact, &other, *at);
    }
    g.bench_function("group_100k_mentions_of_a_day", |b| {
        b.iter_batched(
            || yesterday.clone(),
            |mut idx| {
                let mut joined = 0usize;
                for ((exact, _, at), f) in mentions.iter().zip(&folded) {
                    if let Some(sig) = signature_of(f)
                        && idx.assign_signature(*exact, &sig, *at) != *exact
                    {
                        joined += 1;
                    }
                }
                black_box(joined);
                // Dropped after the timing: a running daemon does not drop its index each day.
                idx
            },
            BatchSize::LargeInput,
        );
    });
    g.bench_function("group_100k_from_an_empty_index", |b| {
        b.iter(|| {
            let mut idx = StoryIndex::new();
            let mut joined = 0usize;
            for ((exact, _, at), f) in mentions.iter().zip(&folded) {
                if let Some(sig) = signature_of(f)
                    && idx.assign_signature(*exact, &sig, *at) != *exact
                {
                    joined += 1;
                }
            }
            black_box(joined)
        });
    });
    g.bench_function("signature_only_100k", |b| {
        b.iter(|| {
            for f in &folded {
                black_box(signature_of(f));
            }
        });
    });
    g.bench_function("from_raw_text_100k", |b| {
        b.iter(|| {
            let mut idx = StoryIndex::new();
            let mut joined = 0usize;
            for (exact, text, at) in &mentions {
                if idx.assign(*exact, None, text, *at) != *exact {
                    joined += 1;
                }
            }
            black_box(joined)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
