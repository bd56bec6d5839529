//! The daemon under load and hostile documents: a costly document fails alone within its CPU budget while the
//! other sources are stored in the same cycle, and a stop in the middle of a cycle of many slow sources ends
//! cleanly, with nothing half-written.

mod common;

use std::fmt::Write as _;
use std::time::Duration;

use common::daemon::{NotifySocket, eventually, log, signal, start, wait_exit};
use common::{Response, Server, read_fixture, run, stdout, write_config};

const T: Duration = Duration::from_secs(60);

/// A valid RSS feed of `items` French items: costly only by its size (every item is parsed and analysed).
fn big_feed(items: usize) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Gros</title>\
         <link>https://gros.example/</link><description>d</description>\n",
    );
    for i in 0..items {
        let _ = writeln!(
            doc,
            "<item><title>Avis numéro {i} sur Maison Brioche</title><link>https://gros.example/{i}</link>\
             <guid>https://gros.example/{i}</guid><description>Franchement déçu par le service client, \
             personne ne répond depuis trois jours, c'est la {i}e fois que cela arrive et les prix ont \
             encore augmenté cette semaine.</description></item>"
        );
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

/// Three normal feeds (2 + 2 + 3 items) and two costly ones, on one local server.
fn normal_and_costly_server() -> Server {
    let costly = big_feed(20_000);
    Server::start(move |req, _| match req.path.as_str() {
        "/rss2" => Response::ok(read_fixture("feeds/rss2.xml")),
        "/atom" => Response::ok(read_fixture("feeds/atom.xml")),
        "/more" => Response::ok(read_fixture("feeds/rss2-more.xml")),
        _ => Response::ok(costly.clone()),
    })
}

const NORMAL_ITEMS: u64 = 2 + 2 + 3;

fn sources(server: &Server) -> String {
    let mut body = String::new();
    // The costly ones first, so that they hold the reading slot when the normal ones arrive.
    for (name, path) in [
        ("costly-1", "/costly1"),
        ("costly-2", "/costly2"),
        ("rss2", "/rss2"),
        ("atom", "/atom"),
        ("more", "/more"),
    ] {
        let _ = write!(
            body,
            "[[source]]\nname = \"{name}\"\nurl = \"{}\"\n",
            server.url(path)
        );
    }
    body
}

/// Guards issue 16 item 3: two sources serving a costly document starved every other source.
#[test]
fn a_costly_document_fails_alone_and_the_other_sources_are_stored_in_the_same_run() {
    let server = normal_and_costly_server();
    let dir = tempfile::tempdir().unwrap();
    // A budget far above what a small feed costs, far below what 20,000 items cost.
    let config = write_config(
        dir.path(),
        &format!(
            "[http]\nread_budget = \"300ms\"\nmax_body_bytes = 50000000\nper_host = 8\n{}",
            sources(&server)
        ),
    );
    let out = run(&["run", "--once", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        stdout(&out).starts_with("3 sources ok, 2 failed"),
        "{}",
        stdout(&out)
    );
    let store = veille::store::Store::open_read_only(&dir.path().join("veille.db")).unwrap();
    assert_eq!(
        store.mention_count().unwrap(),
        NORMAL_ITEMS,
        "every normal item is stored, nothing of the costly documents"
    );
    let states = store.source_states().unwrap();
    for name in ["costly-1", "costly-2"] {
        let state = states.iter().find(|s| s.name == name).unwrap();
        let error = state.last_error.as_deref().unwrap_or_default();
        assert!(
            error.starts_with("document too costly to read ("),
            "{name}: {error:?}"
        );
        // Stopped where the budget ran out: inside the parser (it is asked as the parser takes the
        // document in) or between two items' analysis.
        assert!(
            error.contains("while parsing it") || error.contains("of 20000 items analysed"),
            "{error}"
        );
        assert_eq!(state.consecutive_errors, 1);
        assert_eq!(
            state.etag, None,
            "a dropped document is fetched again whole"
        );
    }
    for name in ["rss2", "atom", "more"] {
        let state = states.iter().find(|s| s.name == name).unwrap();
        assert_eq!(state.last_error, None, "{name}");
    }
}

/// The daemon keeps its watchdog fed and stores the normal sources while costly documents are read, and a
/// stop while one is being read is clean.
#[test]
fn the_daemon_keeps_serving_beside_costly_documents_and_stops_cleanly_while_reading_one() {
    let server = normal_and_costly_server();
    let dir = tempfile::tempdir().unwrap();
    // A budget the costly documents do not reach before the stop: the stop finds one being read.
    let config = write_config(
        dir.path(),
        &format!(
            "[http]\nread_budget = \"10m\"\nmax_body_bytes = 50000000\nper_host = 8\n{}",
            sources(&server)
        ),
    );
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[("WATCHDOG_USEC", "400000")]);
    assert!(notify.wait_for("READY=1", T).is_some(), "{}", log(&config));
    let db = dir.path().join("veille.db");
    // Counted per source: on a quiet machine a costly document may be read whole before the stop.
    let stored = |names: &[&str]| -> u64 {
        veille::store::Store::open_read_only(&db).map_or(0, |s| {
            names
                .iter()
                .map(|n| {
                    s.mentions(&veille::store::MentionFilter {
                        source: Some((*n).to_owned()),
                        ..Default::default()
                    })
                    .map_or(0, |m| m.len() as u64)
                })
                .sum()
        })
    };
    assert!(
        eventually(T, || stored(&["rss2", "atom", "more"]) == NORMAL_ITEMS),
        "the normal sources were not stored beside the costly ones; log: {}",
        log(&config)
    );
    // The costly documents have been served; at most one core reads them, so one is still being read.
    assert!(eventually(T, || {
        let r = server.requests();
        r.iter().any(|r| r.path == "/costly1") && r.iter().any(|r| r.path == "/costly2")
    }));
    notify.messages.clear();
    assert!(
        notify.wait_for("WATCHDOG=1", T).is_some(),
        "the watchdog is fed while documents are read; log: {}",
        log(&config)
    );
    signal(&child, "TERM");
    let exit = wait_exit(&mut child, T)
        .unwrap_or_else(|| panic!("the daemon did not stop; log: {}", log(&config)));
    assert!(exit.success(), "exit {exit:?}; log: {}", log(&config));
    let log = log(&config);
    assert!(log.contains("Daemon stopped."), "{log}");
    assert!(
        !log.contains("Stop deadline reached"),
        "the stop waited for the reading: {log}"
    );
    let store = veille::store::Store::open_read_only(&db).unwrap();
    assert!(store.integrity_ok().unwrap());
    assert_eq!(stored(&["rss2", "atom", "more"]), NORMAL_ITEMS);
    for costly in ["costly-1", "costly-2"] {
        let n = stored(&[costly]);
        assert!(
            n == 0 || n == 20_000,
            "{costly}: {n} items; a document is kept whole or not at all"
        );
    }
}

/// Guards issue 16 item 11: a SIGTERM in the middle of a cycle ran into the stop deadline (the polls blocked
/// on a full report channel nobody read any more) and rolled back the writer's open transaction.
#[test]
fn sigterm_in_the_middle_of_a_cycle_of_many_slow_sources_ends_cleanly() {
    let server = Server::start(|req, _| {
        if req.path.starts_with("/slow") {
            Response {
                stall: Some(Duration::from_secs(30)),
                ..Response::ok(read_fixture("feeds/rss2-more.xml"))
            }
        } else {
            Response::ok(read_fixture("feeds/atom.xml").to_vec())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::from("[http]\nconcurrency = 16\nper_host = 16\n");
    // Two fast sources first (they are admitted first), then 200 slow ones: far more than the old report
    // channel's 64 places.
    for i in 0..2 {
        let _ = write!(
            body,
            "[[source]]\nname = \"fast{i}\"\nurl = \"{}\"\n",
            server.url(&format!("/fast{i}"))
        );
    }
    for i in 0..200 {
        let _ = write!(
            body,
            "[[source]]\nname = \"slow{i}\"\nurl = \"{}\"\n",
            server.url(&format!("/slow{i}"))
        );
    }
    let config = write_config(dir.path(), &body);
    let (mut notify, socket) = NotifySocket::bind(dir.path());
    let mut child = start(&config, &socket, &[]);
    assert!(notify.wait_for("READY=1", T).is_some(), "{}", log(&config));
    let db = dir.path().join("veille.db");
    assert!(
        eventually(T, || veille::store::Store::open_read_only(&db)
            .and_then(|s| s.mention_count())
            .is_ok_and(|n| n == 4)),
        "the fast sources were not stored; log: {}",
        log(&config)
    );
    assert!(
        eventually(T, || server
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/slow"))
            .count()
            >= 16),
        "the slow polls are not in flight"
    );
    signal(&child, "TERM");
    let exit = wait_exit(&mut child, T)
        .unwrap_or_else(|| panic!("the daemon did not stop; log: {}", log(&config)));
    assert!(exit.success(), "exit {exit:?}; log: {}", log(&config));
    let log = log(&config);
    assert!(log.contains("Daemon stopped."), "{log}");
    assert!(
        !log.contains("Stop deadline reached"),
        "the stop waited for its deadline: {log}"
    );
    assert!(
        !log.contains("rolled back"),
        "the writer's transaction was cut: {log}"
    );
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/slow"))
            .count(),
        16,
        "no poll starts once the stop has begun, and no more than `concurrency` ran"
    );
    let store = veille::store::Store::open_read_only(&db).unwrap();
    assert!(store.integrity_ok().unwrap());
    assert_eq!(store.mention_count().unwrap(), 4, "nothing half-written");
}
