//! The command line's fixed contracts, through the real binary: `check`, `fetch --json`, `run --once` then
//! `mentions --json`, `sources --json`, and `demo`.

mod common;

use common::{fixture, golden, run, stderr, stdout, veille, write_config};

#[test]
fn check_reports_every_mistake_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("veille.toml");
    std::fs::write(
        &config,
        "database = \"veille.db\"\nretention_days = \"long\"\n\n[[source]]\nname = \"presse\"\nurl = \"gopher://presse.example/\"\n\n[[source]]\nname = \"forum\"\nurl = \"forum.xml\"\ninterval = \"tout le temps\"\n",
    )
    .unwrap();
    let out = run(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let file = config.display().to_string();
    assert!(
        err.contains(&format!("{file}:2: retention_days must be")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:6: source \"presse\": unsupported URL scheme"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:11: source \"forum\": interval: invalid duration"
        )),
        "{err}"
    );
    assert!(err.contains("3 problem(s)"), "{err}");
}

#[test]
fn check_accepts_a_valid_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n");
    let out = run(&["check", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok (1 sources, 1 enabled"));
}

#[test]
fn check_on_a_missing_file_says_so() {
    let out = run(&["check", "--config", "/nonexistent/veille.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/veille.toml: cannot read the configuration"));
}

#[test]
fn fetch_json_prints_one_object_per_item() {
    let out = run(&[
        "fetch",
        "--json",
        fixture("feeds/latin1.xml").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    let item = &lines[0];
    for key in ["id", "link", "title", "text", "author", "published", "lang"] {
        assert!(item.get(key).is_some(), "missing {key} in {item}");
    }
    assert_eq!(item["title"], "Café crème : la grève chez Acme se durcit");
    assert!(item["link"].is_null());
    assert_eq!(item["author"], "Hélène Garçon");
}

#[test]
fn fetch_of_bad_input_exits_1_with_the_error() {
    for (name, expected) in [
        ("feeds/page.html", "not a feed: got an HTML page"),
        ("feeds/truncated.xml", "XML error at line"),
        ("feeds/does-not-exist.xml", "cannot read"),
    ] {
        let out = run(&["fetch", "--json", fixture(name).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(stdout(&out).is_empty(), "{name}");
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
    }
}

/// Guards the feed-rs 3.0 / quick-xml 0.42 panic on a second XML declaration inside `<channel>`: the command
/// must exit 0 or 1, never with a panic.
#[test]
fn fetch_survives_a_second_xml_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.xml");
    std::fs::write(
        &path,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>a</title><?xml version=\"1.0\" encoding=\"ISO-8859-1\"?></channel></rss>",
    )
    .unwrap();
    let out = run(&["fetch", "--json", path.to_str().unwrap()]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?} {}",
        out.status,
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn run_once_then_mentions_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("feeds/rss2.xml"), dir.path().join("rss2.xml")).unwrap();
    std::fs::copy(fixture("feeds/atom.xml"), dir.path().join("atom.xml")).unwrap();
    let config = write_config(
        dir.path(),
        "[[source]]\nname = \"actu\"\nurl = \"rss2.xml\"\n[[source]]\nname = \"blog\"\nurl = \"file://ATOM\"\n"
            .replace("ATOM", dir.path().join("atom.xml").to_str().unwrap())
            .as_str(),
    );
    let config = config.to_str().unwrap();
    let out = run(&["run", "--once", "--config", config]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 sources ok, 0 failed; 4 items, 4 new mentions"),
        "{}",
        stdout(&out)
    );

    let out = run(&["mentions", "--config", config, "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    for row in &rows {
        for key in ["id", "source", "title", "text", "published"] {
            assert!(row.get(key).is_some(), "missing {key} in {row}");
        }
    }
    assert!(
        rows.iter()
            .any(|r| r["source"] == "actu" && r["text"] == "L’offre d’Acme est très attendue.")
    );

    let out = run(&[
        "mentions", "--config", config, "--json", "--source", "blog", "--limit", "1",
    ]);
    assert_eq!(stdout(&out).lines().count(), 1);

    let out = run(&["sources", "--config", config, "--json"]);
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["state"]["mentions"], 2);
}

#[test]
fn run_once_exits_0_when_sources_fail_and_1_when_the_config_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[[source]]\nname = \"missing\"\nurl = \"missing.xml\"\n",
    );
    let out = run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("0 sources ok, 1 failed"));

    std::fs::write(&config, "bogus = 1\n").unwrap();
    let out = run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown key \"bogus\""));
}

#[test]
fn run_once_with_an_unusable_database_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("not-a-dir"), "x").unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    let config = dir.path().join("veille.toml");
    std::fs::write(&config, "database = \"not-a-dir/veille.db\"\n").unwrap();
    let out = run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not-a-dir/veille.db"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn demo_runs_offline_and_shows_mentions() {
    let out = run(&["demo", "--no-web"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("démonstration sur 5 flux d'exemple"),
        "{text}"
    );
    assert!(text.contains("5 lus, 0 en échec, 22 mentions"), "{text}");
    assert!(
        text.contains("Grève dans les ateliers de Maison Brioche"),
        "{text}"
    );
    assert!(text.contains("Acme Telecom confirms data breach"), "{text}");
    // Detection: the critical mentions and the bad buzz with its explanation, and the email it would send.
    assert!(text.contains("règle brioche-boycott (critique)"), "{text}");
    assert!(text.contains("— Maison Brioche (bad buzz)"), "{text}");
    assert!(
        text.contains("8 mentions négatives le 10/03 entre 11 h et 12 h, alors que d'habitude il n'y en a aucune à cette heure"),
        "{text}"
    );
    assert!(text.contains("Objet\u{a0}: [veille] "), "{text}");
    assert!(
        text.contains("Bad buzz détecté sur «\u{a0}Maison Brioche\u{a0}»"),
        "the words name the brand, not the watch id: {text}"
    );
    assert!(text.contains("veille incidents ack"), "{text}");
}

/// The demo reads the same from top to bottom in each language, and two runs print the same thing: the
/// golden files under tests/golden/ are what a reader sees (`VEILLE_BLESS=1 cargo test --test cli` writes
/// them again after a deliberate change).
#[test]
fn the_demo_is_deterministic_and_speaks_one_language() {
    for lang in ["fr", "en"] {
        let first = run(&["demo", "--no-web", "--lang", lang]);
        assert!(first.status.success(), "{}", stderr(&first));
        let second = run(&["demo", "--no-web", "--lang", lang]);
        assert_eq!(stdout(&first), stdout(&second), "two runs differ");
        golden(&format!("demo.{lang}.txt"), &stdout(&first));
    }
    let en = stdout(&run(&["demo", "--no-web", "--lang", "en"]));
    // Mention texts are French; the product's own words are not.
    for french in [
        "Historique",
        "règle",
        "critique",
        "négatif",
        "ouvert le",
        "Heures en",
        "en cours",
        "Objet",
    ] {
        assert!(
            !en.contains(french),
            "{french:?} in the English demo:\n{en}"
        );
    }
    let fr = stdout(&run(&["demo", "--no-web"]));
    for english in [
        "History", " rule ", "critical", "negative", "opened", "Times in", "Subject",
    ] {
        assert!(
            !fr.contains(english),
            "{english:?} in the French demo:\n{fr}"
        );
    }
    // LANG picks the language when no --lang is given.
    let out = veille()
        .args(["demo", "--no-web"])
        .env("LANG", "en_GB.UTF-8")
        .output()
        .unwrap();
    assert!(
        stdout(&out).starts_with("veille — demo on 5 sample feeds"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_refuses_detection_settings_that_cannot_work() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    std::fs::write(
        dir.path().join("rules/brand.toml"),
        "[[watch]]\nid = \"acme\"\nquery = \"acme\"\n\n[watch.detection]\nbucket = \"7m\"\n",
    )
    .unwrap();
    let out = run(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("brand.toml:2:"),
        "the watch is located in its file: {err}"
    );
    assert!(
        err.contains("watch \"acme\": [watch.detection] bucket 7m does not divide a day"),
        "{err}"
    );
}
