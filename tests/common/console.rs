//! The console under test: a database filled by `veille run --once` from a feed calling for a boycott of
//! « Maison Brioche » (one critical incident) with a hostile title among its items, accounts `ana`
//! (veilleur) and `lea` (lecteur) made by `veille users add`, and the daemon serving `[web]` on loopback;
//! and a small HTTP/1.1 client.
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use super::daemon::{self, NotifySocket};
use super::{stderr, stdout, write_config};

/// An answer: status, headers (names lower case), body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on 127.0.0.1:port.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> Answer {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the console");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

pub fn get(port: u16, path: &str, cookie: Option<&str>) -> Answer {
    let c = cookie.map(|c| format!("veille_session={c}"));
    let headers: Vec<(&str, &str)> = c.iter().map(|c| ("Cookie", c.as_str())).collect();
    http(port, "GET", path, &headers, &[])
}

pub fn post(port: u16, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Answer {
    let c = cookie.map(|c| format!("veille_session={c}"));
    let headers: Vec<(&str, &str)> = c.iter().map(|c| ("Cookie", c.as_str())).collect();
    http(port, "POST", path, &headers, form)
}

/// Signs in; the session cookie's value.
pub fn sign_in(port: u16, user: &str, password: &str) -> String {
    let a = post(
        port,
        "/login",
        None,
        &[("username", user), ("password", password)],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let set = a.header("set-cookie").expect("a session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';')
        .next()
        .and_then(|kv| kv.strip_prefix("veille_session="))
        .expect("the cookie is veille_session")
        .to_owned()
}

/// The CSRF token of the forms on a page.
pub fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

pub const HOSTILE_TITLE: &str =
    "<script>alert(1)</script>\"><img src=x onerror=alert(2)> Maison Brioche";

/// A feed with a boycott call (a critical incident), a hostile title with a `javascript:` link, and a post
/// with an accent and an elision for the search.
pub fn write_feed(path: &Path) {
    let now = chrono::Utc::now();
    let item = |guid: &str, title: &str, link: &str, text: &str, minutes: i64| {
        format!(
            "<item><guid>{guid}</guid><title>{}</title><link>{}</link><author>a@example.org (A)</author>\
             <pubDate>{}</pubDate><description>{}</description></item>\n",
            xml_escape(title),
            xml_escape(link),
            (now - chrono::Duration::minutes(minutes)).to_rfc2822(),
            xml_escape(text)
        )
    };
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Forum</title>\
         <link>https://forum.example/</link><description>Avis</description><language>fr</language>\n{}{}{}</channel></rss>\n",
        item(
            "f-1",
            "Boycott de Maison Brioche !",
            "https://forum.example/f-1",
            "Appel au boycott de Maison Brioche : n'achetez plus chez eux, c'est une honte.",
            6
        ),
        item(
            "f-2",
            HOSTILE_TITLE,
            "javascript:alert(3)",
            "Un avis sur Maison Brioche.",
            5
        ),
        item(
            "f-3",
            "L'été chez Maison Brioche",
            "https://forum.example/f-3",
            "Une nouvelle boutique ouvre à Lyon, les croissants sont délicieux.",
            4
        ),
    );
    std::fs::write(path, xml).unwrap();
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn veille_ok(args: &[&str], input: Option<&str>) -> String {
    let mut child = super::veille()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = input {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "veille {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Adds an account `name` with `role` by `veille users add`; its password is `{name}-secret-1`.
pub fn add_user(config: &Path, name: &str, role: &str) {
    veille_ok(
        &[
            "users",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--config",
            config.to_str().unwrap(),
        ],
        Some(&format!("{name}-secret-1\n")),
    );
}

/// A running daemon with the console; stopped when dropped.
pub struct Console {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub port: u16,
    pub child: Child,
    _notify: NotifySocket,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fills a database, adds `ana` (veilleur) and `lea` (lecteur), and starts the daemon with `web`.
pub fn console(web: &str) -> Console {
    console_after(web, |_| {})
}

/// [`console`], with `prepare` run on the configuration's path before the daemon starts.
pub fn console_after(web: &str, prepare: impl FnOnce(&Path)) -> Console {
    let dir = tempfile::tempdir().unwrap();
    let port = daemon::free_port();
    let web = web.replace("PORT", &port.to_string());
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"forum\"\nurl = \"forum.xml\"\ninterval = \"1h\"\n\n[web]\n{web}\n"
        ),
    );
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/maison-brioche.toml"),
        dir.path().join("rules/maison-brioche.toml"),
    )
    .unwrap();
    write_feed(&dir.path().join("forum.xml"));
    let c = config.to_str().unwrap();
    veille_ok(&["run", "--once", "--config", c], None);
    add_user(&config, "ana", "veilleur");
    add_user(&config, "lea", "lecteur");
    prepare(&config);
    let (notify, notify_path) = NotifySocket::bind(dir.path());
    let child = daemon::start(&config, &notify_path, &[]);
    let mut console = Console {
        dir,
        config,
        port,
        child,
        _notify: notify,
    };
    assert!(
        daemon::eventually(Duration::from_secs(30), || std::net::TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_ok()),
        "the console never listened: {}",
        daemon::log(&console.config)
    );
    assert!(console.child.try_wait().unwrap().is_none());
    console
}

pub fn local() -> Console {
    console("listen = \"127.0.0.1:PORT\"")
}

/// The source `forum` blind for eight hours by now: heard ten hours ago, then its file gone (a `source`
/// incident opens at the last of these runs, and stays open while the daemon runs).
pub fn blind_forum(config: &Path) {
    let c = config.to_str().unwrap();
    let ago = |h: i64| (chrono::Utc::now() - chrono::TimeDelta::hours(h)).to_rfc3339();
    veille_ok(&["run", "--once", "--at", &ago(10), "--config", c], None);
    std::fs::remove_file(config.with_file_name("forum.xml")).unwrap();
    veille_ok(&["run", "--once", "--at", &ago(8), "--config", c], None);
    veille_ok(&["run", "--once", "--config", c], None);
}

/// The id of the (one) incident the feed opened.
pub fn incident_id(c: &Console) -> String {
    let out = veille_ok(
        &[
            "incidents",
            "--json",
            "--config",
            c.config.to_str().unwrap(),
        ],
        None,
    );
    let first: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("an incident")).unwrap();
    first["id"].as_i64().unwrap().to_string()
}
