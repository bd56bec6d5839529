//! Test helpers: a real HTTP/1.1 server on 127.0.0.1 (port 0) whose answers each test programs, and
//! helpers to run the real `veille` binary.
#![allow(dead_code)]

pub mod console;
pub mod daemon;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, read to its `Content-Length`.
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Hold the connection open this long before answering (a stalled server).
    pub stall: Option<Duration>,
}

impl Response {
    pub fn ok(body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/rss+xml".into())],
            body: body.into(),
            stall: None,
        }
    }

    pub fn status(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            stall: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler = dyn Fn(&Request, usize) -> Response + Send + Sync;

/// A local HTTP server. The handler gets each request and how many requests came before it.
pub struct Server {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    pub fn start(handler: impl Fn(&Request, usize) -> Response + Send + Sync + 'static) -> Server {
        Server::start_on("127.0.0.1", handler)
    }

    /// A server on another loopback address (`127.0.0.2`…), port 0.
    pub fn start_on(
        ip: &str,
        handler: impl Fn(&Request, usize) -> Response + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind((ip, 0)).unwrap_or_else(|e| panic!("bind {ip}:0: {e}"));
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let handler = Arc::clone(&handler);
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || serve(stream, &*handler, &seen));
            }
        });
        Server { addr, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Request>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let length = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Request {
            method,
            path,
            headers,
            body,
        };
        let n = {
            let mut s = seen.lock().unwrap();
            s.push(request.clone());
            s.len() - 1
        };
        let response = handler(&request, n);
        if let Some(d) = response.stall {
            std::thread::sleep(d);
        }
        let mut out = stream.try_clone().unwrap();
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Length: {}\r\n",
            response.status,
            response.body.len()
        );
        for (k, v) in &response.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&response.body).is_err() {
            return;
        }
        let _ = out.flush();
    }
}

/// The path of the binary under test.
pub fn veille() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_veille"));
    // The language comes from the configuration (French by default), not from whoever runs the tests.
    c.env_remove("VEILLE_CONFIG")
        .env_remove("JOURNAL_STREAM")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    c
}

/// Runs `veille` with arguments and returns its output.
pub fn run(args: &[&str]) -> Output {
    veille().args(args).output().expect("run veille")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The fixture file `tests/fixtures/NAME`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    std::fs::File::open(fixture(name))
        .unwrap()
        .read_to_end(&mut v)
        .unwrap();
    v
}

/// Writes `veille.toml` in `dir` with the given extra text and returns its path.
///
/// The test servers listen on 127.0.0.1, which the address guard refuses by default: the file opens exactly
/// that address with `[http] allow` (added to the body's `[http]` table when it has one).
pub fn write_config(dir: &Path, body: &str) -> PathBuf {
    const ALLOW_LOOPBACK: &str = "allow = [\"127.0.0.1/32\"]\n";
    let mut lines: Vec<String> = body.lines().map(str::to_owned).collect();
    match lines.iter().position(|l| l.trim() == "[http]") {
        Some(i) => lines.insert(i + 1, ALLOW_LOOPBACK.trim_end().to_owned()),
        None => {
            lines.push("[http]".to_owned());
            lines.push(ALLOW_LOOPBACK.trim_end().to_owned());
        }
    }
    write_config_as_is(dir, &(lines.join("\n") + "\n"))
}

/// Writes `veille.toml` in `dir` with exactly the given extra text (the address guard as configured there).
pub fn write_config_as_is(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("veille.toml");
    std::fs::write(
        &path,
        format!("database = \"veille.db\"\nrules = \"rules\"\n{body}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    path
}

/// Compares `actual` with the golden file `tests/golden/NAME`: what a reader sees, checked whole. With
/// `VEILLE_BLESS=1` the file is written instead (after a deliberate change; review the diff).
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("VEILLE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (VEILLE_BLESS=1 writes it)", path.display()));
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from line {}:\n  expected: {:?}\n  actual:   {:?}\n--- actual ---\n{actual}",
            path.display(),
            first + 1,
            expected.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}
