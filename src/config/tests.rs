//! The configuration reader: every problem, at the place the TOML parser gives, on one line each.

use super::*;

fn load(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_text(Path::new("/etc/veille/veille.toml"), text)
}

/// The problems of `text`, as printed.
fn problems(text: &str) -> Vec<String> {
    load(text)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_full_file_reads() {
    let c = load(
        r#"
database = "/var/lib/veille/veille.db"
rules = "rules"
retention_days = 90
interval = "10m"

[http]
timeout = "20s"
per_host = 1

[[source]]
name = "presse"
url = "https://presse.example/rss"
tags = ["presse", "fr"]

[[source]]
name = "local"
url = "feeds/local.xml"
interval = "1h"
enabled = false
"#,
    )
    .unwrap();
    assert_eq!(c.database, PathBuf::from("/var/lib/veille/veille.db"));
    assert_eq!(c.rules, PathBuf::from("/etc/veille/rules"));
    assert_eq!(c.retention_days, 90);
    assert_eq!(c.http.timeout, Interval::secs(20));
    assert_eq!(c.http.per_host, 1);
    assert_eq!(c.sources.len(), 2);
    assert_eq!(c.sources[0].interval, Interval::secs(600));
    assert_eq!(c.sources[0].tags, vec!["presse", "fr"]);
    assert_eq!(
        c.sources[1].location,
        Location::File(PathBuf::from("/etc/veille/feeds/local.xml"))
    );
    assert_eq!(c.sources[1].interval, Interval::secs(3600));
    assert!(!c.sources[1].enabled);
}

#[test]
fn every_problem_is_reported_with_its_line_and_column() {
    let shown = problems(
        r#"database = "x.db"
colour = "blue"

[[source]]
name = "a"
url = "ftp://a.example/x"

[[source]]
name = "b"
urll = "https://b.example/"
interval = "5 fortnights"
"#,
    );
    let f = "/etc/veille/veille.toml";
    assert_eq!(shown.len(), 5, "{shown:#?}");
    assert!(
        shown[0].starts_with(&format!("{f}:2:1: unknown key \"colour\"")),
        "{shown:#?}"
    );
    assert!(
        shown[1].starts_with(&format!("{f}:6:7: source \"a\": unsupported URL scheme")),
        "{shown:#?}"
    );
    assert_eq!(
        shown[2],
        format!("{f}:8:1: source \"b\": missing key \"url\"")
    );
    assert!(
        shown[3].starts_with(&format!("{f}:10:1: source \"b\": unknown key \"urll\"")),
        "{shown:#?}"
    );
    assert!(
        shown[4].starts_with(&format!(
            "{f}:11:12: source \"b\": interval: invalid duration"
        )),
        "{shown:#?}"
    );
}

#[test]
fn a_dotted_key_gets_its_line_and_one_line_of_message() {
    // Regression: `http.timeout = "forever"` had no line, and the duration error printed on two lines.
    let shown = problems("database = \"x.db\"\nhttp.timeout = \"forever\"\n");
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert!(
        shown[0].starts_with(
            "/etc/veille/veille.toml:2:16: [http] timeout: invalid duration \"forever\""
        ),
        "{shown:#?}"
    );
    assert!(!shown[0].contains('\n'));
}

#[test]
fn an_inline_array_of_sources_gets_lines() {
    // Regression: sources written as an inline array got no line at all.
    let shown = problems(
        "source = [\n  { name = \"a\", url = \"a.xml\" },\n  { name = \"b\", url = \"gopher://b\" },\n  { name = \"a\", url = \"c.xml\", colour = 1 },\n]\n",
    );
    assert_eq!(shown.len(), 3, "{shown:#?}");
    assert!(
        shown[0].starts_with("/etc/veille/veille.toml:3:23: source \"b\": unsupported URL scheme"),
        "{shown:#?}"
    );
    assert_eq!(
        shown[1],
        "/etc/veille/veille.toml:4:12: source \"a\": duplicate source name \"a\"; names must be unique (first at line 2)"
    );
    assert!(
        shown[2].starts_with("/etc/veille/veille.toml:4:32: source \"a\": unknown key \"colour\""),
        "{shown:#?}"
    );
}

#[test]
fn an_inline_table_is_read_like_a_table() {
    let c = load("http = { timeout = \"5s\", per_host = 3 }\n").unwrap();
    assert_eq!(c.http.timeout, Interval::secs(5));
    assert_eq!(c.http.per_host, 3);
    let shown = problems("http = { timeout = \"5s\", per_host = \"three\" }\n");
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert!(
        shown[0].starts_with("/etc/veille/veille.toml:1:37: [http] per_host: invalid type"),
        "{shown:#?}"
    );
}

#[test]
fn several_problems_of_one_table_are_all_listed() {
    // Regression: a forbidden key hid the rest of its table.
    let shown = problems(
        "[http]\nspeed = 3\ntimeout = \"forever\"\nconcurrency = 0\nper_host = 0\ncolour = \"blue\"\n",
    );
    let f = "/etc/veille/veille.toml";
    assert_eq!(shown.len(), 5, "{shown:#?}");
    assert!(shown[0].starts_with(&format!("{f}:2:1: [http]: unknown key `speed`")));
    assert!(shown[1].starts_with(&format!("{f}:3:11: [http] timeout: invalid duration")));
    assert!(
        shown[2].starts_with(&format!("{f}:4:15: [http] concurrency: 0 fetches at once")),
        "{shown:#?}"
    );
    assert!(shown[3].starts_with(&format!("{f}:5:12: [http] per_host: 0 fetches at once")));
    assert!(shown[4].starts_with(&format!("{f}:6:1: [http]: unknown key `colour`")));
}

#[test]
fn values_that_would_be_changed_silently_or_overflow_are_refused() {
    // Regression: `concurrency = 0` was turned into 1, and an interval of 20000000w passed the check and
    // then aborted the daemon.
    for (text, expected) in [
        (
            "[http]\nconcurrency = 0\n",
            ":2:15: [http] concurrency: 0 fetches",
        ),
        (
            "[http]\nper_host = 0\n",
            ":2:12: [http] per_host: 0 fetches",
        ),
        (
            "[http]\nmax_body_bytes = 0\n",
            ":2:18: [http] max_body_bytes: 0 would refuse",
        ),
        (
            "[http]\ntimeout = \"0s\"\n",
            ":2:11: [http] timeout: \"0ms\" is too short",
        ),
        (
            "[http]\nmax_backoff = \"20000000w\"\n",
            ":2:15: [http] max_backoff: \"20000000w\" is too long: the most is 30d",
        ),
        (
            "[http]\nread_budget = \"1ms\"\n",
            ":2:15: [http] read_budget: \"1ms\" is too short: the least is 10ms",
        ),
        (
            "interval = \"20000000w\"\n",
            ":1:12: interval: \"20000000w\" is too long: the most is 30d",
        ),
        (
            "interval = \"400d\"\n",
            ":1:12: interval: \"400d\" is too long: the most is 30d",
        ),
        (
            "interval = \"1s\"\n",
            ":1:12: interval: \"1s\" is too short: the least is 10s",
        ),
        (
            "[[source]]\nname = \"a\"\nurl = \"a.xml\"\ninterval = \"99999d\"\n",
            ":4:12: source \"a\": interval: \"99999d\" is too long",
        ),
        (
            "[email]\nserver = \"smtp://127.0.0.1\"\nfrom = \"v@example.fr\"\nto = [\"a@example.fr\"]\ntimeout = \"2d\"\n",
            ":5:11: [email] timeout: \"2d\" is too long",
        ),
    ] {
        let shown = problems(text);
        assert_eq!(shown.len(), 1, "{text}: {shown:#?}");
        assert!(shown[0].contains(expected), "{text}: {shown:#?}");
    }
}

#[test]
fn missing_keys_name_the_table() {
    let shown = problems("[[source]]\nname = \"a\"\n");
    assert_eq!(
        shown,
        vec!["/etc/veille/veille.toml:1:1: source \"a\": missing key \"url\""]
    );
}

#[test]
fn duplicate_names_are_refused_with_the_first_place() {
    let shown = problems(
        "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n[[source]]\nname = \"a\"\nurl = \"b.xml\"\n",
    );
    assert_eq!(
        shown,
        vec![
            "/etc/veille/veille.toml:5:8: source \"a\": duplicate source name \"a\"; names must be unique (first at line 2)"
        ]
    );
}

#[test]
fn syntax_errors_give_the_line_and_column() {
    let err = load("database = \"x.db\"\n[[source]\nname = 1\n").unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert_eq!(err.0[0].line, Some(2), "{err}");
    assert!(err.0[0].column.is_some(), "{err}");
    assert!(err.0[0].message.starts_with("TOML syntax error"));
    assert!(!err.to_string().contains('\n'), "{err}");
}

#[test]
fn metrics_must_stay_on_loopback_unless_allowed() {
    let shown = problems("[metrics]\nlisten = \"0.0.0.0:9808\"\n");
    assert!(
        shown[0].contains(":2:10: [metrics] listen = \"0.0.0.0:9808\" is not a loopback address"),
        "{shown:#?}"
    );
    let ok = load("[metrics]\nlisten = \"0.0.0.0:9808\"\nallow_remote = true\n").unwrap();
    assert!(ok.metrics.is_some());
}

#[test]
fn the_email_password_is_refused_and_the_rest_of_the_table_still_judged() {
    let shown = problems(
        "[email]\nserver = \"smtp://127.0.0.1\"\nfrom = \"not an address\"\nto = [\"a@example.fr\"]\npassword = \"hunter2\"\n",
    );
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].contains(":3:8: [email]: from \"not an address\""),
        "{shown:#?}"
    );
    assert!(
        shown[1].contains(":5:12: [email]: the password must not be written"),
        "{shown:#?}"
    );
    assert!(!shown.concat().contains("hunter2"));
}

#[test]
fn defaults_apply() {
    let c = load("").unwrap();
    assert_eq!(c.database, PathBuf::from("/etc/veille/veille.db"));
    assert_eq!(c.retention_days, 180);
    assert_eq!(c.interval, Interval::secs(900));
    assert_eq!(c.http.max_body_bytes, 10 * 1024 * 1024);
    assert!(!c.http.allow_private && c.http.allow.is_empty());
    assert_eq!(c.timezone.to_string(), "Europe/Paris");
}

#[test]
fn configuration_and_rule_problems_are_listed_together() {
    // Regression: the configuration's problems hid the rules' ones.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("a.toml"),
        "[[rule]]\nid = \"x\"\nname = \"x\"\nquery = \"acme OR\"\n\n[[watch]]\nid = \"w\"\nquery = \"acme\"\n[watch.detection]\nbucket = \"7m\"\n",
    )
    .unwrap();
    let config = dir.path().join("veille.toml");
    std::fs::write(&config, "colour = 1\n[http]\nper_host = 0\n").unwrap();
    let shown: Vec<String> = load_with_rules(&config)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect();
    let c = config.display();
    let r = rules.join("a.toml");
    let r = r.display();
    assert_eq!(shown.len(), 3, "{shown:#?}");
    assert!(shown[0].starts_with(&format!("{c}:1:1: unknown key \"colour\"")));
    assert!(shown[1].starts_with(&format!("{c}:3:12: [http] per_host")));
    assert_eq!(
        shown[2],
        format!("{r}:4:17: expected a term after OR, found the end of the query")
    );

    // Once the query is right, the watch's settings are judged too.
    std::fs::write(
        rules.join("a.toml"),
        "[[watch]]\nid = \"w\"\nquery = \"acme\"\n[watch.detection]\nbucket = \"7m\"\n",
    )
    .unwrap();
    std::fs::write(&config, "").unwrap();
    let shown = load_with_rules(&config).unwrap_err().to_string();
    assert!(
        shown.starts_with(&format!(
            "{r}:2:6: watch \"w\": [watch.detection] bucket 7m does not divide a day"
        )),
        "{shown}"
    );
    std::fs::write(
        rules.join("a.toml"),
        "[[watch]]\nid = \"w\"\nquery = \"acme\"\n",
    )
    .unwrap();
    let (c, set) = load_with_rules(&config).unwrap();
    assert_eq!(c.rules, rules);
    assert_eq!(set.watches().len(), 1);
}

#[test]
fn a_syntax_error_still_lets_the_rules_be_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/a.toml"), "[[rule]]\nid = \"x\"\n").unwrap();
    let config = dir.path().join("veille.toml");
    std::fs::write(&config, "rules = \"mine\"\n[http\n").unwrap();
    let err = load_with_rules(&config).unwrap_err();
    assert_eq!(err.0.len(), 2, "{err}");
    assert!(err.0[0].message.starts_with("TOML syntax error"), "{err}");
    assert!(err.0[1].file.ends_with("mine/a.toml"), "{err}");
}

#[test]
fn duplicates_among_300_000_sources_are_all_found() {
    // Issue 16, item 10: duplicate names were found by scanning every earlier source, and each problem's
    // line by rescanning the text. The reading is now linear; this asserts the work is all done.
    const N: usize = 300_000;
    let mut text = String::with_capacity(N * 40);
    for i in 0..N {
        // Sources 2k and 2k + 1 share a name.
        text.push_str(&format!(
            "[[source]]\nname = \"s{}\"\nurl = \"f{i}.xml\"\n",
            i / 2
        ));
    }
    let err = load(&text).unwrap_err();
    assert_eq!(err.0.len(), N / 2);
    for (k, e) in err.0.iter().enumerate() {
        // Source 2k + 1 has its name on line 3 (2k + 1) + 2; the first one is three lines above.
        let line = 3 * (2 * k + 1) + 2;
        assert_eq!(e.line, Some(line));
        assert_eq!(
            e.message,
            format!(
                "source \"s{k}\": duplicate source name \"s{k}\"; names must be unique (first at line {})",
                line - 3
            )
        );
    }
}

#[test]
fn http_allow_entries_are_checked_at_their_place() {
    let ok = load(
        "[http]\nallow_private = true\nallow = [\"10.1.2.0/24\", \"rss.intranet\", \"*.corp.example\"]\n",
    )
    .unwrap();
    assert!(ok.http.allow_private);
    assert_eq!(ok.http.allow.len(), 3);
    let shown = problems("[http]\ntimeout = \"5s\"\nallow = [\"10.1.2.3/24\", \"rss intranet\"]\n");
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].contains(":3:10: [http] allow: \"10.1.2.3/24\" has bits set past its /24 prefix"),
        "{shown:#?}"
    );
    assert!(
        shown[1].contains(":3:25: [http] allow: \"rss intranet\" is neither a host name"),
        "{shown:#?}"
    );
    let shown = problems("[http]\nallow_private = \"yes\"\n");
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert!(
        shown[0].contains(":2:17: [http] allow_private: invalid type"),
        "{shown:#?}"
    );
}

#[test]
fn locale_and_timezone_are_read_and_judged_at_their_place() {
    let c = load("locale = \"en\"\ntimezone = \"Europe/London\"\n").unwrap();
    assert_eq!(c.locale, crate::model::Locale::from_tag("en").unwrap());
    assert_eq!(c.timezone.to_string(), "Europe/London");
    let shown = problems("locale = \"de\"\ntimezone = \"Mars/Olympus\"\n");
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert!(
        shown[0].contains(":1:10: locale must be \"fr\" or \"en\", not \"de\""),
        "{shown:#?}"
    );
    assert!(
        shown[1].contains(":2:12: timezone \"Mars/Olympus\" is unknown"),
        "{shown:#?}"
    );
    // The email's clock is the configuration's unless [email] names its own.
    let c = load(
        "timezone = \"Europe/London\"\n[email]\nserver = \"smtp://127.0.0.1\"\nfrom = \"v@example.fr\"\nto = [\"a@example.fr\"]\n",
    )
    .unwrap();
    assert_eq!(c.email.unwrap().timezone, "Europe/London");
}

#[test]
fn source_kinds_read_with_their_keys_and_defaults() {
    let c = load(
        r#"
interval = "5m"

[[source]]
name = "gn"
kind = "google-news"
query = "Maison Brioche"

[[source]]
name = "apple"
kind = "app-store-reviews"
app_id = "123"

[[source]]
name = "masto"
kind = "mastodon-tag"
instance = "piaille.fr"
tag = "brioche"
base_url = "http://127.0.0.1:8080"
"#,
    )
    .unwrap();
    let gn = &c.sources[0];
    assert_eq!(gn.kind, crate::model::SourceKind::GoogleNews);
    assert_eq!(
        gn.url,
        "https://news.google.com/rss/search?q=Maison+Brioche&hl=fr&gl=FR&ceid=FR%3Afr"
    );
    // The configuration's 5 min are raised to each kind's least.
    assert_eq!(gn.interval, Interval::secs(15 * 60));
    assert_eq!(c.sources[1].interval, Interval::secs(3600));
    assert_eq!(
        c.sources[2].url,
        "http://127.0.0.1:8080/api/v1/timelines/tag/brioche?limit=40"
    );
}

#[test]
fn source_kind_problems_are_at_their_key() {
    let missing =
        problems("[[source]]\nname = \"m\"\nkind = \"lemmy-community\"\ninstance = \"jlai.lu\"\n");
    assert_eq!(
        missing,
        vec![
            "/etc/veille/veille.toml:1:1: source \"m\": missing key \"community\" (kind \"lemmy-community\" needs instance, community)"
        ]
    );
    let shown = problems(
        "[[source]]\nname = \"a\"\nkind = \"mastodon-tag\"\ninstance = 3\ntag = \"x\"\nquery = \"q\"\n\n\
         [[source]]\nname = \"b\"\nkind = \"tiktok\"\n\n\
         [[source]]\nname = \"c\"\nkind = \"hn-search\"\nquery = \"q\"\ninterval = \"30s\"\nbase_url = \"ftp://x\"\n\n\
         [[source]]\nname = \"d\"\nurl = \"https://www.facebook.com/maisonbrioche\"\n",
    );
    assert_eq!(
        shown,
        vec![
            "/etc/veille/veille.toml:4:12: source \"a\": instance must be a host name or a list of them",
            "/etc/veille/veille.toml:6:1: source \"a\": kind \"mastodon-tag\" does not take \"query\" (its keys: instance, tag, base_url)",
            "/etc/veille/veille.toml:10:8: source \"b\": unknown kind \"tiktok\" (kinds: feed, google-news, bing-news, google-alerts, mastodon-tag, bluesky-profile, bluesky-search, reddit-search, hn-search, youtube-channel, youtube-playlist, lemmy-community, wordpress-comments, app-store-reviews)",
            "/etc/veille/veille.toml:16:12: source \"c\": interval \"30s\" is too short for kind \"hn-search\": the least is 1m (the service's politeness; see the README's table of kinds)",
            "/etc/veille/veille.toml:17:12: source \"c\": base_url must be an http:// or https:// address such as \"http://127.0.0.1:8080\", not \"ftp://x\"",
            "/etc/veille/veille.toml:21:7: source \"d\": Facebook has no public interface veille can read; run RSS-Bridge or RSSHub yourself and give the feed it makes as url (see the README, section \"Platforms without a public interface\")",
        ]
    );
}
