//! Ingestion against a real HTTP server on loopback: conditional GET, compression, redirects, errors and
//! backoff, limits, malformed bodies and encodings — each through the real `veille run --once`.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use common::{Response, Server, read_fixture, run, stderr, stdout, write_config};
use veille::model::SourceState;
use veille::store::{MentionFilter, Store, StoredMention};

fn config_for(dir: &Path, url: &str, extra: &str) -> String {
    write_config(
        dir,
        &format!("{extra}\n[[source]]\nname = \"test\"\nurl = \"{url}\"\ninterval = \"10m\"\n"),
    )
    .display()
    .to_string()
}

fn run_once(config: &str) -> String {
    let out = run(&["run", "--once", "--config", config]);
    assert!(out.status.success(), "run --once failed: {}", stderr(&out));
    stdout(&out)
}

fn state(dir: &Path) -> SourceState {
    Store::open_read_only(&dir.join("veille.db"))
        .unwrap()
        .source_state("test")
        .unwrap()
        .expect("source state")
}

fn mentions(dir: &Path) -> Vec<StoredMention> {
    Store::open_read_only(&dir.join("veille.db"))
        .unwrap()
        .mentions(&MentionFilter::default())
        .unwrap()
}

#[test]
fn etag_gives_304_on_the_second_poll() {
    let server = Server::start(|req, _| {
        if req.header("If-None-Match") == Some("\"v1\"") {
            Response::status(304)
        } else {
            Response::ok(read_fixture("feeds/rss2.xml")).header("ETag", "\"v1\"")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/feed"), "");
    assert!(run_once(&config).contains("2 new mentions"));
    let second = run_once(&config);
    assert!(second.contains("0 new mentions"), "{second}");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("If-None-Match"), None);
    assert_eq!(requests[1].header("If-None-Match"), Some("\"v1\""));
    assert!(
        requests[0]
            .header("User-Agent")
            .unwrap()
            .starts_with("veille/")
    );
    let s = state(dir.path());
    assert_eq!(s.last_status, Some(304));
    assert_eq!(s.etag.as_deref(), Some("\"v1\""));
    assert_eq!(mentions(dir.path()).len(), 2);
}

#[test]
fn last_modified_is_sent_back() {
    const LM: &str = "Tue, 03 Nov 2026 10:00:00 GMT";
    let server = Server::start(|req, _| {
        if req.header("If-Modified-Since") == Some(LM) {
            Response::status(304)
        } else {
            Response::ok(read_fixture("feeds/rss2.xml")).header("Last-Modified", LM)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/feed"), "");
    run_once(&config);
    run_once(&config);
    assert_eq!(server.requests()[1].header("If-Modified-Since"), Some(LM));
    assert_eq!(state(dir.path()).last_status, Some(304));
}

#[test]
fn gzip_bodies_are_decoded() {
    let server = Server::start(|req, _| {
        assert!(req.header("Accept-Encoding").unwrap_or("").contains("gzip"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&read_fixture("feeds/rss2.xml")).unwrap();
        Response::ok(gz.finish().unwrap()).header("Content-Encoding", "gzip")
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/feed"), "");
    assert!(run_once(&config).contains("2 new mentions"));
    let m = mentions(dir.path());
    assert!(
        m.iter()
            .any(|m| m.title.as_deref() == Some("Clients mécontents chez Acme"))
    );
}

#[test]
fn redirects_are_followed() {
    let server = Server::start(|req, _| match req.path.as_str() {
        "/old" => Response::status(301).header("Location", "/new"),
        _ => Response::ok(read_fixture("feeds/rss2.xml")),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/old"), "");
    assert!(run_once(&config).contains("2 new mentions"));
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/old", "/new"]);
}

#[test]
fn redirect_loops_stop_at_the_limit() {
    let server = Server::start(|_, n| Response::status(302).header("Location", &format!("/r{n}")));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/r"), "[http]\nmax_redirects = 3\n");
    let summary = run_once(&config);
    assert!(summary.contains("0 sources ok, 1 failed"), "{summary}");
    assert_eq!(
        state(dir.path()).last_error.as_deref(),
        Some("too many redirects")
    );
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn not_found_slows_to_the_cap_without_dropping_the_source() {
    let server = Server::start(|_, _| Response::status(404));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/gone"), "");
    let before = Utc::now();
    let summary = run_once(&config);
    assert!(summary.contains("1 failed"), "{summary}");
    let s = state(dir.path());
    assert_eq!(s.last_error.as_deref(), Some("HTTP 404 Not Found"));
    assert_eq!(s.last_status, Some(404));
    let wait = (s.next_due.unwrap() - before).num_seconds();
    assert!((86_390..=86_410).contains(&wait), "next due in {wait} s");
}

#[test]
fn server_errors_back_off_then_recover() {
    let server = Server::start(|_, n| {
        if n < 2 {
            Response::status(500)
        } else {
            Response::ok(read_fixture("feeds/rss2.xml"))
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/flaky"), "");
    run_once(&config);
    let first = state(dir.path());
    assert_eq!(first.consecutive_errors, 1);
    assert_eq!(
        first.last_error.as_deref(),
        Some("HTTP 500 Internal Server Error")
    );
    let wait1 = (first.next_due.unwrap() - first.last_fetch.unwrap()).num_seconds();
    run_once(&config);
    let second = state(dir.path());
    assert_eq!(second.consecutive_errors, 2);
    let wait2 = (second.next_due.unwrap() - second.last_fetch.unwrap()).num_seconds();
    // Interval 10 min: first retry within [5, 10] min, second within [10, 20] min.
    assert!((300..=600).contains(&wait1), "first backoff {wait1} s");
    assert!((600..=1200).contains(&wait2), "second backoff {wait2} s");
    run_once(&config);
    let healed = state(dir.path());
    assert_eq!(healed.consecutive_errors, 0);
    assert_eq!(healed.last_error, None);
    assert!(healed.last_success.is_some());
    assert_eq!(mentions(dir.path()).len(), 2);
}

#[test]
fn too_many_requests_honours_retry_after() {
    let server = Server::start(|_, _| Response::status(429).header("Retry-After", "120"));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/busy"), "");
    run_once(&config);
    let s = state(dir.path());
    let wait = (s.next_due.unwrap() - s.last_fetch.unwrap()).num_seconds();
    assert_eq!(wait, 120);
    assert_eq!(s.last_error.as_deref(), Some("HTTP 429 Too Many Requests"));
}

#[test]
fn a_stalled_server_times_out() {
    let server = Server::start(|_, _| Response {
        stall: Some(Duration::from_secs(20)),
        ..Response::ok(read_fixture("feeds/rss2.xml"))
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(
        dir.path(),
        &server.url("/slow"),
        "[http]\ntimeout = \"1s\"\n",
    );
    let summary = run_once(&config);
    assert!(summary.contains("1 failed"), "{summary}");
    let error = state(dir.path()).last_error.unwrap();
    assert!(error.starts_with("timed out after 1s"), "{error}");
}

#[test]
fn a_body_over_the_limit_is_refused() {
    let big = format!(
        "<rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
        "<item><title>x</title></item>".repeat(200)
    );
    let server = Server::start(move |_, _| Response::ok(big.clone()));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(
        dir.path(),
        &server.url("/big"),
        "[http]\nmax_body_bytes = 1000\n",
    );
    run_once(&config);
    let error = state(dir.path()).last_error.unwrap();
    assert!(
        error.starts_with("response larger than the 1000-byte limit"),
        "{error}"
    );
    assert!(mentions(dir.path()).is_empty());
}

#[test]
fn an_html_page_is_named_as_such() {
    let server = Server::start(|_, _| {
        Response::ok(read_fixture("feeds/page.html")).header("Content-Type", "text/html")
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/page"), "");
    run_once(&config);
    let error = state(dir.path()).last_error.unwrap();
    assert!(error.starts_with("not a feed: got an HTML page"), "{error}");
}

#[test]
fn truncated_xml_names_the_line() {
    let server = Server::start(|_, _| Response::ok(read_fixture("feeds/truncated.xml")));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/cut"), "");
    run_once(&config);
    let error = state(dir.path()).last_error.unwrap();
    assert!(error.starts_with("XML error at line "), "{error}");
}

#[test]
fn latin1_feed_reads_right() {
    let server = Server::start(|_, _| Response::ok(read_fixture("feeds/latin1.xml")));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/latin1"), "");
    run_once(&config);
    let m = &mentions(dir.path())[0];
    assert_eq!(
        m.title.as_deref(),
        Some("Café crème : la grève chez Acme se durcit")
    );
    assert_eq!(
        m.text,
        "Les salariés d'Acme sont déçus : « c'est inacceptable »."
    );
}

#[test]
fn http_charset_header_decodes_an_undeclared_feed() {
    let server = Server::start(|_, _| {
        Response::ok(read_fixture("feeds/latin1-undeclared.xml"))
            .header("Content-Type", "text/xml; charset=ISO-8859-1")
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/x"), "");
    run_once(&config);
    assert_eq!(
        mentions(dir.path())[0].title.as_deref(),
        Some("Déçu par Acme")
    );
}

#[test]
fn rdf_atom_and_json_feed_all_parse() {
    let server = Server::start(|req, _| match req.path.as_str() {
        "/rdf" => Response::ok(read_fixture("feeds/rdf.xml")),
        "/atom" => Response::ok(read_fixture("feeds/atom.xml"))
            .header("Content-Type", "application/atom+xml"),
        _ => Response::ok(read_fixture("feeds/feed.json"))
            .header("Content-Type", "application/feed+json"),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"rdf\"\nurl = \"{}\"\n[[source]]\nname = \"atom\"\nurl = \"{}\"\n[[source]]\nname = \"json\"\nurl = \"{}\"\n",
            server.url("/rdf"),
            server.url("/atom"),
            server.url("/json")
        ),
    );
    let summary = run_once(&config.display().to_string());
    assert!(summary.contains("3 sources ok, 0 failed"), "{summary}");
    let all = mentions(dir.path());
    let by = |source: &str| {
        all.iter()
            .filter(|m| m.source == source)
            .cloned()
            .collect::<Vec<_>>()
    };
    let rdf = by("rdf");
    assert_eq!(rdf.len(), 1);
    assert_eq!(rdf[0].author.as_deref(), Some("Anne"));
    let atom = by("atom");
    assert_eq!(atom.len(), 2);
    let pm = atom.iter().find(|m| m.id == "urn:test:atom:1").unwrap();
    assert_eq!(pm.text, "What went wrong & what we fixed.");
    assert_eq!(pm.link.as_deref(), Some("https://blog.example/pm"));
    let json = by("json");
    assert_eq!(json.len(), 2);
    assert!(
        json.iter()
            .any(|m| m.text == "No title here" && m.title.is_none())
    );
}

#[test]
fn repolling_stores_each_item_once_and_new_items_once() {
    let server = Server::start(|_, n| {
        if n < 2 {
            Response::ok(read_fixture("feeds/rss2.xml"))
        } else {
            Response::ok(read_fixture("feeds/rss2-more.xml"))
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/feed"), "");
    assert!(run_once(&config).contains("2 new mentions"));
    assert!(run_once(&config).contains("0 new mentions"));
    assert!(run_once(&config).contains("1 new mentions"));
    assert_eq!(mentions(dir.path()).len(), 3);
    let s = state(dir.path());
    assert_eq!(s.items_seen, 7);
    assert_eq!(s.mentions, 3);
}

#[test]
fn one_failing_source_does_not_affect_another() {
    let server = Server::start(|req, _| match req.path.as_str() {
        "/good" => Response::ok(read_fixture("feeds/rss2.xml")),
        _ => Response::status(503),
    });
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"bad\"\nurl = \"{}\"\n[[source]]\nname = \"good\"\nurl = \"{}\"\n[[source]]\nname = \"refused\"\nurl = \"http://127.0.0.1:9/\"\n",
            server.url("/bad"),
            server.url("/good")
        ),
    );
    let summary = run_once(&config.display().to_string());
    assert!(
        summary.contains("1 sources ok, 2 failed; 2 items, 2 new mentions"),
        "{summary}"
    );
    let store = Store::open_read_only(&dir.path().join("veille.db")).unwrap();
    let refused = store.source_state("refused").unwrap().unwrap();
    assert!(refused.last_error.unwrap().starts_with("network error"));
}

#[test]
fn links_other_than_http_are_not_kept_as_links() {
    // Issue 16, item 6: `javascript:`, `data:` and `file:` links were stored as they came and rendered as
    // links in the emails.
    let rss = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><link>https://blog.example/</link>
<item><title>js</title><link>javascript:alert(document.cookie)</link><guid>1</guid></item>
<item><title>data</title><link>data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==</link><guid>2</guid></item>
<item><title>file</title><link>file:///etc/passwd</link><guid>3</guid></item>
<item><title>vb</title><link> VBScript:msgbox(1)</link><guid>4</guid></item>
<item><title>web</title><link>https://blog.example/post?utm_source=rss</link><guid>5</guid></item>
</channel></rss>"#;
    let server = Server::start(move |_, _| Response::ok(rss));
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &server.url("/feed"), "");
    assert!(run_once(&config).contains("5 new mentions"));
    let mut links: Vec<(String, Option<String>)> = mentions(dir.path())
        .into_iter()
        .map(|m| (m.title.unwrap_or_default(), m.link))
        .collect();
    links.sort();
    assert_eq!(
        links,
        [
            ("data".to_owned(), None),
            ("file".to_owned(), None),
            ("js".to_owned(), None),
            ("vb".to_owned(), None),
            (
                "web".to_owned(),
                Some("https://blog.example/post".to_owned())
            ),
        ]
    );
}
