//! Configuration validation at scale: writes configurations of growing size (sound sources, then
//! duplicate names, then two problems on every source) and measures the reading `veille check` does on
//! each, printing a table: the CPU time of the TOML parse alone, of the whole reading, and the ratio to the
//! previous size (about 2 for twice the sources when the work is linear). CPU time of this thread, not
//! wall time, so that other work on the machine does not blur the figures.
//!
//! `cargo run --release --example bench_check -- [LARGEST]` (default 700000 sources).

use std::path::Path;

use veille::config::Config;

/// What each source of a generated configuration is like.
#[derive(Clone, Copy)]
enum Shape {
    /// Every source sound, names distinct.
    Sound,
    /// Sources 2k and 2k + 1 share a name: half the sources are duplicates.
    Duplicates,
    /// Every source has an unknown key and a bad interval: two problems each.
    Broken,
}

fn config(n: usize, shape: Shape) -> String {
    let mut text = String::with_capacity(n * 64);
    text.push_str("database = \"bench.db\"\n[http]\nconcurrency = 64\n");
    for i in 0..n {
        let name = match shape {
            Shape::Duplicates => i / 2,
            _ => i,
        };
        text.push_str(&format!(
            "[[source]]\nname = \"s{name}\"\nurl = \"https://feeds{}.example/{i}.xml\"\n",
            i % 97
        ));
        if let Shape::Broken = shape {
            text.push_str("colour = \"blue\"\ninterval = \"5 fortnights\"\n");
        }
    }
    text
}

/// CPU time of the calling thread, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

fn main() -> anyhow::Result<()> {
    let largest: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(700_000);
    let mut sizes = vec![largest];
    while sizes.last().is_some_and(|&n| n > 50_000) {
        let half = sizes.last().copied().unwrap_or(0) / 2;
        sizes.push(half);
    }
    sizes.reverse();
    println!(
        "{:<11} {:>9} {:>7} {:>9} {:>9} {:>9} {:>8} {:>7}",
        "SHAPE", "SOURCES", "MB", "PROBLEMS", "PARSE s", "CHECK s", "µs/SRC", "RATIO"
    );
    let path = Path::new("/etc/veille/veille.toml");
    for (shape, label) in [
        (Shape::Sound, "sound"),
        (Shape::Duplicates, "duplicates"),
        (Shape::Broken, "broken"),
    ] {
        let mut previous: Option<f64> = None;
        for &n in &sizes {
            let text = config(n, shape);
            let started = cpu_seconds();
            let parsed = toml::de::DeTable::parse(&text).is_ok();
            assert!(parsed);
            let parse = cpu_seconds() - started;
            let started = cpu_seconds();
            let problems = match Config::from_text(path, &text) {
                Ok(c) => {
                    assert_eq!(c.sources.len(), n);
                    0
                }
                Err(e) => e.0.len(),
            };
            let seconds = cpu_seconds() - started;
            let ratio = previous.map_or_else(|| "—".to_owned(), |p| format!("{:.2}", seconds / p));
            println!(
                "{label:<11} {n:>9} {:>7.1} {problems:>9} {parse:>9.3} {seconds:>9.3} {:>8.2} {ratio:>7}",
                text.len() as f64 / 1e6,
                seconds * 1e6 / n as f64
            );
            previous = Some(seconds);
        }
    }
    Ok(())
}
