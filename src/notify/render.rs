//! Words: a [`Notification`] becomes a subject, a plain-text part and an HTML part, in French or English.
//!
//! In: a notification (as detection wrote it, or a digest the worker assembled) and the reader's locale.
//! Out: a [`RenderedEmail`]. Pure: no clock, no I/O — `veille demo` calls [`render`] to show the email it
//! would send. The layouts are template files (`src/notify/templates/{fr,en}/email.{txt,html}`, minijinja,
//! embedded in the binary); the figures are formatted here, the French way in French (`×5,9`, `71 %`).
//!
//! Everything that came from a feed is data: the HTML part escapes it (minijinja's auto-escaping for
//! `.html` templates), control characters are removed from every string, and the subject is one line of
//! text that no feed content can break (CR/LF never reach a header). Links keep only `http(s)` targets and
//! are shown with their real host; there are no images, remote or not.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use minijinja::Environment;
use serde::Serialize;

use super::config::Locale;
use crate::model::{Label, Notification, NotificationKind, NotifiedMention, Severity};

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
    pub locale: Locale,
    /// The zone mention times are shown in.
    pub tz: chrono_tz::Tz,
    /// Most mentions shown (across a digest's items).
    pub max_mentions: usize,
    /// Recipients for whom this email is the last immediate one this hour.
    pub cap_reached: Vec<String>,
}

impl RenderOptions {
    pub fn new(locale: Locale) -> RenderOptions {
        RenderOptions {
            locale,
            tz: chrono_tz::Europe::Paris,
            max_mentions: 20,
            cap_reached: Vec::new(),
        }
    }
}

/// Renders `n` for a reader of `locale`, times in Paris time, with the default limits.
pub fn render(n: &Notification, locale: Locale) -> RenderedEmail {
    render_with(n, &RenderOptions::new(locale))
}

/// Renders `n` with explicit options.
pub fn render_with(n: &Notification, o: &RenderOptions) -> RenderedEmail {
    let subject = one_line(&subject(n, o.locale));
    let mut budget = o.max_mentions;
    let (items, mentions) = if n.kind == NotificationKind::Digest {
        let items: Vec<ItemCtx> = n
            .items
            .iter()
            .map(|i| ItemCtx {
                line: one_line(&line(i, o.locale)),
                sentence: clean(&sentence(i, o.locale)),
                mentions: take_mentions(&i.mentions, o, &mut budget),
            })
            .collect();
        (items, Vec::new())
    } else {
        (Vec::new(), take_mentions(&n.mentions, o, &mut budget))
    };
    let total: usize = if n.kind == NotificationKind::Digest {
        n.items.iter().map(|i| i.mentions.len()).sum()
    } else {
        n.mentions.len()
    };
    let shown = o.max_mentions - budget;
    let h = &n.headline;
    let fr = o.locale == Locale::Fr;
    let cap_note = (!o.cap_reached.is_empty()).then(|| {
        let who = o.cap_reached.join(", ");
        if fr {
            format!(
                "Limite d'envois atteinte pour {who} : les prochaines alertes de l'heure iront dans le prochain résumé."
            )
        } else {
            format!(
                "Sending limit reached for {who}: further alerts this hour go to the next digest."
            )
        }
    });
    let has_figures = h.count.is_some()
        || h.baseline.is_some()
        || h.ratio.is_some()
        || h.negative_share.is_some()
        || h.sources.is_some()
        || h.z.is_some()
        || h.duration_secs.is_some()
        || h.peak.is_some();
    let ctx = Ctx {
        subject: subject.clone(),
        has_figures,
        digest: n.kind == NotificationKind::Digest,
        resolved: n.kind == NotificationKind::IncidentResolved,
        sentence: clean(&sentence(n, o.locale)),
        cap_note,
        count: h.count.map(|c| c.to_string()),
        window: h.window.as_deref().map(clean),
        baseline: h.baseline.map(|b| number(b, o.locale)),
        ratio: h.ratio.map(|r| format!("×{}", number(r, o.locale))),
        z: h.z.map(|z| number(z, o.locale)),
        share: h.negative_share.map(|s| percent(s, o.locale)),
        usual_share: h.usual_negative_share.map(|s| percent(s, o.locale)),
        sources: h.sources.map(|s| s.to_string()),
        duration: h.duration_secs.map(|d| duration(d, o.locale)),
        peak: h.peak.map(|p| p.to_string()),
        mentions,
        more_mentions: total.saturating_sub(shown),
        terms: clean(&n.terms.join(", ")),
        incident: n.incident,
        watch: n.watch.as_deref().map(clean),
        items,
    };
    let env = environment();
    let dir = if fr { "fr" } else { "en" };
    let render = |name: &str| {
        env.get_template(&format!("{dir}/{name}"))
            .and_then(|t| t.render(&ctx))
            // The templates are ours and embedded: a failure is a bug, shown rather than hidden.
            .unwrap_or_else(|e| format!("template {dir}/{name} failed: {e}"))
    };
    RenderedEmail {
        subject,
        text: render("email.txt"),
        html: render("email.html"),
    }
}

#[derive(Serialize)]
struct Ctx {
    subject: String,
    has_figures: bool,
    digest: bool,
    resolved: bool,
    sentence: String,
    cap_note: Option<String>,
    count: Option<String>,
    window: Option<String>,
    baseline: Option<String>,
    ratio: Option<String>,
    z: Option<String>,
    share: Option<String>,
    usual_share: Option<String>,
    sources: Option<String>,
    duration: Option<String>,
    peak: Option<String>,
    mentions: Vec<MentionCtx>,
    more_mentions: usize,
    terms: String,
    incident: Option<i64>,
    watch: Option<String>,
    items: Vec<ItemCtx>,
}

#[derive(Serialize)]
struct ItemCtx {
    line: String,
    sentence: String,
    mentions: Vec<MentionCtx>,
}

#[derive(Serialize)]
struct MentionCtx {
    source: String,
    time: String,
    title: String,
    excerpt: String,
    sentiment: Option<String>,
    link: Option<String>,
    host: Option<String>,
    terms: String,
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Names ending in .html are auto-escaped; .txt are not (plain text needs no escaping).
        for (name, src) in [
            ("fr/email.txt", include_str!("templates/fr/email.txt")),
            ("fr/email.html", include_str!("templates/fr/email.html")),
            ("en/email.txt", include_str!("templates/en/email.txt")),
            ("en/email.html", include_str!("templates/en/email.html")),
        ] {
            env.add_template(name, src)
                .expect("embedded templates are valid");
        }
        // Defence in depth: the templates write an `href` only for a value that passes this test, whatever
        // the view model let through.
        env.add_test("http_link", |v: minijinja::Value| {
            v.as_str().and_then(http_link).is_some()
        });
        env
    })
}

fn take_mentions(ms: &[NotifiedMention], o: &RenderOptions, budget: &mut usize) -> Vec<MentionCtx> {
    let n = ms.len().min(*budget);
    *budget -= n;
    ms[..n].iter().map(|m| mention(m, o)).collect()
}

/// The URL in `text` when it is an absolute `http(s)` URL with a host: the only links shown.
fn http_link(text: &str) -> Option<url::Url> {
    url::Url::parse(text.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

fn mention(m: &NotifiedMention, o: &RenderOptions) -> MentionCtx {
    let (link, host) = match m.link.as_deref().and_then(http_link) {
        Some(u) => {
            let host = u.host_str().map(str::to_owned);
            (Some(u.to_string()), host)
        }
        None => (None, None),
    };
    let fr = o.locale == Locale::Fr;
    let untitled = if fr { "(sans titre)" } else { "(untitled)" };
    let sentiment = match (m.score, m.label) {
        (Some(s), label) => Some(format!(
            "{} ({})",
            label_word(label.unwrap_or(Label::of_score(s)), o.locale),
            signed(f64::from(s), o.locale)
        )),
        (None, Some(label)) => Some(label_word(label, o.locale).to_owned()),
        (None, None) => None,
    };
    MentionCtx {
        source: clean(&m.source),
        time: m.time.map_or_else(|| "—".into(), |t| local_time(t, o)),
        title: m
            .title
            .as_deref()
            .map(clean)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| untitled.into()),
        excerpt: cut(&clean(&m.excerpt), 300),
        sentiment,
        link,
        host,
        terms: clean(&m.terms.join(", ")),
    }
}

fn local_time(t: DateTime<Utc>, o: &RenderOptions) -> String {
    let local = t.with_timezone(&o.tz);
    match o.locale {
        Locale::Fr => local.format("%d/%m %H:%M").to_string(),
        Locale::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
}

fn label_word(l: Label, locale: Locale) -> &'static str {
    match (l, locale) {
        (Label::Neg, Locale::Fr) => "négatif",
        (Label::Neu, Locale::Fr) => "neutre",
        (Label::Pos, Locale::Fr) => "positif",
        (Label::Neg, Locale::En) => "negative",
        (Label::Neu, Locale::En) => "neutral",
        (Label::Pos, Locale::En) => "positive",
    }
}

fn severity_word(s: Severity, locale: Locale) -> &'static str {
    match (s, locale) {
        (Severity::Critical, Locale::Fr) => "CRITIQUE",
        (Severity::Warning, Locale::Fr) => "ALERTE",
        (Severity::Info, Locale::Fr) => "INFO",
        (Severity::Critical, Locale::En) => "CRITICAL",
        (Severity::Warning, Locale::En) => "WARNING",
        (Severity::Info, Locale::En) => "INFO",
    }
}

fn subject(n: &Notification, locale: Locale) -> String {
    let fr = locale == Locale::Fr;
    match n.kind {
        NotificationKind::Digest => {
            let k = n.items.len();
            if fr {
                format!(
                    "[veille] Résumé — {k} notification{} en attente",
                    if k > 1 { "s" } else { "" }
                )
            } else {
                format!(
                    "[veille] Digest — {k} notification{} waiting",
                    if k > 1 { "s" } else { "" }
                )
            }
        }
        NotificationKind::IncidentResolved => format!("[veille] {}", line(n, locale)),
        _ => format!(
            "[veille] {} — {}",
            severity_word(n.severity, locale),
            line(n, locale)
        ),
    }
}

/// The subject without its prefix: what a digest lists.
fn line(n: &Notification, locale: Locale) -> String {
    let fr = locale == Locale::Fr;
    let h = &n.headline;
    let brand = clean(&n.brand);
    let sep = if fr { " :" } else { ":" };
    match n.kind {
        NotificationKind::IncidentOpened
        | NotificationKind::IncidentEscalated
        | NotificationKind::Digest => {
            let mut s = match (h.count, fr) {
                (Some(c), true) => format!(
                    "{brand}{sep} {c} mention{} négative{}",
                    plural(c),
                    plural(c)
                ),
                (Some(c), false) => format!("{brand}{sep} {c} negative mention{}", plural(c)),
                (None, true) => format!("{brand}{sep} incident en cours"),
                (None, false) => format!("{brand}{sep} incident under way"),
            };
            if let (Some(_), Some(w)) = (h.count, &h.window) {
                s.push_str(if fr { " en " } else { " in " });
                s.push_str(&clean(w));
            }
            if let Some(r) = h.ratio {
                if fr {
                    s.push_str(&format!(" (×{} la normale)", number(r, locale)));
                } else {
                    s.push_str(&format!(" (×{} the usual)", number(r, locale)));
                }
            }
            if n.kind == NotificationKind::IncidentEscalated {
                s.push_str(if fr { ", en hausse" } else { ", rising" });
            }
            s
        }
        NotificationKind::CriticalMention => {
            let source = n.mentions.first().map(|m| clean(&m.source));
            match (fr, source) {
                (true, Some(src)) => format!("{brand}{sep} mention critique sur {src}"),
                (true, None) => format!("{brand}{sep} mention critique"),
                (false, Some(src)) => format!("{brand}{sep} critical mention on {src}"),
                (false, None) => format!("{brand}{sep} critical mention"),
            }
        }
        NotificationKind::IncidentResolved => {
            let mut s = if fr {
                format!("Crise terminée — {brand}")
            } else {
                format!("Crisis over — {brand}")
            };
            if let Some(d) = h.duration_secs {
                s.push_str(&format!(
                    "{sep} {} {}",
                    if fr { "a duré" } else { "lasted" },
                    duration(d, locale)
                ));
            }
            if let Some(p) = h.peak {
                s.push_str(&if fr {
                    format!(", pic de {p} mention{}", plural(p))
                } else {
                    format!(", peak of {p} mention{}", plural(p))
                });
            }
            s
        }
    }
}

/// One sentence saying what happened: detection's own when it wrote one, else made from the figures.
fn sentence(n: &Notification, locale: Locale) -> String {
    let fr = locale == Locale::Fr;
    let written = if fr {
        &n.explanation_fr
    } else {
        &n.explanation_en
    };
    if let Some(s) = written.as_deref().filter(|s| !s.trim().is_empty()) {
        return s.to_owned();
    }
    let h = &n.headline;
    let brand = clean(&n.brand);
    match n.kind {
        NotificationKind::IncidentOpened
        | NotificationKind::IncidentEscalated
        | NotificationKind::Digest => {
            let verb = match (n.kind, fr) {
                (NotificationKind::IncidentEscalated, true) => "s'aggrave",
                (NotificationKind::IncidentEscalated, false) => "is getting worse",
                (_, true) => "commence",
                (_, false) => "has started",
            };
            let mut s = if fr {
                format!("Un pic de mentions négatives sur {brand} {verb}")
            } else {
                format!("A surge of negative mentions of {brand} {verb}")
            };
            if let Some(c) = h.count {
                let w = h.window.as_deref().map(clean).unwrap_or_default();
                s.push_str(&if fr {
                    format!(" : {c} en {w}")
                } else {
                    format!(": {c} in {w}")
                });
                if let Some(b) = h.baseline {
                    s.push_str(&if fr {
                        format!(" contre {} d'habitude", number(b, locale))
                    } else {
                        format!(" against {} usually", number(b, locale))
                    });
                }
            }
            s.push('.');
            s
        }
        NotificationKind::CriticalMention => {
            let rule = n.rule.as_deref().map(clean);
            match (fr, rule) {
                (true, Some(r)) => {
                    format!("Une mention de {brand} correspond à la règle critique « {r} ».")
                }
                (true, None) => format!("Une mention critique de {brand} vient d'être publiée."),
                (false, Some(r)) => {
                    format!("A mention of {brand} matches the critical rule \"{r}\".")
                }
                (false, None) => format!("A critical mention of {brand} was just published."),
            }
        }
        NotificationKind::IncidentResolved => {
            let d = h.duration_secs.map(|d| duration(d, locale));
            match (fr, d) {
                (true, Some(d)) => format!(
                    "La crise sur {brand} est terminée : les mentions négatives sont revenues à leur niveau habituel après {d}."
                ),
                (true, None) => format!(
                    "La crise sur {brand} est terminée : les mentions négatives sont revenues à leur niveau habituel."
                ),
                (false, Some(d)) => format!(
                    "The crisis about {brand} is over: negative mentions are back to their usual level after {d}."
                ),
                (false, None) => format!(
                    "The crisis about {brand} is over: negative mentions are back to their usual level."
                ),
            }
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n > 1 { "s" } else { "" }
}

/// A figure with at most one decimal, none when whole: `6`, `5,9` (fr) or `5.9` (en).
pub fn number(x: f64, locale: Locale) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let rounded = (x * 10.0).round() / 10.0;
    let s = if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    };
    match locale {
        Locale::Fr => s.replace('.', ","),
        Locale::En => s,
    }
}

fn signed(x: f64, locale: Locale) -> String {
    let s = format!("{:+.2}", x);
    match locale {
        Locale::Fr => s.replace('.', ","),
        Locale::En => s,
    }
}

/// A share in [0, 1] as a whole percentage: `71 %` (fr) or `71%` (en).
pub fn percent(x: f64, locale: Locale) -> String {
    let p = (x * 100.0).round();
    match locale {
        Locale::Fr => format!("{p:.0} %"),
        Locale::En => format!("{p:.0}%"),
    }
}

/// A length of time as people say it: `45 min`, `2 h 15 min`, `1 j 3 h` (fr) / `1 d 3 h` (en).
pub fn duration(secs: u64, locale: Locale) -> String {
    let days = secs / 86_400;
    let hours = secs % 86_400 / 3600;
    let minutes = secs % 3600 / 60;
    let d = if locale == Locale::Fr { "j" } else { "d" };
    match (days, hours, minutes) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (days, 0, _) => format!("{days} {d}"),
        (days, h, _) => format!("{days} {d} {h} h"),
    }
}

/// Removes control characters (tabs and newlines become spaces), so that nothing from a feed can shape
/// the email: it stays the text it was.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

/// [`clean`], then at most 250 characters, for a header.
fn one_line(s: &str) -> String {
    cut(&clean(s), 250)
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Headline;

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
            "[veille] CRITIQUE — Acme : 47 mentions négatives en 1 h (×5,9 la normale)"
        );
        assert!(
            e.text.contains("Part négative : 71 % (d'habitude 22 %)"),
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
            "[veille] Crise terminée — Acme : a duré 3 h 20 min, pic de 52 mentions"
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
        let mut o = RenderOptions::new(Locale::Fr);
        o.max_mentions = 20;
        let e = render_with(&d, &o);
        assert_eq!(e.subject, "[veille] Résumé — 3 notifications en attente");
        assert!(e.text.contains("… et 10 autres mentions"), "{}", e.text);
        assert_eq!(
            e.text.matches("forum.example/t/1").count(),
            20,
            "{}",
            e.text
        );
    }

    #[test]
    fn figures_are_formatted_per_locale() {
        assert_eq!(number(6.0, Locale::Fr), "6");
        assert_eq!(number(5.94, Locale::Fr), "5,9");
        assert_eq!(number(5.94, Locale::En), "5.9");
        assert_eq!(percent(0.714, Locale::Fr), "71 %");
        assert_eq!(duration(45 * 60, Locale::Fr), "45 min");
        assert_eq!(duration(2 * 3600, Locale::Fr), "2 h");
        assert_eq!(duration(86_400 + 3 * 3600, Locale::Fr), "1 j 3 h");
        assert_eq!(duration(86_400, Locale::En), "1 d");
    }
}
