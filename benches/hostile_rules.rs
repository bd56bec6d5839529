//! Rules under hostile input: what an attacker or a mangled file can make matching and checking cost.
//!
//! - `near_title/1MB` and `/4MB`: one mention whose title repeats "Maison Brioche arnaque" (1 and 4 MB),
//!   matched against the example rules of `rules/` (whose `brioche-arnaque` is a `NEAR/6` of the two).
//!   The title is folded beforehand, as the daemon does once per mention; this is the matching alone.
//!   Comparing every hit of one side of NEAR with every hit of the other made the 1 MB title cost 83.5 s;
//!   a sweep over sorted positions makes 4 MB cost about four times 1 MB.
//! - `check_rules/25000` and `/100000`: compiling that many generated rules, as `veille rules check` and a
//!   reload do (finding each rule's line used to read the file from its start: minutes for 100,000).
//!
//! Run with `cargo bench --bench hostile_rules`. The work counts (hits, NEAR steps) are printed first, with
//! the least CPU time of five runs of each size and the ratio between sizes: CPU time of the thread, so
//! that other work on a shared machine does not inflate it as it does criterion's wall-clock times.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use veille::analysis::fold::fold;
use veille::analysis::rules::{FieldText, MentionView, RuleFile, RuleSet, compile};

const MB: usize = 1 << 20;

/// CPU time used by this thread so far, in seconds.
fn thread_cpu() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write into; the clock id is a constant the kernel knows.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// The least thread CPU time of five runs of `f`, in milliseconds.
fn least_cpu_ms<T>(mut f: impl FnMut() -> T) -> f64 {
    (0..5)
        .map(|_| {
            let start = thread_cpu();
            black_box(f());
            (thread_cpu() - start) * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn example_rules() -> RuleSet {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let texts: Vec<(String, String)> = ["acme-telecom.toml", "maison-brioche.toml"]
        .iter()
        .map(|f| {
            let path = format!("{dir}/{f}");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            (path, text)
        })
        .collect();
    let files: Vec<RuleFile<'_>> = texts
        .iter()
        .map(|(name, text)| RuleFile { name, text })
        .collect();
    compile(&files).unwrap_or_else(|e| panic!("{:?}", e[0]))
}

/// "Maison Brioche arnaque " repeated to `bytes`.
fn hostile_title(bytes: usize) -> String {
    let unit = "Maison Brioche arnaque ";
    unit.repeat(bytes / unit.len())
}

fn generated_rules(n: usize) -> String {
    let mut text = String::with_capacity(n * 130);
    for i in 0..n {
        text.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\nname = \"Rule {i}\"\nquery = '''\"brand{i}\" NEAR/5 (boycott* OR arnaque)'''\nseverity = \"warning\"\n\n"
        ));
    }
    text
}

fn near_title(c: &mut Criterion) {
    let rules = example_rules();
    let mut group = c.benchmark_group("near_title");
    group.sample_size(10);
    let mut least = Vec::new();
    for size in [1, 4] {
        let title = hostile_title(size * MB);
        let folded_title = fold(&title);
        let folded_text = fold("");
        let view = MentionView {
            title: Some(FieldText {
                original: &title,
                folded: &folded_title,
            }),
            text: FieldText {
                original: "",
                folded: &folded_text,
            },
            author: None,
            site: None,
            lang: None,
            source: "bench",
            tags: &[],
            sentiment: None,
        };
        let (outcome, work) = rules.evaluate_counted(&view);
        eprintln!(
            "near_title/{size}MB: {} hits, {} NEAR steps, {} rules match with {} terms",
            work.hits,
            work.near_steps,
            outcome.matches.len(),
            outcome.matches.iter().map(|m| m.terms.len()).sum::<usize>()
        );
        let ms = least_cpu_ms(|| rules.evaluate(&view).matches.len());
        least.push(ms);
        eprintln!("near_title/{size}MB: least CPU time of 5 runs {ms:.1} ms");
        if let [one, four] = least[..] {
            eprintln!("near_title: 4 MB / 1 MB = {:.2}", four / one);
        }
        group.throughput(Throughput::Bytes(title.len() as u64));
        group.bench_function(format!("{size}MB"), |b| {
            b.iter(|| rules.evaluate(black_box(&view)).matches.len())
        });
    }
    group.finish();
}

fn check_rules(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_rules");
    group.sample_size(10);
    let mut least = Vec::new();
    for n in [25_000, 100_000] {
        let text = generated_rules(n);
        let compile_all = || {
            compile(&[RuleFile {
                name: "generated.toml",
                text: &text,
            }])
            .map(|s| s.rules().len())
            .unwrap_or(0)
        };
        assert_eq!(compile_all(), n);
        let ms = least_cpu_ms(compile_all);
        least.push(ms);
        eprintln!("check_rules/{n}: least CPU time of 5 runs {ms:.0} ms");
        if let [quarter, all] = least[..] {
            eprintln!("check_rules: 100,000 / 25,000 = {:.2}", all / quarter);
        }
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}"), |b| {
            b.iter(|| {
                compile(&[RuleFile {
                    name: "generated.toml",
                    text: black_box(&text),
                }])
                .map(|s| s.rules().len())
                .unwrap_or(0)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, near_title, check_rules);
criterion_main!(benches);
