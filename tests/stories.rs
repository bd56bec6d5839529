//! Stories, not copies, through the real binary: a rewritten copy of an article, read by another source in
//! a later run, joins the article's story; the story is stored with each mention and shown by
//! `veille mentions` (text and JSON).
//!
//! Guards issue 13: the grouping lived in each watch's memory and was never stored, so `veille mentions`
//! could not show it and a copy read after a restart started a story of its own.

mod common;

use std::path::Path;

use common::{stderr, stdout, veille, write_config};

const ARTICLE: &str = "Maison Brioche rappelle des lots de brioches après la découverte de morceaux de plastique dans plusieurs boulangeries de la région lyonnaise";

/// Writes the RSS file of source `name` in `dir` with items (guid, text, RFC 2822 date).
fn feed(dir: &Path, name: &str, items: &[(&str, &str, &str)]) {
    let mut rss = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>t</title>",
    );
    for (guid, text, date) in items {
        rss.push_str(&format!(
            "<item><guid>{name}-{guid}</guid><title>{text}</title><link>https://{name}.example/{guid}</link><pubDate>{date}</pubDate><description>{text}</description></item>"
        ));
    }
    rss.push_str("</channel></rss>");
    std::fs::write(dir.join(format!("{name}.xml")), rss).unwrap();
}

fn run_once(config: &Path) {
    let out = veille()
        .args(["run", "--once", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_copy_read_after_a_restart_joins_the_story_it_copies_and_mentions_show_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut body = String::new();
    for name in ["presse-a", "presse-b", "blog-c"] {
        body.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"file://{}/{name}.xml\"\n\n",
            d.display()
        ));
    }
    let config = write_config(d, &body);
    std::fs::write(
        d.join("rules/brioche.toml"),
        "[[watch]]\nid = \"brioche\"\nname = \"Maison Brioche\"\nquery = \"\\\"maison brioche\\\"\"\n",
    )
    .unwrap();

    // First run: one site publishes the article.
    let now = chrono::Utc::now();
    let date = |minutes: i64| (now - chrono::Duration::minutes(minutes)).to_rfc2822();
    feed(d, "presse-a", &[("1", ARTICLE, &date(30))]);
    feed(d, "presse-b", &[]);
    feed(d, "blog-c", &[]);
    run_once(&config);

    // Second run, a new process: two sites rewrite it, and one new, different story.
    let copy_b = format!("Selon nos confrères, {ARTICLE}");
    let copy_c = format!("{ARTICLE} (mise à jour)");
    let other =
        "Maison Brioche ouvre une nouvelle boutique à Lille, les habitants sont ravis de l'accueil";
    feed(d, "presse-b", &[("1", &copy_b, &date(20))]);
    feed(
        d,
        "blog-c",
        &[("1", &copy_c, &date(10)), ("2", other, &date(5))],
    );
    run_once(&config);

    let out = veille()
        .args(["mentions", "--json", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4, "{}", stdout(&out));
    let of = |source: &str, guid: &str| {
        rows.iter()
            .find(|r| r["source"] == source && r["id"] == format!("{source}-{guid}"))
            .unwrap_or_else(|| panic!("{source}-{guid} in {rows:?}"))
    };
    let story = of("presse-a", "1")["story"].as_str().unwrap().to_owned();
    assert_eq!(story.len(), 16, "sixteen hexadecimal digits: {story}");
    for (source, guid) in [("presse-a", "1"), ("presse-b", "1"), ("blog-c", "1")] {
        let r = of(source, guid);
        assert_eq!(
            r["story"],
            story.as_str(),
            "{source} is a copy of the article"
        );
        assert_eq!(r["story_mentions"], 3);
        assert_eq!(r["story_sources"], 3);
    }
    let lone = of("blog-c", "2");
    assert_ne!(lone["story"], story.as_str());
    assert_eq!(lone["story_mentions"], 1);

    // The text listing says it in words, on each copy, and nothing on the story told once.
    let out = veille()
        .args([
            "mentions",
            "--lang",
            "fr",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = stdout(&out);
    let line = format!(
        "↳ sujet {}\u{a0}: repris par 3 sources (3 mentions)",
        &story[..8]
    );
    assert_eq!(text.matches(&line).count(), 3, "{text}");
    assert_eq!(text.matches("↳ sujet").count(), 3, "{text}");
    let out = veille()
        .args([
            "mentions",
            "--lang",
            "en",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let line = format!("↳ story {}: carried by 3 sources (3 mentions)", &story[..8]);
    assert_eq!(stdout(&out).matches(&line).count(), 3, "{}", stdout(&out));

    // The id a person reads is the filter that lists the story's copies.
    let out = veille()
        .args([
            "mentions",
            "--json",
            "--story",
            &story[..8],
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut sources: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["source"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    sources.sort();
    assert_eq!(sources, ["blog-c", "presse-a", "presse-b"]);
    let out = veille()
        .args([
            "mentions",
            "--story",
            "3f2z",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a story id"),
        "{}",
        stderr(&out)
    );
}
