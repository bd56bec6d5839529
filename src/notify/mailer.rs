//! SMTP: one email handed to the server, and what the server said.
//!
//! In: the `[email]` settings and rendered emails. Out: the server's final reply (`250 …`) or a
//! [`MailError`] that says whether trying again later may help ([`MailError::is_transient`]).
//!
//! lettre speaks SMTP over tokio with rustls (ring): `smtps://` is TLS from the first byte; `smtp://` uses
//! STARTTLS, required for a remote server, taken when offered on loopback (a local relay often has no
//! certificate). The password is read from a file or the environment when the mailer is built; it is never
//! logged, and never part of an error message.

use std::path::Path;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, Mailboxes, MultiPart, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use super::config::{EmailConfig, Security, ServerUrl};
use super::render::RenderedEmail;

/// Why an email was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail server {server}: {message}")]
    Smtp {
        server: String,
        /// The SMTP code the server answered, when it answered one.
        code: Option<u16>,
        message: String,
        permanent: bool,
    },
    #[error("notification {id}: cannot build the email: {message}")]
    Build { id: i64, message: String },
    #[error("email settings: {0}")]
    Setup(String),
}

impl MailError {
    /// Whether trying again later may succeed: a 4xx reply, a refused or dropped connection, a timeout.
    /// A 5xx reply (a recipient refused, a message rejected) or a malformed email is final.
    pub fn is_transient(&self) -> bool {
        match self {
            MailError::Smtp { permanent, .. } => !permanent,
            MailError::Build { .. } | MailError::Setup(_) => false,
        }
    }

    fn smtp(server: &ServerUrl, e: &lettre::transport::smtp::Error) -> MailError {
        let code = e.status().map(u16::from);
        // lettre's Display of an error carries the server's text; we add nothing secret to it.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        MailError::Smtp {
            server: server.to_string(),
            code,
            message,
            permanent: e.is_permanent(),
        }
    }
}

/// The server's final reply to an accepted email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub code: u16,
    pub text: String,
}

impl std::fmt::Display for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.text)
    }
}

/// An email addressed and ready: who it is from and to, its stable id and its words.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub to: Vec<String>,
    /// Without angle brackets, e.g. `veille.outbox.12.1763470000@example.fr`.
    pub message_id: String,
    pub date: DateTime<Utc>,
    /// Without angle brackets: the thread this email belongs to (every email about one incident names the
    /// same, so that mail clients show opening, escalation and resolution together).
    pub thread: Option<String>,
    pub email: RenderedEmail,
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail servers and people's auto-responders that no
/// person wrote this email, so that no out-of-office reply comes back to it.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl header::Header for AutoSubmitted {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// A connected-on-demand SMTP client for one `[email]` configuration.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    timeout: std::time::Duration,
    server: ServerUrl,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server.to_string())
            .finish_non_exhaustive()
    }
}

/// Reads the SMTP password from where the configuration says.
///
/// # Errors
/// When the file cannot be read or the variable is unset; the message names where, never the value.
pub fn password(config: &EmailConfig, config_dir: &Path) -> Result<Option<String>, MailError> {
    if let Some(path) = config.password_path(config_dir) {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            MailError::Setup(format!(
                "cannot read the password file {}: {e}",
                path.display()
            ))
        })?;
        // Files written by editors or `echo` end with a newline that is not part of the password.
        return Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()));
    }
    if let Some(var) = &config.password_env {
        return std::env::var(var).map(Some).map_err(|_| {
            MailError::Setup(format!(
                "the environment variable {var} holding the password is not set"
            ))
        });
    }
    Ok(None)
}

impl Mailer {
    /// Builds the client. Nothing is connected yet.
    ///
    /// # Errors
    /// When the settings are unusable or the password cannot be read.
    pub fn build(config: &EmailConfig, config_dir: &Path) -> Result<Mailer, MailError> {
        // reqwest and lettre share rustls; make sure the one provider we build is the process default.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let server = config.server_url().map_err(MailError::Setup)?;
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| MailError::Setup(format!("from {:?}: {e}", config.from)))?;
        let ca =
            match &config.ca_file {
                Some(p) => {
                    let path = if p.is_absolute() {
                        p.clone()
                    } else {
                        config_dir.join(p)
                    };
                    let pem = std::fs::read(&path).map_err(|e| {
                        MailError::Setup(format!("cannot read ca_file {}: {e}", path.display()))
                    })?;
                    Some(Certificate::from_pem(&pem).map_err(|e| {
                        MailError::Setup(format!("ca_file {}: {e}", path.display()))
                    })?)
                }
                None => None,
            };
        let tls = |host: &str| {
            let mut b = TlsParameters::builder(host.to_owned());
            if let Some(ca) = &ca {
                b = b.add_root_certificate(ca.clone());
            }
            b.build_rustls()
                .map_err(|e| MailError::Setup(format!("TLS for {host}: {e}")))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
            .port(server.port)
            .timeout(Some(config.timeout.0));
        builder = match server.security {
            Security::Implicit => builder.tls(Tls::Wrapper(tls(&server.host)?)),
            Security::StartTls => builder.tls(Tls::Required(tls(&server.host)?)),
            Security::Opportunistic => builder.tls(Tls::Opportunistic(tls(&server.host)?)),
        };
        if let Some(user) = &config.username {
            let pw = password(config, config_dir)?.unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), pw));
        }
        Ok(Mailer {
            transport: builder.build(),
            timeout: config.timeout.0,
            server,
            from,
        })
    }

    /// The server, as `smtp://host:port`.
    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    /// The domain of the sender's address: the right-hand side of every Message-ID.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }

    /// Builds the MIME message for `e`: multipart/alternative, plain text then HTML, UTF-8.
    ///
    /// # Errors
    /// When an address does not parse.
    pub fn message(&self, id: i64, e: &Envelope) -> Result<Message, MailError> {
        let build = |message: String| MailError::Build { id, message };
        let mut to = Mailboxes::new();
        for a in &e.to {
            to.push(
                a.parse::<Mailbox>()
                    .map_err(|err| build(format!("{a:?}: {err}")))?,
            );
        }
        let mut b = Message::builder()
            .from(self.from.clone())
            .subject(e.email.subject.clone())
            .message_id(Some(format!("<{}>", e.message_id)))
            .date(e.date.into())
            .header(header::MIME_VERSION_1_0)
            .header(AutoSubmitted);
        if let Some(thread) = &e.thread {
            b = b
                .in_reply_to(format!("<{thread}>"))
                .references(format!("<{thread}>"));
        }
        for m in to {
            b = b.to(m);
        }
        b.multipart(MultiPart::alternative_plain_html(
            e.email.text.clone(),
            e.email.html.clone(),
        ))
        .map_err(|err| build(err.to_string()))
    }

    /// Hands `message` to the server for one recipient (the SMTP envelope names only them; the headers
    /// still show every recipient) and returns the server's final reply.
    ///
    /// # Errors
    /// [`MailError::Smtp`] with the server's code and text, or [`MailError::Build`].
    pub async fn send_to(
        &self,
        id: i64,
        message: &Message,
        recipient: &str,
    ) -> Result<Accepted, MailError> {
        let build = |message: String| MailError::Build { id, message };
        let to: lettre::Address = recipient
            .parse::<Mailbox>()
            .map_err(|e| build(format!("{recipient:?}: {e}")))?
            .email;
        let envelope = lettre::address::Envelope::new(Some(self.from.email.clone()), vec![to])
            .map_err(|e| build(e.to_string()))?;
        self.exchange(self.transport.send_raw(&envelope, &message.formatted()))
            .await
    }

    async fn exchange(
        &self,
        send: impl std::future::Future<
            Output = Result<
                lettre::transport::smtp::response::Response,
                lettre::transport::smtp::Error,
            >,
        >,
    ) -> Result<Accepted, MailError> {
        // lettre bounds connecting and each command, but not every read (a server that accepts the
        // connection and never greets would hold us forever): bound the whole exchange too.
        let response = tokio::time::timeout(self.timeout, send)
            .await
            .map_err(|_| MailError::Smtp {
                server: self.server.to_string(),
                code: None,
                message: format!(
                    "no complete answer within {} s; the server may be overloaded",
                    self.timeout.as_secs()
                ),
                permanent: false,
            })?
            .map_err(|err| MailError::smtp(&self.server, &err))?;
        Ok(Accepted {
            code: u16::from(response.code()),
            text: response.message().collect::<Vec<_>>().join(" "),
        })
    }

    /// Hands one email to the server, for all its recipients at once, and returns its final reply.
    ///
    /// # Errors
    /// [`MailError::Smtp`] with the server's code and text, or [`MailError::Build`].
    pub async fn send(&self, id: i64, e: &Envelope) -> Result<Accepted, MailError> {
        let message = self.message(id, e)?;
        self.exchange(self.transport.send(message)).await
    }
}

/// The thread of every email about incident `incident`.
pub fn incident_thread(incident: i64, domain: &str) -> String {
    format!("veille.incident.{incident}@{domain}")
}

/// The Message-ID of outbox row `id` created at `created`: the same for every attempt, so that a resend
/// after a crash is recognisable as the same email.
pub fn message_id(id: i64, created: DateTime<Utc>, domain: &str) -> String {
    format!("veille.outbox.{id}.{}@{domain}", created.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable() {
        let t = DateTime::from_timestamp(1_763_470_000, 0).unwrap();
        assert_eq!(
            message_id(12, t, "example.fr"),
            "veille.outbox.12.1763470000@example.fr"
        );
    }

    #[test]
    fn the_password_comes_from_a_file_without_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
        let mut c = EmailConfig::new("smtp://127.0.0.1", "v@example.fr", &["a@example.fr"]);
        c.username = Some("v".into());
        c.password_file = Some("pw".into());
        assert_eq!(password(&c, dir.path()).unwrap().as_deref(), Some("s3cret"));
        c.password_file = Some("missing".into());
        let e = password(&c, dir.path()).unwrap_err().to_string();
        assert!(e.contains("cannot read the password file"), "{e}");
        c.password_file = None;
        c.password_env = Some("VEILLE_TEST_UNSET_PASSWORD_VARIABLE".into());
        let e = password(&c, dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("VEILLE_TEST_UNSET_PASSWORD_VARIABLE holding the password is not set"),
            "{e}"
        );
    }
}
