//! Google Chat, through a space's webhook: a cards v2 message, `{"cardsV2": [{"cardId", "card"}]}`.
//!
//! Keyed by the decision: the request carries `requestId` (Chat answers a request ID it has seen with the
//! message it created then, instead of creating another) and `messageId` (`client-…`, the message's own
//! name in the space), both derived from the decision's key, so that a resend after a lost answer is the
//! same message, never a second one.
//!
//! Card text takes Google Chat's HTML subset: every text is escaped with [`html`]. There is no top-level
//! `text` (Chat would read `<users/all>` in it as a mention of everyone).

use serde_json::{Value, json};

use super::Outgoing;
use super::card::{Card, html};

fn paragraph(text: &str) -> Value {
    json!({ "textParagraph": { "text": html(text) } })
}

pub fn message(c: &Card, key: &str) -> Value {
    let mut sections = vec![json!({ "widgets": [paragraph(&c.sentence)] })];
    if !c.figures.is_empty() {
        sections.push(json!({
            "header": html(&c.labels.figures),
            "widgets": c.figures.iter().map(|(l, v)| json!({
                "decoratedText": { "topLabel": html(l), "text": html(v) }
            })).collect::<Vec<_>>(),
        }));
    }
    if !c.items.is_empty() {
        sections.push(json!({
            "widgets": c.items.iter().map(|i| paragraph(&format!("• {i}"))).collect::<Vec<_>>(),
        }));
    }
    if !c.mentions.is_empty() {
        let mut widgets: Vec<Value> = c
            .mentions
            .iter()
            .map(|m| {
                let mut w = json!({ "text": html(&Card::mention_line(m)), "wrapText": true });
                if let Some(link) = &m.link {
                    w["button"] = json!({
                        "text": html(&c.labels.read),
                        "onClick": { "openLink": { "url": link } },
                    });
                }
                json!({ "decoratedText": w })
            })
            .collect();
        if let Some(more) = &c.more {
            widgets.push(paragraph(more));
        }
        sections.push(json!({ "header": html(&c.labels.mentions), "widgets": widgets }));
    }
    let mut last = vec![paragraph(&c.zone)];
    if let Some(url) = &c.open {
        last.push(json!({ "buttonList": { "buttons": [{
            "text": html(&c.labels.open),
            "onClick": { "openLink": { "url": url } },
        }] } }));
    }
    sections.push(json!({ "widgets": last }));
    json!({
        "cardsV2": [{
            "cardId": card_id(key),
            "card": {
                "header": {
                    "title": html(&c.title),
                    "subtitle": html(&format!("{} · {}", c.labels.brand, c.severity_word)),
                },
                "sections": sections,
            },
        }],
    })
}

/// A card id from the decision's key: letters, digits and dashes only.
fn card_id(key: &str) -> String {
    let id: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(64)
        .collect();
    format!("veille-{id}")
}

/// The message's custom id from the decision's key: `client-` and 56 hex digits of the key's SHA-256
/// (Chat's rule: `client-`, then lower-case letters, digits and hyphens, 63 characters at most; keys
/// may be longer and hold other characters).
pub fn message_id(key: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("client-{}", &hex[..56])
}

/// The webhook's URL (which holds the space's `key` and `token`) with the decision's `requestId` and
/// `messageId` added.
fn keyed_url(url: &str, key: &str) -> String {
    let id = message_id(key);
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.query_pairs_mut()
                .append_pair("requestId", &id)
                .append_pair("messageId", &id);
            u.to_string()
        }
        // Validation refuses a URL that does not parse; keep it as given rather than guess.
        Err(_) => url.to_owned(),
    }
}

pub fn request(url: &str, c: &Card, key: &str) -> Outgoing {
    Outgoing {
        method: "POST",
        url: keyed_url(url, key),
        headers: Vec::new(),
        content_type: "application/json; charset=UTF-8",
        body: message(c, key).to_string().into_bytes(),
    }
}
