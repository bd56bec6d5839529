//! Cleaning: from the HTML or text a feed gives to the plain text a person reads.
//!
//! In: a title or a body as found in a feed (HTML fragments, entities, odd whitespace, boilerplate such as
//! "Lire la suite" or "The post … appeared first on …"). Out: one line of plain text, entities decoded,
//! tags, scripts and styles removed, whitespace collapsed, boilerplate gone. Called by the feed parser for
//! every item, so the stored mention, `veille fetch` and every later stage see the same text.
//!
//! HTML is tokenised by html5gum, a WHATWG-conformant tokenizer, so that entities (named, numeric, even
//! without the final `;`) and broken markup are read as a browser reads them. Text with neither `<` nor `&`
//! skips the tokenizer.
//!
//! Linear in the input, hostile input included: the tokenizer keeps no tree (a million nested tags cost a
//! counter), tries a bounded list of names for each `&`, and every later step is one pass over the text
//! or a look at its last few hundred bytes. `html_to_text_counted` counts the steps, for tests to check.

use std::cell::Cell;

use html5gum::{Readable, Reader, Token, Tokenizer};

/// Elements whose content is not text for a reader.
const SKIPPED: &[&[u8]] = &[
    b"script",
    b"style",
    b"noscript",
    b"template",
    b"head",
    b"title",
    b"svg",
    b"iframe",
];

/// Elements that separate blocks of text: a space goes in their place so words do not glue together.
const BLOCKS: &[&[u8]] = &[
    b"p",
    b"br",
    b"div",
    b"li",
    b"ul",
    b"ol",
    b"tr",
    b"td",
    b"th",
    b"table",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"blockquote",
    b"section",
    b"article",
    b"header",
    b"footer",
    b"hr",
    b"img",
    b"figure",
    b"figcaption",
    b"dd",
    b"dt",
    b"pre",
];

/// Converts an HTML fragment (or plain text) to one line of plain text, boilerplate removed.
pub fn html_to_text(input: &str) -> String {
    html_to_text_counted(input, &mut 0)
}

/// [`html_to_text`], adding to `steps` the work it did: bytes the tokenizer read or compared, tokens, and
/// characters examined by the later passes. Linear cleaning means `steps` stays within a constant times the
/// input's length whatever the input.
pub(crate) fn html_to_text_counted(input: &str, steps: &mut usize) -> String {
    let raw = if input.contains(['<', '&']) {
        strip_html(input, steps)
    } else {
        input.to_owned()
    };
    *steps += input.len() + raw.len();
    let collapsed = collapse_whitespace(&raw);
    strip_boilerplate(collapsed, steps)
}

/// The tokenizer's input, counting the bytes it reads and the bytes it compares while looking ahead (for
/// entity names, `<!--`, `DOCTYPE`…): the measure of the tokenizer's work.
struct CountingReader<'c, R> {
    inner: R,
    steps: &'c Cell<usize>,
}

impl<R: Reader> Reader for CountingReader<'_, R> {
    type Error = R::Error;

    fn read_byte(&mut self) -> Result<Option<u8>, Self::Error> {
        self.steps.set(self.steps.get() + 1);
        self.inner.read_byte()
    }

    fn try_read_string(&mut self, s: &[u8], case_sensitive: bool) -> Result<bool, Self::Error> {
        self.steps.set(self.steps.get() + s.len().max(1));
        self.inner.try_read_string(s, case_sensitive)
    }

    fn read_until<'b>(
        &'b mut self,
        needle: &[u8],
        char_buf: &'b mut [u8; 4],
    ) -> Result<Option<&'b [u8]>, Self::Error> {
        let chunk = self.inner.read_until(needle, char_buf)?;
        self.steps
            .set(self.steps.get() + chunk.map_or(1, |c| c.len().max(1)));
        Ok(chunk)
    }
}

/// Cleans a title: a title is text, but feeds often escape HTML in it twice or leave entities.
pub fn title_to_text(input: &str) -> String {
    html_to_text(input)
}

fn strip_html(input: &str, steps: &mut usize) -> String {
    let mut out = String::with_capacity(input.len());
    let mut skip_depth: usize = 0;
    let read = Cell::new(0);
    let reader = CountingReader {
        inner: input.to_reader(),
        steps: &read,
    };
    for token in Tokenizer::new(reader).flatten() {
        *steps += 1;
        match token {
            Token::StartTag(tag) => {
                let name = tag.name.as_slice();
                if SKIPPED.contains(&name) {
                    if !tag.self_closing {
                        skip_depth += 1;
                    }
                } else if BLOCKS.contains(&name) {
                    out.push(' ');
                    if name == b"img" && skip_depth == 0 {
                        // An image says something only through its alternative text.
                        if let Some(alt) = tag.attributes.get(b"alt".as_slice()) {
                            out.push_str(&String::from_utf8_lossy(alt.as_slice()));
                            out.push(' ');
                        }
                    }
                }
            }
            Token::EndTag(tag) => {
                let name = tag.name.as_slice();
                if SKIPPED.contains(&name) {
                    skip_depth = skip_depth.saturating_sub(1);
                } else if BLOCKS.contains(&name) {
                    out.push(' ');
                }
            }
            Token::String(s) if skip_depth == 0 => {
                out.push_str(&String::from_utf8_lossy(s.as_slice()));
            }
            _ => {}
        }
    }
    *steps += read.get();
    out
}

/// Collapses every run of whitespace (including no-break spaces and line breaks) to one space and trims.
pub fn collapse_whitespace(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.chars() {
        if c.is_whitespace() || c == '\u{00A0}' || c == '\u{202F}' || c.is_control() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Trailing phrases that feeds append to every summary. Compared case-insensitively, after the last
/// sentence of the text; each is removed with whatever follows it.
const TRAILING_BOILERPLATE: &[&str] = &[
    "lire la suite",
    "lire l'article",
    "lire l\u{2019}article",
    "la suite de l'article",
    "continuer la lecture",
    "en savoir plus",
    "read more",
    "continue reading",
    "read the full story",
    "read full article",
    "[…]",
    "[...]",
];

fn strip_boilerplate(mut text: String, steps: &mut usize) -> String {
    // WordPress: "The post TITLE appeared first on SITE." / "L’article TITLE est apparu en premier sur SITE."
    for marker in [
        "The post ",
        "L\u{2019}article ",
        "L'article ",
        "Cet article ",
    ] {
        // Only the end of the text can hold these: search its last 400 bytes, not all of it.
        let mut from = text.len().saturating_sub(400);
        while !text.is_char_boundary(from) {
            from -= 1;
        }
        *steps += text.len() - from;
        if let Some(pos) = text[from..].rfind(marker).map(|p| p + from) {
            let tail = &text[pos..];
            if tail.contains(" appeared first on ") || tail.contains(" est apparu en premier sur ")
            {
                text.truncate(pos);
            }
        }
    }
    loop {
        let trimmed = text.trim_end_matches([' ', '.', '…', '»', '→', '>', '|', '-', ':']);
        // Each turn examines the trailing punctuation and the last 40 characters, and then cuts at least
        // the punctuation and a phrase: the turns together examine the text about once.
        *steps += text.len() - trimmed.len() + 40;
        let tail_start = trimmed
            .char_indices()
            .rev()
            .take(40)
            .last()
            .map_or(0, |(i, _)| i);
        let lower_tail = trimmed[tail_start..].to_lowercase();
        let Some(phrase) = TRAILING_BOILERPLATE
            .iter()
            .find(|p| lower_tail.ends_with(*p))
        else {
            break;
        };
        // Same length in bytes: the phrases lower-case to themselves.
        let at = trimmed.len().saturating_sub(phrase.len());
        if !text.is_char_boundary(at) {
            break;
        }
        text.truncate(at);
        text.truncate(text.trim_end().len());
    }
    text.truncate(text.trim_end().len());
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_through_collapsed() {
        assert_eq!(
            html_to_text("  Acme   déçoit\n\tses clients "),
            "Acme déçoit ses clients"
        );
    }

    #[test]
    fn tags_go_and_blocks_separate_words() {
        assert_eq!(html_to_text("<p>Acme</p><p>déçoit</p>"), "Acme déçoit");
        assert_eq!(html_to_text("un<br>deux<br/>trois"), "un deux trois");
        assert_eq!(html_to_text("<b>très</b> <i>mauvais</i>"), "très mauvais");
    }

    #[test]
    fn entities_decode_even_undeclared_ones() {
        assert_eq!(
            html_to_text("Caf&eacute; cr&egrave;me&nbsp;&amp; th&#233;"),
            "Café crème & thé"
        );
        assert_eq!(
            html_to_text("l&rsquo;entreprise &laquo;&nbsp;Acme&nbsp;&raquo;"),
            "l’entreprise « Acme »"
        );
    }

    #[test]
    fn scripts_and_styles_are_not_text() {
        assert_eq!(
            html_to_text("<style>p{color:red}</style>Bonjour<script>alert('x')</script> Acme"),
            "Bonjour Acme"
        );
    }

    #[test]
    fn links_keep_their_words_not_their_urls() {
        assert_eq!(
            html_to_text("<a href=\"https://x.example/a\">Acme rappelle</a> ses produits"),
            "Acme rappelle ses produits"
        );
    }

    #[test]
    fn image_alt_text_is_kept() {
        assert_eq!(
            html_to_text("Voici <img src=x alt=\"logo Acme\">."),
            "Voici logo Acme ."
        );
    }

    #[test]
    fn broken_markup_does_not_lose_text() {
        assert_eq!(html_to_text("<p>Acme <b>déçoit"), "Acme déçoit");
        assert_eq!(html_to_text("a < b et c > d"), "a < b et c > d");
        assert_eq!(html_to_text("je t'aime <3"), "je t'aime <3");
    }

    #[test]
    fn trailing_boilerplate_goes() {
        assert_eq!(
            html_to_text("Acme rappelle ses yaourts. Lire la suite"),
            "Acme rappelle ses yaourts."
        );
        assert_eq!(
            html_to_text("<p>Acme recalls.</p><p><a href=\"/x\">Read more »</a></p>"),
            "Acme recalls."
        );
        assert_eq!(html_to_text("Grève chez Acme […]"), "Grève chez Acme");
        assert_eq!(
            html_to_text("<p>Acme ferme.</p><p>The post Acme ferme appeared first on Le Blog.</p>"),
            "Acme ferme."
        );
        assert_eq!(
            html_to_text("Acme ferme. L’article Acme ferme est apparu en premier sur Le Blog."),
            "Acme ferme."
        );
    }

    #[test]
    fn boilerplate_words_inside_a_sentence_stay() {
        assert_eq!(
            html_to_text("Pour en savoir plus sur Acme, écrivez-nous"),
            "Pour en savoir plus sur Acme, écrivez-nous"
        );
    }

    #[test]
    fn empty_input() {
        assert_eq!(html_to_text(""), "");
        assert_eq!(html_to_text("<p> </p>"), "");
    }

    /// Adversarial shapes for the cleaner (issue 16, 4), each built to `len` bytes or a little less.
    pub(crate) fn hostile_html(len: usize) -> Vec<(&'static str, String)> {
        vec![
            ("nested tags", "<div><b>".repeat(len / 8)),
            ("nested scripts", "<script>".repeat(len / 8)),
            ("entities", "&eacute;&amp".repeat(len / 12)),
            ("one long entity name", format!("&{}", "a".repeat(len - 1))),
            (
                "one long numeric entity",
                format!("&#{}", "0".repeat(len - 2)),
            ),
            ("attributes", format!("<img {}>", "alt=x ".repeat(len / 6))),
            ("open brackets", "<".repeat(len)),
            ("comment openings", "<!--".repeat(len / 4)),
            (
                "trailing boilerplate",
                format!("x{}", " Read more […]".repeat(len / 16)),
            ),
            (
                "combining marks",
                format!("e{}", "\u{0301}".repeat(len / 2 - 1)),
            ),
        ]
    }

    /// Guards cleaning against super-linear shapes: for each, the steps counted stay within a constant
    /// times the input, and four times the input costs at most about four times the steps.
    #[test]
    fn cleaning_hostile_html_is_linear() {
        let small = hostile_html(64 * 1024);
        let large = hostile_html(256 * 1024);
        for ((name, s), (_, l)) in small.iter().zip(&large) {
            let (mut s_steps, mut l_steps) = (0, 0);
            html_to_text_counted(s, &mut s_steps);
            let out = html_to_text_counted(l, &mut l_steps);
            assert!(out.len() <= l.len(), "{name}");
            assert!(
                l_steps <= 8 * l.len(),
                "{name}: {l_steps} steps for {} bytes",
                l.len()
            );
            let ratio = l_steps as f64 / s_steps as f64;
            let size_ratio = l.len() as f64 / s.len() as f64;
            assert!(
                ratio <= size_ratio * 1.1,
                "{name}: {s_steps} then {l_steps} steps for {size_ratio:.2} times the input"
            );
        }
    }

    #[test]
    fn hostile_html_cleans_to_what_a_browser_shows() {
        assert_eq!(html_to_text(&"<div><b>".repeat(1000)), "");
        assert_eq!(html_to_text(&"<script>".repeat(1000)), "");
        assert_eq!(html_to_text(&"&eacute;&amp".repeat(3)), "é&é&é&");
        assert_eq!(
            html_to_text(&format!("x{}", " Read more […]".repeat(1000))),
            "x"
        );
    }
}
