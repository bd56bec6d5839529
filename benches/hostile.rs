//! Hostile input, stage by stage (issue 16): the RDF missing-link rewrite, the Atom retype rewrite, the
//! whole parse of each adversarial document, cleaning and folding, each at 1 MB and 4 MB. Linear stages
//! take about four times as long at 4 MB; the quadratic ones they replace took sixteen.
//!
//! `cargo bench --bench hostile`; the figures are in `target/criterion/hostile-*/`. Times are the CPU time
//! of the benchmarking thread, not the wall clock: on a shared machine the other processes' load would
//! otherwise blur the ratio between the two sizes.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use veille::analysis::clean::html_to_text;
use veille::analysis::fold::fold;
use veille::sources::parse::{parse_feed, rewrites};

const SIZES: [(&str, usize); 2] = [("1MB", 1 << 20), ("4MB", 4 << 20)];

/// RSS 1.0 with `<item rdf:about="a">` repeated to `len` bytes, never closed (the reproducer).
fn unclosed_rdf(len: usize) -> String {
    let mut doc = String::from(
        "<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"><channel rdf:about=\"a\"><title>t</title></channel>",
    );
    let item = "<item rdf:about=\"a\">";
    doc.push_str(&item.repeat(len.saturating_sub(doc.len()) / item.len()));
    doc
}

/// Atom with one entry title typed `x-odd`, then `<x type="a/b"/>` repeated to `len` bytes.
fn odd_typed_atom(len: usize) -> String {
    let head = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>1</id><title type=\"x-odd\">Grève chez Acme</title>";
    let tail = "</entry></feed>";
    let x = "<x type=\"a/b\"/>";
    format!(
        "{head}{}{tail}",
        x.repeat((len - head.len() - tail.len()) / x.len())
    )
}

/// Shapes that a cleaner could choke on, to `len` bytes.
fn hostile_html(len: usize) -> Vec<(&'static str, String)> {
    vec![
        ("nested_tags", "<div><b>".repeat(len / 8)),
        ("entities", "&eacute;&amp".repeat(len / 12)),
        ("open_brackets", "<".repeat(len)),
        (
            "trailing_boilerplate",
            format!("x{}", " Read more […]".repeat(len / 16)),
        ),
    ]
}

/// Shapes that a folder could choke on, to `len` bytes.
fn hostile_text(len: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "combining_marks",
            format!("e{}", "\u{0301}\u{0327}".repeat(len / 4)),
        ),
        ("long_decompositions", "\u{FDFA}".repeat(len / 3)),
    ]
}

/// CPU time of the calling thread.
struct CpuTime;

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl Measurement for CpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }

    fn end(&self, started: Duration) -> Duration {
        thread_cpu_time().saturating_sub(started)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Milliseconds
    }
}

/// Shows nanoseconds as milliseconds of CPU, and throughputs in MiB per CPU second.
struct Milliseconds;

impl ValueFormatter for Milliseconds {
    fn scale_values(&self, _typical: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v /= 1e6);
        "ms CPU"
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per_iteration = match throughput {
            Throughput::Bytes(b) | Throughput::BytesDecimal(b) => *b as f64 / (1024.0 * 1024.0),
            Throughput::Elements(e) => *e as f64,
            Throughput::Bits(b) => *b as f64,
        };
        values
            .iter_mut()
            .for_each(|v| *v = per_iteration / (*v / 1e9));
        match throughput {
            Throughput::Bytes(_) | Throughput::BytesDecimal(_) => "MiB/s CPU",
            _ => "per s CPU",
        }
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn configured<'c>(
    c: &'c mut Criterion<CpuTime>,
    name: &str,
) -> criterion::BenchmarkGroup<'c, CpuTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group
}

fn rewrites_and_parse(c: &mut Criterion<CpuTime>) {
    let now = chrono::Utc::now();
    let mut group = configured(c, "hostile-rdf");
    for (label, len) in SIZES {
        let doc = unclosed_rdf(len);
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_with_input(BenchmarkId::new("rewrite", label), &doc, |b, doc| {
            b.iter(|| rewrites::rdf_links(black_box(doc)).map(|d| d.len()))
        });
        group.bench_with_input(BenchmarkId::new("parse", label), &doc, |b, doc| {
            b.iter(|| parse_feed("bench", black_box(doc.as_bytes()), None, now).is_err())
        });
    }
    group.finish();
    let mut group = configured(c, "hostile-atom");
    for (label, len) in SIZES {
        let doc = odd_typed_atom(len);
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_with_input(BenchmarkId::new("retype", label), &doc, |b, doc| {
            b.iter(|| rewrites::retype(black_box(doc), "x-odd").map(|d| d.len()))
        });
        group.bench_with_input(BenchmarkId::new("parse", label), &doc, |b, doc| {
            b.iter(|| {
                let feed = parse_feed("bench", black_box(doc.as_bytes()), None, now).unwrap();
                assert_eq!(feed.mentions.len(), 1);
            })
        });
    }
    group.finish();
}

fn clean_and_fold(c: &mut Criterion<CpuTime>) {
    let mut group = configured(c, "hostile-clean");
    for (label, len) in SIZES {
        for (shape, html) in hostile_html(len) {
            group.throughput(Throughput::Bytes(html.len() as u64));
            group.bench_with_input(BenchmarkId::new(shape, label), &html, |b, html| {
                b.iter(|| html_to_text(black_box(html)).len())
            });
        }
    }
    group.finish();
    let mut group = configured(c, "hostile-fold");
    for (label, len) in SIZES {
        for (shape, text) in hostile_text(len) {
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(BenchmarkId::new(shape, label), &text, |b, text| {
                b.iter(|| fold(black_box(text)).as_str().len())
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime);
    targets = rewrites_and_parse, clean_and_fold
}
criterion_main!(benches);
