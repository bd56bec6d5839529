//! Words: a [`Notification`] becomes a subject, a plain-text part and an HTML part, in the reader's language
//! and on the reader's clock.
//!
//! In: a notification (as detection wrote it, or a digest the worker assembled) and the reader's
//! [`Voice`]. Out: a [`RenderedEmail`]. Pure: no clock, no I/O — `veille demo` calls [`render`] to show the
//! email it would send. The layouts are two template files (`src/notify/templates/email.{txt,html}`,
//! minijinja, embedded in the binary), the same for every language; every word in them comes from the
//! message files (`src/i18n/*/email.ftl`) through the voice, and the sentence that says what happened is
//! [`crate::i18n::words`]' — the same words the CLI and the console use.
//!
//! Everything that came from a feed is data: the HTML part escapes it (minijinja's auto-escaping for
//! `.html` templates), control characters are removed from every string, and the subject is one line of
//! text that no feed content can break (CR/LF never reach a header). Links keep only `http(s)` targets and
//! are shown with their real host; there are no images, remote or not.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use minijinja::Environment;
use serde::Serialize;

use super::said::{SaidMention, clean, figures, incident_url, line, mention, one_line, sentence};
use crate::i18n::{Locale, Voice};
use crate::model::{Notification, NotificationKind, NotifiedMention};

/// An email, ready to be put in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedEmail {
    /// One line, no control characters.
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What rendering needs beyond the notification.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The reader's language and clock.
    pub voice: Voice,
    /// Most mentions shown (across a digest's items).
    pub max_mentions: usize,
    /// Recipients for whom this email is the last immediate one this hour.
    pub cap_reached: Vec<String>,
    /// The console's address (`[web] public_url`): the email links to the incident's page instead of
    /// telling the reader which command to type.
    pub public_url: Option<String>,
    /// What people did about the incident so far (taken, notes, silences, resolved by hand), said
    /// ([`crate::i18n::words::person_line`]).
    pub handled: Vec<String>,
}

impl RenderOptions {
    pub fn new(voice: Voice) -> RenderOptions {
        RenderOptions {
            voice,
            max_mentions: 20,
            cap_reached: Vec::new(),
            public_url: None,
            handled: Vec::new(),
        }
    }
}

/// Renders `n` for a reader of `locale`, times in Paris time, with the default limits.
pub fn render(n: &Notification, locale: Locale) -> RenderedEmail {
    render_with(
        n,
        &RenderOptions::new(Voice::new(locale, crate::i18n::DEFAULT_TZ)),
    )
}

/// Renders `n` with explicit options.
pub fn render_with(n: &Notification, o: &RenderOptions) -> RenderedEmail {
    let v = &o.voice;
    let subject = one_line(&subject(v, n));
    let mut budget = o.max_mentions;
    let digest = n.kind == NotificationKind::Digest;
    let (items, mentions) = if digest {
        let items: Vec<ItemCtx> = n
            .items
            .iter()
            .map(|i| ItemCtx {
                line: one_line(&line(v, i)),
                sentence: clean(&sentence(v, i)),
                mentions: take_mentions(&i.mentions, v, &mut budget),
            })
            .collect();
        (items, Vec::new())
    } else {
        (Vec::new(), take_mentions(&n.mentions, v, &mut budget))
    };
    let total: usize = if digest {
        n.items.iter().map(|i| i.mentions.len()).sum()
    } else {
        n.mentions.len()
    };
    let shown = o.max_mentions - budget;
    let cap_note = (!o.cap_reached.is_empty()).then(|| {
        v.say(
            "email-cap-reached",
            &[("who", o.cap_reached.join(", ").into())],
        )
    });
    let incident_url = incident_url(o.public_url.as_deref(), n);
    let resolved = matches!(
        n.kind,
        NotificationKind::IncidentResolved | NotificationKind::SourceRecovered
    );
    let actions = if digest || resolved {
        Vec::new()
    } else {
        actions(v, n, incident_url.as_deref())
    };
    let ctx = Ctx {
        lang: v.locale.tag(),
        subject: subject.clone(),
        digest,
        sentence: clean(&sentence(v, n)),
        cap_note,
        figures: figures(v, n),
        mentions,
        more_mentions: (total > shown)
            .then(|| v.say("email-more-mentions", &[("count", (total - shown).into())])),
        terms: clean(&n.terms.join(", ")),
        items,
        actions,
        handled: if digest {
            Vec::new()
        } else {
            o.handled.clone()
        },
        incident_url,
        zone: v.say("times-in", &[("zone", v.zone(n.at).into())]),
        t: labels(v),
    };
    let env = environment();
    let render = |name: &str| {
        env.get_template(name)
            .and_then(|t| t.render(&ctx))
            // The templates are ours and embedded: a failure is a bug, shown rather than hidden.
            .unwrap_or_else(|e| format!("template {name} failed: {e}"))
    };
    RenderedEmail {
        subject,
        text: render("email.txt"),
        html: render("email.html"),
    }
}

/// The fixed words of the layouts, by name.
fn labels(v: &Voice) -> BTreeMap<&'static str, String> {
    [
        "figures",
        "mentions",
        "terms",
        "spotted-terms",
        "sentiment",
        "actions",
        "footer",
        "digest-title",
        "open",
        "handled",
    ]
    .into_iter()
    .map(|k| (k, v.say("email-label", &[("label", k.into())])))
    .chain([("colon", v.word("colon"))])
    .collect()
}

/// The template test `http_link`: only an absolute `http(s)` URL ever reaches an `href`, whatever a
/// caller put in the context (defence in depth beside [`super::said::safe_link`]).
pub(crate) fn http_link(value: &minijinja::Value) -> bool {
    value
        .as_str()
        .and_then(|s| url::Url::parse(s.trim()).ok())
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[derive(Serialize)]
struct Ctx {
    lang: &'static str,
    subject: String,
    digest: bool,
    sentence: String,
    cap_note: Option<String>,
    /// Label and value, in order.
    figures: Vec<(String, String)>,
    mentions: Vec<SaidMention>,
    more_mentions: Option<String>,
    terms: String,
    items: Vec<ItemCtx>,
    /// What the reader can do next, one line each.
    actions: Vec<ActionCtx>,
    handled: Vec<String>,
    incident_url: Option<String>,
    zone: String,
    t: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct ActionCtx {
    text: String,
    /// A command to type, shown as code.
    code: Option<String>,
    link: Option<String>,
}

#[derive(Serialize)]
struct ItemCtx {
    line: String,
    sentence: String,
    mentions: Vec<SaidMention>,
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.add_test("http_link", http_link);
        // Names ending in .html are auto-escaped; .txt are not (plain text needs no escaping).
        for (name, src) in [
            ("email.txt", include_str!("templates/email.txt")),
            ("email.html", include_str!("templates/email.html")),
        ] {
            env.add_template(name, src)
                .expect("embedded templates are valid");
        }
        env
    })
}

fn take_mentions(ms: &[NotifiedMention], v: &Voice, budget: &mut usize) -> Vec<SaidMention> {
    let n = ms.len().min(*budget);
    *budget -= n;
    ms[..n].iter().map(|m| mention(m, v)).collect()
}

fn subject(v: &Voice, n: &Notification) -> String {
    match n.kind {
        NotificationKind::Digest => {
            v.say("email-subject-digest", &[("count", n.items.len().into())])
        }
        NotificationKind::IncidentResolved => {
            v.say("email-subject-resolved", &[("line", line(v, n).into())])
        }
        _ => v.say(
            "email-subject",
            &[
                ("severity", n.severity.as_str().into()),
                ("line", line(v, n).into()),
            ],
        ),
    }
}

/// What the reader can do: open the incident in the console when it is served, else the commands to type.
fn actions(v: &Voice, n: &Notification, incident_url: Option<&str>) -> Vec<ActionCtx> {
    let mut out = Vec::new();
    if let Some(url) = incident_url {
        out.push(ActionCtx {
            text: v.word("email-action-open"),
            code: None,
            link: Some(url.to_owned()),
        });
        return out;
    }
    if let Some(id) = n.incident {
        out.push(ActionCtx {
            text: v.word("email-action-ack"),
            code: Some(format!("veille incidents ack {id}")),
            link: None,
        });
    }
    if let Some(w) = &n.watch {
        out.push(ActionCtx {
            text: v.word("email-action-silence"),
            code: Some(format!(
                "veille silence add --watch {} --for 2h --reason \"…\"",
                clean(w)
            )),
            link: None,
        });
    } else if n.kind == NotificationKind::SourceDown {
        // A planned outage: the source's incident stays, its messages stop.
        out.push(ActionCtx {
            text: v.word("email-action-silence-source"),
            code: Some(format!(
                "veille silence add --source {} --for 1d --reason \"…\"",
                clean(&n.brand)
            )),
            link: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    use crate::model::{Headline, Label, Severity};

    fn surge() -> Notification {
        let at = DateTime::from_timestamp(1_763_470_000, 0).unwrap();
        let mut n = Notification::new(
            NotificationKind::IncidentOpened,
            Severity::Critical,
            "Acme",
            at,
        );
        n.incident = Some(12);
        n.watch = Some("acme".into());
        n.headline = Headline {
            count: Some(47),
            window: Some("1 h".into()),
            baseline: Some(8.0),
            ratio: Some(5.875),
            z: Some(7.24),
            negative_share: Some(0.714),
            usual_negative_share: Some(0.22),
            sources: Some(5),
            ..Headline::default()
        };
        n.mentions.push(NotifiedMention {
            source: "forum-conso".into(),
            time: Some(at),
            title: Some("<script>alert(1)</script> Grève & café \r\nBcc: x@evil.example".into()),
            excerpt: "Le café est <b>infect</b>".into(),
            score: Some(-0.8),
            label: Some(Label::Neg),
            link: Some("https://forum.example/t/1?x=<y>".into()),
            terms: vec!["grève".into()],
        });
        n.terms = vec!["grève".into(), "boycott".into()];
        n
    }

    #[test]
    fn french_subject_carries_the_figure_that_matters() {
        let e = render(&surge(), Locale::Fr);
        assert_eq!(
            e.subject,
            "[veille] CRITIQUE — Acme\u{a0}: 47 mentions négatives en 1 h (×5,9 la normale)"
        );
        assert!(
            e.text
                .contains("Part négative\u{a0}: 71\u{202f}% (habituellement 22\u{202f}%)"),
            "{}",
            e.text
        );
        assert!(e.text.contains("veille incidents ack 12"), "{}", e.text);
        assert!(
            e.text.contains("veille silence add --watch acme --for 2h"),
            "{}",
            e.text
        );
        assert!(e.text.contains("négatif (-0,80)"), "{}", e.text);
    }

    #[test]
    fn english_numbers_use_points() {
        let e = render(&surge(), Locale::En);
        assert_eq!(
            e.subject,
            "[veille] CRITICAL — Acme: 47 negative mentions in 1 h (×5.9 the usual)"
        );
        assert!(
            e.text.contains("Negative share: 71% (usually 22%)"),
            "{}",
            e.text
        );
    }

    #[test]
    fn feed_content_is_escaped_and_kept_on_one_line() {
        let e = render(&surge(), Locale::Fr);
        assert!(!e.html.contains("<script>"), "{}", e.html);
        assert!(e.html.contains("&lt;script&gt;"), "{}", e.html);
        assert!(
            e.html.contains("&lt;b&gt;infect&lt;&#x2f;b&gt;")
                || e.html.contains("&lt;b&gt;infect&lt;/b&gt;"),
            "{}",
            e.html
        );
        assert!(!e.html.contains("<img"), "no images");
        assert!(
            e.text.contains("Grève & café Bcc: x@evil.example"),
            "{}",
            e.text
        );
        assert!(e.text.contains("(forum.example)"), "{}", e.text);
    }

    #[test]
    fn links_of_other_schemes_are_never_written_into_an_href() {
        // Issue 16, item 6: `javascript:`, `data:` and `file:` links from feeds reached `href`s.
        for bad in [
            "javascript:alert(1)",
            " JAVASCRIPT:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "file:///etc/passwd",
            "vbscript:msgbox(1)",
            "/relative",
        ] {
            let mut n = surge();
            n.mentions[0].link = Some(bad.into());
            let mut digest = Notification::new(NotificationKind::Digest, Severity::Info, "", n.at);
            digest.items.push(n.clone());
            for locale in [Locale::Fr, Locale::En] {
                for e in [render(&n, locale), render(&digest, locale)] {
                    let html = e.html.to_ascii_lowercase();
                    assert_eq!(html.matches("href=").count(), 0, "{bad:?}: {}", e.html);
                    assert!(
                        !e.text
                            .to_ascii_lowercase()
                            .contains(&bad.trim().to_ascii_lowercase()),
                        "{}",
                        e.text
                    );
                    assert!(
                        e.html.contains("Grève"),
                        "the mention is still shown: {}",
                        e.html
                    );
                }
            }
        }
        let e = render(&surge(), Locale::En);
        assert!(
            e.html
                .contains("href=\"https:&#x2f;&#x2f;forum.example&#x2f;t&#x2f;1?x=%3Cy%3E\""),
            "{}",
            e.html
        );
    }

    #[test]
    fn the_templates_href_test_accepts_only_http_urls() {
        let env = environment();
        let check = |v: &str| {
            env.render_str(
                "{% if l is http_link %}link{% else %}text{% endif %}",
                minijinja::context! { l => v },
            )
            .unwrap()
        };
        assert_eq!(check("https://ex.example/a"), "link");
        assert_eq!(check("http://ex.example"), "link");
        for bad in [
            "javascript:alert(1)",
            "data:,x",
            "file:///x",
            "",
            "https://",
            "//ex.example/a",
        ] {
            assert_eq!(check(bad), "text", "{bad:?}");
        }
    }

    #[test]
    fn a_resolution_says_how_long_and_how_high() {
        let mut n = surge();
        n.kind = NotificationKind::IncidentResolved;
        n.headline.duration_secs = Some(3 * 3600 + 20 * 60);
        n.headline.peak = Some(52);
        let e = render(&n, Locale::Fr);
        assert_eq!(
            e.subject,
            "[veille] Crise terminée — Acme\u{a0}: a duré 3 h 20, pic de 52 mentions"
        );
        assert!(!e.text.contains("incidents ack"), "{}", e.text);
    }

    #[test]
    fn a_digest_caps_its_mentions_and_counts_the_rest() {
        let mut d = Notification::new(NotificationKind::Digest, Severity::Info, "", surge().at);
        for _ in 0..3 {
            let mut item = surge();
            item.mentions = vec![item.mentions[0].clone(); 10];
            d.items.push(item);
        }
        let mut o = RenderOptions::new(Voice::french());
        o.max_mentions = 20;
        let e = render_with(&d, &o);
        assert_eq!(e.subject, "[veille] Résumé — 3 notifications en attente");
        assert!(
            e.text
                .contains("… et 10 autres mentions, visibles avec « veille mentions »."),
            "{}",
            e.text
        );
        assert_eq!(
            e.text.matches("forum.example/t/1").count(),
            20,
            "{}",
            e.text
        );
    }

    #[test]
    fn a_usual_level_below_one_gives_no_ratio_and_times_are_on_the_readers_clock() {
        let mut n = surge();
        n.headline.baseline = Some(0.0);
        n.headline.window_start = Some(n.at);
        n.headline.window_end = Some(n.at + chrono::TimeDelta::hours(1));
        let e = render(&n, Locale::Fr);
        assert!(!e.subject.contains('×'), "{}", e.subject);
        assert!(
            e.text.contains("Niveau habituel\u{a0}: aucune"),
            "{}",
            e.text
        );
        // 1_763_470_000 is 18/11/2025 12:46:40 UTC, 13:46:40 in Paris.
        assert!(
            e.subject.contains("le 18/11 entre 13 h 46 et 14 h 46"),
            "{}",
            e.subject
        );
        assert!(
            e.text.contains("Heures en heure de Paris (UTC+1)."),
            "{}",
            e.text
        );
        let en = render(&n, Locale::En);
        for french in ["Niveau", "négati", "habituel", "Heures"] {
            assert!(!en.text.contains(french), "{french} in:\n{}", en.text);
        }
    }

    #[test]
    fn the_email_says_what_the_team_did_about_the_incident() {
        let mut o = RenderOptions::new(Voice::french());
        let e = render_with(&surge(), &o);
        assert!(!e.text.contains("Ce que l'équipe a fait"), "{}", e.text);
        o.handled = vec!["18/11/2025 13:50 — Résolu à la main par ana <b>.".into()];
        let e = render_with(&surge(), &o);
        assert!(
            e.text
                .contains("Ce que l'équipe a fait\n- 18/11/2025 13:50 — Résolu à la main par ana"),
            "{}",
            e.text
        );
        assert!(
            e.html.contains("Résolu à la main par ana &lt;b&gt;."),
            "{}",
            e.html
        );
    }

    #[test]
    fn the_console_link_replaces_the_commands_when_it_is_served() {
        let mut o = RenderOptions::new(Voice::french());
        o.public_url = Some("https://veille.example.fr/".into());
        let e = render_with(&surge(), &o);
        assert!(e.text.contains("Voir l'incident et le prendre en charge\u{a0}: https://veille.example.fr/incidents/12"), "{}", e.text);
        assert!(!e.text.contains("veille incidents ack"), "{}", e.text);
        // minijinja escapes `/` in attributes; the browser reads the entities back.
        assert!(
            e.html
                .contains("href=\"https:&#x2f;&#x2f;veille.example.fr&#x2f;incidents&#x2f;12\""),
            "{}",
            e.html
        );
    }
}
