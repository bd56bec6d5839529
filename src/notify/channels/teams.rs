//! Microsoft Teams, through a Workflows (Power Automate) webhook: a message with one Adaptive Card.
//!
//! The old Office 365 connectors are retired; a Workflows "post to a channel when a webhook request is
//! received" flow takes `{"type": "message", "attachments": [{"contentType":
//! "application/vnd.microsoft.card.adaptive", "content": {AdaptiveCard}}]}`. Text from feeds goes in
//! `TextRun`s, which render no Markdown, and through [`adaptive`] so no expression is evaluated.

use serde_json::{Value, json};

use super::Outgoing;
use super::card::{Card, adaptive};
use crate::model::Severity;

/// The Adaptive Card colour of a severity.
fn colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Attention",
        Severity::Warning => "Warning",
        Severity::Info => "Accent",
    }
}

fn run(text: &str) -> Value {
    json!({ "type": "TextRun", "text": adaptive(text) })
}

fn block(inlines: Vec<Value>) -> Value {
    json!({ "type": "RichTextBlock", "inlines": inlines })
}

/// The Adaptive Card alone (what `veille demo` shows).
pub fn card(c: &Card) -> Value {
    let mut body = vec![
        block(vec![json!({
            "type": "TextRun",
            "text": adaptive(&format!("{} · {}", c.labels.brand, c.severity_word)),
            "color": colour(c.severity),
            "weight": "Bolder",
            "size": "Small",
        })]),
        block(vec![json!({
            "type": "TextRun",
            "text": adaptive(&c.title),
            "weight": "Bolder",
            "size": "Medium",
        })]),
        block(vec![run(&c.sentence)]),
    ];
    if !c.figures.is_empty() {
        body.push(json!({
            "type": "FactSet",
            "facts": c.figures.iter().map(|(l, v)| json!({
                "title": adaptive(l),
                "value": adaptive(v),
            })).collect::<Vec<_>>(),
        }));
    }
    for item in &c.items {
        body.push(block(vec![run(&format!("• {item}"))]));
    }
    if !c.mentions.is_empty() {
        body.push(block(vec![json!({
            "type": "TextRun",
            "text": adaptive(&c.labels.mentions),
            "weight": "Bolder",
        })]));
        for m in &c.mentions {
            let mut r = run(&Card::mention_line(m));
            if let Some(link) = &m.link {
                r["selectAction"] = json!({ "type": "Action.OpenUrl", "url": link });
                r["underline"] = json!(true);
            }
            body.push(block(vec![r]));
        }
    }
    if let Some(more) = &c.more {
        body.push(block(vec![run(more)]));
    }
    body.push(block(vec![json!({
        "type": "TextRun",
        "text": adaptive(&c.zone),
        "isSubtle": true,
        "size": "Small",
    })]));
    let actions: Vec<Value> = c
        .open
        .iter()
        .map(|url| json!({ "type": "Action.OpenUrl", "title": adaptive(&c.labels.open), "url": url }))
        .collect();
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": { "width": "Full" },
        "body": body,
    });
    if !actions.is_empty() {
        card["actions"] = Value::from(actions);
    }
    card
}

/// The Workflows message carrying [`card`].
pub fn message(c: &Card) -> Value {
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card(c),
        }],
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
