//! Parsing: from the raw bytes of a feed to mentions.
//!
//! In: the bytes a source returned, the charset its HTTP header declared (if any), the source's name and the
//! time of the fetch. Out: the feed's mentions, cleaned to plain text, or a [`ParseError`] a person can act
//! on ("not a feed: got an HTML page", "XML error at line 12, column 3: …").
//!
//! Bytes are decoded here, not by the XML reader: the charset comes from the byte-order mark, else the XML
//! declaration, else the HTTP header, else UTF-8 when the bytes read as UTF-8, else windows-1252 (what
//! ISO-8859-1 means on the web). A UTF-8 document with a few stray bytes stays UTF-8: each stray byte alone
//! is read as windows-1252. The document is then handed to feed-rs as UTF-8 with its declaration removed,
//! so nothing is decoded twice.
//!
//! Every step is linear in the size of the document, hostile documents included: the rewrites that adapt
//! loose dialects are single forward passes, the parser is tried a bounded number of times, and titles,
//! authors, links, ids and bodies are capped.
//!
//! feed-rs runs behind `catch_unwind`: hostile bytes must never bring the daemon down, even through a bug in
//! the parser; a panic becomes this source's error.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, Utc};
use encoding_rs::Encoding;

use super::link::canonical_link;
use crate::analysis::clean::{html_to_text, title_to_text};
use crate::analysis::fold::fold;
use crate::model::Mention;

/// Longest body text kept for a mention, in bytes: full articles beyond this add nothing to detection.
const MAX_TEXT: usize = 32 * 1024;
/// Longest title kept (a feed's or an item's), in bytes: ten times a long headline, room for a whole
/// Mastodon status given as a title. Rules and sentiment read titles, so a megabyte title is an attack.
const MAX_TITLE: usize = 2 * 1024;
/// Longest author name kept, in bytes.
const MAX_AUTHOR: usize = 256;
/// Longest link kept, in bytes (what browsers and sitemaps accept). A longer link is dropped, not cut: a cut
/// address leads nowhere.
const MAX_LINK: usize = 2048;
/// Longest item id kept as it is, in bytes; a longer one is replaced by its hash, which stays stable.
const MAX_ID: usize = 512;
/// Longest language tag kept, in bytes (BCP 47 asks readers to handle 35); a longer one is dropped. The
/// feed's language is copied into every item, so an uncapped one multiplies.
const MAX_LANG: usize = 35;

/// Why a document could not be read as a feed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("empty document: the source returned no content")]
    Empty,
    #[error("not a feed: got an HTML page (look for the page's RSS or Atom link and use that URL)")]
    Html,
    #[error("not a feed: no RSS, Atom, RDF or JSON Feed root element found")]
    NoFeedRoot,
    #[error("XML error at line {line}, column {column}: {message}")]
    Xml {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("XML error: {0}")]
    XmlUnlocated(String),
    #[error("JSON error at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not a feed: {0}")]
    Other(String),
    #[error(
        "got an HTML page where the service's JSON was expected (an error, consent or login page; check the source's keys and base_url)"
    )]
    NotJson,
    #[error("the feed parser failed on this document ({0}); the document is malformed")]
    ParserPanic(String),
    /// The caller's budget said stop while the document was being read ([`parse_feed_within`]).
    #[error(
        "reading stopped after {work} units of work: the document is too costly to read (raise [http] read_budget if this feed is legitimate)"
    )]
    Stopped { work: usize },
}

/// A parsed feed: its title and its items as mentions.
#[derive(Debug, Clone)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub mentions: Vec<Mention>,
}

/// Decodes feed bytes to UTF-8 text. Returns the text and the name of the encoding used.
pub fn decode(bytes: &[u8], http_charset: Option<&str>) -> (String, &'static str) {
    // UTF-32 has no decoder in encoding_rs; it is rare but it is in the wild.
    if let Some((text, name)) = decode_utf32(bytes) {
        return (text, name);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        if enc == encoding_rs::UTF_8 {
            // The mark leaves no doubt: stray bytes are stray, not a sign of another encoding.
            return (utf8_keeping_stray_bytes(&bytes[bom_len..]), "UTF-8");
        }
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc.name());
    }
    // UTF-16 without a byte-order mark, recognised by its `<?` in two bytes.
    if bytes.starts_with(&[b'<', 0, b'?', 0]) {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
        return (text.into_owned(), "UTF-16LE");
    }
    if bytes.starts_with(&[0, b'<', 0, b'?']) {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
        return (text.into_owned(), "UTF-16BE");
    }
    let declared = xml_declared_encoding(bytes)
        .or(http_charset)
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        // A document in an ASCII-compatible encoding cannot really be UTF-16 whatever it declares.
        .filter(|e| *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE);
    // A Latin declaration on bytes that read as UTF-8 (as many multi-byte sequences as bytes that fit none,
    // or more) is a wrong declaration: Latin-1 text almost never forms valid multi-byte UTF-8 by chance.
    let profile = Utf8Profile::of(bytes);
    let declared = declared.filter(|enc| {
        let latin = *enc == encoding_rs::WINDOWS_1252 || *enc == encoding_rs::ISO_8859_15;
        !(latin && profile.reads_as_utf8())
    });
    match declared {
        Some(enc) if enc != encoding_rs::UTF_8 => {
            let (text, _) = enc.decode_without_bom_handling(bytes);
            (text.into_owned(), enc.name())
        }
        // Declared (or assumed) UTF-8 with a few stray bytes, such as one Latin-1 "©" in a footer: every good
        // sequence is kept and each stray byte alone is read as windows-1252.
        _ if profile.reads_as_utf8() || profile.invalid == 0 => {
            (utf8_keeping_stray_bytes(bytes), "UTF-8")
        }
        // Not UTF-8 at all: the usual culprit is Latin-1 text, undeclared or declared as UTF-8.
        _ => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), "windows-1252")
        }
    }
}

/// What the bytes hold when read as UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Utf8Profile {
    /// Valid multi-byte sequences (the non-ASCII characters that UTF-8 reading finds).
    multibyte: usize,
    /// Bytes that are part of no valid sequence.
    invalid: usize,
}

impl Utf8Profile {
    fn of(bytes: &[u8]) -> Self {
        let mut profile = Utf8Profile {
            multibyte: 0,
            invalid: 0,
        };
        for chunk in bytes.utf8_chunks() {
            // A leading byte starts each multi-byte character; continuation bytes are 0b10xx_xxxx.
            profile.multibyte += chunk.valid().bytes().filter(|b| *b >= 0xC0).count();
            profile.invalid += chunk.invalid().len();
        }
        profile
    }

    /// Whether the bytes are UTF-8, maybe with a few stray bytes: at least as many good multi-byte
    /// characters as bad bytes. A Latin-1 text gives far fewer: every accent is a bad byte, and a good
    /// sequence needs an accident (a capital such as "Ã" right before a symbol such as "©").
    fn reads_as_utf8(self) -> bool {
        self.multibyte > 0 && self.multibyte >= self.invalid
    }
}

/// The bytes read as UTF-8, each byte of an invalid sequence read on its own as windows-1252 (what a stray
/// Latin-1 byte almost always is), never the whole document decoded again.
fn utf8_keeping_stray_bytes(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            let (stray, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(chunk.invalid());
            text.push_str(&stray);
        }
    }
    text
}

fn decode_utf32(bytes: &[u8]) -> Option<(String, &'static str)> {
    let (le, skip, name) = if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
        (true, 4, "UTF-32LE")
    } else if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        (false, 4, "UTF-32BE")
    } else if bytes.starts_with(&[b'<', 0, 0, 0]) {
        (true, 0, "UTF-32LE")
    } else if bytes.starts_with(&[0, 0, 0, b'<']) {
        (false, 0, "UTF-32BE")
    } else {
        return None;
    };
    let text = bytes[skip..]
        .chunks_exact(4)
        .map(|c| {
            let n = if le {
                u32::from_le_bytes([c[0], c[1], c[2], c[3]])
            } else {
                u32::from_be_bytes([c[0], c[1], c[2], c[3]])
            };
            char::from_u32(n).unwrap_or('\u{FFFD}')
        })
        .collect();
    Some((text, name))
}

/// The `encoding="…"` of an XML declaration at the start of the bytes, if any.
fn xml_declared_encoding(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    rest.find(quote).map(|e| &rest[..e])
}

/// Removes the XML declaration(s) at the start of a decoded document: the text is UTF-8 now, whatever the
/// declaration said.
fn strip_xml_declaration(text: &str) -> &str {
    let t = text.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']);
    if t.starts_with("<?xml")
        && let Some(end) = t.find("?>")
    {
        return &t[end + 2..];
    }
    t
}

/// Old and loose dialects that feed-rs does not read, rewritten to the ones it does: Atom 0.3's namespace
/// to Atom 1.0's, RSS 0.90's to RSS 1.0's, RSS without a version (or 0.93, 0.94, 2.01…) to RSS 2.0, RSS
/// 2.0 in the Userland namespace, default or prefixed (`<r:rss>`), to plain RSS 2.0, items placed directly
/// under `<rss>` into a channel, and RSS 1.0 items without a link given their `rdf:about` as one.
fn normalize_dialect<'a>(doc: &'a str, work: &mut Work) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    let mut out = Cow::Borrowed(doc);
    for (old, new) in [
        ("http://purl.org/atom/ns#", "http://www.w3.org/2005/Atom"),
        (
            "http://my.netscape.com/rdf/simple/0.9/",
            "http://purl.org/rss/1.0/",
        ),
        (" xmlns=\"http://backend.userland.com/rss2\"", ""),
        (" xmlns=\"http://blogs.law.harvard.edu/tech/rss\"", ""),
    ] {
        if out.contains(old) {
            out = Cow::Owned(out.replace(old, new));
        }
    }
    let Some(mut root) = root_start(&out) else {
        return out;
    };
    if let Some(unprefixed) = unprefix_rss(&out[root..]) {
        out = Cow::Owned(format!("{}{unprefixed}", &out[..root]));
        root = root_start(&out).unwrap_or(root);
    }
    if out[root..].starts_with("<feed") {
        // Atom 0.3 gave text constructs MIME types; Atom 1.0 (and feed-rs) wants text, html or xhtml.
        for (old, new) in [
            ("type=\"text/plain\"", "type=\"text\""),
            ("type=\"text/html\"", "type=\"html\""),
            ("type=\"application/xhtml+xml\"", "type=\"xhtml\""),
        ] {
            if out.contains(old) {
                out = Cow::Owned(out.replace(old, new));
            }
        }
        return out;
    }
    if out[root..].starts_with("<rdf:RDF")
        && let Some(linked) = rdf_links(&out, work)
    {
        return Cow::Owned(linked);
    }
    let rest = &out[root..];
    if !(rest.starts_with("<rss")
        && rest[4..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>'))
    {
        return out;
    }
    let Some(tag_end) = rest.find('>') else {
        return out;
    };
    let tag = &rest[..tag_end];
    let version = tag.find("version").and_then(|v| {
        let after = tag[v + 7..].trim_start().strip_prefix('=')?.trim_start();
        let q = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        after[1..].find(q).map(|e| &after[1..1 + e])
    });
    let needs_version = !matches!(version, Some("2.0" | "0.91" | "0.92"));
    let needs_channel = !out.contains("<channel");
    if !needs_version && !needs_channel {
        return out;
    }
    let mut new_tag = if needs_version {
        match version {
            Some(v) => tag.replacen(&format!("\"{v}\""), "\"2.0\"", 1).replacen(
                &format!("'{v}'"),
                "'2.0'",
                1,
            ),
            None => format!("<rss version=\"2.0\"{}", &tag[4..]),
        }
    } else {
        tag.to_owned()
    };
    new_tag.push('>');
    let mut body = out[root + tag_end + 1..].to_owned();
    if needs_channel {
        body = match body.rfind("</rss>") {
            Some(end) => format!("<channel>{}</channel>{}", &body[..end], &body[end..]),
            None => format!("<channel>{body}"),
        };
    }
    Cow::Owned(format!("{}{new_tag}{body}", &out[..root]))
}

/// RSS 2.0 written with a prefix for the Userland namespace (`<r:rss
/// xmlns:r="http://backend.userland.com/rss2">`, `<r:item>`): the same document without the prefix. `None`
/// for any other root.
fn unprefix_rss(doc: &str) -> Option<String> {
    // Only the root element's name is looked at: `<prefix:rss`.
    let name_end = doc[1..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':')))
        .map_or(doc.len(), |e| e + 1);
    let (prefix, local) = doc[1..name_end].split_once(':')?;
    if prefix.is_empty() || local != "rss" {
        return None;
    }
    let tag = &doc[..doc.find('>')?];
    let bound = [
        "http://backend.userland.com/rss2",
        "http://blogs.law.harvard.edu/tech/rss",
    ]
    .iter()
    .any(|ns| {
        tag.contains(&format!("xmlns:{prefix}=\"{ns}\""))
            || tag.contains(&format!("xmlns:{prefix}='{ns}'"))
    });
    if !bound {
        return None;
    }
    Some(
        doc.replace(&format!("<{prefix}:"), "<")
            .replace(&format!("</{prefix}:"), "</"),
    )
}

/// RSS 1.0 items whose only address is their `rdf:about`, which feed-rs would drop for want of a `<link>`:
/// the address becomes the link. `None` when there is no such item.
///
/// One forward pass: the next `</item>` and the next `<link` are each looked for from where the last search
/// left off (see [`Forward`]), so a document of unclosed items costs no more than a well-formed one.
fn rdf_links(doc: &str, work: &mut Work) -> Option<String> {
    let mut out = String::new();
    let mut items = Forward::new(doc, "<item");
    let mut closes = Forward::new(doc, "</item>");
    let mut links = Forward::new(doc, "<link");
    let mut tag_ends = Forward::new(doc, ">");
    let mut copied = 0;
    let mut pos = 0;
    while let Some(at) = items.at_or_after(pos) {
        let tag_start = at + "<item".len();
        let Some(tag_end) = tag_ends.at_or_after(tag_start) else {
            break;
        };
        let tag = &doc[tag_start..tag_end];
        pos = tag_end + 1;
        // `<items>` is another element, and an empty `<item/>` has no room for a link.
        if !tag.starts_with(|c: char| c.is_ascii_whitespace()) || tag.ends_with('/') {
            continue;
        }
        let end = closes.at_or_after(pos).unwrap_or(doc.len());
        if links.at_or_after(pos).is_some_and(|l| l < end) {
            continue;
        }
        let about = tag.find("rdf:about=").and_then(|i| {
            let value = &tag[i + "rdf:about=".len()..];
            let q = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            value[1..].find(q).map(|e| value[1..1 + e].trim())
        });
        if let Some(about) = about.filter(|a| !a.is_empty() && !a.contains('<')) {
            if out.is_empty() {
                out.reserve(doc.len() + 64);
            }
            // An attribute value is escaped as element text is: it goes in as it is.
            out.push_str(&doc[copied..pos]);
            out.push_str("<link>");
            out.push_str(about);
            out.push_str("</link>");
            copied = pos;
        }
    }
    work.scanned += items.scanned + closes.scanned + links.scanned + tag_ends.scanned;
    if copied == 0 {
        return None;
    }
    out.push_str(&doc[copied..]);
    Some(out)
}

/// The pre-parse rewrites on their own, for the benchmarks (`benches/hostile.rs`); not part of the API.
#[doc(hidden)]
pub mod rewrites {
    /// RSS 1.0 items without a link given their `rdf:about` as one; `None` when there is none.
    pub fn rdf_links(doc: &str) -> Option<String> {
        super::rdf_links(doc, &mut super::Work::default())
    }

    /// Every element typed `mime` retyped as text; `None` when there is none.
    pub fn retype(doc: &str, mime: &str) -> Option<String> {
        super::retype(doc, mime, &mut super::Work::default())
    }
}

/// How much work reading one document took, in units that do not depend on the machine: what a test asserts
/// to show that the rewrites and the parse stay linear in the size of the document.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Work {
    /// Bytes examined by the searches of the pre-parse rewrites.
    scanned: usize,
    /// Bytes handed to the feed parser, over every attempt.
    parsed: usize,
    /// Times the document was rewritten for another attempt (odd text types, loose JSON).
    rewrites: usize,
    /// Bytes of title and text the items came to, once cleaned.
    cleaned: usize,
}

impl Work {
    /// The units a budget weighs: bytes examined, taken in by the parser, and cleaned.
    fn total(&self) -> usize {
        self.scanned + self.parsed + self.cleaned
    }
}

/// Successive occurrences of one needle in a document, asked for at positions that only move forward. A
/// search resumes where the last one found its match, so each byte is examined about once whatever the
/// number of questions: asking "where is the next `</item>`?" after each of 50,000 unclosed `<item>`s costs
/// one pass, not 50,000.
struct Forward<'a> {
    doc: &'a str,
    needle: &'a str,
    /// Where the last search started (no occurrence lies between there and what it found), and what it
    /// found: `None` before the first search.
    from: usize,
    found: Option<Option<usize>>,
    /// Bytes examined so far.
    scanned: usize,
}

impl<'a> Forward<'a> {
    fn new(doc: &'a str, needle: &'a str) -> Self {
        Forward {
            doc,
            needle,
            from: 0,
            found: None,
            scanned: 0,
        }
    }

    /// The first occurrence at or after `pos`, which must not be before an earlier question's `pos`.
    fn at_or_after(&mut self, pos: usize) -> Option<usize> {
        debug_assert!(pos >= self.from, "Forward only moves forward");
        match self.found {
            Some(Some(f)) if f >= pos => return Some(f),
            Some(None) => return None,
            _ => {}
        }
        let rest = &self.doc[pos..];
        let found = rest.find(self.needle).map(|i| pos + i);
        self.scanned += found.map_or(rest.len(), |f| f - pos + self.needle.len());
        self.from = pos;
        self.found = Some(found);
        found
    }
}

/// JSON Feeds written by hand or by loose generators: a number where a string belongs (`"id": 42`), tags as
/// one comma-separated string, one author object where a list belongs, no feed title. feed-rs refuses the
/// whole feed for one such field; this coerces what has an obvious reading and drops what has none, so the
/// items are read. Returns whether anything changed.
fn loosen_json(feed: &mut serde_json::Value) -> bool {
    use serde_json::{Map, Value};
    /// A string field: numbers and booleans become their text, anything else but null is dropped.
    fn text(obj: &mut Map<String, Value>, key: &str, changed: &mut bool) {
        let fixed = match obj.get(key) {
            None | Some(Value::String(_) | Value::Null) => return,
            Some(Value::Number(n)) => Some(Value::String(n.to_string())),
            Some(Value::Bool(b)) => Some(Value::String(b.to_string())),
            Some(_) => None,
        };
        *changed = true;
        match fixed {
            Some(v) => obj.insert(key.to_owned(), v),
            None => obj.remove(key),
        };
    }
    /// `author` (one object) and `authors` (a list of them), each with string `name` and `url`.
    fn people(obj: &mut Map<String, Value>, changed: &mut bool) {
        let person = |v: &mut Value, changed: &mut bool| match v.as_object_mut() {
            Some(p) => {
                text(p, "name", changed);
                text(p, "url", changed);
                true
            }
            None => false,
        };
        if let Some(a) = obj.get_mut("author")
            && !person(a, changed)
        {
            obj.remove("author");
            *changed = true;
        }
        match obj.get_mut("authors") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                let before = list.len();
                list.retain_mut(|a| person(a, changed));
                *changed |= list.len() != before;
            }
            Some(one @ Value::Object(_)) => {
                let mut single = one.take();
                person(&mut single, changed);
                *one = Value::Array(vec![single]);
                *changed = true;
            }
            Some(_) => {
                obj.remove("authors");
                *changed = true;
            }
        }
    }
    let mut changed = false;
    let Some(top) = feed.as_object_mut() else {
        return false;
    };
    if !matches!(top.get("title"), Some(Value::String(_))) {
        text(top, "title", &mut changed);
        if !top.contains_key("title") {
            top.insert("title".to_owned(), Value::String(String::new()));
            changed = true;
        }
    }
    for key in [
        "home_page_url",
        "feed_url",
        "language",
        "description",
        "icon",
        "favicon",
    ] {
        text(top, key, &mut changed);
    }
    people(top, &mut changed);
    let Some(Value::Array(items)) = top.get_mut("items") else {
        return changed;
    };
    for item in items.iter_mut().filter_map(Value::as_object_mut) {
        for key in [
            "id",
            "url",
            "external_url",
            "title",
            "content_html",
            "content_text",
            "summary",
            "date_published",
            "date_modified",
        ] {
            text(item, key, &mut changed);
        }
        people(item, &mut changed);
        let tags = match item.get("tags") {
            None | Some(Value::Null) => None,
            Some(Value::String(list)) => Some(
                list.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_owned()))
                    .collect(),
            ),
            Some(Value::Array(list)) if list.iter().all(Value::is_string) => None,
            Some(Value::Array(list)) => Some(
                list.iter()
                    .filter_map(|t| match t {
                        Value::String(s) => Some(Value::String(s.clone())),
                        Value::Number(n) => Some(Value::String(n.to_string())),
                        _ => None,
                    })
                    .collect(),
            ),
            Some(_) => Some(Vec::new()),
        };
        if let Some(tags) = tags {
            item.insert("tags".to_owned(), Value::Array(tags));
            changed = true;
        }
        if let Some(attachments) = item.get_mut("attachments") {
            let usable = |a: &Value| {
                a.get("url").is_some_and(Value::is_string)
                    && a.get("mime_type").is_some_and(Value::is_string)
                    && a.get("size_in_bytes")
                        .is_none_or(|s| s.is_u64() || s.is_null())
                    && a.get("title").is_none_or(|t| t.is_string() || t.is_null())
            };
            match attachments {
                Value::Array(list) if list.iter().all(usable) => {}
                Value::Array(list) => {
                    list.retain(usable);
                    changed = true;
                }
                Value::Null => {}
                _ => {
                    item.remove("attachments");
                    changed = true;
                }
            }
        }
    }
    changed
}

/// At most this many distinct unknown `type`s are rewritten in one document before giving up.
const MAX_RETYPES: usize = 8;

/// The document with every element typed `mime` (which feed-rs refuses in a text construct) retyped as
/// `text`; when `mime` names binary data (`application/octet-stream`), the element's base64 text is decoded
/// as Atom says it is. `None` when no element has that type.
///
/// One forward pass over the `type=` attributes; the end of each start tag and of its text are found with
/// [`Forward`], and each element's text is decoded at most once, so thousands of typed elements cost one
/// reading of the document.
fn retype(doc: &str, mime: &str, work: &mut Work) -> Option<String> {
    use base64::Engine as _;
    let binary = mime.contains('/') && !mime.starts_with("text/") && !mime.ends_with("xml");
    let mut types = Forward::new(doc, "type=");
    let mut tag_ends = Forward::new(doc, ">");
    let mut tag_starts = Forward::new(doc, "<");
    let mut out = String::new();
    let mut copied = 0;
    let mut pos = 0;
    // The start of the last element text tried as base64: a text is never decoded twice.
    let mut tried_text = None;
    while let Some(at) = types.at_or_after(pos) {
        let value = &doc[at + "type=".len()..];
        pos = at + "type=".len();
        let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let matched = value[1..]
            .strip_prefix(mime)
            .is_some_and(|after| after.starts_with(quote));
        if !matched {
            continue;
        }
        if out.is_empty() {
            out.reserve(doc.len());
        }
        out.push_str(&doc[copied..at]);
        out.push_str("type=\"text\"");
        pos += mime.len() + 2;
        copied = pos;
        if !binary {
            continue;
        }
        // The rest of the start tag, then its text up to the next tag.
        let Some(tag_end) = tag_ends.at_or_after(pos) else {
            continue;
        };
        if doc[..tag_end].ends_with('/') || tried_text == Some(tag_end) {
            continue;
        }
        tried_text = Some(tag_end);
        let text_end = tag_starts.at_or_after(tag_end).unwrap_or(doc.len());
        let encoded: String = doc[tag_end + 1..text_end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        work.scanned += text_end - tag_end;
        let Some(decoded) = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            continue;
        };
        out.push_str(&doc[copied..=tag_end]);
        out.push_str(&quick_xml::escape::escape(decoded.as_str()));
        copied = text_end;
        pos = text_end;
    }
    work.scanned += types.scanned + tag_ends.scanned + tag_starts.scanned;
    if out.is_empty() {
        return None;
    }
    out.push_str(&doc[copied..]);
    Some(out)
}

/// Byte offset of the root element's `<`, past declarations, comments and doctype.
fn root_start(doc: &str) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = doc[i..].find('<') {
        let at = i + off;
        let rest = &doc[at..];
        if rest.starts_with("<?") {
            i = at + rest.find("?>")? + 2;
        } else if rest.starts_with("<!--") {
            i = at + rest.find("-->")? + 3;
        } else if rest.starts_with("<!") {
            i = at + rest.find('>')? + 1;
        } else {
            return Some(at);
        }
    }
    None
}

thread_local! {
    /// Set while untrusted bytes are being parsed: a panic there is that source's error, not a bug of the
    /// daemon (see [`crate::daemon::install_panic_hook`]).
    pub static PARSING_UNTRUSTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` marked as parsing untrusted input, catching its panic.
fn guarded<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    PARSING_UNTRUSTED.with(|p| p.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    PARSING_UNTRUSTED.with(|p| p.set(false));
    result
}

/// Parses feed bytes into mentions of source `source`.
///
/// Linear in the size of the document: each rewrite below is one forward pass, and the parser is tried a
/// bounded number of times (at most eight retypes, then two JSON repairs).
///
/// # Errors
/// [`ParseError`] when the bytes are not a feed; the message says what was found instead.
pub fn parse_feed(
    source: &str,
    bytes: &[u8],
    http_charset: Option<&str>,
    fetched: DateTime<Utc>,
) -> Result<ParsedFeed, ParseError> {
    parse_feed_within(source, bytes, http_charset, fetched, &mut |_| false)
}

/// [`parse_feed`] within a budget: `stop` is asked while the document is read — after each pre-parse
/// rewrite, every [`BUDGET_STEP`] bytes the feed parser takes in (from inside the parser, whose reads go
/// through a meter), and before each item is cleaned — with the work done so far, in units that do not
/// depend on the machine (bytes examined by the rewrites, taken in by the parser and cleaned). When it
/// answers `true` (work past a cap, CPU time past a budget, the daemon stopping), reading stops there and
/// everything read is dropped.
///
/// # Errors
/// [`ParseError::Stopped`] when `stop` said so; otherwise as [`parse_feed`].
pub fn parse_feed_within(
    source: &str,
    bytes: &[u8],
    http_charset: Option<&str>,
    fetched: DateTime<Utc>,
    stop: &mut dyn FnMut(usize) -> bool,
) -> Result<ParsedFeed, ParseError> {
    read_feed(
        source,
        bytes,
        http_charset,
        fetched,
        &mut Work::default(),
        stop,
    )
}

/// How often, in bytes taken in by the feed parser, the budget is asked: often enough that a parse stops
/// within a few milliseconds of its budget, rarely enough that asking (a CPU clock read) costs nothing.
pub const BUDGET_STEP: usize = 64 * 1024;

/// A document handed to the feed parser through [`std::io::Read`], asking the budget every
/// [`BUDGET_STEP`] bytes: the parser reads as it goes, so a costly parse is stopped from inside, not only
/// once it returns.
struct Metered<'a, 'b> {
    rest: &'a [u8],
    /// Work done before this parse, and bytes taken in by it.
    before: usize,
    read: usize,
    unasked: usize,
    stop: &'b mut dyn FnMut(usize) -> bool,
    stopped: bool,
}

impl std::io::Read for Metered<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.stopped && self.unasked >= BUDGET_STEP {
            self.unasked = 0;
            self.stopped = (self.stop)(self.before + self.read);
        }
        if self.stopped {
            return Err(std::io::Error::other("reading stopped by its budget"));
        }
        let n = self.rest.len().min(buf.len()).min(BUDGET_STEP);
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        self.read += n;
        self.unasked += n;
        Ok(n)
    }
}

/// [`parse_feed_within`], counting its work in `work`.
fn read_feed(
    source: &str,
    bytes: &[u8],
    http_charset: Option<&str>,
    fetched: DateTime<Utc>,
    work: &mut Work,
    stop: &mut dyn FnMut(usize) -> bool,
) -> Result<ParsedFeed, ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let (text, _) = decode(bytes, http_charset);
    let doc = normalize_dialect(strip_xml_declaration(&text), work);
    let doc: &str = &doc;
    if stop(work.total()) {
        return Err(ParseError::Stopped { work: work.total() });
    }
    // Whether the budget stopped a parse, and the work done then.
    let mut stopped: Option<usize> = None;
    let (mut parsed_bytes, before) = (0, work.total());
    let mut parse = |doc: &str| {
        if stopped.is_some() {
            return Ok(Err(feed_rs::parser::ParseFeedError::IoError(
                std::io::Error::other("reading stopped by its budget"),
            )));
        }
        let mut metered = Metered {
            rest: doc.as_bytes(),
            before: before + parsed_bytes,
            read: 0,
            unasked: 0,
            stop: &mut *stop,
            stopped: false,
        };
        let result = guarded(|| {
            let parser = feed_rs::parser::Builder::new()
                // Keep missing ids empty: veille derives its own stable id below.
                .id_generator(|_, _, _| String::new())
                .build();
            parser.parse(&mut metered)
        });
        parsed_bytes += metered.read;
        if metered.stopped {
            stopped = Some(metered.before + metered.read);
        }
        result
    };
    let mut parsed = parse(doc);
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    // One odd `type` on one entry's title or summary makes feed-rs refuse the whole feed: read such text
    // constructs as plain text (decoding base64 ones) and try again, once per distinct type.
    let mut retyped: Option<String> = None;
    let (mut scanned, mut rewrites) = (0, 0);
    for _ in 0..MAX_RETYPES {
        let Ok(Err(ParseFeedError::ParseError(ParseErrorKind::UnknownMimeType(mime)))) = &parsed
        else {
            break;
        };
        let mut counted = Work::default();
        let fixed = retype(retyped.as_deref().unwrap_or(doc), mime, &mut counted);
        scanned += counted.scanned;
        let Some(fixed) = fixed else {
            break;
        };
        rewrites += 1;
        parsed = parse(&fixed);
        retyped = Some(fixed);
    }
    let doc: &str = retyped.as_deref().unwrap_or(doc);
    let mut json = None;
    if let Ok(Err(ParseFeedError::JsonSerde(_))) = &parsed
        && let Ok(mut value) = serde_json::from_str::<serde_json::Value>(doc)
        && loosen_json(&mut value)
    {
        let fixed = value.to_string();
        rewrites += 1;
        let retried = parse(&fixed);
        // Still no feed: the first error, whose line and column point into the document as it came.
        if matches!(
            retried,
            Ok(Ok(_) | Err(ParseFeedError::JsonUnsupportedVersion(_)))
        ) {
            parsed = retried;
            json = Some(fixed);
        }
    }
    if let Ok(Err(ParseFeedError::JsonUnsupportedVersion(_))) = &parsed {
        // JSON Feeds in the wild write their version loosely ("1.0", "http://…/version/1"): read them as 1.1.
        if let Ok(mut value) =
            serde_json::from_str::<serde_json::Value>(json.as_deref().unwrap_or(doc))
        {
            value["version"] = serde_json::Value::from("https://jsonfeed.org/version/1.1");
            rewrites += 1;
            parsed = parse(&value.to_string());
        }
    }
    work.parsed += parsed_bytes;
    work.scanned += scanned;
    work.rewrites += rewrites;
    if stopped.is_some() || stop(work.total()) {
        return Err(ParseError::Stopped { work: work.total() });
    }
    let feed = match parsed {
        Ok(Ok(feed)) => feed,
        Ok(Err(e)) => return Err(explain_failure(doc, e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            return Err(ParseError::ParserPanic(what));
        }
    };
    let feed_lang = feed.language.clone().filter(|l| l.len() <= MAX_LANG);
    let title = feed
        .title
        .as_ref()
        .map(|t| capped(title_to_text(&t.content), MAX_TITLE))
        .filter(|t| !t.is_empty());
    let mut mentions = Vec::with_capacity(feed.entries.len());
    for entry in feed.entries {
        if stop(work.total()) {
            return Err(ParseError::Stopped { work: work.total() });
        }
        let m = entry_to_mention(source, entry, feed_lang.as_deref(), fetched);
        work.cleaned += m.text.len() + m.title.as_ref().map_or(0, String::len);
        mentions.push(m);
    }
    Ok(ParsedFeed { title, mentions })
}

fn entry_to_mention(
    source: &str,
    entry: feed_rs::model::Entry,
    feed_lang: Option<&str>,
    fetched: DateTime<Utc>,
) -> Mention {
    let title = entry
        .title
        .as_ref()
        .map(|t| capped(title_to_text(&t.content), MAX_TITLE))
        .filter(|t| !t.is_empty());
    let body_html = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .filter(|b| !b.trim().is_empty())
        .or_else(|| {
            entry
                .summary
                .as_ref()
                .map(|s| s.content.as_str())
                .filter(|s| !s.trim().is_empty())
        })
        .or_else(|| {
            entry
                .media
                .iter()
                .find_map(|m| m.description.as_ref().map(|d| d.content.as_str()))
        })
        .unwrap_or("");
    let text = capped(html_to_text(body_html), MAX_TEXT);
    let raw_link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| entry.links.first())
        .map(|l| l.href.trim())
        .filter(|l| l.len() <= MAX_LINK);
    let link = raw_link
        .and_then(canonical_link)
        .filter(|l| l.len() <= MAX_LINK);
    let author = entry
        .authors
        .iter()
        .find_map(person_name)
        .map(|a| capped(a, MAX_AUTHOR));
    let published = entry.published.or(entry.updated);
    let lang = entry
        .language
        .as_deref()
        .filter(|l| l.len() <= MAX_LANG)
        .or(feed_lang)
        .filter(|l| !l.is_empty())
        .map(str::to_owned);
    let story = story_hash(title.as_deref(), &text);
    let id = if entry.id.trim().len() > MAX_ID {
        format!(
            "g:{:016x}",
            xxhash_rust::xxh3::xxh3_64(entry.id.trim().as_bytes())
        )
    } else if !entry.id.trim().is_empty() {
        entry.id.trim().to_owned()
    } else if let Some(link) = &link {
        link.clone()
    } else {
        let date = published.map(|d| d.to_rfc3339()).unwrap_or_default();
        format!(
            "h:{:016x}",
            xxhash_rust::xxh3::xxh3_64(
                format!("{}\u{1f}{date}\u{1f}{text}", title.as_deref().unwrap_or("")).as_bytes()
            )
        )
    };
    Mention {
        source: source.to_owned(),
        id,
        link,
        title,
        text,
        author,
        lang,
        published,
        fetched,
        story,
        kind: crate::model::SourceKind::Feed,
        reach: crate::model::Reach::default(),
    }
}

/// What a service's JSON says of one post, before it is cleaned and capped into a [`Mention`].
#[derive(Debug, Clone, Default)]
pub struct Post<'a> {
    /// The service's stable id for the post (a URI, an object id).
    pub id: &'a str,
    pub link: Option<&'a str>,
    /// Plain text or HTML, cleaned the same way.
    pub title: Option<&'a str>,
    pub html: &'a str,
    /// The author's display name.
    pub author: Option<&'a str>,
    pub lang: Option<&'a str>,
    pub published: Option<DateTime<Utc>>,
    pub reach: crate::model::Reach,
}

/// A post of a service read as a mention, with the same cleaning and caps as a feed's items.
pub fn post_mention(
    source: &str,
    kind: crate::model::SourceKind,
    post: Post<'_>,
    fetched: DateTime<Utc>,
) -> Mention {
    let title = post
        .title
        .map(title_to_text)
        .filter(|t| !t.is_empty())
        .map(|t| capped(t, MAX_TITLE));
    let text = capped(html_to_text(post.html), MAX_TEXT);
    let link = post
        .link
        .filter(|l| l.len() <= MAX_LINK)
        .and_then(canonical_link);
    let author = post
        .author
        .map(title_to_text)
        .filter(|a| !a.is_empty())
        .map(|a| capped(a, MAX_AUTHOR));
    let mut reach = post.reach;
    reach.handle = reach.handle.map(|h| capped(h, MAX_AUTHOR));
    let id = post.id.trim();
    let id = if id.len() > MAX_ID || id.is_empty() {
        format!("g:{:016x}", xxhash_rust::xxh3::xxh3_64(id.as_bytes()))
    } else {
        id.to_owned()
    };
    let story = story_hash(title.as_deref(), &text);
    Mention {
        source: source.to_owned(),
        id,
        link,
        title,
        text,
        author,
        lang: post
            .lang
            .filter(|l| !l.is_empty() && l.len() <= MAX_LANG)
            .map(str::to_owned),
        published: post.published,
        fetched,
        story,
        kind,
        reach,
    }
}

/// A JSON body read as `T`, a syntax or shape error located by line and column. The parser runs behind
/// `catch_unwind`, as feed-rs does: hostile bytes are that source's error, never the daemon's end.
///
/// # Errors
/// [`ParseError::Empty`] for no content, [`ParseError::Html`] for an HTML page where JSON was expected,
/// [`ParseError::Json`] otherwise.
pub fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    let (text, _) = decode(bytes, None);
    let t = text.trim_start();
    if t.is_empty() {
        return Err(ParseError::Empty);
    }
    if t.starts_with('<') {
        return Err(ParseError::NotJson);
    }
    let parsed = match guarded(|| serde_json::from_str::<T>(&text)) {
        Ok(parsed) => parsed,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            return Err(ParseError::ParserPanic(what));
        }
    };
    parsed.map_err(|e| {
        let message = e.to_string();
        // serde_json says the place at the end of its message; ours says it first.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        ParseError::Json {
            line: e.line(),
            column: e.column(),
            message,
        }
    })
}

/// `text` cut to at most `max` bytes: at a character boundary, and before a word the cut would split (a cut
/// word could match a shorter rule term), unless that would lose more than half of what is kept.
fn capped(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let splits_a_word = text[cut..].starts_with(char::is_alphanumeric)
        && text[..cut].ends_with(char::is_alphanumeric);
    if splits_a_word
        && let Some(space) = text[..cut].rfind(char::is_whitespace)
        && space >= cut / 2
    {
        cut = space;
    }
    text.truncate(cut);
    text.truncate(text.trim_end().len());
    text
}

/// A readable name for a feed's person. RSS `<author>` holds an address, often as `mail@host (Name)`;
/// feed-rs then names the person "author" and keeps the text as the email.
fn person_name(p: &feed_rs::model::Person) -> Option<String> {
    let name = p.name.trim();
    let email = p.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if !name.is_empty() && name != "author" {
        return Some(title_to_text(name));
    }
    let email = email?;
    if let (Some(open), true) = (email.find('('), email.ends_with(')')) {
        let inner = email[open + 1..email.len() - 1].trim();
        if !inner.is_empty() {
            return Some(title_to_text(inner));
        }
    }
    Some(title_to_text(email))
}

/// Hash of the folded words of title and text: two copies of one story, whatever their markup, spacing,
/// case or accents, share it.
pub fn story_hash(title: Option<&str>, text: &str) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [title.unwrap_or(""), text] {
        let f = fold(part);
        for w in f.words() {
            h.update(f.word(w).as_bytes());
            h.update(b" ");
        }
        h.update(b"\x1f");
    }
    h.digest()
}

/// Turns feed-rs's failure into a message a person can act on, locating XML errors by line and column.
fn explain_failure(doc: &str, e: feed_rs::parser::ParseFeedError) -> ParseError {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    let head: String = doc
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    let looks_html =
        head.contains("<!doctype html") || head.contains("<html") || head.contains("<body");
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            if looks_html {
                ParseError::Html
            } else if let Some(err) = locate_xml_error(doc) {
                err
            } else {
                ParseError::NoFeedRoot
            }
        }
        ParseFeedError::JsonSerde(e) => ParseError::Json {
            line: e.line(),
            column: e.column(),
            message: e
                .to_string()
                .split(" at line")
                .next()
                .unwrap_or("")
                .to_owned(),
        },
        ParseFeedError::JsonUnsupportedVersion(v) => {
            ParseError::Other(format!("unsupported JSON Feed version {v}"))
        }
        ParseFeedError::XmlReader(e) => {
            if looks_html {
                ParseError::Html
            } else {
                locate_xml_error(doc).unwrap_or_else(|| ParseError::XmlUnlocated(e.to_string()))
            }
        }
        other => {
            if looks_html {
                ParseError::Html
            } else {
                ParseError::Other(other.to_string())
            }
        }
    }
}

/// Reads the document with quick-xml to find where it stops being well-formed.
fn locate_xml_error(doc: &str) -> Option<ParseError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                open.push(String::from_utf8_lossy(e.name().as_ref()).into_owned())
            }
            Ok(Event::End(_)) => {
                open.pop();
            }
            Ok(Event::Eof) => {
                let last = open.pop()?;
                let (line, column) = line_column(doc, doc.trim_end().len());
                return Some(ParseError::Xml {
                    line,
                    column,
                    message: format!("the document ends before </{last}> (truncated?)"),
                });
            }
            Ok(_) => {}
            Err(e) => {
                let pos = usize::try_from(reader.error_position())
                    .unwrap_or(0)
                    .min(doc.len());
                let (line, column) = line_column(doc, pos);
                return Some(ParseError::Xml {
                    line,
                    column,
                    message: e.to_string(),
                });
            }
        }
    }
}

/// 1-based line and column (in characters) of byte offset `pos`.
pub fn line_column(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn declared_latin1_decodes() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>t</title><item><title>Caf\xe9 cr\xe8me</title><guid>1</guid></item></channel></rss>";
        let feed = parse_feed("s", bytes, None, now()).unwrap();
        assert_eq!(feed.mentions[0].title.as_deref(), Some("Café crème"));
    }

    #[test]
    fn a_wrong_latin_declaration_on_utf8_bytes_is_ignored() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>t</title><item><title>Café</title><guid>1</guid></item></channel></rss>";
        let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
        assert_eq!(feed.mentions[0].title.as_deref(), Some("Café"));
    }

    #[test]
    fn http_charset_applies_when_the_document_is_silent() {
        let bytes = b"<rss version=\"2.0\"><channel><title>t</title><item><title>D\xe9\xe7u</title><guid>1</guid></item></channel></rss>";
        let feed = parse_feed("s", bytes, Some("iso-8859-1"), now()).unwrap();
        assert_eq!(feed.mentions[0].title.as_deref(), Some("Déçu"));
    }

    #[test]
    fn undeclared_latin1_falls_back_to_windows_1252() {
        let bytes = b"<rss version=\"2.0\"><channel><title>t</title><item><title>Gr\xe8ve \x80</title><guid>1</guid></item></channel></rss>";
        let feed = parse_feed("s", bytes, None, now()).unwrap();
        assert_eq!(feed.mentions[0].title.as_deref(), Some("Grève €"));
    }

    #[test]
    fn utf16_with_bom_decodes() {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>t</title><item><title>Été</title><guid>1</guid></item></channel></rss>";
        let mut bytes = vec![0xFF, 0xFE];
        for u in doc.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let feed = parse_feed("s", &bytes, None, now()).unwrap();
        assert_eq!(feed.mentions[0].title.as_deref(), Some("Été"));
    }

    #[test]
    fn html_page_is_named() {
        let err = parse_feed(
            "s",
            b"<!DOCTYPE html><html><body>Hello</body></html>",
            None,
            now(),
        )
        .unwrap_err();
        assert_eq!(err, ParseError::Html);
        assert!(err.to_string().starts_with("not a feed: got an HTML page"));
    }

    #[test]
    fn empty_body_is_named() {
        assert_eq!(
            parse_feed("s", b"  \n", None, now()).unwrap_err(),
            ParseError::Empty
        );
    }

    #[test]
    fn truncated_xml_reports_a_line() {
        let doc = b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\">\n<channel>\n<title>t</title>\n<item><title>x</title></itm>\n";
        let err = parse_feed("s", doc, None, now()).unwrap_err();
        match err {
            ParseError::Xml { line, .. } => assert_eq!(line, 5, "{err}"),
            other => panic!("expected an XML error with a line, got {other:?}"),
        }
    }

    /// Guards the feed-rs 3.0 / quick-xml 0.42 panic on a second XML declaration inside `<channel>`: whatever
    /// the version, this input must give a result or an error, never a panic.
    #[test]
    fn second_xml_declaration_does_not_panic() {
        let doc = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>a</title><?xml version=\"1.0\" encoding=\"ISO-8859-1\"?></channel></rss>";
        let result = std::panic::catch_unwind(|| parse_feed("s", doc, None, now()));
        assert!(result.is_ok(), "parse_feed let a panic through");
    }

    #[test]
    fn ids_fall_back_to_link_then_hash() {
        let doc = br#"<rss version="2.0"><channel><title>t</title>
            <item><title>A</title><link>https://ex.example/a?utm_source=x#top</link></item>
            <item><title>B</title><description>b</description></item>
            </channel></rss>"#;
        let feed = parse_feed("s", doc, None, now()).unwrap();
        assert_eq!(feed.mentions[0].id, "https://ex.example/a");
        assert_eq!(
            feed.mentions[0].link.as_deref(),
            Some("https://ex.example/a")
        );
        assert!(feed.mentions[1].id.starts_with("h:"));
        let again = parse_feed("s", doc, None, now()).unwrap();
        assert_eq!(
            feed.mentions[1].id, again.mentions[1].id,
            "hash ids must be stable"
        );
    }

    #[test]
    fn rss_author_address_gives_the_name() {
        let doc = "<rss version=\"2.0\"><channel><title>t</title>\
            <item><guid>1</guid><author>redaction@x.example (H\u{e9}l\u{e8}ne Gar\u{e7}on)</author></item>\
            <item><guid>2</guid><author>plain@x.example</author></item>\
            </channel></rss>";
        let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
        assert_eq!(feed.mentions[0].author.as_deref(), Some("Hélène Garçon"));
        assert_eq!(feed.mentions[1].author.as_deref(), Some("plain@x.example"));
    }

    #[test]
    fn loose_rss_dialects_are_read() {
        for doc in [
            "<rss><channel><title>t</title><item><title>A</title></item></channel></rss>",
            "<!-- c --><rss version=\"0.94\"><channel><title>t</title><item><title>A</title></item></channel></rss>",
            "<rss version=\"2.0\"><item><title>A</title></item></rss>",
            "<rss version=\"2.0\" xmlns=\"http://backend.userland.com/rss2\"><channel><title>t</title><item><title>A</title></item></channel></rss>",
            "<r:rss version=\"2.0\" xmlns:r=\"http://backend.userland.com/rss2\" xmlns:x=\"urn:x\"><r:channel><r:title>t</r:title><r:item><x:title>B</x:title><r:title>A</r:title></r:item></r:channel></r:rss>",
        ] {
            let feed = parse_feed("s", doc.as_bytes(), None, now())
                .unwrap_or_else(|e| panic!("{doc}: {e}"));
            assert_eq!(feed.mentions.len(), 1, "{doc}");
            assert_eq!(feed.mentions[0].title.as_deref(), Some("A"));
        }
    }

    #[test]
    fn rss_1_items_without_a_link_take_their_rdf_about() {
        let doc = "<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
            <channel rdf:about=\"http://acme.example/\"><title>t</title><items><rdf:Seq><rdf:li resource=\"http://acme.example/1\"/></rdf:Seq></items></channel>\
            <item rdf:about=\"http://acme.example/1?a=1&amp;b=2\"><title>Sans lien</title></item>\
            <item rdf:about='http://acme.example/2'><title>Avec lien</title><link>http://acme.example/deux</link></item>\
            <item><title>Ni lien ni adresse</title></item>\
            </rdf:RDF>";
        let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
        let got: Vec<(Option<&str>, Option<&str>)> = feed
            .mentions
            .iter()
            .map(|m| (m.title.as_deref(), m.link.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("Sans lien"), Some("http://acme.example/1?a=1&b=2")),
                (Some("Avec lien"), Some("http://acme.example/deux")),
            ]
        );
    }

    #[test]
    fn loose_json_feed_fields_are_coerced_rather_than_losing_the_feed() {
        let doc = r#"{"version": "https://jsonfeed.org/version/1.1",
            "author": "Acme",
            "items": [
                {"id": 42, "title": "Grève chez Acme", "content_text": "Boutiques fermées", "tags": "grève, social",
                 "authors": {"name": "Léa"}, "attachments": [{"url": 3}]},
                {"id": "b", "title": 2026, "summary": "Acme répond", "tags": ["x", 1, null],
                 "date_published": "2026-11-20T10:00:00+01:00"}
            ]}"#;
        let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
        let got: Vec<(&str, Option<&str>, &str, Option<&str>)> = feed
            .mentions
            .iter()
            .map(|m| {
                (
                    m.id.as_str(),
                    m.title.as_deref(),
                    m.text.as_str(),
                    m.author.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "42",
                    Some("Grève chez Acme"),
                    "Boutiques fermées",
                    Some("Léa")
                ),
                ("b", Some("2026"), "Acme répond", None),
            ]
        );
        // A document that is not a feed at all keeps its error, located in the document as it came.
        let err = parse_feed(
            "s",
            b"{\n  \"items\": \"none\",\n  \"id\": 1\n}",
            None,
            now(),
        )
        .unwrap_err();
        assert!(matches!(err, ParseError::Json { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn atom_03_is_read() {
        let doc = "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>t</title><entry><title>A</title><id>x</id></entry></feed>";
        let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
        assert_eq!(feed.mentions.len(), 1);
    }

    #[test]
    fn an_odd_text_type_on_one_entry_does_not_lose_the_feed() {
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode("Café <b>fermé</b> & rouvert");
        let doc = format!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>\
             <entry><id>1</id><title type='x-unknown'>Grève chez Acme</title></entry>\
             <entry><id>2</id><title>Acme</title><summary type=\"application/octet-stream\">\n  {encoded}\n</summary></entry>\
             <entry><id>3</id><title type=\"\">vide</title><summary type=\"application/octet-stream\">pas du base64 !</summary></entry>\
             </feed>"
        );
        let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
        let got: Vec<(Option<&str>, &str)> = feed
            .mentions
            .iter()
            .map(|m| (m.title.as_deref(), m.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("Grève chez Acme"), ""),
                (Some("Acme"), "Café fermé & rouvert"),
                (Some("vide"), "pas du base64 !"),
            ]
        );
        // A type that is not there to rewrite leaves the error as it was.
        assert_eq!(retype("<feed/>", "x", &mut Work::default()), None);
    }

    #[test]
    fn loose_json_feed_versions_are_read() {
        let doc =
            r#"{"version": "1.0", "title": "t", "items": [{"id": "1", "content_text": "x"}]}"#;
        let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
        assert_eq!(feed.mentions.len(), 1);
    }

    #[test]
    fn untrusted_parsing_is_marked_and_its_panics_caught() {
        let result = guarded(|| {
            assert!(PARSING_UNTRUSTED.with(std::cell::Cell::get));
            panic!("hostile bytes")
        });
        assert!(result.is_err());
        assert!(
            !PARSING_UNTRUSTED.with(std::cell::Cell::get),
            "the mark must not outlive the parse"
        );
    }

    #[test]
    fn story_hash_ignores_markup_case_and_accents() {
        assert_eq!(
            story_hash(Some("Acme DÉÇOIT"), "Le  texte."),
            story_hash(Some("acme decoit"), "le texte")
        );
        assert_ne!(story_hash(Some("Acme"), "a"), story_hash(Some("Acme"), "b"));
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé\nx", 6), (2, 3));
        assert_eq!(line_column("", 0), (1, 1));
    }

    const RDF_HEAD: &str = "<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"><channel rdf:about=\"http://acme.example/\"><title>t</title></channel>";

    /// `count` RSS 1.0 items without a link, each `<item rdf:about="…">` followed by `each`.
    fn rdf(count: usize, each: &str, close: &str) -> String {
        let mut doc = String::from(RDF_HEAD);
        for k in 0..count {
            doc.push_str(&format!(
                "<item rdf:about=\"http://acme.example/{k}\">{each}"
            ));
        }
        doc.push_str(close);
        doc
    }

    /// An Atom feed whose entry `k` (of `types`) has a title typed `x-odd{k}`, followed by `typed` elements
    /// `<x type="a/b"/>` that are not text constructs.
    fn atom_odd_types(types: usize, typed: usize) -> String {
        let mut doc = String::from("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>");
        for k in 0..types {
            doc.push_str(&format!(
                "<entry><id>{k}</id><title type=\"x-odd{k}\">Grève {k}</title>"
            ));
            doc.push_str(&"<x type=\"a/b\"/>".repeat(typed));
            doc.push_str("</entry>");
        }
        doc.push_str("</feed>");
        doc
    }

    /// An RSS feed of `items` plain items, about 200 bytes each.
    fn plain_rss(items: usize) -> String {
        let mut doc = String::from("<rss version=\"2.0\"><channel><title>t</title>");
        for i in 0..items {
            doc.push_str(&format!(
                "<item><guid>g{i}</guid><title>Titre {i}</title><description>Un texte assez ordinaire \
                 pour l'élément numéro {i}, rien de plus.</description></item>"
            ));
        }
        doc.push_str("</channel></rss>");
        doc
    }

    /// Guards the parse budget (issue 16, isolation): it was checked only around `parse_feed`, so one
    /// costly document held its thread until the parser returned. Now the budget is asked from inside the
    /// parser, as it takes the document in: a 4 MB feed with a budget of 256 KiB of work stops having
    /// taken in about that much, not the whole document.
    #[test]
    fn the_budget_stops_the_parser_from_inside() {
        let doc = plain_rss(40_000);
        assert!(doc.len() > 4_000_000, "{}", doc.len());
        let cap = 256 * 1024;
        let mut asked = 0;
        let mut work = Work::default();
        let err = read_feed("s", doc.as_bytes(), None, now(), &mut work, &mut |w| {
            asked += 1;
            w >= cap
        })
        .unwrap_err();
        let ParseError::Stopped { work: units } = err else {
            panic!("{err:?}")
        };
        assert!(units >= cap, "{units}");
        // Stopped within two steps of the cap (the parser's own buffer is smaller than a step).
        assert!(
            work.parsed <= cap + 2 * BUDGET_STEP,
            "{work:?}: the parser took in {} of {} bytes",
            work.parsed,
            doc.len()
        );
        assert_eq!(work.cleaned, 0, "no item was cleaned");
        assert!(asked >= cap / BUDGET_STEP, "asked {asked} times");
        assert!(err_is_said(&ParseError::Stopped { work: units }));
    }

    fn err_is_said(e: &ParseError) -> bool {
        e.to_string().contains("too costly to read")
    }

    /// The budget is asked before each item is cleaned too: a document cheap to parse whose items are
    /// costly to clean stops between two items.
    #[test]
    fn the_budget_stops_between_items() {
        let doc = plain_rss(2_000);
        let mut work = Work::default();
        // Past the parse, allow 10 KB of cleaned text.
        let mut cap = None;
        let err = read_feed("s", doc.as_bytes(), None, now(), &mut work, &mut |w| {
            let parsed_all = w >= doc.len();
            if parsed_all && cap.is_none() {
                cap = Some(w + 10_000);
            }
            cap.is_some_and(|c| w >= c)
        })
        .unwrap_err();
        assert!(matches!(err, ParseError::Stopped { .. }), "{err:?}");
        assert!(
            (10_000..10_200).contains(&work.cleaned),
            "{work:?}: one item past the cap at most"
        );
        // Without a budget the same document reads whole, and the work is what was read.
        let mut work = Work::default();
        let feed = read_feed("s", doc.as_bytes(), None, now(), &mut work, &mut |_| false).unwrap();
        assert_eq!(feed.mentions.len(), 2_000);
        assert!(
            work.parsed >= doc.len() && work.parsed <= doc.len() + 64,
            "{work:?}"
        );
    }

    /// Guards the quadratic RDF rewrite (issue 16, 1): 50,000 `<item rdf:about="a">` never closed, 1 MB,
    /// cost 10.7 s because each item searched the rest of the document for its `</item>`. Now the rewrite
    /// examines each byte a bounded number of times, and the document is refused as truncated.
    #[test]
    fn a_megabyte_of_unclosed_rdf_items_is_read_in_one_pass() {
        let doc = rdf(50_000, "", "");
        assert!(doc.len() > 1_000_000, "{}", doc.len());
        let mut work = Work::default();
        let err =
            read_feed("s", doc.as_bytes(), None, now(), &mut work, &mut |_| false).unwrap_err();
        assert!(
            matches!(&err, ParseError::Xml { line: 1, message, .. } if message.contains("</item>")),
            "{err:?}"
        );
        // Four searches (`<item`, `>`, `</item>`, `<link`), each over the document about once.
        assert!(
            work.scanned <= 4 * doc.len(),
            "{work:?} for {} bytes",
            doc.len()
        );
        // One parse, of the document with a link added to each item.
        assert!(work.parsed <= 2 * doc.len(), "{work:?}");
        assert_eq!(work.rewrites, 0);
    }

    #[test]
    fn the_rdf_rewrite_grows_with_the_document_not_its_square() {
        // Bytes examined per byte of document, for 5,000 then 20,000 items.
        let per_byte = |items: usize| {
            let mut work = Work::default();
            let doc = rdf(items, "<title>x</title>", "");
            let linked = rdf_links(&doc, &mut work).expect("items without a link");
            assert_eq!(linked.matches("<link>").count(), items);
            work.scanned as f64 / doc.len() as f64
        };
        let (small, large) = (per_byte(5_000), per_byte(20_000));
        assert!(large <= 4.0, "{large} bytes examined per byte");
        assert!(
            large <= small * 1.05,
            "{small} then {large} per byte for 4 times the items"
        );
    }

    /// Well-formed items after the fix still all get their `rdf:about` as a link, at the size of the
    /// reproducer.
    #[test]
    fn closed_rdf_items_without_links_all_get_one() {
        let doc = rdf(20_000, "<title>x</title></item>", "</rdf:RDF>");
        let mut work = Work::default();
        let feed = read_feed("s", doc.as_bytes(), None, now(), &mut work, &mut |_| false).unwrap();
        assert_eq!(feed.mentions.len(), 20_000);
        assert_eq!(
            feed.mentions[19_999].link.as_deref(),
            Some("http://acme.example/19999")
        );
        assert!(work.scanned <= 4 * doc.len(), "{work:?}");
    }

    /// Guards the quadratic Atom retype (issue 16, 1): a title typed `x-odd` followed by 62,500
    /// `<x type="a/b"/>` (1 MB) cost 12 s, each match searching the rest of the document for the other
    /// quote. Now one pass per retype, one retype per distinct odd type.
    #[test]
    fn a_megabyte_of_typed_elements_after_an_odd_title_is_read_in_one_pass() {
        let doc = atom_odd_types(1, 70_000);
        assert!(doc.len() > 1_000_000, "{}", doc.len());
        let mut work = Work::default();
        let feed = read_feed("s", doc.as_bytes(), None, now(), &mut work, &mut |_| false).unwrap();
        assert_eq!(feed.mentions.len(), 1);
        assert_eq!(feed.mentions[0].title.as_deref(), Some("Grève 0"));
        assert_eq!(work.rewrites, 1);
        assert!(work.scanned <= doc.len() + 64, "{work:?} for {}", doc.len());
        assert!(work.parsed <= 2 * doc.len() + 64, "{work:?}");
    }

    /// The same with eight odd types, the most that are retyped: eight passes and nine parses, each over
    /// the document once.
    #[test]
    fn eight_odd_types_cost_eight_passes() {
        let doc = atom_odd_types(8, 8_000);
        let mut work = Work::default();
        let feed = read_feed("s", doc.as_bytes(), None, now(), &mut work, &mut |_| false).unwrap();
        assert_eq!(feed.mentions.len(), 8);
        assert_eq!(work.rewrites, MAX_RETYPES);
        assert!(work.scanned <= 8 * doc.len() + 512, "{work:?}");
        assert!(work.parsed <= 9 * doc.len() + 512, "{work:?}");
        // A ninth odd type is not retyped: the feed is refused, after the same bounded work.
        let doc = atom_odd_types(9, 100);
        let mut work = Work::default();
        assert!(read_feed("s", doc.as_bytes(), None, now(), &mut work, &mut |_| false).is_err());
        assert_eq!(work.rewrites, MAX_RETYPES);
    }

    /// Binary-typed text is decoded once per element, even when it is long, holds no tag and repeats the
    /// type inside it (which made each match decode the rest of the document again).
    #[test]
    fn binary_texts_are_decoded_once_each() {
        let filler = " type=\"application/octet-stream\" ".repeat(20_000);
        let doc = format!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id><summary type=\"application/octet-stream\">{filler}</summary></entry></feed>"
        );
        let mut work = Work::default();
        let fixed = retype(&doc, "application/octet-stream", &mut work).unwrap();
        assert!(work.scanned <= 3 * doc.len(), "{work:?} for {}", doc.len());
        // Not base64: left as it was, retyped only.
        assert!(
            fixed.contains("<summary type=\"text\"> type="),
            "{}",
            &fixed[..200]
        );
        let encoded = {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode("Acme & co")
        };
        let doc = format!(
            "<feed><entry><summary type='application/octet-stream'>{encoded}</summary><title type=\"application/octet-stream\"/></entry></feed>"
        );
        assert_eq!(
            retype(&doc, "application/octet-stream", &mut Work::default()).as_deref(),
            Some(
                "<feed><entry><summary type=\"text\">Acme &amp; co</summary><title type=\"text\"/></entry></feed>"
            )
        );
    }

    #[test]
    fn forward_search_answers_like_find() {
        let doc = "a<b>c<d><e>";
        let mut next = Forward::new(doc, "<");
        for pos in 0..=doc.len() {
            assert_eq!(
                next.at_or_after(pos),
                doc[pos..].find('<').map(|i| pos + i),
                "{pos}"
            );
        }
        assert!(next.scanned <= doc.len() + 3, "{}", next.scanned);
    }

    #[test]
    fn capped_cuts_at_a_boundary_before_a_split_word() {
        assert_eq!(capped("court".to_owned(), 10), "court");
        assert_eq!(capped("maison brioche".to_owned(), 10), "maison");
        assert_eq!(capped("éééé".to_owned(), 3), "é");
        // No space in the second half: cut inside the word rather than lose most of the text.
        assert_eq!(capped("a bcdefghijkl".to_owned(), 6), "a bcde");
    }
}
