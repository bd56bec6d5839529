//! Slack, through an incoming webhook: Block Kit.
//!
//! `{"text": fallback, "blocks": [header, context, section, fields, mentions, actions]}`. Every text from
//! a feed is a `plain_text` object, which Slack renders as is (no mrkdwn, no `<!channel>`); the
//! fallback `text`, which Slack reads as mrkdwn, is escaped as Slack asks (`&`, `<`, `>`).

use serde_json::{Value, json};

use super::Outgoing;
use super::card::{Card, defuse};

fn plain(text: &str, max: usize) -> Value {
    let text: String = defuse(text).chars().take(max).collect();
    json!({ "type": "plain_text", "text": text, "emoji": false })
}

fn mrkdwn_escaped(s: &str) -> String {
    defuse(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn message(c: &Card) -> Value {
    let mut blocks = vec![
        json!({ "type": "header", "text": plain(&c.title, 150) }),
        json!({ "type": "context", "elements": [plain(&format!("{} · {}", c.labels.brand, c.severity_word), 2000)] }),
        json!({ "type": "section", "text": plain(&c.sentence, 3000) }),
    ];
    if !c.figures.is_empty() {
        blocks.push(json!({
            "type": "section",
            "fields": c.figures.iter().take(10).map(|(l, v)| plain(&format!("{l} : {v}"), 2000)).collect::<Vec<_>>(),
        }));
    }
    for item in &c.items {
        blocks.push(json!({ "type": "section", "text": plain(&format!("• {item}"), 3000) }));
    }
    if !c.mentions.is_empty() {
        blocks.push(json!({ "type": "divider" }));
        blocks.push(json!({ "type": "context", "elements": [plain(&c.labels.mentions, 2000)] }));
        for m in &c.mentions {
            let mut section =
                json!({ "type": "section", "text": plain(&Card::mention_line(m), 3000) });
            if let Some(link) = &m.link {
                section["accessory"] = json!({
                    "type": "button",
                    "text": plain(&c.labels.read, 75),
                    "url": link,
                });
            }
            blocks.push(section);
        }
    }
    if let Some(more) = &c.more {
        blocks.push(json!({ "type": "context", "elements": [plain(more, 2000)] }));
    }
    blocks.push(json!({ "type": "context", "elements": [plain(&c.zone, 2000)] }));
    if let Some(url) = &c.open {
        blocks.push(json!({
            "type": "actions",
            "elements": [{ "type": "button", "text": plain(&c.labels.open, 75), "url": url, "style": "primary" }],
        }));
    }
    json!({
        "text": mrkdwn_escaped(&format!("{} — {}", c.severity_word, c.title)),
        "blocks": blocks,
    })
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
