//! Sentiment and language throughput over short social-style texts, French and English (written for this
//! bench). Reports texts per second: scoring a pre-folded text with a fixed language, with language
//! detection, and the whole path from raw text (fold, detect, score).
//!
//! The `sentiment` group measures wall time. The `sentiment_cpu` group measures the same work in CPU time
//! of the benchmarking thread, which is what "texts per second on one core" means and stays meaningful on
//! a machine shared with other work.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use veille::analysis::fold::{Folded, fold};
use veille::analysis::lang::detect;
use veille::analysis::sentiment::Scorer;
use veille::model::Lang;

const TEXTS: &[(&str, Lang)] = &[
    (
        "Franchement @Acme c'est une honte, trois semaines que j'attends mon remboursement et le service client ne répond jamais 😡",
        Lang::Fr,
    ),
    (
        "Je ne suis pas déçu du tout par la nouvelle box, installation en 5 minutes et débit au top. Merci l'équipe !",
        Lang::Fr,
    ),
    (
        "Rappel produit chez Acme : des lots de steaks hachés retirés de la vente après plusieurs cas d'intoxication",
        Lang::Fr,
    ),
    (
        "Le service est nul mais le produit est génial, je recommande quand même 👍",
        Lang::Fr,
    ),
    (
        "pas terrible la dernière mise à jour, l'appli plante tout le temps... vraiment nuuuul",
        Lang::Fr,
    ),
    (
        "Grève chez Acme demain : aucun train entre Paris et Lyon, les voyageurs sont furieux #galère",
        Lang::Fr,
    ),
    (
        "Trop bien le concert hier soir, ambiance de ouf et son impeccable ❤️",
        Lang::Fr,
    ),
    (
        "Fuite de données chez Acme : les mots de passe de 2 millions de clients exposés, plainte déposée",
        Lang::Fr,
    ),
    (
        "@Acme your customer service is a joke, I've been waiting two weeks for a refund and nobody answers",
        Lang::En,
    ),
    (
        "Honestly not bad at all, the battery lasts two days and the screen is gorgeous :)",
        Lang::En,
    ),
    (
        "Product recall: Acme pulls its baby formula after reports of contamination in three states",
        Lang::En,
    ),
    (
        "The food was great but the service was SO slow, never going back 👎",
        Lang::En,
    ),
    (
        "Loving the new update, everything feels faster and smoother. Great job team!!",
        Lang::En,
    ),
    (
        "Data breach at Acme exposes millions of customer records, company says it is investigating",
        Lang::En,
    ),
    (
        "sooo disappointed with my order, the box arrived damaged and the support was useless",
        Lang::En,
    ),
    (
        "Not sure what to think about the new logo, it is fine I guess",
        Lang::En,
    ),
];

fn bench(c: &mut Criterion) {
    let scorer = Scorer::new();
    let folded: Vec<(&str, Folded, Lang)> = TEXTS.iter().map(|&(t, l)| (t, fold(t), l)).collect();
    let mut group = c.benchmark_group("sentiment");
    group.throughput(Throughput::Elements(TEXTS.len() as u64));
    group.bench_function("score_fixed_lang", |b| {
        b.iter(|| {
            for (t, f, l) in &folded {
                black_box(scorer.score(t, f, *l));
            }
        })
    });
    group.bench_function("detect", |b| {
        b.iter(|| {
            for (_, f, _) in &folded {
                black_box(detect(f, None));
            }
        })
    });
    group.bench_function("detect_and_score", |b| {
        b.iter(|| {
            for (t, f, _) in &folded {
                let l = detect(f, None);
                black_box(scorer.score(t, f, l));
            }
        })
    });
    group.bench_function("fold_detect_score", |b| {
        b.iter(|| {
            for &(t, _) in TEXTS {
                let f = fold(t);
                let l = detect(&f, None);
                black_box(scorer.score(t, &f, l));
            }
        })
    });
    group.finish();
    c.bench_function("scorer_new", |b| b.iter(|| black_box(Scorer::new())));
}

/// CPU time consumed by the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is supported on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `work` `iters` times and returns the thread CPU time it took.
fn cpu<F: FnMut()>(iters: u64, mut work: F) -> Duration {
    let start = thread_cpu_time();
    for _ in 0..iters {
        work();
    }
    thread_cpu_time() - start
}

fn bench_cpu(c: &mut Criterion) {
    let scorer = Scorer::new();
    let folded: Vec<(&str, Folded, Lang)> = TEXTS.iter().map(|&(t, l)| (t, fold(t), l)).collect();
    let mut group = c.benchmark_group("sentiment_cpu");
    group.throughput(Throughput::Elements(TEXTS.len() as u64));
    group.bench_function("score_fixed_lang", |b| {
        b.iter_custom(|iters| {
            cpu(iters, || {
                for (t, f, l) in &folded {
                    black_box(scorer.score(t, f, *l));
                }
            })
        })
    });
    group.bench_function("detect_and_score", |b| {
        b.iter_custom(|iters| {
            cpu(iters, || {
                for (t, f, _) in &folded {
                    let l = detect(f, None);
                    black_box(scorer.score(t, f, l));
                }
            })
        })
    });
    group.bench_function("fold_detect_score", |b| {
        b.iter_custom(|iters| {
            cpu(iters, || {
                for &(t, _) in TEXTS {
                    let f = fold(t);
                    let l = detect(&f, None);
                    black_box(scorer.score(t, &f, l));
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_cpu);
criterion_main!(benches);
