//! An alert flood, at the size it was reported (issue 16, item 8): one feed of ITEMS posts that all match
//! a critical rule of the example rules (a call to boycott « Maison Brioche »), read by the real
//! `veille run --once` from a file source into a fresh database. Prints the time it took, the database's
//! size (in all and per mention) and what detection recorded: incidents, alerts, timeline lines and outbox
//! rows. Before folding, 50,000 items made 50,000 alerts, 50,000 outbox rows and a 212 MB database.
//!
//! ```text
//! cargo build --release && cargo run --release --example bench_flood -- [ITEMS]
//!     ITEMS    posts in the feed (default 50000)
//! ```
//!
//! The counts are read with `veille` itself (`incidents --json`, `alerts --json`, `outbox --json`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};

/// `target/<profile>/veille`, beside this example's `target/<profile>/examples/`.
fn veille_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .context("odd example path")?
        .join("veille");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (cargo build --release)",
            bin.display()
        );
    }
    Ok(bin)
}

/// The feed: `items` distinct posts, each a call to boycott, published five minutes ago (about 160 bytes
/// each, as in the report: 50,000 fit within the default `max_body_bytes` of 10 MB).
fn flood(items: usize) -> String {
    let published = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc2822();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Forum conso</title><link>https://forum.example/</link><description>Avis</description>\
         <language>fr</language>\n",
    );
    for i in 0..items {
        let _ = writeln!(
            xml,
            "<item><guid>p{i}</guid><title>Appel au boycott de Maison Brioche ({i})</title>\
             <link>https://forum.example/t/{i}</link><pubDate>{published}</pubDate></item>"
        );
    }
    xml.push_str("</channel></rss>\n");
    xml
}

fn veille(bin: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .args(args)
        .env_remove("VEILLE_CONFIG")
        .output()?;
    if !out.status.success() {
        bail!(
            "veille {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn lines(bin: &Path, args: &[&str]) -> anyhow::Result<usize> {
    Ok(veille(bin, args)?.lines().count())
}

fn main() -> anyhow::Result<()> {
    let items: usize = std::env::args()
        .nth(1)
        .map_or(Ok(50_000), |a| a.parse())
        .context("ITEMS is a number")?;
    let bin = veille_binary()?;
    let dir = tempfile::tempdir()?;
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules)?;
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/maison-brioche.toml"),
        rules.join("maison-brioche.toml"),
    )?;
    let feed = flood(items);
    std::fs::write(dir.path().join("forum.xml"), &feed)?;
    let config = dir.path().join("veille.toml");
    std::fs::write(
        &config,
        "database = \"veille.db\"\nrules = \"rules\"\n\
         [[source]]\nname = \"forum\"\nurl = \"forum.xml\"\n",
    )?;
    let config = config.to_str().context("odd temporary path")?;

    let started = Instant::now();
    let summary = veille(&bin, &["run", "--once", "--config", config])?;
    let took = started.elapsed();
    let bytes: u64 = ["veille.db", "veille.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    let incidents = veille(&bin, &["incidents", "--json", "--config", config])?;
    let Some(first) = incidents.lines().next() else {
        bail!("no incident: {summary}");
    };
    let first: serde_json::Value = serde_json::from_str(first)?;
    let id = first["id"].to_string();
    let events: serde_json::Value = serde_json::from_str(&veille(
        &bin,
        &["incidents", "show", &id, "--json", "--config", config],
    )?)?;
    let limit = (10 * items).to_string();
    println!(
        "flood of {items} critical items ({:.1} MB of feed), {}",
        feed.len() as f64 / 1e6,
        bin.display()
    );
    println!("run --once          {:>10.2} s", took.as_secs_f64());
    println!("                    {}", summary.trim());
    println!(
        "database            {:>10.1} MB ({} bytes per mention)",
        bytes as f64 / 1e6,
        bytes / items.max(1) as u64
    );
    println!("incidents           {:>10}", incidents.lines().count());
    println!("mentions counted    {:>10}", first["mentions"]);
    println!(
        "alerts              {:>10}",
        lines(&bin, &["alerts", "--json", "--config", config])?
    );
    println!(
        "timeline lines      {:>10}",
        events["events"].as_array().map_or(0, Vec::len)
    );
    println!(
        "outbox rows         {:>10}",
        lines(
            &bin,
            &["outbox", "--json", "--limit", &limit, "--config", config]
        )?
    );
    Ok(())
}
