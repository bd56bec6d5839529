//! The words of a chat message, said once for every kind, and the escaping each format needs.
//!
//! In: a notification and the channel's [`Voice`]. Out: a [`Card`], whose pieces are plain text built
//! from [`Said`] (the same sentence, figures and mentions as the email): each kind lays it out in its
//! service's format and escapes what came from a feed with the function here that fits that format.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::i18n::Voice;
use crate::model::{Notification, NotificationKind, Severity};
use crate::notify::said::{Said, SaidMention};

/// A message to a channel, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Card {
    pub severity: Severity,
    /// `CRITIQUE`, `WARNING`…
    pub severity_word: String,
    /// One line: what it is about.
    pub title: String,
    /// One sentence saying what happened.
    pub sentence: String,
    pub figures: Vec<(String, String)>,
    pub mentions: Vec<SaidMention>,
    /// "… and 4 more mentions."
    pub more: Option<String>,
    /// For a summary: one line per alert it folds.
    pub items: Vec<String>,
    /// The incident's page in the console, when it is served.
    pub open: Option<String>,
    pub labels: Labels,
    /// "Times in Paris time (UTC+1)."
    pub zone: String,
}

/// The fixed words of the layouts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Labels {
    pub brand: String,
    pub figures: String,
    pub mentions: String,
    pub open: String,
    pub read: String,
}

impl Card {
    /// The message for `n`, with at most `max_mentions` mentions; `public_url` is the console's address.
    pub fn of(n: &Notification, v: &Voice, max_mentions: usize, public_url: Option<&str>) -> Card {
        let said = Said::of(n, v, max_mentions, public_url);
        let folded = n.kind == NotificationKind::Digest;
        let (title, sentence) = if folded {
            (
                v.say("channel-summary-title", &[("count", n.items.len().into())]),
                v.word("channel-summary-sentence"),
            )
        } else {
            (said.line, said.sentence)
        };
        let label = |k: &str| v.say("channel-label", &[("label", k.into())]);
        Card {
            severity: n.severity,
            severity_word: v.say(
                "severity-upper",
                &[("severity", n.severity.as_str().into())],
            ),
            title,
            sentence,
            figures: if folded { Vec::new() } else { said.figures },
            more: (said.more_mentions > 0).then(|| {
                v.say(
                    "channel-more-mentions",
                    &[("count", said.more_mentions.into())],
                )
            }),
            mentions: said.mentions,
            items: said.items,
            open: said.incident_url,
            labels: Labels {
                brand: label("brand"),
                figures: label("figures"),
                mentions: label("mentions"),
                open: label("open"),
                read: label("read"),
            },
            zone: said.zone,
        }
    }

    /// What `veille notify test --channel` sends: a notification that says it is a test, and its card.
    pub fn test(v: &Voice, now: DateTime<Utc>) -> (Notification, Card) {
        let mut n = Notification::new(
            NotificationKind::IncidentOpened,
            Severity::Info,
            "veille",
            now,
        );
        n.key = Some(format!("test/{}", now.timestamp_millis()));
        n.explanation_fr = Some(v.word("channel-test-sentence"));
        n.explanation_en = n.explanation_fr.clone();
        let mut card = Card::of(&n, v, 0, None);
        card.title = v.word("channel-test-title");
        card.sentence = v.word("channel-test-sentence");
        card.figures.clear();
        (n, card)
    }

    /// A mention in one line of plain text: title — source, time, sentiment.
    pub fn mention_line(m: &SaidMention) -> String {
        let mut line = format!("{} — {}, {}", m.title, m.source, m.time);
        if let Some(s) = &m.sentiment {
            line.push_str(", ");
            line.push_str(s);
        }
        line
    }
}

/// Text that can ping no one: `@channel`, `@all`, `@room` and `@someone` get a word joiner after the `@`,
/// so that they read the same and notify nobody.
pub fn defuse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '@' && chars.peek().is_some_and(|n| n.is_alphanumeric()) {
            out.push('\u{2060}');
        }
    }
    out
}

/// [`defuse`]d text for Markdown (CommonMark: Mattermost): every ASCII punctuation character is
/// backslash-escaped, so no emphasis, link, image, heading, HTML or autolink can form.
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in defuse(s).chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// [`defuse`]d text for HTML (Google Chat, Matrix).
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in defuse(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// [`defuse`]d text for an Adaptive Card's `TextRun` (which renders no Markdown): template and flow
/// expressions (`${…}`, `@{…}`) get a zero-width space after their sigil, so no templating engine on the
/// way (Adaptive Card templating, Power Automate) evaluates them.
pub fn adaptive(s: &str) -> String {
    defuse(s)
        .replace("${", "$\u{200b}{")
        .replace("@{", "@\u{200b}{")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "**Boycott** <b>now</b> [click](javascript:x) ${env.SECRET} @channel &amp;";

    #[test]
    fn markdown_escapes_every_construct() {
        let m = markdown(HOSTILE);
        assert!(
            m.starts_with(r"\*\*Boycott\*\* \<b\>now\<\/b\> \[click\]\(javascript\:x\)"),
            "{m}"
        );
        assert!(m.contains("\\@\u{2060}channel"), "{m}");
        assert!(m.contains(r"\&amp\;"), "{m}");
    }

    #[test]
    fn html_escapes_tags_and_entities() {
        let h = html(HOSTILE);
        assert!(h.contains("&lt;b&gt;now&lt;/b&gt;"), "{h}");
        assert!(h.contains("&amp;amp;"), "{h}");
        assert!(!h.contains("<b>"), "{h}");
    }

    #[test]
    fn adaptive_text_breaks_expressions_and_mentions() {
        let a = adaptive(HOSTILE);
        assert!(!a.contains("${"), "{a}");
        assert!(a.contains("$\u{200b}{env.SECRET}"), "{a}");
        assert!(!a.contains("@channel"), "{a}");
        assert_eq!(adaptive("@{triggerBody()}"), "@\u{200b}{triggerBody()}");
        assert_eq!(defuse("mail me @ home, x@y"), "mail me @ home, x@\u{2060}y");
    }

    #[test]
    fn the_card_says_the_emails_sentence_and_figures() {
        use crate::model::Headline;
        let at = DateTime::from_timestamp(1_763_470_000, 0).unwrap();
        let mut n = Notification::new(
            NotificationKind::IncidentOpened,
            Severity::Critical,
            "Acme",
            at,
        );
        n.incident = Some(3);
        n.headline = Headline {
            count: Some(47),
            window: Some("1 h".into()),
            baseline: Some(8.0),
            ratio: Some(5.875),
            negative_share: Some(0.71),
            usual_negative_share: Some(0.2),
            sources: Some(4),
            ..Headline::default()
        };
        for v in [
            Voice::french(),
            Voice::new(crate::i18n::Locale::En, crate::i18n::DEFAULT_TZ),
        ] {
            let card = Card::of(&n, &v, 3, None);
            let email = crate::notify::render::render_with(
                &n,
                &crate::notify::render::RenderOptions::new(v),
            );
            assert_eq!(card.figures.len(), 5, "{:?}", card.figures);
            for (label, value) in &card.figures {
                assert!(
                    email.text.contains(
                        &format!("{label}{} {value}", v.word("colon")).replace("  ", " ")
                    ),
                    "{label} {value} not in:\n{}",
                    email.text
                );
            }
            assert!(email.text.contains(&card.sentence), "{}", email.text);
            assert!(email.subject.ends_with(&card.title), "{}", email.subject);
        }
    }
}
