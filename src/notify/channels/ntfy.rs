//! ntfy: a push on the phone. The message is POSTed to the topic's URL as plain text, with the headers
//! ntfy documents: `Title` (RFC 2047-encoded when it is not ASCII, as ntfy accepts), `Priority` from the
//! severity (critical = 5, urgent), `Tags`, `Click` (the incident's page, when the console is served)
//! and, with a token, `Authorization: Bearer`.

use base64::Engine as _;

use super::Outgoing;
use super::card::{Card, defuse};
use crate::model::Severity;

/// ntfy's priority of a severity: 5 urgent, 4 high, 3 default.
pub fn priority(s: Severity) -> u8 {
    match s {
        Severity::Critical => 5,
        Severity::Warning => 4,
        Severity::Info => 3,
    }
}

fn tags(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "rotating_light,veille",
        Severity::Warning => "warning,veille",
        Severity::Info => "information_source,veille",
    }
}

/// A header value: as is when it is printable ASCII, else RFC 2047 `=?UTF-8?B?…?=`.
pub fn header_text(s: &str) -> String {
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
        )
    }
}

/// The plain-text message.
pub fn text(c: &Card) -> String {
    let mut out = format!("{}\n", c.sentence);
    for (l, v) in &c.figures {
        out.push_str(&format!("{l} : {v}\n"));
    }
    for i in &c.items {
        out.push_str(&format!("• {i}\n"));
    }
    for m in &c.mentions {
        out.push_str(&format!("• {}\n", Card::mention_line(m)));
    }
    if let Some(more) = &c.more {
        out.push_str(&format!("{more}\n"));
    }
    out.push_str(&c.zone);
    defuse(&out)
}

pub fn request(topic_url: &str, token: Option<&str>, c: &Card) -> Outgoing {
    let mut headers = vec![
        (
            "Title".to_owned(),
            header_text(&format!("{} — {}", c.severity_word, c.title)),
        ),
        ("Priority".to_owned(), priority(c.severity).to_string()),
        ("Tags".to_owned(), tags(c.severity).to_owned()),
    ];
    if let Some(url) = &c.open {
        headers.push(("Click".to_owned(), url.clone()));
    }
    if let Some(t) = token {
        headers.push(("Authorization".to_owned(), format!("Bearer {t}")));
    }
    Outgoing {
        method: "POST",
        url: topic_url.to_owned(),
        headers,
        content_type: "text/plain; charset=utf-8",
        body: text(c).into_bytes(),
    }
}
