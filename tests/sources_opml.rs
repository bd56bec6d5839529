//! `veille sources import` and `export` through the real binary, and the sources directory seen by
//! `veille check`: a subscription list with nested folders, French titles with guillemets and an emoji, a
//! feed already followed and a feed listed twice goes in, comes out as OPML 2.0, and goes into another
//! configuration giving the same sources.

mod common;

use std::path::Path;

use common::{fixture, stderr, stdout, veille, write_config_as_is};

fn run(config: &Path, args: &[&str]) -> std::process::Output {
    veille()
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

/// The sources of a configuration as `veille sources --json` lists them: (name, url, tags), sorted.
fn sources(config: &Path) -> Vec<(String, String, Vec<String>)> {
    let db = config.with_file_name("empty.db");
    veille::store::Store::open(&db).unwrap();
    let out = run(config, &["sources", "--json", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut all: Vec<(String, String, Vec<String>)> = stdout(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["name"].as_str().unwrap().to_owned(),
                v["url"].as_str().unwrap().to_owned(),
                v["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn an_opml_round_trip_keeps_names_urls_and_nested_tags_and_skips_duplicates() {
    let one = tempfile::tempdir().unwrap();
    let config = write_config_as_is(
        one.path(),
        "[[source]]\nname = \"Le Monde\"\nurl = \"https://lemonde.example/rss\"\n",
    );
    let out = run(
        &config,
        &[
            "sources",
            "import",
            fixture("subscriptions.opml").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let written = one.path().join("sources.d/import-subscriptions.toml");
    assert_eq!(
        stdout(&out).trim(),
        format!(
            "4 sources ajoutées dans {}\u{a0}; 2 doublons ignorés (adresses déjà suivies)\u{a0}; une entrée \
             sans adresse http(s) ignorée.",
            written.display()
        )
    );
    let check = run(&config, &["check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(
        stdout(&check).contains("(5 sources, 5 enabled;"),
        "{}",
        stdout(&check)
    );
    let tags = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let expected = vec![
        (
            "Le Monde".into(),
            "https://lemonde.example/rss".into(),
            vec![],
        ),
        (
            "Le Monde 2".into(),
            "https://autre.example/lemonde".into(),
            vec![],
        ),
        (
            "Libé 🥐".into(),
            "https://libe.example/rss".into(),
            tags(&["Presse « nationale »"]),
        ),
        (
            "Ouest-France & Bretagne".into(),
            "https://of.example/rss?x=1&y=2".into(),
            tags(&["Presse « nationale »", "Régions", "fr"]),
        ),
        (
            "blog.example".into(),
            "https://blog.example/feed".into(),
            vec![],
        ),
    ];
    assert_eq!(sources(&config), expected);

    // Again: everything is there already, and no file is written.
    let again = run(
        &config,
        &[
            "sources",
            "import",
            fixture("subscriptions.opml").to_str().unwrap(),
        ],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).starts_with("Aucune source ajoutée\u{a0}; 6 doublons ignorés"),
        "{}",
        stdout(&again)
    );
    assert_eq!(
        std::fs::read_dir(one.path().join("sources.d"))
            .unwrap()
            .count(),
        1
    );

    // Out as OPML 2.0, into an empty configuration: the same sources.
    let export = run(&config, &["sources", "export"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let xml = stdout(&export);
    assert!(xml.contains("<opml version=\"2.0\">"), "{xml}");
    assert!(
        xml.contains("text=\"Ouest-France &amp; Bretagne\""),
        "{xml}"
    );
    let two = tempfile::tempdir().unwrap();
    let opml = two.path().join("exported.opml");
    std::fs::write(&opml, &xml).unwrap();
    let config_two = write_config_as_is(two.path(), "");
    let out = veille()
        .arg("--config")
        .arg(&config_two)
        .args(["sources", "import", "--lang", "en"])
        .arg(&opml)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("5 sources added in "),
        "{}",
        stdout(&out)
    );
    assert_eq!(sources(&config_two), expected);
}

#[test]
fn a_name_given_in_two_files_of_the_sources_directory_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config_as_is(dir.path(), "sources_dir = \"flux\"\n");
    let flux = dir.path().join("flux");
    std::fs::create_dir(&flux).unwrap();
    std::fs::write(
        flux.join("a.toml"),
        "[[source]]\nname = \"presse\"\nurl = \"https://a.example/\"\n",
    )
    .unwrap();
    std::fs::write(
        flux.join("b.toml"),
        "\n[[source]]\nname = \"presse\"\nurl = \"https://b.example/\"\n",
    )
    .unwrap();
    let out = run(&config, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{}:3:8: source \"presse\": duplicate source name; it is already given at {}:2:8",
            flux.join("b.toml").display(),
            flux.join("a.toml").display()
        )),
        "{err}"
    );
    // A hostile OPML file is refused without writing anything.
    let bad = dir.path().join("bad.opml");
    std::fs::write(&bad, "<opml><body><outline text='x'></body>").unwrap();
    std::fs::remove_file(flux.join("b.toml")).unwrap();
    let out = run(&config, &["sources", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("malformed XML"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&flux).unwrap().count(), 1);
}
