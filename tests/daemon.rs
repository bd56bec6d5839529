//! The real daemon under signals and systemd's notify protocol: readiness, status, watchdog, reload,
//! graceful stop during a busy poll, and the metrics endpoint.

mod common;

use std::time::Duration;

use common::daemon::{
    NotifySocket, eventually, free_port, http_get, log, signal, start, wait_exit,
};
use common::{Response, Server, read_fixture, run, stdout, write_config};

const T: Duration = Duration::from_secs(20);

#[test]
fn notify_protocol_and_graceful_stop() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::fixture("feeds/rss2.xml"), dir.path().join("a.xml")).unwrap();
    let config = write_config(dir.path(), "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n");
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[("WATCHDOG_USEC", "200000")]);
    assert!(
        notify.wait_for("READY=1", T).is_some(),
        "no READY=1; log: {}",
        log(&config)
    );
    let status = notify.wait_for("STATUS=", T).expect("no STATUS=");
    assert!(
        status.contains("1 source (0 en échec), aucun incident ouvert"),
        "{status}"
    );
    assert!(notify.wait_for("WATCHDOG=1", T).is_some(), "no WATCHDOG=1");
    signal(&child, "TERM");
    assert!(notify.wait_for("STOPPING=1", T).is_some(), "no STOPPING=1");
    let exit =
        wait_exit(&mut child, Duration::from_secs(15)).expect("did not stop within the bound");
    assert!(exit.success(), "exit {exit:?}; log: {}", log(&config));
    let store = veille::store::Store::open_read_only(&dir.path().join("veille.db")).unwrap();
    assert_eq!(store.mention_count().unwrap(), 2);
}

#[test]
fn sigterm_during_a_busy_poll_stops_in_time_and_loses_nothing() {
    // One slow source (answers after 30 s) and one fast one.
    let server = Server::start(|req, _| match req.path.as_str() {
        "/slow" => Response {
            stall: Some(Duration::from_secs(30)),
            ..Response::ok(read_fixture("feeds/rss2-more.xml"))
        },
        _ => Response::ok(read_fixture("feeds/atom.xml")),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"slow\"\nurl = \"{}\"\n[[source]]\nname = \"fast\"\nurl = \"{}\"\n",
            server.url("/slow"),
            server.url("/fast")
        ),
    );
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[]);
    assert!(notify.wait_for("READY=1", T).is_some());
    let db = dir.path().join("veille.db");
    assert!(
        eventually(T, || veille::store::Store::open_read_only(&db)
            .and_then(|s| s.mention_count())
            .is_ok_and(|n| n == 2)),
        "the fast source was not stored; log: {}",
        log(&config)
    );
    // The slow request is in flight now.
    assert!(eventually(T, || server
        .requests()
        .iter()
        .any(|r| r.path == "/slow")));
    signal(&child, "TERM");
    let exit = wait_exit(&mut child, Duration::from_secs(15))
        .unwrap_or_else(|| panic!("did not stop within the bound; log: {}", log(&config)));
    assert!(exit.success(), "exit {exit:?}; log: {}", log(&config));
    let store = veille::store::Store::open_read_only(&db).unwrap();
    assert!(store.integrity_ok().unwrap());
    assert_eq!(
        store.mention_count().unwrap(),
        2,
        "the abandoned poll must leave nothing half-written"
    );
    drop(store);
    // A later run fetches what was left; nothing twice.
    let fast_only = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"slow\"\nurl = \"{}\"\n[[source]]\nname = \"fast\"\nurl = \"{}\"\n",
            server.url("/fast"),
            server.url("/fast")
        ),
    );
    let out = run(&["run", "--once", "--config", fast_only.to_str().unwrap()]);
    assert!(stdout(&out).contains("2 new mentions"), "{}", stdout(&out));
    let store = veille::store::Store::open_read_only(&db).unwrap();
    assert_eq!(store.mention_count().unwrap(), 4);
}

#[test]
fn sighup_with_a_broken_config_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::fixture("feeds/rss2.xml"), dir.path().join("a.xml")).unwrap();
    std::fs::copy(common::fixture("feeds/atom.xml"), dir.path().join("b.xml")).unwrap();
    let config = write_config(dir.path(), "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n");
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[]);
    assert!(notify.wait_for("READY=1", T).is_some());
    std::fs::write(
        &config,
        "database = \"veille.db\"\n[[source]]\nname = \"a\"\nurll = \"a.xml\"\n",
    )
    .unwrap();
    signal(&child, "HUP");
    assert!(
        eventually(T, || log(&config).contains("Reload refused")),
        "no reload error logged: {}",
        log(&config)
    );
    assert!(
        log(&config).contains("unknown key \\\"urll\\\""),
        "{}",
        log(&config)
    );
    assert!(notify.wait_for("rechargement refusé", T).is_some());
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon must keep running"
    );
    // Fixed, with a second source: the new configuration applies.
    write_config(
        dir.path(),
        "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n[[source]]\nname = \"b\"\nurl = \"b.xml\"\n",
    );
    signal(&child, "HUP");
    let db = dir.path().join("veille.db");
    assert!(
        eventually(T, || veille::store::Store::open_read_only(&db)
            .and_then(|s| s.mention_count())
            .is_ok_and(|n| n == 4)),
        "source b was not polled after the reload; log: {}",
        log(&config)
    );
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(15)).is_some_and(|s| s.success()));
}

#[test]
fn metrics_endpoint_serves_counters_after_a_poll() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::fixture("feeds/rss2.xml"), dir.path().join("a.xml")).unwrap();
    let port = free_port();
    let config = write_config(
        dir.path(),
        &format!(
            "[metrics]\nlisten = \"127.0.0.1:{port}\"\n\n[[source]]\nname = \"a\"\nurl = \"a.xml\"\n"
        ),
    );
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[]);
    assert!(notify.wait_for("READY=1", T).is_some(), "{}", log(&config));
    let mut body = String::new();
    assert!(
        eventually(T, || {
            body = http_get(port, "/metrics").unwrap_or_default();
            body.contains("veille_mentions_stored_total 2")
        }),
        "metrics: {body}\nlog: {}",
        log(&config)
    );
    assert!(
        body.contains("veille_fetches_total{outcome=\"ok\"} 1"),
        "{body}"
    );
    assert!(body.contains("veille_build_info{version="), "{body}");
    assert!(body.contains("veille_outbox_pending"), "{body}");
    assert!(http_get(port, "/other").unwrap().contains("try /metrics"));

    let out = run(&[
        "status",
        "--lang",
        "en",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("OK: 1 source (0 failing), 2 mentions"),
        "{}",
        stdout(&out)
    );
    let fr = stdout(&run(&["status", "--config", config.to_str().unwrap()]));
    assert!(
        fr.starts_with("OK\u{a0}: 1 source (0 en échec), 2 mentions"),
        "{fr}"
    );
    assert!(
        fr.contains("\nVeille\u{a0}: aucun incident en cours.\n"),
        "{fr}"
    );

    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(15)).is_some_and(|s| s.success()));
}

#[test]
fn status_flags_failing_sources_and_a_stopped_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[[source]]\nname = \"missing\"\nurl = \"missing.xml\"\n",
    );
    let config = config.to_str().unwrap();
    let out = run(&["status", "--config", config]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "no database yet: {}",
        stdout(&out)
    );
    run(&["run", "--once", "--config", config]);
    let out = run(&["status", "--lang", "en", "--config", config]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("source missing failing (1 in a row): cannot read"),
        "{}",
        stdout(&out)
    );
    let fr = stdout(&run(&["status", "--config", config]));
    assert!(
        fr.contains("la source missing échoue (1 fois de suite)"),
        "{fr}"
    );
    // Removed from the configuration, the source is no longer watched, so no longer failing.
    std::fs::write(
        config,
        std::fs::read_to_string(config).unwrap().replace(
            "[[source]]\nname = \"missing\"\nurl = \"missing.xml\"\n",
            "",
        ),
    )
    .unwrap();
    let out = run(&["status", "--lang", "en", "--config", config]);
    assert!(!stdout(&out).contains("missing"), "{}", stdout(&out));
}

#[test]
fn sighup_with_a_broken_rule_file_keeps_the_old_rules_then_applies_the_fixed_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::fixture("feeds/rss2.xml"), dir.path().join("a.xml")).unwrap();
    std::fs::copy(common::fixture("feeds/atom.xml"), dir.path().join("b.xml")).unwrap();
    let config = write_config(dir.path(), "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n");
    let rule_file = dir.path().join("rules/acme.toml");
    std::fs::write(
        &rule_file,
        "[[rule]]\nid = \"acme-offre\"\nname = \"Offre\"\nquery = \"acme AND offre\"\n",
    )
    .unwrap();
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[]);
    assert!(notify.wait_for("READY=1", T).is_some(), "{}", log(&config));

    // A broken rule file: refused, the daemon goes on with the rules it has.
    std::fs::write(
        &rule_file,
        "[[rule]]\nid = \"acme-outage\"\nname = \"Panne\"\nquery = \"acme AND (outage\"\n",
    )
    .unwrap();
    signal(&child, "HUP");
    assert!(
        eventually(T, || log(&config).contains("Reload refused")),
        "no reload error logged: {}",
        log(&config)
    );
    assert!(
        log(&config).contains("acme.toml:4:"),
        "the error names the file and line: {}",
        log(&config)
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon must keep running"
    );

    // Fixed, with a new source: the new rule applies to what the new source brings.
    std::fs::write(
        &rule_file,
        "[[rule]]\nid = \"acme-outage\"\nname = \"Panne\"\nquery = \"acme AND outage\"\n",
    )
    .unwrap();
    write_config(
        dir.path(),
        "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n[[source]]\nname = \"b\"\nurl = \"b.xml\"\n",
    );
    signal(&child, "HUP");
    let config_arg = config.to_str().unwrap().to_owned();
    assert!(
        eventually(T, || {
            let out = run(&[
                "mentions",
                "--config",
                &config_arg,
                "--rule",
                "acme-outage",
                "--json",
            ]);
            stdout(&out).lines().count() == 1
        }),
        "the fixed rule did not apply; log: {}",
        log(&config)
    );
    let out = run(&[
        "mentions",
        "--config",
        &config_arg,
        "--rule",
        "acme-offre",
        "--json",
    ]);
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the first rule matched the first source"
    );
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(15)).is_some_and(|s| s.success()));
}

/// `kill -9` while a poll is in flight: SQLite's journal keeps the file whole, and the next run stores
/// what was left, nothing twice.
#[test]
fn kill_9_mid_poll_loses_nothing_and_duplicates_nothing() {
    let server = Server::start(|req, _| match req.path.as_str() {
        "/slow" => Response {
            stall: Some(Duration::from_secs(30)),
            ..Response::ok(read_fixture("feeds/rss2-more.xml"))
        },
        "/healed" => Response::ok(read_fixture("feeds/rss2-more.xml")),
        _ => Response::ok(read_fixture("feeds/atom.xml")),
    });
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "[[source]]\nname = \"slow\"\nurl = \"{}\"\n[[source]]\nname = \"fast\"\nurl = \"{}\"\n",
        server.url("/slow"),
        server.url("/fast")
    );
    let config = write_config(dir.path(), &body);
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[]);
    assert!(notify.wait_for("READY=1", T).is_some());
    let db = dir.path().join("veille.db");
    assert!(eventually(T, || veille::store::Store::open_read_only(&db)
        .and_then(|s| s.mention_count())
        .is_ok_and(|n| n == 2)));
    assert!(eventually(T, || server
        .requests()
        .iter()
        .any(|r| r.path == "/slow")));
    signal(&child, "KILL");
    let exit = wait_exit(&mut child, Duration::from_secs(5)).expect("kill -9 ends the process");
    assert!(!exit.success());

    let store = veille::store::Store::open_read_only(&db).unwrap();
    assert!(store.integrity_ok().unwrap());
    assert_eq!(store.mention_count().unwrap(), 2);
    drop(store);
    // The slow source answers now: the next run stores its three items, and the fast one's two not again.
    let healed = body.replace("/slow", "/healed");
    let config = write_config(dir.path(), &healed);
    let out = run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("2 sources ok, 0 failed"),
        "{}",
        stdout(&out)
    );
    let store = veille::store::Store::open_read_only(&db).unwrap();
    assert_eq!(store.mention_count().unwrap(), 2 + 3);
}

/// Regression: a rule file with a query nested 6,000 parentheses deep, put in the rules directory of a
/// running daemon, made it overflow its stack and die (exit 134) on SIGHUP, the very case reloading is
/// meant to survive. The reload is refused with the place of the error; the daemon runs on with its rules.
#[test]
fn sighup_with_a_query_nested_too_deep_keeps_the_old_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(common::fixture("feeds/rss2.xml"), dir.path().join("a.xml")).unwrap();
    let config = write_config(dir.path(), "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n");
    std::fs::write(
        dir.path().join("rules/acme.toml"),
        "[[rule]]\nid = \"acme-offre\"\nname = \"Offre\"\nquery = \"acme AND offre\"\n",
    )
    .unwrap();
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[]);
    assert!(notify.wait_for("READY=1", T).is_some(), "{}", log(&config));

    let deep = format!("{}acme{}", "(".repeat(6000), ")".repeat(6000));
    std::fs::write(
        dir.path().join("rules/deep.toml"),
        format!("[[rule]]\nid = \"deep\"\nname = \"Deep\"\nquery = '{deep}'\n"),
    )
    .unwrap();
    signal(&child, "HUP");
    assert!(
        eventually(T, || log(&config).contains("Reload refused")),
        "no reload error logged: {}",
        log(&config)
    );
    assert!(
        log(&config).contains("deep.toml:4:74: nested too deeply"),
        "the error names the file, line and column: {}",
        log(&config)
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon must keep running"
    );

    // The rules in force are still the first ones: a new source's offer is matched by `acme-offre`.
    std::fs::write(
        dir.path().join("b.xml"),
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>b</title>\
         <item><title>Acme: encore une offre</title><guid>b-1</guid></item></channel></rss>",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("rules/deep.toml")).unwrap();
    write_config(
        dir.path(),
        "[[source]]\nname = \"a\"\nurl = \"a.xml\"\n[[source]]\nname = \"b\"\nurl = \"b.xml\"\n",
    );
    signal(&child, "HUP");
    let config_arg = config.to_str().unwrap().to_owned();
    assert!(
        eventually(T, || {
            let out = run(&[
                "mentions",
                "--config",
                &config_arg,
                "--rule",
                "acme-offre",
                "--json",
            ]);
            stdout(&out).lines().count() == 2
        }),
        "the rule did not apply to both sources; log: {}",
        log(&config)
    );
    signal(&child, "TERM");
    assert!(wait_exit(&mut child, Duration::from_secs(15)).is_some_and(|s| s.success()));
}
