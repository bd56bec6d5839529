//! Feeds built to hurt (issue 16): a stray byte in a UTF-8 document, megabyte titles and links, the
//! quadratic reproducers at full size. Each goes through the public parser, as the daemon calls it, and the
//! test checks what comes out. The work these cost is counted by the unit tests beside the parser.

use chrono::{DateTime, Utc};
use veille::sources::parse::{ParseError, parse_feed};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
        .unwrap()
        .to_utc()
}

/// A French RSS feed, UTF-8, whose footer (the channel's copyright) has one Latin-1 "©" (byte 0xA9).
fn french_feed_with_a_stray_byte(declaration: &str) -> Vec<u8> {
    let mut bytes = declaration.as_bytes().to_vec();
    bytes.extend_from_slice(
        "<rss version=\"2.0\"><channel><title>Le Café du Coin</title>\
         <item><guid>1</guid><title>Grève à la boulangerie</title>\
         <description>Les employés déçus réclament une hausse.</description></item>\
         <item><guid>2</guid><title>Œufs brûlés, clients fâchés</title></item>\
         <copyright>"
            .as_bytes(),
    );
    bytes.push(0xA9);
    bytes.extend_from_slice(" 2026 Éditions Été</copyright></channel></rss>".as_bytes());
    bytes
}

/// Guards issue 16, 9: one invalid byte made the whole document decode as windows-1252, so every accent of
/// every item read "Ã©". Declared UTF-8, or undeclared, the good sequences stay UTF-8.
#[test]
fn one_stray_byte_does_not_garble_a_french_feed() {
    for declaration in [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<?xml version=\"1.0\"?>",
        "",
        // A Latin declaration on what is plainly UTF-8 is wrong, stray byte or not.
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
    ] {
        let feed = parse_feed(
            "s",
            &french_feed_with_a_stray_byte(declaration),
            None,
            now(),
        )
        .unwrap_or_else(|e| panic!("{declaration}: {e}"));
        assert_eq!(
            feed.title.as_deref(),
            Some("Le Café du Coin"),
            "{declaration}"
        );
        let got: Vec<(Option<&str>, &str)> = feed
            .mentions
            .iter()
            .map(|m| (m.title.as_deref(), m.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some("Grève à la boulangerie"),
                    "Les employés déçus réclament une hausse."
                ),
                (Some("Œufs brûlés, clients fâchés"), ""),
            ],
            "{declaration}"
        );
    }
    // Behind a UTF-8 byte-order mark, the same.
    let mut marked = vec![0xEF, 0xBB, 0xBF];
    marked.extend(french_feed_with_a_stray_byte(""));
    let feed = parse_feed("s", &marked, None, now()).unwrap();
    assert_eq!(feed.title.as_deref(), Some("Le Café du Coin"));
    // The HTTP header saying UTF-8 is read the same way.
    let feed = parse_feed(
        "s",
        &french_feed_with_a_stray_byte(""),
        Some("utf-8"),
        now(),
    )
    .unwrap();
    assert_eq!(
        feed.mentions[0].title.as_deref(),
        Some("Grève à la boulangerie")
    );
}

/// The stray byte itself is read as windows-1252 on its own: the "©" stays a "©".
#[test]
fn the_stray_byte_reads_as_the_latin_character_it_was() {
    let mut bytes =
        "<rss version=\"2.0\"><channel><title>Déçu</title><item><guid>1</guid><title>Café "
            .as_bytes()
            .to_vec();
    bytes.extend_from_slice(b"\xa9 Acme \x80</title></item></channel></rss>");
    let feed = parse_feed("s", &bytes, None, now()).unwrap();
    assert_eq!(feed.mentions[0].title.as_deref(), Some("Café © Acme €"));
}

/// Latin-1 documents, undeclared or declared as UTF-8, are still read as Latin-1 whole, even when two of
/// their bytes happen to form a valid UTF-8 sequence ("Ã©" written in Latin-1).
#[test]
fn latin1_documents_stay_latin1() {
    for declaration in ["", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"] {
        let mut bytes = declaration.as_bytes().to_vec();
        bytes.extend_from_slice(b"<rss version=\"2.0\"><channel><title>t</title><item><guid>1</guid><title>Gr\xe8ve d\xe9\xe7ue \xc3\xa9 \xe0 Paris</title></item></channel></rss>");
        let feed = parse_feed("s", &bytes, None, now()).unwrap();
        assert_eq!(
            feed.mentions[0].title.as_deref(),
            Some("Grève déçue Ã© à Paris"),
            "{declaration}"
        );
    }
}

/// Whether a text cut from repeats of "maison brioche arnaque " ends on a whole word.
fn whole_words(text: &str) -> bool {
    ["maison", "brioche", "arnaque"]
        .iter()
        .any(|w| text.ends_with(&format!(" {w}")))
}

/// Guards issue 16, 2: only bodies were capped, so a 1 MB title reached the rule matcher whole. Titles,
/// authors and the feed's title are now cut (before a word, never inside one), links too long are
/// dropped rather than cut, and ids and languages too long do not multiply.
#[test]
fn titles_authors_links_ids_and_languages_are_capped() {
    let title = "maison brioche arnaque ".repeat(45_000);
    let author = "Hélène ".repeat(2_000);
    let long_link = format!("https://acme.example/{}", "a".repeat(3_000));
    let long_id = "x".repeat(100_000);
    let language = "fr".repeat(500_000);
    let doc = format!(
        "<rss version=\"2.0\"><channel><title>{title}</title><language>{language}</language>\
         <item><guid>{long_id}</guid><title>{title}</title><author>a@x.example ({author})</author>\
         <link>{long_link}</link><description>{title}</description></item>\
         <item><guid>2</guid><title>court</title><link>https://acme.example/2</link></item>\
         </channel></rss>"
    );
    assert!(doc.len() > 3_000_000);
    let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
    let feed_title = feed.title.as_deref().unwrap();
    assert!(feed_title.len() <= 2048, "{}", feed_title.len());
    let first = &feed.mentions[0];
    let item_title = first.title.as_deref().unwrap();
    assert!(item_title.len() <= 2048 && item_title.len() > 1900);
    assert!(
        whole_words(item_title),
        "{}",
        &item_title[item_title.len() - 30..]
    );
    let author = first.author.as_deref().unwrap();
    assert!(
        author.len() <= 256 && author.ends_with("Hélène"),
        "{author}"
    );
    assert_eq!(first.link, None, "a link too long is dropped, not cut");
    assert!(first.text.len() <= 32 * 1024 && first.text.len() > 32 * 1000);
    assert!(
        whole_words(&first.text),
        "{}",
        &first.text[first.text.len() - 30..]
    );
    assert!(
        first.id.starts_with("g:") && first.id.len() < 64,
        "{}",
        &first.id[..40]
    );
    assert_eq!(first.lang, None, "a language tag of 1 MB is no language");
    // The same long id gives the same id again, so the item is not stored twice.
    let again = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
    assert_eq!(again.mentions[0].id, first.id);
    let second = &feed.mentions[1];
    assert_eq!(second.title.as_deref(), Some("court"));
    assert_eq!(second.link.as_deref(), Some("https://acme.example/2"));
}

/// Issue 16, 1, at full size through the public parser: 50,000 unclosed RSS 1.0 items (1 MB) are refused
/// as truncated, with the place where the document ends.
#[test]
fn a_megabyte_of_unclosed_rdf_items_is_refused_as_truncated() {
    let mut doc = String::from(
        "<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\"><channel rdf:about=\"a\"><title>t</title></channel>",
    );
    doc.push_str(&"<item rdf:about=\"a\">".repeat(50_000));
    assert!(doc.len() > 1_000_000);
    let err = parse_feed("s", doc.as_bytes(), None, now()).unwrap_err();
    match err {
        ParseError::Xml { line, message, .. } => {
            assert_eq!(line, 1);
            assert!(message.contains("ends before </item>"), "{message}");
        }
        other => panic!("expected a located XML error, got {other:?}"),
    }
}

/// Issue 16, 1, the Atom form at full size: an entry title typed `x-odd` followed by 70,000
/// `<x type="a/b"/>` (1 MB) gives its entry.
#[test]
fn a_megabyte_of_typed_elements_after_an_odd_title_gives_the_entry() {
    let doc = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><id>1</id><title type=\"x-odd\">Grève chez Acme</title>{}</entry></feed>",
        "<x type=\"a/b\"/>".repeat(70_000)
    );
    assert!(doc.len() > 1_000_000);
    let feed = parse_feed("s", doc.as_bytes(), None, now()).unwrap();
    assert_eq!(feed.mentions.len(), 1);
    assert_eq!(feed.mentions[0].title.as_deref(), Some("Grève chez Acme"));
}
