//! Mattermost, through an incoming webhook: one Markdown message, `{"text": …}`.
//!
//! Every piece of text is escaped with [`markdown`], so a title from a feed stays the text it was; links
//! are written `[…](<url>)` with an `http(s)` URL only.

use serde_json::{Value, json};

use super::Outgoing;
use super::card::{Card, markdown};

/// The Markdown text of the message.
pub fn text(c: &Card) -> String {
    let mut out = format!(
        "#### {} · {} — {}\n\n{}\n",
        markdown(&c.labels.brand),
        markdown(&c.severity_word),
        markdown(&c.title),
        markdown(&c.sentence)
    );
    if !c.figures.is_empty() {
        out.push('\n');
        for (l, v) in &c.figures {
            out.push_str(&format!("- **{}** : {}\n", markdown(l), markdown(v)));
        }
    }
    for item in &c.items {
        out.push_str(&format!("- {}\n", markdown(item)));
    }
    if !c.mentions.is_empty() {
        out.push_str(&format!("\n**{}**\n", markdown(&c.labels.mentions)));
        for m in &c.mentions {
            let line = markdown(&Card::mention_line(m));
            match &m.link {
                Some(link) => out.push_str(&format!(
                    "- {line} — [{}](<{}>)\n",
                    markdown(&c.labels.read),
                    link_target(link)
                )),
                None => out.push_str(&format!("- {line}\n")),
            }
        }
    }
    if let Some(more) = &c.more {
        out.push_str(&format!("\n{}\n", markdown(more)));
    }
    if let Some(url) = &c.open {
        out.push_str(&format!(
            "\n[{}](<{}>)\n",
            markdown(&c.labels.open),
            link_target(url)
        ));
    }
    out.push_str(&format!("\n_{}_", markdown(&c.zone)));
    out
}

/// An `http(s)` URL as a Markdown link target between angle brackets: nothing in it can close them.
fn link_target(url: &str) -> String {
    url.replace('<', "%3C")
        .replace('>', "%3E")
        .replace(' ', "%20")
}

pub fn message(c: &Card) -> Value {
    json!({ "text": text(c) })
}

pub fn request(url: &str, c: &Card) -> Outgoing {
    Outgoing {
        method: "POST",
        url: url.to_owned(),
        headers: Vec::new(),
        content_type: "application/json",
        body: message(c).to_string().into_bytes(),
    }
}
