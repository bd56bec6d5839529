//! Finding the line of a key in TOML text, so that every configuration problem can name its line.
//!
//! The TOML parser reports positions for syntax errors only; for problems found after parsing (a bad URL,
//! an unknown key) this scans the text for the table and the key. It understands `[table]`,
//! `[[array]]` headers and `key = value` lines, which is what configuration and rule files are made of.

/// Where a key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    /// Before the first table header.
    Top,
    /// In `[name]`.
    Table(String),
    /// In the `index`-th (0-based) `[[name]]`.
    ArrayItem(String, usize),
}

/// A TOML text, ready to be searched.
pub struct TomlLines<'a> {
    lines: Vec<&'a str>,
}

fn header(line: &str) -> Option<(bool, &str)> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix("[[") {
        let end = rest.find("]]")?;
        return Some((true, rest[..end].trim()));
    }
    let rest = t.strip_prefix('[')?;
    let end = rest.find(']')?;
    Some((false, rest[..end].trim()))
}

fn defines_key(line: &str, key: &str) -> bool {
    let t = line.trim_start();
    let t = t.strip_prefix(key).or_else(|| {
        t.strip_prefix('"')
            .and_then(|r| r.strip_prefix(key))
            .and_then(|r| r.strip_prefix('"'))
    });
    t.is_some_and(|r| r.trim_start().starts_with('=') || r.starts_with('.'))
}

impl<'a> TomlLines<'a> {
    pub fn new(text: &'a str) -> TomlLines<'a> {
        TomlLines {
            lines: text.lines().collect(),
        }
    }

    /// The 1-based line of `key` in `section`, or of the section's header when `key` is `None` or not found
    /// there; `None` when neither is found.
    pub fn line_of(&self, section: &Section, key: Option<&str>) -> Option<usize> {
        let (body_start, header_line) = self.section_start(section)?;
        if let Some(key) = key {
            for (i, line) in self.lines.iter().enumerate().skip(body_start) {
                if header(line).is_some() {
                    break;
                }
                if defines_key(line, key) {
                    return Some(i + 1);
                }
            }
        }
        header_line
    }

    /// Index of the first line of the section's body, and the 1-based line of its header (which is the
    /// index of the body's first line).
    fn section_start(&self, section: &Section) -> Option<(usize, Option<usize>)> {
        match section {
            Section::Top => Some((0, None)),
            Section::Table(name) => self
                .lines
                .iter()
                .position(|l| header(l) == Some((false, name.as_str())))
                .map(|i| (i + 1, Some(i + 1))),
            Section::ArrayItem(name, index) => self
                .lines
                .iter()
                .enumerate()
                .filter(|(_, l)| header(l) == Some((true, name.as_str())))
                .nth(*index)
                .map(|(i, _)| (i + 1, Some(i + 1))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a = 1\nb = 2\n[http]\ntimeout = 3\n[[source]]\nname = \"x\"\n[[source]]\nname = \"y\"\nurl = 2\n";

    #[test]
    fn finds_keys_in_their_section() {
        let l = TomlLines::new(TEXT);
        assert_eq!(l.line_of(&Section::Top, Some("b")), Some(2));
        assert_eq!(
            l.line_of(&Section::Table("http".into()), Some("timeout")),
            Some(4)
        );
        assert_eq!(
            l.line_of(&Section::ArrayItem("source".into(), 0), Some("name")),
            Some(6)
        );
        assert_eq!(
            l.line_of(&Section::ArrayItem("source".into(), 1), Some("name")),
            Some(8)
        );
        assert_eq!(
            l.line_of(&Section::ArrayItem("source".into(), 1), Some("url")),
            Some(9)
        );
    }

    #[test]
    fn falls_back_to_the_header() {
        let l = TomlLines::new(TEXT);
        assert_eq!(
            l.line_of(&Section::ArrayItem("source".into(), 0), Some("url")),
            Some(5)
        );
        assert_eq!(l.line_of(&Section::Top, Some("timeout")), None);
        assert_eq!(
            l.line_of(&Section::ArrayItem("source".into(), 2), None),
            None
        );
    }
}
