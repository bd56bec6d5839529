//! The alert lifecycle through the real binary and a real SQLite file: a feed calling for a boycott of
//! « Maison Brioche » goes through `veille run --once`, then `veille alerts`, `veille incidents`
//! (`show`, `ack`) and `veille silence` (`add`, `list`, `remove`) read and change what detection recorded.

mod common;

use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use common::{golden, run, stderr, stdout, write_config};
use serde_json::Value;

/// One item of the test feed.
struct Item {
    guid: &'static str,
    title: &'static str,
    text: &'static str,
    author: &'static str,
    minutes_ago: i64,
}

const BOYCOTT: Item = Item {
    guid: "forum-1",
    title: "Boycott de Maison Brioche !",
    text: "Appel au boycott de Maison Brioche : n'achetez plus chez eux, c'est une honte et un scandale.",
    author: "claire@example.org (Claire)",
    minutes_ago: 6,
};

const PRAISE: Item = Item {
    guid: "forum-2",
    title: "Nouvelle boutique à Lyon",
    text: "Une nouvelle boutique Maison Brioche ouvre à Lyon, les croissants sont délicieux.",
    author: "marc@example.org (Marc)",
    minutes_ago: 5,
};

const SECOND_BOYCOTT: Item = Item {
    guid: "forum-3",
    title: "Je boycotte Maison Brioche",
    text: "Boycott total de Maison Brioche après ce scandale, c'est honteux.",
    author: "paul@example.org (Paul)",
    minutes_ago: 2,
};

/// An RSS 2.0 feed of French forum posts, published a few minutes before now.
fn write_feed(path: &Path, items: &[&Item]) {
    let now = Utc::now();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Forum conso</title><link>https://forum.example/</link><description>Avis</description>\
         <language>fr</language>\n",
    );
    for i in items {
        xml.push_str(&format!(
            "<item><guid>{}</guid><title>{}</title><link>https://forum.example/{}</link><author>{}</author>\
             <pubDate>{}</pubDate><description>{}</description></item>\n",
            i.guid,
            i.title,
            i.guid,
            i.author,
            (now - Duration::minutes(i.minutes_ago)).to_rfc2822(),
            i.text
        ));
    }
    xml.push_str("</channel></rss>\n");
    std::fs::write(path, xml).unwrap();
}

/// A configuration with the forum feed and the example rules of Maison Brioche.
fn setup(dir: &Path) -> PathBuf {
    let config = write_config(dir, "[[source]]\nname = \"forum\"\nurl = \"forum.xml\"\n");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/maison-brioche.toml"),
        dir.join("rules/maison-brioche.toml"),
    )
    .unwrap();
    config
}

fn veille_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "veille {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn json_lines(args: &[&str]) -> Vec<Value> {
    veille_ok(args)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_boycott_call_is_alerted_acknowledged_and_silenced() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let config = config.to_str().unwrap();
    let feed = dir.path().join("forum.xml");
    write_feed(&feed, &[&BOYCOTT, &PRAISE]);

    let summary = veille_ok(&["run", "--once", "--config", config]);
    assert!(summary.contains("2 new mentions"), "{summary}");

    // One critical alert for the boycott rule, mailed (queued), and its incident open.
    let alerts = json_lines(&["alerts", "--json", "--config", config]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["kind"], "critical_mention");
    assert_eq!(alert["rule"], "brioche-boycott");
    assert_eq!(alert["watch"], "maison-brioche");
    assert_eq!(alert["mention"], "forum/forum-1");
    assert_eq!(alert["notify"], true);
    let incidents = json_lines(&["incidents", "--json", "--config", config]);
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let incident = &incidents[0];
    assert_eq!(incident["status"], "open");
    assert_eq!(incident["kind"], "critical_mention");
    assert_eq!(incident["rule"], "brioche-boycott");
    assert!(incident["resolved_at"].is_null());
    assert_eq!(alert["incident"], incident["id"]);
    let opened = chrono::DateTime::parse_from_rfc3339(incident["opened_at"].as_str().unwrap())
        .expect("times are RFC 3339");
    assert!(
        (Utc::now() - opened.with_timezone(&Utc))
            .num_minutes()
            .abs()
            < 5
    );
    let id = incident["id"].as_i64().unwrap().to_string();
    assert_eq!(
        json_lines(&["incidents", "--open", "--json", "--config", config]).len(),
        1
    );
    let table = veille_ok(&["incidents", "--config", config]);
    assert!(table.contains("maison-brioche/brioche-boycott"), "{table}");
    assert!(table.contains(" en cours "), "{table}");
    assert!(table.contains("ÉTAT"), "French headers by default: {table}");
    let english = veille_ok(&["incidents", "--lang", "en", "--config", config]);
    assert!(
        english.contains(" open ") && english.contains("STATUS"),
        "{english}"
    );

    // The same feed again: nothing new is recorded.
    veille_ok(&["run", "--once", "--config", config]);
    assert_eq!(
        json_lines(&["alerts", "--json", "--config", config]).len(),
        1
    );
    assert_eq!(
        json_lines(&["incidents", "--json", "--config", config]).len(),
        1
    );

    // `show`: the rule, the mention and its terms, the timeline.
    let shown = veille_ok(&["incidents", "show", &id, "--config", config]);
    assert!(shown.contains("brioche-boycott"), "{shown}");
    assert!(
        shown.contains("Appel au boycott de Maison Brioche"),
        "the rule's name from the rule files: {shown}"
    );
    assert!(shown.contains("Boycott de Maison Brioche !"), "{shown}");
    assert!(shown.contains("Mentions critiques"), "{shown}");
    assert!(shown.contains("Chronologie"), "{shown}");
    assert!(shown.contains("Claire"), "{shown}");
    let english = veille_ok(&["incidents", "show", &id, "--lang", "en", "--config", config]);
    assert!(english.contains("Timeline"), "{english}");
    assert!(english.contains("Critical mention of"), "{english}");
    let full = json_lines(&["incidents", "show", &id, "--json", "--config", config]);
    assert_eq!(full.len(), 1);
    assert_eq!(full[0]["incident"]["id"].to_string(), id);
    assert_eq!(full[0]["events"].as_array().unwrap().len(), 1);
    assert_eq!(full[0]["decisions"][0]["type"], "critical_mention");
    assert_eq!(
        full[0]["decisions"][0]["title"],
        "Boycott de Maison Brioche !"
    );

    // Acknowledged by camille: on the incident and in its timeline.
    let done = veille_ok(&[
        "incidents",
        "ack",
        &id,
        "--by",
        "camille",
        "--note",
        "on s'en occupe",
        "--config",
        config,
    ]);
    assert!(done.contains("pris en charge par camille"), "{done}");
    let shown = veille_ok(&["incidents", "show", &id, "--config", config]);
    let timeline = &shown[shown.find("Chronologie").unwrap()..];
    assert!(
        timeline.contains("Pris en charge par camille"),
        "{timeline}"
    );
    assert!(timeline.contains("on s'en occupe"), "{timeline}");
    let incident = &json_lines(&["incidents", "--json", "--config", config])[0];
    assert_eq!(incident["status"], "acknowledged");
    assert_eq!(incident["acknowledged_by"], "camille");
    assert_eq!(incident["ack_note"], "on s'en occupe");

    // Unknown ids: exit 1 with a clear message.
    for args in [
        &[
            "incidents",
            "ack",
            "999",
            "--by",
            "camille",
            "--config",
            config,
        ][..],
        &["incidents", "show", "999", "--config", config][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("aucun incident 999"),
            "{}",
            stderr(&out)
        );
    }

    // A silence on the rule: the next boycott call is recorded, not mailed.
    let added = veille_ok(&[
        "silence",
        "add",
        "--rule",
        "brioche-boycott",
        "--for",
        "2h",
        "--reason",
        "test",
        "--config",
        config,
    ]);
    assert!(added.contains("brioche-boycott"), "{added}");
    let silences = json_lines(&["silence", "list", "--json", "--config", config]);
    assert_eq!(silences.len(), 1, "{silences:?}");
    let silence = &silences[0];
    assert_eq!(silence["target_kind"], "rule");
    assert_eq!(silence["target"], "brioche-boycott");
    assert_eq!(silence["reason"], "test");
    let until = chrono::DateTime::parse_from_rfc3339(silence["until"].as_str().unwrap()).unwrap();
    let left = until.with_timezone(&Utc) - Utc::now();
    assert!(
        left > Duration::minutes(110) && left <= Duration::minutes(120),
        "{left}"
    );
    let silence_id = silence["id"].as_i64().unwrap().to_string();
    assert!(
        added.contains(&format!("Silence {silence_id}")),
        "the id is printed: {added}"
    );

    write_feed(&feed, &[&BOYCOTT, &PRAISE, &SECOND_BOYCOTT]);
    let summary = veille_ok(&["run", "--once", "--config", config]);
    assert!(summary.contains("1 new mentions"), "{summary}");
    // The second call joins the open incident: counted into it, told with the others by the rule's next
    // update (here silenced), never an alert of its own (issue 16: a flood is one incident).
    let alerts = json_lines(&["alerts", "--json", "--config", config]);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["notify"], true);
    let incident = &json_lines(&["incidents", "--json", "--config", config])[0];
    assert_eq!(incident["status"], "silenced");
    assert_eq!(incident["mentions"], 2);
    let shown = veille_ok(&["incidents", "show", &id, "--config", config]);
    assert!(shown.contains("Je boycotte Maison Brioche"), "{shown}");
    assert!(shown.contains("Mis en sourdine"), "{shown}");
    assert!(
        shown.contains("1 mention critique de plus"),
        "the update is in the timeline: {shown}"
    );
    let table = veille_ok(&["alerts", "--config", config]);
    assert_eq!(
        table.lines().count(),
        3,
        "a header, the alert, the zone: {table}"
    );

    // Removing the silence ends it; removing it again is an error.
    let removed = veille_ok(&["silence", "remove", &silence_id, "--config", config]);
    assert!(removed.contains("levé"), "{removed}");
    assert!(json_lines(&["silence", "list", "--json", "--config", config]).is_empty());
    let incident = &json_lines(&["incidents", "--json", "--config", config])[0];
    assert_eq!(incident["status"], "acknowledged");
    let out = run(&["silence", "remove", &silence_id, "--config", config]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("aucun silence {silence_id} en cours")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_silence_needs_a_positive_duration_and_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let config = config.to_str().unwrap();
    write_feed(&dir.path().join("forum.xml"), &[&PRAISE]);
    veille_ok(&["run", "--once", "--config", config]);

    for (args, expected) in [
        (
            &["--for", "0h", "--reason", "test"][..],
            "a silence lasts a positive time",
        ),
        (
            &["--for", "-2h", "--reason", "test"][..],
            "a silence lasts a positive time",
        ),
        (&["--for", "deux heures", "--reason", "test"][..], "--for"),
        (
            &["--for", "2h", "--reason", "  "][..],
            "--reason must say why",
        ),
        (&["--for", "2h"][..], "--reason"),
    ] {
        let mut all = vec!["silence", "add", "--rule", "brioche-boycott"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--config", config]);
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{all:?}: {}", stderr(&out));
    }
    let out = run(&[
        "silence", "add", "--for", "2h", "--reason", "test", "--config", config,
    ]);
    assert_eq!(out.status.code(), Some(2), "a watch or a rule is required");
    assert!(json_lines(&["silence", "list", "--json", "--config", config]).is_empty());

    // An id no rule file knows would silence nothing: an error naming it, and nothing is recorded.
    let out = run(&[
        "silence",
        "add",
        "--watch",
        "maison-brioch",
        "--for",
        "30m",
        "--reason",
        "typo",
        "--by",
        "camille",
        "--config",
        config,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("veille: error: no watch \"maison-brioch\""),
        "{}",
        stderr(&out)
    );
    assert!(json_lines(&["silence", "list", "--json", "--config", config]).is_empty());
    let out = run(&[
        "silence",
        "add",
        "--watch",
        "maison-brioche",
        "--for",
        "30m",
        "--reason",
        "known",
        "--by",
        "camille",
        "--config",
        config,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let silences = json_lines(&["silence", "list", "--json", "--config", config]);
    assert_eq!(silences.len(), 1);
    assert_eq!(silences[0]["created_by"], "camille");
}

#[test]
fn writing_commands_never_create_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let config = config.to_str().unwrap();
    for args in [
        &["incidents", "ack", "1", "--config", config][..],
        &[
            "silence",
            "add",
            "--rule",
            "brioche-boycott",
            "--for",
            "1h",
            "--reason",
            "x",
            "--config",
            config,
        ][..],
        &["silence", "remove", "1", "--config", config][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("has `veille run` been started"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!dir.path().join("veille.db").exists());
    // Reading commands say the same.
    let out = run(&["incidents", "--config", config]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot open the database"));
}

#[test]
fn empty_lists_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let config = config.to_str().unwrap();
    write_feed(&dir.path().join("forum.xml"), &[&PRAISE]);
    veille_ok(&["run", "--once", "--config", config]);
    assert!(veille_ok(&["incidents", "--config", config]).contains("Aucun incident"));
    assert!(veille_ok(&["incidents", "--open", "--config", config]).contains("en cours"));
    assert!(veille_ok(&["alerts", "--config", config]).contains("Aucune alerte"));
    assert!(veille_ok(&["incidents", "--json", "--config", config]).is_empty());
    assert!(veille_ok(&["alerts", "--json", "--config", config]).is_empty());
}

/// `incidents show` reads the same from top to bottom in each language, on the Paris clock, with the zone
/// named once: the demo's database (a fixed clock) shown in French and English, checked whole against golden
/// files (`VEILLE_BLESS=1 cargo test --test incidents` writes them again after a deliberate change).
#[test]
fn an_incident_reads_in_one_language_and_on_one_clock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run(&["demo", "--no-web", "--db", db.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let config = dir.path().join("veille.toml");
    std::fs::write(
        &config,
        format!(
            "database = {:?}\nrules = {:?}\n",
            db.display().to_string(),
            rules.display().to_string()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let bad_buzz = json_lines(&["incidents", "--json", "--config", config])
        .into_iter()
        .find(|i| i["kind"] == "bad_buzz")
        .expect("the demo opens a bad buzz");
    let id = bad_buzz["id"].to_string();
    for lang in ["fr", "en"] {
        let shown = veille_ok(&["incidents", "show", &id, "--lang", lang, "--config", config]);
        golden(&format!("incident.{lang}.txt"), &shown);
        let critical = veille_ok(&["incidents", "show", "1", "--lang", lang, "--config", config]);
        golden(&format!("incident-critical.{lang}.txt"), &critical);
    }
    let en = veille_ok(&["incidents", "show", &id, "--lang", "en", "--config", config]);
    for french in [
        "Chronologie",
        "négati",
        "habitude",
        "alerte",
        "en cours",
        "ouvert",
        "Heures",
    ] {
        assert!(!en.contains(french), "{french:?} in:\n{en}");
    }
    let fr = veille_ok(&["incidents", "show", &id, "--config", config]);
    for english in [
        "Timeline", "negative", "usually", "warning", "open", "opened", "Times in", "UTC ",
    ] {
        assert!(!fr.contains(english), "{english:?} in:\n{fr}");
    }
    // The same moment on the same clock in the table, the page and the JSON (which keeps RFC 3339).
    assert!(fr.contains("ouvert            10/03/2026 11:00"), "{fr}");
    assert_eq!(bad_buzz["opened_at"], "2026-03-10T10:00:00Z");
    let table = veille_ok(&["incidents", "--config", config]);
    assert!(table.contains("10/03/2026 11:00  bad buzz"), "{table}");
    // `veille status` on the same database: the service's health in one language, the open incidents on a
    // line of their own (news, not a failure), times on the same clock. The demo fetched at its fixed
    // moment, so a long --stale keeps the verdict fixed too.
    for lang in ["fr", "en"] {
        let out = run(&[
            "status",
            "--db",
            db.to_str().unwrap(),
            "--stale",
            "520w",
            "--lang",
            lang,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        golden(&format!("status.{lang}.txt"), &stdout(&out));
    }
    let out = run(&[
        "status",
        "--db",
        db.to_str().unwrap(),
        "--stale",
        "520w",
        "--fail-on-incident",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "open incidents fail the check when asked: {}",
        stdout(&out)
    );
}
