//! The command line's fixed contracts, through the real binary: `check`, `fetch --json`, `run --once` then
//! `mentions --json`, `sources --json`, and `demo`; and its manners: every problem on one line at its
//! place, `-c`, `--db` on read commands, grep's exit codes for `rules test`, unknown ids refused, one
//! error prefix.

mod common;

use std::path::Path;

use common::{fixture, golden, run, stderr, stdout, veille, write_config};

#[test]
fn check_reports_every_mistake_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
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
        err.contains(&format!("{file}:2:18: retention_days must be")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:6:7: source \"presse\": unsupported URL scheme"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:11:12: source \"forum\": interval: invalid duration"
        )),
        "{err}"
    );
    assert!(
        err.ends_with("veille: error: 3 problem(s) in the configuration and its rules\n"),
        "{err}"
    );
}

/// Every line but the last of `check`'s stderr is one problem, `FILE:LINE:COL: message`.
fn problem_lines(err: &str) -> Vec<&str> {
    let lines: Vec<&str> = err.lines().collect();
    let (last, problems) = lines.split_last().expect("at least the count");
    assert!(last.starts_with("veille: error: "), "{err}");
    for line in problems {
        let mut parts = line.splitn(4, ':');
        let (file, l, c) = (parts.next(), parts.next(), parts.next());
        assert!(file.is_some_and(|f| f.ends_with(".toml")), "{line}");
        assert!(l.is_some_and(|n| n.parse::<usize>().is_ok()), "{line}");
        assert!(c.is_some_and(|n| n.parse::<usize>().is_ok()), "{line}");
    }
    problems.to_vec()
}

/// Guards: a forbidden key hid the rest of its table, configuration errors hid rule errors, a dotted key
/// and an inline array of sources had no line, a duration error printed on two lines, `concurrency = 0`
/// was silently made 1, and an interval of 20000000w passed `check` then aborted the daemon.
#[test]
fn check_lists_every_problem_of_the_configuration_and_the_rules_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config_as_is(
        dir.path(),
        "http.timeout = \"forever\"\nhttp.speed = 3\nhttp.concurrency = 0\nsource = [{ name = \"a\", url = \"a.xml\" }, { name = \"a\", url = \"b.xml\", interval = \"20000000w\" }]\n",
    );
    std::fs::write(
        dir.path().join("rules/a.toml"),
        "[[rule]]\nid = \"x\"\nname = \"x\"\nquery = \"acme OR\"\n",
    )
    .unwrap();
    let out = run(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let problems = problem_lines(&err);
    let file = config.display().to_string();
    let rules = dir.path().join("rules/a.toml").display().to_string();
    // write_config_as_is puts two lines before the body.
    let expected = [
        format!("{file}:3:16: [http] timeout: invalid duration \"forever\""),
        format!("{file}:4:6: [http]: unknown key `speed`"),
        format!("{file}:5:20: [http] concurrency: 0 fetches at once cannot work"),
        format!("{file}:6:51: source \"a\": duplicate source name \"a\""),
        format!("{file}:6:82: source \"a\": interval: \"20000000w\" is too long"),
        format!("{rules}:4:17: expected a term after OR"),
    ];
    assert_eq!(problems.len(), expected.len(), "{err}");
    for (line, want) in problems.iter().zip(&expected) {
        assert!(
            line.starts_with(want.as_str()),
            "{line}\nwanted {want}\n{err}"
        );
    }
    assert!(err.ends_with("veille: error: 6 problem(s) in the configuration and its rules\n"));

    // `run` reads the same way, so it refuses to start with the same list.
    let run_out = run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert_eq!(run_out.status.code(), Some(1));
    assert_eq!(stderr(&run_out), err);
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
        text.contains("démonstration sur 7 flux d'exemple"),
        "{text}"
    );
    assert!(text.contains("7 lus, 0 en échec, 24 mentions"), "{text}");
    assert!(
        text.contains("Grève dans les ateliers de Maison Brioche"),
        "{text}"
    );
    assert!(text.contains("Acme Telecom confirms data breach"), "{text}");
    // Detection: the critical mentions and the bad buzz with its explanation, and the email it would send.
    assert!(text.contains("règle brioche-boycott (critique)"), "{text}");
    assert!(text.contains("— Maison Brioche (bad buzz)"), "{text}");
    assert!(
        text.contains("9 sujets négatifs distincts (10 mentions négatives) le 10/03 entre 11 h et 12 h, alors que d'habitude il n'y en a aucune à cette heure"),
        "{text}"
    );
    // Two press sites picked up the journal's recall: one story, told as a pickup naming them.
    assert!(
        text.contains("Reprises\u{a0}: un article repris par 2 sites\u{a0}; presse\u{a0}: actu-lyon, fil-conso"),
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
    // The payloads' JSON (keys, kinds, severities) is a contract, the same in every language: only the
    // words around it are checked.
    let fr: String = stdout(&run(&["demo", "--no-web"]))
        .lines()
        .filter(|l| {
            let json = l.strip_prefix("  |").map(str::trim_start);
            !json.is_some_and(|j| j.starts_with(['"', '{', '}', '[', ']']))
        })
        .map(|l| format!("{l}\n"))
        .collect();
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
        stdout(&out).starts_with("veille — demo on 7 sample feeds"),
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

#[test]
fn c_is_short_for_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    let out = run(&["-c", config.to_str().unwrap(), "check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["check", "-c", "/nonexistent/veille.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/veille.toml: cannot read"));
}

#[test]
fn read_commands_take_db() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("feeds/rss2.xml"), dir.path().join("rss2.xml")).unwrap();
    let config = write_config(
        dir.path(),
        "[[source]]\nname = \"actu\"\nurl = \"rss2.xml\"\n",
    );
    let out = run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let db = dir.path().join("veille.db");
    let db = db.to_str().unwrap();
    // No configuration at all: `--db` is enough.
    let none = "/nonexistent/veille.toml";
    let out = run(&["mentions", "--json", "--db", db, "--config", none]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stdout(&out));
    for args in [
        &["sources", "--json"][..],
        &["alerts", "--json"],
        &["incidents", "--json"],
        &["incidents", "--open"],
        &["outbox", "--json"],
        &["silence", "list"],
    ] {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--db", db, "--config", none]);
        let out = run(&all);
        assert!(out.status.success(), "{all:?}: {}", stderr(&out));
    }
    // `--db` after a subcommand's own arguments, too.
    let out = run(&[
        "incidents",
        "show",
        "1",
        "--lang",
        "en",
        "--db",
        db,
        "--config",
        none,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("veille: error: no incident 1"),
        "{}",
        stderr(&out)
    );
    // With a configuration, `--db` wins over its database.
    let other = tempfile::tempdir().unwrap();
    let elsewhere = write_config(other.path(), "");
    let out = run(&[
        "mentions",
        "--json",
        "--db",
        db,
        "-c",
        elsewhere.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stderr(&out));
    // A database that is not there is an error naming it.
    let out = run(&["mentions", "--db", "/nonexistent/x.db", "--config", none]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("veille: error: cannot open the database given by --db"),
        "{err}"
    );
    assert!(err.contains("/nonexistent/x.db"), "{err}");
}

#[test]
fn rules_test_exits_like_grep_and_detects_the_language_on_request() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rules = rules.to_str().unwrap();
    let test = |args: &[&str]| {
        let mut all = vec!["rules", "test", "--rules", rules];
        all.extend_from_slice(args);
        run(&all)
    };
    let out = test(&["Boycott Acme Telecom now!"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = test(&["une recette de brioche maison"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("no rule matches"));
    // The Acme billing rule is for English texts: with `--lang auto` a French text does not match it.
    let english = "Acme hidden fees again, I want a refund for my phone bill";
    let french = "Acme et ses hidden fees : je veux un refund, c'est honteux";
    let out = test(&["--lang", "auto", "--json", english]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("acme-billing"), "{}", stdout(&out));
    let out = test(&["--lang", "auto", "--json", french]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert_eq!(stdout(&out), "{\"matches\":[]}\n");
    // Without `--lang`, language filters are not applied: the French text matches.
    let out = test(&["--json", french]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // An error is 2.
    let out = run(&["rules", "test", "--rules", "/nonexistent/rules", "acme"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("veille: error: "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_ids_are_errors_naming_the_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("feeds/rss2.xml"), dir.path().join("rss2.xml")).unwrap();
    let config = write_config(
        dir.path(),
        "[[source]]\nname = \"actu\"\nurl = \"rss2.xml\"\n",
    );
    std::fs::write(
        dir.path().join("rules/a.toml"),
        "[[rule]]\nid = \"acme\"\nname = \"Acme\"\nquery = \"acme\"\n[[watch]]\nid = \"w\"\nquery = \"acme\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let out = run(&["run", "--once", "--config", config]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (args, id) in [
        (&["mentions", "--rule", "nope"][..], "\"nope\""),
        (&["mentions", "--source", "nope"], "\"nope\""),
        (&["incidents", "show", "99999"], "99999"),
        (&["incidents", "ack", "99999"], "99999"),
        (&["silence", "remove", "99999"], "99999"),
        (
            &[
                "silence", "add", "--watch", "nope", "--for", "1h", "--reason", "x",
            ],
            "\"nope\"",
        ),
        (
            &[
                "silence", "add", "--rule", "nope", "--for", "1h", "--reason", "x",
            ],
            "\"nope\"",
        ),
    ] {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--config", config]);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(1), "{all:?}");
        let err = stderr(&out);
        assert!(err.starts_with("veille: error: "), "{all:?}: {err}");
        assert!(err.contains(id), "{all:?}: {err}");
    }
    // Known ids with nothing to show are not errors.
    for args in [
        &["mentions", "--rule", "acme"][..],
        &["mentions", "--source", "actu", "--since", "1m"],
    ] {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--config", config]);
        let out = run(&all);
        assert!(out.status.success(), "{all:?}: {}", stderr(&out));
    }
    // Nothing was silenced by the refused commands.
    let out = run(&["silence", "list", "--json", "--config", config]);
    assert_eq!(stdout(&out), "");
}

#[test]
fn every_command_says_errors_with_one_prefix() {
    // Guards `--since 20000000w`, which overflowed the clock and panicked.
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "");
    let config = config.to_str().unwrap();
    for (args, code) in [
        (&["fetch", "/nonexistent/feed.xml"][..], 1),
        (&["sources", "--config", "/nonexistent/veille.toml"], 1),
        (&["mentions", "--since", "20000000w", "--config", config], 2),
        (&["mentions", "--since", "soon", "--config", config], 2),
        (&["status", "--stale", "soon", "--config", config], 2),
        (&["mentions", "--config", config], 1), // no database yet
        (&["no-such-command"], 2),
        (&["mentions", "--limit", "many"], 2),
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.starts_with("veille: error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // Help is not an error.
    let out = run(&["--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("Usage"));
}
