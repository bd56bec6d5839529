//! OPML, the outline format feed readers exchange their subscriptions in (1.0 and 2.0).
//!
//! In: the bytes of an OPML file (for `veille sources import`), or the configured sources (for `veille
//! sources export`). Out: the feeds the file lists, each with its title, its URL and its tags (the titles
//! of the folders it is nested in, then its `category` entries), or an OPML 2.0 document. Pure: no I/O.
//!
//! The file is hostile input like any feed: the nesting is bounded ([`MAX_DEPTH`]) so a file of a million
//! nested outlines is refused in one pass rather than walked, quick-xml expands no entity beyond the five
//! predefined ones and character references, and a malformed file is an error naming the byte where it
//! went wrong, never a panic.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// How deep outlines may nest; subscription lists use two or three levels.
pub const MAX_DEPTH: usize = 32;

/// One feed an OPML file lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// The outline's `text` (or `title`), trimmed and on one line; may be empty.
    pub title: String,
    /// The feed's address (`xmlUrl`).
    pub url: String,
    /// The folders it is nested in, outermost first, then its `category` entries; no repeats.
    pub tags: Vec<String>,
}

/// Why an OPML file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("not UTF-8 text: save the file as UTF-8 and import it again")]
    NotUtf8,
    #[error("malformed XML at byte {at}: {message}")]
    Xml { at: u64, message: String },
    #[error("not an OPML file: its root element is <{0}>, not <opml>")]
    NotOpml(String),
    #[error(
        "outlines nested deeper than {MAX_DEPTH} levels at byte {at}: this is not a subscription list"
    )]
    TooDeep { at: u64 },
}

/// A title on one line, without control characters, at most 200 characters.
pub fn clean_title(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<&str> = one_line.split_whitespace().collect();
    words.join(" ").chars().take(200).collect()
}

/// The feeds of an OPML document, in document order.
///
/// # Errors
/// When the bytes are not UTF-8, not well-formed XML, not OPML, or nested deeper than [`MAX_DEPTH`].
pub fn parse(bytes: &[u8]) -> Result<Vec<OpmlFeed>, OpmlError> {
    let text = std::str::from_utf8(bytes).map_err(|_| OpmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut feeds = Vec::new();
    // The titles of the outlines open around the current one (empty for an outline that is a feed).
    let mut folders: Vec<String> = Vec::new();
    let mut root_seen = false;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| OpmlError::Xml {
            at: reader.error_position(),
            message: e.to_string(),
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if !root_seen => {
                root_seen = true;
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if !name.eq_ignore_ascii_case("opml") {
                    return Err(OpmlError::NotOpml(name));
                }
            }
            ref ev @ (Event::Start(ref e) | Event::Empty(ref e))
                if e.local_name().as_ref() == b"outline" =>
            {
                let is_start = matches!(ev, Event::Start(_));
                let outline = read_outline(e, reader.decoder())
                    .map_err(|message| OpmlError::Xml { at, message })?;
                if let Some(url) = outline.url {
                    let mut tags: Vec<String> =
                        folders.iter().filter(|f| !f.is_empty()).cloned().collect();
                    for c in outline.categories {
                        if !tags.contains(&c) {
                            tags.push(c);
                        }
                    }
                    tags.dedup();
                    feeds.push(OpmlFeed {
                        title: outline.title.clone(),
                        url,
                        tags,
                    });
                    if is_start {
                        // A feed's children are not in its folder.
                        folders.push(String::new());
                    }
                } else if is_start {
                    folders.push(outline.title);
                }
                if folders.len() > MAX_DEPTH {
                    return Err(OpmlError::TooDeep { at });
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"outline" => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(OpmlError::NotOpml(String::new()));
    }
    Ok(feeds)
}

struct Outline {
    title: String,
    url: Option<String>,
    categories: Vec<String>,
}

fn read_outline(
    e: &BytesStart<'_>,
    decoder: quick_xml::encoding::Decoder,
) -> Result<Outline, String> {
    let mut text = None;
    let mut title = None;
    let mut url = None;
    let mut categories = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let value: Cow<'_, str> = attr
            .decoded_and_normalized_value(quick_xml::XmlVersion::Implicit1_0, decoder)
            .map_err(|e| e.to_string())?;
        let key = attr.key.local_name();
        let key = String::from_utf8_lossy(key.as_ref()).to_ascii_lowercase();
        match key.as_str() {
            "text" => text = Some(clean_title(&value)),
            "title" => title = Some(clean_title(&value)),
            "xmlurl" => {
                let v = value.trim();
                if !v.is_empty() {
                    url = Some(v.to_owned());
                }
            }
            "category" => {
                // Comma-separated, each possibly a path ("/Tech/News"): every step is a tag.
                for c in value.split(',') {
                    for step in c.split('/') {
                        let step = clean_title(step);
                        if !step.is_empty() && !categories.contains(&step) {
                            categories.push(step);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Outline {
        title: text.filter(|t| !t.is_empty()).or(title).unwrap_or_default(),
        url,
        categories,
    })
}

/// One source to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFeed<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub tags: &'a [String],
}

/// An OPML 2.0 document listing `feeds`: a feed with tags sits in a folder named after its first tag, and
/// its other tags are its `category`, so that [`parse`] gives the same tags back in the same order.
pub fn write(
    feeds: &[ExportedFeed<'_>],
    title: &str,
    created: chrono::DateTime<chrono::Utc>,
) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail.
    let _ = write_into(&mut w, feeds, title, created);
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    out.push('\n');
    out
}

fn write_into(
    w: &mut Writer<Vec<u8>>,
    feeds: &[ExportedFeed<'_>],
    title: &str,
    created: chrono::DateTime<chrono::Utc>,
) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(
        BytesStart::new("opml").with_attributes([("version", "2.0")]),
    ))?;
    w.write_event(Event::Start(BytesStart::new("head")))?;
    w.create_element("title")
        .write_text_content(BytesText::new(title))?;
    w.create_element("dateCreated")
        .write_text_content(BytesText::new(&created.to_rfc2822()))?;
    w.write_event(Event::End(BytesEnd::new("head")))?;
    w.write_event(Event::Start(BytesStart::new("body")))?;
    // Folders in the order their first feed comes; feeds without a tag at the top.
    let mut folders: Vec<&str> = Vec::new();
    for f in feeds {
        if let Some(first) = f.tags.first()
            && !folders.contains(&first.as_str())
        {
            folders.push(first);
        }
    }
    let outline = |f: &ExportedFeed<'_>, rest: &[String]| {
        let mut e = BytesStart::new("outline");
        e.push_attribute(("type", "rss"));
        e.push_attribute(("text", f.title));
        e.push_attribute(("title", f.title));
        e.push_attribute(("xmlUrl", f.url));
        if !rest.is_empty() {
            e.push_attribute(("category", rest.join(",").as_str()));
        }
        e
    };
    for f in feeds.iter().filter(|f| f.tags.is_empty()) {
        w.write_event(Event::Empty(outline(f, &[])))?;
    }
    for folder in folders {
        let mut e = BytesStart::new("outline");
        e.push_attribute(("text", folder));
        e.push_attribute(("title", folder));
        w.write_event(Event::Start(e))?;
        for f in feeds
            .iter()
            .filter(|f| f.tags.first().is_some_and(|t| t == folder))
        {
            w.write_event(Event::Empty(outline(f, &f.tags[1..])))?;
        }
        w.write_event(Event::End(BytesEnd::new("outline")))?;
    }
    w.write_event(Event::End(BytesEnd::new("body")))?;
    w.write_event(Event::End(BytesEnd::new("opml")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_outlines_become_tags_and_categories_add_to_them() {
        let feeds = parse(
            br#"<?xml version="1.0"?>
<opml version="1.0"><head><title>x</title></head><body>
  <outline text="Presse">
    <outline text="R&#233;gions" title="ignored">
      <outline type="rss" text=" Ouest &amp; Est " xmlUrl="https://o.example/rss" category="/Tech/News,fr"/>
    </outline>
    <outline type="rss" title="Le Monde" xmlUrl="https://lemonde.example/rss"/>
  </outline>
  <outline type="rss" text="Sans dossier" xmlURL="https://solo.example/feed"/>
  <outline text="Lien" type="link" url="https://not-a-feed.example/"/>
</body></opml>"#,
        )
        .unwrap();
        assert_eq!(
            feeds,
            vec![
                OpmlFeed {
                    title: "Ouest & Est".into(),
                    url: "https://o.example/rss".into(),
                    tags: vec![
                        "Presse".into(),
                        "Régions".into(),
                        "Tech".into(),
                        "News".into(),
                        "fr".into()
                    ],
                },
                OpmlFeed {
                    title: "Le Monde".into(),
                    url: "https://lemonde.example/rss".into(),
                    tags: vec!["Presse".into()],
                },
                OpmlFeed {
                    title: "Sans dossier".into(),
                    url: "https://solo.example/feed".into(),
                    tags: vec![],
                },
            ]
        );
    }

    #[test]
    fn hostile_files_are_errors_not_panics() {
        assert!(matches!(parse(b"\xff\xfe<opml/>"), Err(OpmlError::NotUtf8)));
        assert!(matches!(parse(b"<rss></rss>"), Err(OpmlError::NotOpml(n)) if n == "rss"));
        assert!(matches!(parse(b""), Err(OpmlError::NotOpml(_))));
        assert!(matches!(
            parse(b"<opml><body><outline text='a'></body></opml>"),
            Err(OpmlError::Xml { .. })
        ));
        let deep = format!(
            "<opml><body>{}{}</body></opml>",
            "<outline text='d'>".repeat(100_000),
            "</outline>".repeat(100_000)
        );
        assert!(matches!(
            parse(deep.as_bytes()),
            Err(OpmlError::TooDeep { .. })
        ));
        let fine = format!(
            "<opml><body>{}<outline xmlUrl='https://x.example/'/>{}</body></opml>",
            "<outline text='d'>".repeat(MAX_DEPTH - 1),
            "</outline>".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(parse(fine.as_bytes()).unwrap()[0].tags, vec!["d"]);
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let tags_a = vec!["presse".to_owned(), "fr".to_owned()];
        let tags_b = vec!["réseaux «sociaux»".to_owned()];
        let feeds = [
            ExportedFeed {
                title: "Le <Monde> & « nous » 🥐",
                url: "https://a.example/rss?x=1&y=2",
                tags: &tags_a,
            },
            ExportedFeed {
                title: "Mastodon",
                url: "https://m.example/tags/brioche.rss",
                tags: &tags_b,
            },
            ExportedFeed {
                title: "Seul",
                url: "https://s.example/",
                tags: &[],
            },
        ];
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let xml = write(&feeds, "veille", at);
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">"),
            "{xml}"
        );
        let back = parse(xml.as_bytes()).unwrap();
        let mut expected: Vec<(String, String, Vec<String>)> = feeds
            .iter()
            .map(|f| (f.title.to_owned(), f.url.to_owned(), f.tags.to_vec()))
            .collect();
        let mut got: Vec<(String, String, Vec<String>)> =
            back.into_iter().map(|f| (f.title, f.url, f.tags)).collect();
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
    }
}
