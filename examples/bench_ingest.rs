//! End-to-end ingestion benchmark: generates feed files on disk and runs the real `run --once` pipeline on
//! them (fetch from disk, parse, clean, analyse, store in SQLite), then prints items per second and the
//! peak memory of the process.
//!
//! `cargo run --release --example bench_ingest -- [FEEDS] [ITEMS_PER_FEED]` (default 1000 × 50).

#[path = "../benches/feedgen.rs"]
mod feedgen;

use std::fmt::Write as _;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let feeds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let items: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(50);
    let dir = tempfile::tempdir()?;
    let feed_dir = dir.path().join("feeds");
    std::fs::create_dir_all(&feed_dir)?;
    let mut config =
        String::from("database = \"bench.db\"\nrules = \"rules\"\n[http]\nconcurrency = 64\n");
    let mut bytes = 0usize;
    for i in 0..feeds {
        let doc = feedgen::rss(i as u64, items);
        bytes += doc.len();
        std::fs::write(feed_dir.join(format!("f{i}.xml")), doc)?;
        writeln!(
            config,
            "[[source]]\nname = \"f{i}\"\nurl = \"feeds/f{i}.xml\""
        )?;
    }
    // The example rules of the repository: realistic matching work for every item.
    std::fs::create_dir_all(dir.path().join("rules"))?;
    for (name, text) in [
        (
            "maison-brioche.toml",
            include_str!("../rules/maison-brioche.toml"),
        ),
        (
            "acme-telecom.toml",
            include_str!("../rules/acme-telecom.toml"),
        ),
    ] {
        std::fs::write(dir.path().join("rules").join(name), text)?;
    }
    let config_path = dir.path().join("veille.toml");
    std::fs::write(&config_path, config)?;
    let config = veille::config::Config::load(&config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let summary = rt.block_on(async { veille::daemon::Daemon::start(config)?.run_once().await })?;
    let total = feeds * items;
    println!(
        "{feeds} feeds × {items} items = {total} items, {:.1} MB of XML: {summary}",
        bytes as f64 / 1e6
    );
    println!(
        "end to end: {:.0} items/s; peak memory {:.1} MiB",
        summary.new_mentions as f64 / summary.seconds,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    anyhow::ensure!(
        summary.new_mentions == total,
        "expected {total} new mentions"
    );
    Ok(())
}
