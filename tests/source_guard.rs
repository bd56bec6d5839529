//! The address guard through the real binary (`run --once`, `fetch`, `notify test`) against servers on
//! loopback: sources and every redirect they follow are refused loopback and private addresses unless
//! `[http] allow_private` or `[http] allow` opens them, names are judged by the address they resolve to, and
//! a refusal reads the same whether anything listens on the port or not.
//!
//! Guards issue 16, item 6: sources reached loopback with the default settings, redirects to loopback were
//! followed, and the error for a redirect told an open port ("invalid HTTP version") from a closed one
//! ("connection refused").

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use std::path::Path;

use common::{Response, Server, read_fixture, run, stderr, stdout, write_config_as_is};
use veille::model::SourceState;
use veille::store::Store;

/// A configuration with one source, `test`, at `url`, and exactly `http` as its `[http]` table.
fn config(dir: &Path, url: &str, http: &str) -> String {
    write_config_as_is(
        dir,
        &format!(
            "[http]\n{http}\n[[source]]\nname = \"test\"\nurl = \"{url}\"\ninterval = \"10m\"\n"
        ),
    )
    .display()
    .to_string()
}

fn run_once(config: &str) -> String {
    let out = run(&["run", "--once", "--config", config]);
    assert!(out.status.success(), "run --once failed: {}", stderr(&out));
    stdout(&out)
}

fn state(dir: &Path, name: &str) -> SourceState {
    Store::open_read_only(&dir.join("veille.db"))
        .unwrap()
        .source_state(name)
        .unwrap()
        .expect("source state")
}

fn feed_server() -> Server {
    Server::start(|_, _| Response::ok(read_fixture("feeds/rss2.xml")))
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    smtp::free_port()
}

#[test]
fn a_loopback_server_is_refused_by_default() {
    let server = feed_server();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &server.url("/feed"), "");
    let summary = run_once(&config);
    assert!(summary.contains("0 sources ok, 1 failed"), "{summary}");
    let error = state(dir.path(), "test").last_error.unwrap();
    assert!(
        error.starts_with("refused by policy: 127.0.0.1 is a loopback address"),
        "{error}"
    );
    assert!(server.requests().is_empty(), "nothing was sent to it");
}

#[test]
fn allow_private_opens_loopback() {
    let server = feed_server();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &server.url("/feed"), "allow_private = true");
    assert!(run_once(&config).contains("2 new mentions"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn an_allow_range_opens_loopback() {
    let server = feed_server();
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &server.url("/feed"),
        "allow = [\"127.0.0.1/32\"]",
    );
    assert!(run_once(&config).contains("2 new mentions"));
    // A range that does not cover the address opens nothing.
    let other = tempfile::tempdir().unwrap();
    let config = self::config(
        other.path(),
        &server.url("/feed"),
        "allow = [\"10.0.0.0/8\", \"127.0.0.2/32\"]",
    );
    run_once(&config);
    let error = state(other.path(), "test").last_error.unwrap();
    assert!(error.starts_with("refused by policy"), "{error}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_name_resolving_to_loopback_is_refused() {
    let server = feed_server();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://localhost:{}/feed", server.addr.port());
    let config = config(dir.path(), &url, "");
    run_once(&config);
    let error = state(dir.path(), "test").last_error.unwrap();
    assert!(
        error.starts_with("refused by policy: localhost resolves to "),
        "{error}"
    );
    assert!(error.contains("a loopback address"), "{error}");
    assert!(server.requests().is_empty());
    // Listed by name, the same host is fetched.
    let allowed = tempfile::tempdir().unwrap();
    let config = self::config(allowed.path(), &url, "allow = [\"localhost\"]");
    assert!(run_once(&config).contains("2 new mentions"));
}

#[test]
fn a_redirect_from_an_allowed_host_to_a_refused_one_is_refused() {
    let closed = closed_port();
    let server =
        Server::start(move |req, _| {
            let port = req
                .header("Host")
                .and_then(|h| h.rsplit(':').next())
                .unwrap_or("")
                .to_owned();
            match req.path.as_str() {
                // To this very server, by its address rather than by the allowed name.
                "/to-open" => Response::status(302)
                    .header("Location", &format!("http://127.0.0.1:{port}/feed")),
                "/to-closed" => Response::status(302)
                    .header("Location", &format!("http://127.0.0.1:{closed}/feed")),
                "/to-metadata" => Response::status(302)
                    .header("Location", "http://169.254.169.254/latest/meta-data/"),
                "/to-name" => Response::status(302)
                    .header("Location", &format!("http://LocalHost:{port}/feed")),
                _ => Response::ok(read_fixture("feeds/rss2.xml")),
            }
        });
    let port = server.addr.port();
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "[http]\nallow = [\"localhost\"]\n\n\
         [[source]]\nname = \"open\"\nurl = \"http://localhost:{port}/to-open\"\n\n\
         [[source]]\nname = \"closed\"\nurl = \"http://localhost:{port}/to-closed\"\n\n\
         [[source]]\nname = \"metadata\"\nurl = \"http://localhost:{port}/to-metadata\"\n\n\
         [[source]]\nname = \"name\"\nurl = \"http://localhost:{port}/to-name\"\n"
    );
    let config = write_config_as_is(dir.path(), &body);
    let summary = run_once(config.to_str().unwrap());
    assert!(summary.contains("1 sources ok, 3 failed"), "{summary}");
    let open = state(dir.path(), "open").last_error.unwrap();
    let closed = state(dir.path(), "closed").last_error.unwrap();
    assert_eq!(
        open,
        "refused by policy: 127.0.0.1 is a loopback address; sources may reach it only if you list it in \
         [http] allow, or set [http] allow_private = true"
    );
    // The port's state does not show: an open and a closed port read the same.
    assert_eq!(open, closed);
    let metadata = state(dir.path(), "metadata").last_error.unwrap();
    assert!(
        metadata.starts_with("refused by policy: 169.254.169.254 is a link-local address"),
        "{metadata}"
    );
    // The allowed name, however spelt, is followed.
    assert!(state(dir.path(), "name").last_error.is_none());
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths.iter().filter(|p| *p == "/feed").count(),
        1,
        "only the allowed name's redirect was followed: {paths:?}"
    );
}

#[test]
fn a_redirect_to_a_name_resolving_to_loopback_is_refused() {
    // The allowed server is 127.0.0.2; the redirect names `localhost`, whose addresses (127.0.0.1, ::1) are
    // not allowed: the resolver refuses them on this hop too.
    let target = feed_server();
    let port = target.addr.port();
    let server = Server::start_on("127.0.0.2", move |_, _| {
        Response::status(302).header("Location", &format!("http://localhost:{port}/feed"))
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &server.url("/start"),
        "allow = [\"127.0.0.2/32\"]",
    );
    run_once(&config);
    let error = state(dir.path(), "test").last_error.unwrap();
    assert!(
        error.starts_with("refused by policy: localhost resolves to "),
        "{error}"
    );
    assert_eq!(server.requests().len(), 1, "the allowed hop was fetched");
    assert!(target.requests().is_empty(), "the refused one was not");
}

#[test]
fn the_refusal_reads_the_same_whether_the_port_is_open_or_closed() {
    let server = feed_server();
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "[[source]]\nname = \"open\"\nurl = \"{}\"\n\n[[source]]\nname = \"closed\"\nurl = \"http://127.0.0.1:{}/feed\"\n",
        server.url("/feed"),
        closed_port()
    );
    let config = write_config_as_is(dir.path(), &body);
    let summary = run_once(config.to_str().unwrap());
    assert!(summary.contains("0 sources ok, 2 failed"), "{summary}");
    let open = state(dir.path(), "open").last_error.unwrap();
    assert!(open.starts_with("refused by policy"), "{open}");
    assert_eq!(open, state(dir.path(), "closed").last_error.unwrap());
}

#[test]
fn fetch_follows_the_same_policy_and_a_flag_opens_it() {
    let server = feed_server();
    let url = server.url("/feed");
    let none = "/nonexistent/veille.toml";
    let out = run(&["fetch", "--config", none, &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!(
            "veille: error: {url}: refused by policy: 127.0.0.1 is a loopback address"
        )),
        "{}",
        stderr(&out)
    );
    assert!(server.requests().is_empty());

    let out = run(&["fetch", "--config", none, "--allow-private", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).is_empty());

    // The configuration's [http] table applies when it exists.
    let dir = tempfile::tempdir().unwrap();
    let config = write_config_as_is(dir.path(), "[http]\nallow = [\"127.0.0.1\"]\n");
    let out = run(&["fetch", "--config", config.to_str().unwrap(), &url]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The metadata endpoint stays closed even with the flag; refused before any connection.
    let out = run(&[
        "fetch",
        "--config",
        none,
        "--allow-private",
        "http://169.254.169.254/latest/meta-data/",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("refused by policy: 169.254.169.254 is a link-local address"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_mail_server_on_loopback_is_not_subject_to_the_guard() {
    let server = smtp::SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    // No allow_private, no allow: the guard is in its default state.
    let config = write_config_as_is(
        dir.path(),
        &format!(
            "[email]\nserver = \"{}\"\nfrom = \"veille@example.fr\"\nto = [\"comms@example.fr\"]\n",
            server.url()
        ),
    );
    let out = run(&["notify", "test", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.received().len(), 1);
}
