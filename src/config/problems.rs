//! Problems found in one configuration file, placed at the line and column the TOML parser's spans give.
//!
//! In: byte offsets (from `toml::Spanned` keys and values, or `toml::de::Error::span()`) and a message for
//! each problem. Out: [`ConfigError`]s in file order, `FILE:LINE:COL: message`, each on one line. Offsets
//! are turned into lines and columns in one forward pass over the text once every problem is known, so
//! that a file with a million problems costs the same as reading it once (never one rescan per problem).

use std::path::Path;

use super::ConfigError;

/// Collects the problems of one file while it is read.
pub(crate) struct Problems<'a> {
    file: &'a Path,
    text: &'a str,
    found: Vec<Found>,
}

struct Found {
    offset: usize,
    message: String,
    /// Another place the message refers to ("first defined at line N").
    first: Option<usize>,
}

impl<'a> Problems<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Problems<'a> {
        Problems {
            file,
            text,
            found: Vec::new(),
        }
    }

    /// A problem at byte `offset` of the text.
    pub fn at(&mut self, offset: usize, message: impl Into<String>) {
        self.found.push(Found {
            offset,
            message: one_line(message.into()),
            first: None,
        });
    }

    /// A problem at `offset` that repeats what is at `first`; the message gets `(first at line N)`.
    pub fn again(&mut self, offset: usize, first: usize, message: impl Into<String>) {
        self.found.push(Found {
            offset,
            message: one_line(message.into()),
            first: Some(first),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The problems in file order, each with its line and column.
    pub fn into_errors(self) -> Vec<ConfigError> {
        let mut offsets: Vec<usize> = self
            .found
            .iter()
            .flat_map(|f| std::iter::once(f.offset).chain(f.first))
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let places = positions(self.text, &offsets);
        let place = |offset: usize| {
            // `offsets` holds every offset asked for, so the search always finds it.
            let i = offsets.binary_search(&offset).unwrap_or(0);
            places[i]
        };
        let mut found = self.found;
        // Stable: problems at the same place keep the order they were found in.
        found.sort_by_key(|f| f.offset);
        found
            .into_iter()
            .map(|f| {
                let (line, column) = place(f.offset);
                let message = match f.first {
                    Some(first) => format!("{} (first at line {})", f.message, place(first).0),
                    None => f.message,
                };
                ConfigError {
                    file: self.file.to_owned(),
                    line: Some(line),
                    column: Some(column),
                    message,
                }
            })
            .collect()
    }
}

/// A message on one line: a parser's multi-line explanation is joined with `; `.
pub(crate) fn one_line(message: String) -> String {
    if !message.contains(['\n', '\r']) {
        return message;
    }
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Lines and columns (from 1; columns count characters) of sorted byte offsets, in one pass over `text`.
pub(crate) fn positions(text: &str, sorted: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(sorted.len());
    let mut pos = 0; // where the walk is, a char boundary
    let mut line = 1;
    let mut column = 1; // column of `pos`
    for &offset in sorted {
        let mut target = offset.min(text.len());
        while !text.is_char_boundary(target) {
            target -= 1;
        }
        if target > pos {
            let stretch = &text[pos..target];
            match stretch.rfind('\n') {
                Some(last) => {
                    line += stretch.bytes().filter(|&b| b == b'\n').count();
                    column = stretch[last + 1..].chars().count() + 1;
                }
                None => column += stretch.chars().count(),
            }
            pos = target;
        }
        out.push((line, column));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_in_one_pass() {
        let text = "a = 1\nb = \"été\"\n\nc = 3";
        let offsets = [0, 4, 6, 13, 15, 16, 17, 18, 19, 100];
        assert_eq!(
            positions(text, &offsets),
            vec![
                (1, 1),
                (1, 5),
                (2, 1),
                (2, 7), // after "b = \"ét", the é being one character of two bytes
                (2, 8), // inside the second é: its start
                (2, 9),
                (2, 10),
                (3, 1),
                (4, 1),
                (4, 6) // past the end: the end
            ]
        );
    }

    #[test]
    fn offsets_inside_a_character_fall_back_to_its_start() {
        assert_eq!(positions("é", &[1]), vec![(1, 1)]);
    }

    #[test]
    fn problems_come_out_in_file_order_on_one_line_each() {
        let text = "x = 1\ny = 2\nz = 3\n";
        let mut p = Problems::new(Path::new("c.toml"), text);
        p.at(12, "third");
        p.at(0, "first\n  spread over\n  lines");
        p.again(6, 0, "second");
        let shown: Vec<String> = p.into_errors().iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "c.toml:1:1: first; spread over; lines",
                "c.toml:2:1: second (first at line 1)",
                "c.toml:3:1: third",
            ]
        );
    }
}
