//! A real SMTP server on 127.0.0.1 for tests: it speaks EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and
//! QUIT over TCP, keeps every message it accepted, and can be told to refuse (4xx or 5xx) at any step.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
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
    /// Accepts the connection and never says a word.
    Stall,
    /// `550` to RCPT for this address only.
    RejectOne(&'static str),
    /// `450` to RCPT for this address only (mailbox busy: transient).
    DeferOne(&'static str),
}

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// Whether the message came over TLS (STARTTLS or implicit).
    pub tls: bool,
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
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_owned());
            }
        }
        value
    }
}

/// How the server offers TLS.
#[derive(Clone)]
pub enum Security {
    Plain,
    /// Advertises STARTTLS and upgrades on request.
    StartTls(Arc<rustls::ServerConfig>),
    /// TLS from the first byte (smtps).
    Implicit(Arc<rustls::ServerConfig>),
}

struct Shared {
    security: Security,
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
        SmtpServer::start_with(port, Security::Plain)
    }

    /// Starts on `port` (0: any free port) with the given TLS offer.
    pub fn start_with(port: u16, security: Security) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP test server");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            security,
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

/// A connection, plain or wrapped in TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Conn {
    fn tls(config: &Arc<rustls::ServerConfig>, tcp: TcpStream) -> std::io::Result<Conn> {
        let server =
            rustls::ServerConnection::new(Arc::clone(config)).map_err(std::io::Error::other)?;
        Ok(Conn::Tls(Box::new(rustls::StreamOwned::new(server, tcp))))
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

fn serve(stream: TcpStream, s: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let conn = match &s.security {
        Security::Implicit(config) => Conn::tls(config, stream)?,
        _ => Conn::Plain(stream),
    };
    let mut io = BufReader::new(conn);
    let mode = *s.mode.lock().unwrap();
    if mode == Mode::Stall {
        // Hold the connection, silent, until the client gives up (its timeout) or the server stops.
        let mut byte = [0u8; 1];
        let _ = io.read(&mut byte);
        return Ok(());
    }
    if mode == Mode::Unavailable {
        io.get_mut()
            .write_all(b"421 4.3.2 test server not available\r\n")?;
        return io.get_mut().flush();
    }
    io.get_mut().write_all(b"220 smtp.test ESMTP ready\r\n")?;
    io.get_mut().flush()?;
    let mut from = String::new();
    let mut to = Vec::new();
    loop {
        let mut line = String::new();
        if io.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let mode = *s.mode.lock().unwrap();
        let is_tls = matches!(io.get_ref(), Conn::Tls(_));
        let reply: Vec<u8> = if upper.starts_with("EHLO") {
            let starttls = matches!(s.security, Security::StartTls(_)) && !is_tls;
            format!(
                "250-smtp.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{}250 AUTH PLAIN\r\n",
                if starttls { "250-STARTTLS\r\n" } else { "" }
            )
            .into_bytes()
        } else if upper == "STARTTLS" {
            let Security::StartTls(config) = &s.security else {
                io.get_mut()
                    .write_all(b"502 5.5.1 STARTTLS not offered\r\n")?;
                continue;
            };
            io.get_mut()
                .write_all(b"220 2.0.0 Ready to start TLS\r\n")?;
            io.get_mut().flush()?;
            let Conn::Plain(tcp) = io.into_inner() else {
                return Ok(());
            };
            io = BufReader::new(Conn::tls(config, tcp)?);
            continue;
        } else if upper.starts_with("HELO") {
            b"250 smtp.test\r\n".to_vec()
        } else if upper.starts_with("AUTH PLAIN") {
            let payload = cmd.split_whitespace().nth(2).unwrap_or("");
            s.auth.lock().unwrap().push(base64_decode(payload));
            b"235 2.7.0 Authentication successful\r\n".to_vec()
        } else if upper.starts_with("MAIL FROM:") {
            *s.transactions.lock().unwrap() += 1;
            from = cmd[10..].trim().to_owned();
            to.clear();
            b"250 2.1.0 Ok\r\n".to_vec()
        } else if upper.starts_with("RCPT TO:") {
            let address = cmd[8..].trim().trim_start_matches('<');
            let address = address.split('>').next().unwrap_or("").to_owned();
            let refused = match mode {
                Mode::RejectRecipients => true,
                Mode::RejectOne(a) => a == address,
                _ => false,
            };
            if refused {
                b"550 5.1.1 No such user here\r\n".to_vec()
            } else if matches!(mode, Mode::DeferOne(a) if a == address) {
                b"450 4.2.1 Mailbox busy, try later\r\n".to_vec()
            } else {
                to.push(cmd[8..].trim().to_owned());
                b"250 2.1.5 Ok\r\n".to_vec()
            }
        } else if upper == "DATA" {
            io.get_mut()
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            io.get_mut().flush()?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if io.read_until(b'\n', &mut l)? == 0 {
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
                b"451 4.3.0 Try again later\r\n".to_vec()
            } else {
                let n = {
                    let mut r = s.received.lock().unwrap();
                    r.push(Received {
                        tls: is_tls,
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                    r.len()
                };
                format!("250 2.0.0 Ok: queued as TEST{n}\r\n").into_bytes()
            }
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 2.0.0 Ok\r\n".to_vec()
        } else if upper == "QUIT" {
            io.get_mut().write_all(b"221 2.0.0 Bye\r\n")?;
            return io.get_mut().flush();
        } else {
            b"502 5.5.2 Command not recognised\r\n".to_vec()
        };
        io.get_mut().write_all(&reply)?;
        io.get_mut().flush()?;
    }
}

/// A self-signed certificate for `localhost` and a server configuration using it; the PEM is what a
/// client must trust.
pub fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], key)
    .unwrap();
    (Arc::new(config), cert.pem())
}

fn base64_decode(s: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}
