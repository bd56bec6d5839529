//! Matrix, through the client-server API: `PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}`
//! with the bot account's access token.
//!
//! The transaction id is the decision's key: a resend after a crash is the same transaction, which the
//! homeserver answers with the event it already made instead of posting twice. The message has a plain
//! `body` and an HTML `formatted_body` (`org.matrix.custom.html`), every text escaped with [`html`] and
//! [`defuse`]d, so `@room` pings no one.

use serde_json::{Value, json};

use super::Outgoing;
use super::card::{Card, defuse, html};

/// The plain-text body.
pub fn body(c: &Card) -> String {
    let mut out = format!(
        "{} · {} — {}\n{}\n",
        c.labels.brand, c.severity_word, c.title, c.sentence
    );
    for (l, v) in &c.figures {
        out.push_str(&format!("{l} : {v}\n"));
    }
    for i in &c.items {
        out.push_str(&format!("• {i}\n"));
    }
    for m in &c.mentions {
        out.push_str(&format!("• {}", Card::mention_line(m)));
        if let Some(link) = &m.link {
            out.push_str(&format!(" {link}"));
        }
        out.push('\n');
    }
    if let Some(more) = &c.more {
        out.push_str(&format!("{more}\n"));
    }
    if let Some(url) = &c.open {
        out.push_str(&format!("{} : {url}\n", c.labels.open));
    }
    out.push_str(&c.zone);
    defuse(&out)
}

/// The HTML body.
pub fn formatted(c: &Card) -> String {
    let mut out = format!(
        "<p><strong>{} · {} — {}</strong></p><p>{}</p>",
        html(&c.labels.brand),
        html(&c.severity_word),
        html(&c.title),
        html(&c.sentence)
    );
    if !c.figures.is_empty() || !c.items.is_empty() {
        out.push_str("<ul>");
        for (l, v) in &c.figures {
            out.push_str(&format!(
                "<li><strong>{}</strong> : {}</li>",
                html(l),
                html(v)
            ));
        }
        for i in &c.items {
            out.push_str(&format!("<li>{}</li>", html(i)));
        }
        out.push_str("</ul>");
    }
    if !c.mentions.is_empty() {
        out.push_str(&format!(
            "<p><strong>{}</strong></p><ul>",
            html(&c.labels.mentions)
        ));
        for m in &c.mentions {
            let line = html(&Card::mention_line(m));
            match &m.link {
                Some(link) => out.push_str(&format!(
                    "<li>{line} — <a href=\"{}\">{}</a></li>",
                    html(link),
                    html(&c.labels.read)
                )),
                None => out.push_str(&format!("<li>{line}</li>")),
            }
        }
        out.push_str("</ul>");
    }
    if let Some(more) = &c.more {
        out.push_str(&format!("<p>{}</p>", html(more)));
    }
    if let Some(url) = &c.open {
        out.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            html(url),
            html(&c.labels.open)
        ));
    }
    out.push_str(&format!("<p><em>{}</em></p>", html(&c.zone)));
    out
}

pub fn message(c: &Card) -> Value {
    json!({
        "msgtype": "m.text",
        "body": body(c),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted(c),
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters: a room id or a key is one path
/// segment.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn request(homeserver: &str, room: &str, token: &str, c: &Card, key: &str) -> Outgoing {
    Outgoing {
        method: "PUT",
        url: format!(
            "{}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
            homeserver.trim_end_matches('/'),
            segment(room),
            segment(key)
        ),
        headers: vec![("Authorization".into(), format!("Bearer {token}"))],
        content_type: "application/json",
        body: message(c).to_string().into_bytes(),
    }
}
