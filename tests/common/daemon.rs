//! Running the real daemon in tests: a `NOTIFY_SOCKET` the test listens on, signals, and waiting for a
//! condition with a deadline (never a fixed sleep).
#![allow(dead_code)]

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A Unix datagram socket standing in for systemd's notify socket.
pub struct NotifySocket {
    received: std::sync::mpsc::Receiver<String>,
    pub messages: Vec<String>,
}

impl NotifySocket {
    /// Binds the socket and reads it from a thread of its own, all the time, as systemd does: a daemon's
    /// `sd_notify` send blocks once a datagram socket's small queue is full, and a test busy elsewhere must
    /// not stall the daemon it watches.
    pub fn bind(dir: &Path) -> (NotifySocket, std::path::PathBuf) {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind notify socket");
        let (tx, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = socket.recv(&mut buf) {
                if tx
                    .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                    .is_err()
                {
                    break;
                }
            }
        });
        (
            NotifySocket {
                received,
                messages: Vec::new(),
            },
            path,
        )
    }

    /// Waits until a message containing `needle` arrives; returns it.
    pub fn wait_for(&mut self, needle: &str, timeout: Duration) -> Option<String> {
        if let Some(m) = self.messages.iter().find(|m| m.contains(needle)) {
            return Some(m.clone());
        }
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(m) = self.received.recv_timeout(left) else {
                break;
            };
            self.messages.push(m.clone());
            if m.contains(needle) {
                return Some(m);
            }
        }
        None
    }
}

/// Starts `veille run --config CONFIG` with the notify socket, logs to a file in `dir`.
pub fn start(config: &Path, notify: &Path, extra_env: &[(&str, &str)]) -> Child {
    let log = std::fs::File::create(config.with_file_name("daemon.log")).unwrap();
    let mut cmd = super::veille();
    cmd.args([
        "run",
        "--config",
        config.to_str().unwrap(),
        "--log-format",
        "json",
    ])
    .env("NOTIFY_SOCKET", notify)
    .env("VEILLE_LOG", "info")
    .stdout(Stdio::null())
    .stderr(log);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start the daemon")
}

/// The daemon's log so far.
pub fn log(config: &Path) -> String {
    std::fs::read_to_string(config.with_file_name("daemon.log")).unwrap_or_default()
}

pub fn signal(child: &Child, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{sig} failed");
}

/// Waits for the process to exit within `timeout`; `None` if it is still running then.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

/// Polls `cond` until it holds or `timeout` passes.
pub fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on 127.0.0.1:port; the body, or `None` when nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}
