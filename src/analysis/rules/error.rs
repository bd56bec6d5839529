//! What goes wrong in a rule file, said so that a person can fix it: the file, line and column, the line
//! itself with a caret under the spot, and what was expected there.
//!
//! In: a file's name and text and a byte offset (from the TOML parser, from serde, or from the query
//! parser mapped through the quoted string it came from). Out: [`RuleError`]s. Used by the compiler in
//! [`super::compile()`]; printed by `veille rules check`, `veille check` and the daemon's reload.

use std::fmt;

/// A place in a rule file. Lines and columns count from 1; columns count characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The line of the file an error points at, shown under the message with a caret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    pub line: usize,
    pub text: String,
    /// Column of the caret, counting from 1, in characters.
    pub column: usize,
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return Ok(());
        }
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        // Tabs stay tabs under the caret so that it lines up whatever the terminal's tab width.
        let lead: String = self
            .text
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "\n{pad} |\n{number} | {}\n{pad} | {lead}^", self.text)
    }
}

/// One problem in the rule files. Every variant names the place; `Display` gives
/// `file:line:col: message` followed by the offending line and a caret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The file is not valid TOML.
    #[error("{at}: invalid TOML: {message}{snippet}")]
    Toml {
        at: Location,
        message: String,
        snippet: Snippet,
    },
    /// A table or a key has the wrong shape, an unknown name or a value out of range.
    #[error("{at}: {message}{snippet}")]
    Invalid {
        at: Location,
        message: String,
        snippet: Snippet,
    },
    /// A query that does not parse or compile (syntax, wildcard, regex).
    #[error("{at}: {message}{snippet}")]
    Query {
        at: Location,
        message: String,
        snippet: Snippet,
    },
    /// Two rules or watches share an id.
    #[error("{at}: duplicate id `{id}`: already used at {first}{snippet}")]
    DuplicateId {
        at: Location,
        id: String,
        first: Location,
        snippet: Snippet,
    },
}

impl RuleError {
    /// Where the problem is.
    pub fn location(&self) -> &Location {
        match self {
            RuleError::Toml { at, .. }
            | RuleError::Invalid { at, .. }
            | RuleError::Query { at, .. }
            | RuleError::DuplicateId { at, .. } => at,
        }
    }
}

/// A rule file's text with what is needed to turn byte offsets into places.
///
/// Every rule and every error asks for a place, so finding one must not read the file from its start: with
/// 100,000 rules that made `veille rules check` quadratic (minutes). Lines are found by a binary search
/// over their starts, and columns by counting characters from a checkpoint at most [`BLOCK`] bytes back.
pub(crate) struct SourceText<'a> {
    pub name: &'a str,
    pub text: &'a str,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// `chars_before[k]`: characters in the first `k * BLOCK` bytes.
    chars_before: Vec<usize>,
}

#[cfg(test)]
thread_local! {
    /// Bytes of rule files read on this thread to turn offsets into places: tests check it grows with the
    /// files, not with the files times the rules.
    pub(crate) static BYTES_READ: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` bytes read to find a place (in tests only).
fn read(n: usize) {
    #[cfg(test)]
    BYTES_READ.with(|c| c.set(c.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

/// Bytes between two checkpoints of the character count.
const BLOCK: usize = 256;

/// Whether `b` starts a character (is not a continuation byte of UTF-8).
fn starts_char(b: &u8) -> bool {
    (*b as i8) >= -0x40
}

/// The longest line shown under an error, in characters; a longer one is cut around the caret, so that a
/// file of one huge line with many errors does not print (and copy) the whole line for each.
const SNIPPET_CHARS: usize = 160;

impl<'a> SourceText<'a> {
    pub fn new(name: &'a str, text: &'a str) -> SourceText<'a> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut chars_before = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut count = 0;
        chars_before.push(0);
        for block in text.as_bytes().chunks(BLOCK) {
            count += block.iter().filter(|b| starts_char(b)).count();
            chars_before.push(count);
        }
        read(text.len());
        SourceText {
            name,
            text,
            line_starts,
            chars_before,
        }
    }

    /// Characters in `text[..offset]`.
    fn chars_to(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        read(offset - block * BLOCK);
        self.chars_before[block]
            + self.text.as_bytes()[block * BLOCK..offset]
                .iter()
                .filter(|b| starts_char(b))
                .count()
    }

    pub fn location(&self, offset: usize) -> Location {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        // The last line starting at or before the offset.
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let line_start = self.line_starts[line - 1];
        let column = self.chars_to(offset) - self.chars_to(line_start) + 1;
        Location {
            file: self.name.to_owned(),
            line,
            column,
        }
    }

    /// The place of `offset` and the line there, cut to [`SNIPPET_CHARS`] around the caret when longer.
    pub fn place(&self, offset: usize) -> (Location, Snippet) {
        let at = self.location(offset);
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let start = self.line_starts[at.line - 1];
        let end = self
            .line_starts
            .get(at.line)
            .map_or(self.text.len(), |next| next - 1);
        let line = self.text[start..end].trim_end_matches('\r');
        read(line.len().min(8 * SNIPPET_CHARS));
        if line.len() <= 4 * SNIPPET_CHARS && line.chars().count() <= SNIPPET_CHARS {
            let snippet = Snippet {
                line: at.line,
                text: line.to_owned(),
                column: at.column,
            };
            return (at, snippet);
        }
        let offset = offset.min(start + line.len()) - start;
        // At most half the window before the caret, the rest after it; read no further than that.
        let before: Vec<usize> = line[..offset]
            .char_indices()
            .rev()
            .take(SNIPPET_CHARS / 2 + 1)
            .map(|(i, _)| i)
            .collect();
        let (from, cut_start) = if before.len() > SNIPPET_CHARS / 2 {
            (before[SNIPPET_CHARS / 2 - 1], true)
        } else {
            (0, false)
        };
        let shown_before = line[from..offset].chars().count();
        let mut after = line[offset..]
            .char_indices()
            .skip(SNIPPET_CHARS - shown_before);
        let (to, cut_end) = match after.next() {
            Some((i, _)) => (offset + i, true),
            None => (line.len(), false),
        };
        let mut text = String::with_capacity(to - from + 6);
        if cut_start {
            text.push('…');
        }
        text.push_str(&line[from..to]);
        if cut_end {
            text.push('…');
        }
        let column = shown_before + 1 + usize::from(cut_start);
        let snippet = Snippet {
            line: at.line,
            text,
            column,
        };
        (at, snippet)
    }

    pub fn invalid(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let (at, snippet) = self.place(offset);
        RuleError::Invalid {
            at,
            message: message.into(),
            snippet,
        }
    }

    pub fn query(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let (at, snippet) = self.place(offset);
        RuleError::Query {
            at,
            message: message.into(),
            snippet,
        }
    }

    pub fn toml(&self, offset: usize, message: impl Into<String>) -> RuleError {
        let (at, snippet) = self.place(offset);
        RuleError::Toml {
            at,
            message: message.into(),
            snippet,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Maps byte offsets in the value of a TOML string back to byte offsets in the file.
///
/// `raw` is the string token as written (quotes included) and `start` its offset in the file. Escapes
/// (`\"`, `\u00e9`, line-ending backslashes) make the value and the token differ, which is why the query
/// parser's offsets cannot simply be added to the token's start.
pub(crate) struct StringOffsets {
    /// `raw_of[k]`: offset in the file of the character that produced value byte `k`; one extra entry for
    /// the end (the closing quote).
    raw_of: Vec<usize>,
}

impl StringOffsets {
    pub fn new(raw: &str, start: usize, value: &str) -> StringOffsets {
        let decoded = decode(raw, start);
        match decoded {
            Some((text, raw_of)) if text == value => StringOffsets { raw_of },
            // Not a string token we understand: point every offset at the token, which is still the right line.
            _ => StringOffsets {
                raw_of: vec![start; value.len() + 1],
            },
        }
    }

    pub fn file_offset(&self, value_offset: usize) -> usize {
        let last = self.raw_of.len() - 1;
        self.raw_of[value_offset.min(last)]
    }
}

/// Decodes a TOML string token, recording for each output byte the file offset it came from.
fn decode(raw: &str, start: usize) -> Option<(String, Vec<usize>)> {
    let (open, literal) = if raw.starts_with("'''") {
        (3, true)
    } else if raw.starts_with("\"\"\"") {
        (3, false)
    } else if raw.starts_with('\'') {
        (1, true)
    } else if raw.starts_with('"') {
        (1, false)
    } else {
        return None;
    };
    if raw.len() < 2 * open {
        return None;
    }
    let body_end = raw.len() - open;
    let mut i = open;
    // A newline right after a multi-line opening delimiter is not part of the value.
    if open == 3 {
        if raw[i..].starts_with("\r\n") {
            i += 2;
        } else if raw[i..].starts_with('\n') {
            i += 1;
        }
    }
    let mut text = String::new();
    let mut raw_of = Vec::new();
    let push = |text: &mut String, raw_of: &mut Vec<usize>, c: char, at: usize| {
        text.push(c);
        raw_of.resize(text.len(), start + at);
    };
    while i < body_end {
        let c = raw[i..].chars().next()?;
        if literal || c != '\\' {
            push(&mut text, &mut raw_of, c, i);
            i += c.len_utf8();
            continue;
        }
        let esc = raw[i + 1..].chars().next()?;
        let simple = match esc {
            'b' => Some('\u{8}'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'f' => Some('\u{c}'),
            'r' => Some('\r'),
            'e' => Some('\u{1b}'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            push(&mut text, &mut raw_of, ch, i);
            i += 2;
            continue;
        }
        let hex_len = match esc {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        if hex_len > 0 {
            let hex = raw.get(i + 2..i + 2 + hex_len)?;
            let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            push(&mut text, &mut raw_of, ch, i);
            i += 2 + hex_len;
            continue;
        }
        // Line-ending backslash in a multi-line string: skips the newline and the whitespace after it.
        let rest = &raw[i + 1..body_end];
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
        if open == 3 && rest[..skipped].contains('\n') {
            i += 1 + skipped;
            continue;
        }
        return None;
    }
    raw_of.push(start + body_end);
    Some((text, raw_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters() {
        let src = SourceText::new("a.toml", "x = 1\ny = \"été\"\n");
        let at = src.location(12);
        assert_eq!(at.to_string(), "a.toml:2:6");
    }

    /// Lines and columns the slow way: reading the text from its start.
    fn reference(text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (
            before.matches('\n').count() + 1,
            text[line_start..offset].chars().count() + 1,
        )
    }

    proptest::proptest! {
        /// The line index and the character checkpoints give the places reading from the start gives, with
        /// characters of several bytes across the checkpoints.
        #[test]
        fn locations_agree_with_reading_from_the_start(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["a", "é", "\n", "日本", "\r\n", "x = 1", "😀", " "]),
                0..600,
            ),
            offsets in proptest::collection::vec(0usize..2000, 1..20),
        ) {
            let text: String = pieces.concat();
            let src = SourceText::new("f", &text);
            for offset in offsets {
                let at = src.location(offset);
                proptest::prop_assert_eq!((at.line, at.column), reference(&text, offset));
                let (_, snippet) = src.place(offset);
                let line = text.lines().nth(at.line - 1).unwrap_or("").trim_end_matches('\r');
                if line.chars().count() <= SNIPPET_CHARS {
                    proptest::prop_assert_eq!(&snippet.text, line);
                }
            }
        }
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("{}X{}", "é".repeat(5000), "b".repeat(5000));
        let text = format!("first\n{line}\n");
        let src = SourceText::new("f", &text);
        let (at, snippet) = src.place(text.find('X').unwrap());
        assert_eq!((at.line, at.column), (2, 5001));
        let chars: Vec<char> = snippet.text.chars().collect();
        assert_eq!(chars.len(), SNIPPET_CHARS + 2, "{}", snippet.text);
        assert_eq!((chars[0], chars[chars.len() - 1]), ('…', '…'));
        assert_eq!(
            chars[snippet.column - 1],
            'X',
            "the caret stays under the spot"
        );
        // Near the start of a long line, only the end is cut.
        let (_, snippet) = src.place(6);
        assert_eq!(snippet.column, 1);
        assert!(snippet.text.starts_with('é') && snippet.text.ends_with('…'));
    }

    #[test]
    fn basic_strings_map_through_escapes() {
        let raw = r#""a\u00e9 \"b\" c""#;
        let map = StringOffsets::new(raw, 100, "aé \"b\" c");
        assert_eq!(map.file_offset(0), 101);
        assert_eq!(map.file_offset(1), 102); // é comes from the \u00e9 escape
        assert_eq!(map.file_offset(3), 108); // the space after the escape
        assert_eq!(map.file_offset(4), 109); // \" escape
        let value_len = "aé \"b\" c".len();
        assert_eq!(map.file_offset(value_len), 100 + raw.len() - 1);
    }

    #[test]
    fn literal_and_multiline_strings_map() {
        let map = StringOffsets::new("'a\\b'", 0, "a\\b");
        assert_eq!(map.file_offset(2), 3);
        let raw = "\"\"\"\nab \\\n   cd\"\"\"";
        let map = StringOffsets::new(raw, 0, "ab cd");
        assert_eq!(map.file_offset(0), 4);
        assert_eq!(map.file_offset(3), raw.find('c').unwrap());
    }

    #[test]
    fn unknown_tokens_point_at_the_token() {
        let map = StringOffsets::new("oops", 7, "abc");
        assert_eq!(map.file_offset(2), 7);
    }

    #[test]
    fn snippets_put_the_caret_under_the_column() {
        let s = Snippet {
            line: 3,
            text: "query = \"a OR\"".into(),
            column: 14,
        };
        assert_eq!(
            s.to_string(),
            "\n  |\n3 | query = \"a OR\"\n  |              ^"
        );
    }
}
