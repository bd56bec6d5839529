//! Parse and clean: the floor of the ingestion pipeline, on a 1 MB feed.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

#[path = "feedgen.rs"]
mod feedgen;

fn parse_and_clean(c: &mut Criterion) {
    // About 1 MB: 1,500 items of ~700 bytes of XML each.
    let doc = feedgen::rss(7, 1500);
    let now = chrono::Utc::now();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.sample_size(20);
    group.bench_function("parse_clean_1mb_feed", |b| {
        b.iter(|| {
            let feed =
                veille::sources::parse::parse_feed("bench", black_box(doc.as_bytes()), None, now)
                    .unwrap();
            assert_eq!(feed.mentions.len(), 1500);
            feed
        })
    });
    let html = "<p>Maison Brioche : Franchement d&eacute;&ccedil;u par le service client, personne ne r&eacute;pond depuis trois jours.</p><p>Encore une panne ce matin <a href=\"https://x.example/p/1\">Maison Brioche</a> c'est honteux.</p>";
    group.throughput(Throughput::Elements(1));
    group.bench_function("html_to_text_item", |b| {
        b.iter(|| veille::analysis::clean::html_to_text(black_box(html)))
    });
    group.finish();
}

criterion_group!(benches, parse_and_clean);
criterion_main!(benches);
