//! A real SMTP server on 127.0.0.1 for tests: it speaks EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and
//! QUIT over TCP, keeps every message it accepted, and can be told to refuse (4xx or 5xx) at any step.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Accepts every message.
    Accept,
    /// `421` at the greeting: the service is not available (transient).
    Unavailable,
    /// `550` to every RCPT (permanent).
    RejectRecipients,
    /// `451` after the data (transient).
    DeferData,
}

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    /// The value of the first header `name` in the raw message (unfolded), if any.
    pub fn raw_header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.data);
        let head = text.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                return value;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_owned());
                }
            }
        }
        value
    }
}

struct Shared {
    mode: Mutex<Mode>,
    received: Mutex<Vec<Received>>,
    auth: Mutex<Vec<String>>,
    transactions: Mutex<usize>,
    stopped: AtomicBool,
}

/// A running server; it stops accepting connections when dropped.
pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
}

/// A port on 127.0.0.1 nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(0)
    }

    /// Starts on `port` (0: any free port).
    pub fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP test server");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Accept),
            received: Mutex::default(),
            auth: Mutex::default(),
            transactions: Mutex::new(0),
            stopped: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        std::thread::spawn(move || {
            while !s.stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let s = Arc::clone(&s);
                        std::thread::spawn(move || {
                            let _ = serve(stream, &s);
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        // Nothing to accept: look again shortly (this is the server's accept loop, not a
                        // test waiting for something).
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => return,
                }
            }
        });
        SmtpServer { port, shared }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The AUTH PLAIN payloads the server was sent, decoded (`\0user\0password`).
    pub fn auth(&self) -> Vec<String> {
        self.shared.auth.lock().unwrap().clone()
    }

    /// MAIL FROM commands seen, accepted or not.
    pub fn transactions(&self) -> usize {
        *self.shared.transactions.lock().unwrap()
    }

    /// Waits until `n` messages were received, or panics after `within`.
    pub fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let r = self.received();
            if r.len() >= n {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP server got {} message(s), expected {n}",
                r.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, s: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mode = *s.mode.lock().unwrap();
    if mode == Mode::Unavailable {
        out.write_all(b"421 4.3.2 test server not available\r\n")?;
        return Ok(());
    }
    out.write_all(b"220 smtp.test ESMTP ready\r\n")?;
    let mut from = String::new();
    let mut to = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let mode = *s.mode.lock().unwrap();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-smtp.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 AUTH PLAIN\r\n")?;
        } else if upper.starts_with("HELO") {
            out.write_all(b"250 smtp.test\r\n")?;
        } else if upper.starts_with("AUTH PLAIN") {
            let payload = cmd.split_whitespace().nth(2).unwrap_or("");
            let decoded = base64_decode(payload);
            s.auth.lock().unwrap().push(decoded);
            out.write_all(b"235 2.7.0 Authentication successful\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            *s.transactions.lock().unwrap() += 1;
            from = cmd[10..].trim().to_owned();
            to.clear();
            out.write_all(b"250 2.1.0 Ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            if mode == Mode::RejectRecipients {
                out.write_all(b"550 5.1.1 No such user here\r\n")?;
            } else {
                to.push(cmd[8..].trim().to_owned());
                out.write_all(b"250 2.1.5 Ok\r\n")?;
            }
        } else if upper == "DATA" {
            out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if reader.read_until(b'\n', &mut l)? == 0 {
                    return Ok(());
                }
                if l == b".\r\n" {
                    break;
                }
                // Dot-unstuffing, as RFC 5321 says.
                if l.starts_with(b"..") {
                    l.remove(0);
                }
                data.extend_from_slice(&l);
            }
            if mode == Mode::DeferData {
                out.write_all(b"451 4.3.0 Try again later\r\n")?;
            } else {
                let n = {
                    let mut r = s.received.lock().unwrap();
                    r.push(Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                    r.len()
                };
                out.write_all(format!("250 2.0.0 Ok: queued as TEST{n}\r\n").as_bytes())?;
            }
        } else if upper == "RSET" || upper == "NOOP" {
            out.write_all(b"250 2.0.0 Ok\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 2.0.0 Bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 5.5.2 Command not recognised\r\n")?;
        }
    }
}

fn base64_decode(s: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}
