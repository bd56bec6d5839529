//! Writer benchmark: what storing a mention costs the single writer, in mentions per second.
//!
//! `cargo run --release --example bench_writer -- [MENTIONS] [PER_TRANSACTION]` (default 50000 50).
//! Mentions of realistic French length (an 8-word title, a 40-word body with accents and elisions, an
//! author) are written through `Store::write_polls`, as the daemon's writer does, into a fresh database
//! that already holds `MENTIONS` mentions written the same way (an index costs more as it grows). Only
//! the store is timed: no fetching, parsing or analysis (which `bench_ingest` measures end to end).

use std::time::Instant;

use veille::model::{Analysis, Mention, SourceState};
use veille::store::{AnalysedMention, Poll, Store};

const WORDS: &[&str] = &[
    "l'entreprise",
    "boulangerie",
    "qualité",
    "réseau",
    "été",
    "déçu",
    "très",
    "service",
    "client",
    "livraison",
    "d'Acme",
    "prix",
    "cœur",
    "forfait",
    "panne",
    "opérateur",
    "attente",
    "accueil",
    "qu'il",
    "Maison",
    "Brioche",
    "boycott",
    "retard",
    "délicieux",
    "ouverture",
    "magasin",
];

fn words(rng: &mut fastrand::Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.usize(..WORDS.len())]);
    }
    s
}

fn polls(rng: &mut fastrand::Rng, from: usize, count: usize, per: usize) -> Vec<Poll> {
    let now = chrono::Utc::now();
    (from..from + count)
        .step_by(per)
        .map(|start| Poll {
            state: SourceState {
                name: format!("s{}", start % 500),
                url: "https://presse.example/feed.xml".into(),
                ..SourceState::default()
            },
            mentions: (start..start + per)
                .map(|i| AnalysedMention {
                    mention: Mention {
                        source: format!("s{}", start % 500),
                        id: format!("g{i}"),
                        link: Some(format!("https://presse.example/{i}")),
                        title: Some(words(rng, 8)),
                        text: words(rng, 40),
                        author: Some(format!("Auteur {}", rng.u32(..20_000))),
                        lang: Some("fr".into()),
                        published: Some(now - chrono::Duration::seconds(rng.i64(0..86_400))),
                        fetched: now,
                        story: i as u64,
                    },
                    analysis: Analysis::default(),
                })
                .collect(),
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mentions: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(50_000);
    let per: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(50);
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("bench.db"))?;
    let mut rng = fastrand::Rng::with_seed(3);
    let mut rates = Vec::new();
    // Two rounds: into an empty database, then into one already holding the first round.
    for round in 0..2 {
        let batch = polls(&mut rng, round * mentions, mentions, per);
        let t = Instant::now();
        for p in &batch {
            store.write_polls(&[p])?;
        }
        let secs = t.elapsed().as_secs_f64();
        rates.push(mentions as f64 / secs);
        println!(
            "round {}: {mentions} mentions in transactions of {per}: {:.2} s, {:.0} mentions/s",
            round + 1,
            secs,
            mentions as f64 / secs
        );
    }
    println!(
        "database: {:.1} MiB for {} mentions",
        std::fs::metadata(dir.path().join("bench.db"))?.len() as f64 / 1_048_576.0
            + std::fs::metadata(dir.path().join("bench.db-wal"))
                .map(|m| m.len())
                .unwrap_or(0) as f64
                / 1_048_576.0,
        2 * mentions
    );
    Ok(())
}
