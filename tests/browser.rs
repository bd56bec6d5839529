//! A real browser on the console: headless Chromium driven through WebDriver (chromedriver) signs in,
//! reads the overview, opens the incident, takes it, silences its watch and resolves it, then opens every
//! other page (incidents, mentions, sources, rules, and an administrator's accounts), on a 390-px phone
//! window and a desktop one, and saves screenshots under `target/console-screenshots/`. No page needs JavaScript: the
//! browser only types and clicks.
//!
//! Needs `chromium` and `chromedriver` (Debian packages `chromium` and `chromium-driver`). Without them the
//! test says so and passes, except under `CI=true`, where a missing browser is a failure.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use common::console::{blind_forum, console_after, local};
use common::daemon;
use serde_json::{Value, json};

/// The WebDriver element key (W3C).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver on a free loopback port; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver command: the answer's `value`.
fn wd(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    use std::io::{Read as _, Write as _};
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to chromedriver");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    // chromedriver keeps the connection open whatever the request says: read the head, then exactly
    // Content-Length bytes.
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "chromedriver closed the connection");
        raw.extend_from_slice(&buf[..n]);
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("chromedriver answers with a Content-Length");
    while raw.len() < head_end + length {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "chromedriver closed the connection early");
        raw.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&raw[head_end..head_end + length]).into_owned();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(
        v["value"].get("error").is_none(),
        "WebDriver {method} {path}: {v}"
    );
    v["value"].clone()
}

struct Browser {
    port: u16,
    session: String,
}

impl Browser {
    fn open(driver: &Driver, width: u32, height: u32) -> Browser {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tool("chromium").unwrap().to_str().unwrap(),
                "prefs": {"intl.accept_languages": "fr-FR,fr"},
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}"), "--lang=fr-FR"]
            }
        }}});
        let v = wd(driver.port, "POST", "/session", Some(caps));
        let session = v["sessionId"].as_str().expect("a session id").to_owned();
        let b = Browser {
            port: driver.port,
            session,
        };
        // The viewport itself, not the window with its frame, is the phone's width.
        b.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
        b
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        wd(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    /// Waits until the page's address satisfies `cond` and the page is loaded (a click returns before the
    /// navigation it starts has finished).
    fn wait_for_url(&self, cond: impl Fn(&str) -> bool) {
        let loaded = || {
            self.cmd(
                "POST",
                "/execute/sync",
                Some(json!({"script": "return document.readyState;", "args": []})),
            ) == json!("complete")
        };
        assert!(
            daemon::eventually(Duration::from_secs(30), || cond(&self.url()) && loaded()),
            "the browser is still at {}",
            self.url()
        );
    }

    fn source(&self) -> String {
        let v = self.cmd("GET", "/source", None);
        v.as_str()
            .unwrap_or_else(|| panic!("no page source: {v}"))
            .to_owned()
    }

    fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page's width as laid out, and the widest element's right edge (anything past the width means
    /// the phone reader has to scroll sideways).
    fn widths(&self) -> (f64, f64) {
        let v = self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": "return [document.documentElement.clientWidth, document.documentElement.scrollWidth];", "args": []})),
        );
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    }

    /// A screenshot of the whole page: the window grows to the page's height for it, then goes back.
    fn screenshot(&self, name: &str) {
        let rect = self.cmd("GET", "/window/rect", None);
        let tall = self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": "return document.documentElement.scrollHeight;", "args": []})),
        );
        let height = tall.as_f64().unwrap_or(900.0).clamp(600.0, 8000.0);
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": rect["width"], "height": height})),
        );
        let png = self.cmd("GET", "/screenshot", None);
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": rect["width"], "height": rect["height"]})),
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            wd(
                self.port,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            )
        });
    }
}

/// chromedriver, started; `None` (the test then passes, saying why) when the browser is missing, except
/// under `CI=true`.
fn driver() -> Option<Driver> {
    let (Some(_), Some(chromedriver)) = (tool("chromium"), tool("chromedriver")) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: chromium and chromedriver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "skipped: chromium or chromedriver is missing (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = daemon::free_port();
    let driver = Driver {
        child: Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
        port,
    };
    assert!(
        daemon::eventually(Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        }),
        "chromedriver never listened"
    );
    Some(driver)
}

impl Browser {
    /// Signs `ana` in from the login page, and waits for the overview.
    fn sign_in_as_ana(&self, base: &str) {
        self.type_in("#username", "ana");
        self.type_in("#password", "ana-secret-1");
        self.click("form[action='/login'] button");
        self.wait_for_url(|u| u == format!("{base}/"));
    }
}

#[test]
fn sign_in_overview_incident_take_and_silence_on_a_phone_and_a_desk() {
    let Some(driver) = driver() else { return };
    for (name, width, height) in [("phone", 390, 844), ("desktop", 1280, 900)] {
        // A console of its own for each window: each takes the incident from the start.
        let c = local();
        let base = format!("http://127.0.0.1:{}", c.port);
        let b = Browser::open(&driver, width, height);
        b.go(&format!("{base}/"));
        b.wait_for_url(|u| u.ends_with("/login"));
        b.screenshot(&format!("{name}-1-login"));
        b.sign_in_as_ana(&base);
        let overview = b.source();
        assert!(overview.contains("Incidents ouverts"), "{overview}");
        let (client, scroll) = b.widths();
        assert!(
            scroll <= client + 1.0,
            "{name}: the overview scrolls sideways ({scroll} > {client})"
        );
        b.screenshot(&format!("{name}-2-overview"));

        b.click("ul.incidents a");
        b.wait_for_url(|u| u.contains("/incidents/"));
        let (client, scroll) = b.widths();
        assert!(
            scroll <= client + 1.0,
            "{name}: the incident page scrolls sideways ({scroll} > {client})"
        );
        b.screenshot(&format!("{name}-3-incident"));

        b.type_in("#ack-note", &format!("Pris en charge depuis le {name}"));
        b.click("form[action$='/ack'] button");
        // The form's answer sends the browser back to the page, at its timeline.
        b.wait_for_url(|u| u.ends_with("#timeline"));
        let taken = b.source();
        assert!(
            taken.contains(&format!("Pris en charge depuis le {name}")),
            "{taken}"
        );
        assert!(
            !taken.contains("id=\"ack-note\""),
            "a taken incident is not offered again"
        );
        b.screenshot(&format!("{name}-4-taken"));
        // The other actions are folded under their names, so that taking it comes first on a phone.
        b.click("details.silence summary");
        b.type_in("#reason", "communiqué publié");
        b.click("form[action$='/silence'] button");
        assert!(
            daemon::eventually(Duration::from_secs(30), || b
                .source()
                .contains("communiqué publié")),
            "the silence shows in the timeline"
        );
        let silenced = b.source();
        assert!(silenced.contains("communiqué publié"), "{silenced}");
        b.screenshot(&format!("{name}-5-silenced"));

        b.click("details.resolve summary");
        b.type_in("#resolve-note", "démenti publié");
        b.click("form[action$='/resolve'] button");
        assert!(
            daemon::eventually(Duration::from_secs(30), || b
                .source()
                .contains("Résolu à la main par ana")),
            "the resolution shows in the timeline"
        );
        assert!(
            !b.source().contains("id=\"resolve-note\""),
            "a resolved incident is not offered it again"
        );
        b.screenshot(&format!("{name}-6-resolved"));

        // Every other page, as this window shows it.
        for (n, path, shows) in [
            (
                "7-incidents",
                "/incidents?status=resolved",
                "badge st-resolved",
            ),
            (
                "8-mentions",
                "/mentions?label=neg",
                "Boycott de Maison Brioche",
            ),
            ("9-sources", "/sources", "forum"),
            ("10-rules", "/rules", "brioche-boycott"),
        ] {
            b.go(&format!("{base}{path}"));
            b.wait_for_url(|u| u.ends_with(path));
            let page = b.source();
            assert!(page.contains(shows), "{path}: {page}");
            let (client, scroll) = b.widths();
            assert!(
                scroll <= client + 1.0,
                "{name}: {path} scrolls sideways ({scroll} > {client})"
            );
            b.screenshot(&format!("{name}-{n}"));
        }
        // An administrator's accounts page.
        b.click("form[action='/logout'] button");
        b.wait_for_url(|u| u.ends_with("/login"));
        common::console::veille_ok(
            &[
                "users",
                "add",
                "root",
                "--role",
                "admin",
                "--password-stdin",
                "--config",
                c.config.to_str().unwrap(),
            ],
            Some("root-secret-1\n"),
        );
        b.type_in("#username", "root");
        b.type_in("#password", "root-secret-1");
        b.click("form[action='/login'] button");
        b.wait_for_url(|u| u == format!("{base}/"));
        b.go(&format!("{base}/users"));
        b.wait_for_url(|u| u.ends_with("/users"));
        let users = b.source();
        assert!(
            users.contains("lea") && users.contains("Ajouter un compte"),
            "{users}"
        );
        let (client, scroll) = b.widths();
        assert!(
            scroll <= client + 1.0,
            "{name}: /users scrolls sideways ({scroll} > {client})"
        );
        b.screenshot(&format!("{name}-11-users"));
    }
}

/// A source that went blind, on its incident's page: what happened and since when, and the silence a
/// planned outage calls for, given from the page; the incident then shows as silenced.
#[test]
fn a_blind_source_is_silenced_from_its_incident_page_on_a_phone_and_a_desk() {
    let Some(driver) = driver() else { return };
    for (name, width, height) in [("phone", 390, 844), ("desktop", 1280, 900)] {
        let c = console_after("listen = \"127.0.0.1:PORT\"", blind_forum);
        let listed = common::console::veille_ok(
            &[
                "incidents",
                "--json",
                "--config",
                c.config.to_str().unwrap(),
            ],
            None,
        );
        let id = listed
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|i| i["kind"] == "source")
            .map(|i| i["id"].to_string())
            .expect("a source incident");
        let base = format!("http://127.0.0.1:{}", c.port);
        let b = Browser::open(&driver, width, height);
        b.go(&format!("{base}/incidents/{id}"));
        b.wait_for_url(|u| u.ends_with("/login"));
        b.sign_in_as_ana(&base);
        b.go(&format!("{base}/incidents/{id}"));
        b.wait_for_url(|u| u.ends_with(&format!("/incidents/{id}")));
        let page = b.source();
        assert!(page.contains("forum") && page.contains("aveugle"), "{page}");
        assert!(
            !page.contains("id=\"first\""),
            "a source has no mentions of its own to list: {page}"
        );
        let (client, scroll) = b.widths();
        assert!(
            scroll <= client + 1.0,
            "{name}: the source incident scrolls sideways ({scroll} > {client})"
        );
        b.screenshot(&format!("{name}-12-blind-source"));

        b.click("details.silence summary");
        b.type_in("#reason", "migration du forum");
        b.click("form[action$='/silence'] button");
        assert!(
            daemon::eventually(Duration::from_secs(30), || b
                .source()
                .contains("migration du forum")),
            "the silence shows in the timeline"
        );
        assert!(b.source().contains("en sourdine</h1>"), "{}", b.source());
        b.screenshot(&format!("{name}-13-blind-source-silenced"));
    }
}
