//! The sources directory (`sources_dir`, `sources.d` beside the configuration by default): every `*.toml`
//! file in it holds `[[source]]` tables, read exactly like the main file's.
//!
//! In: the resolved directory, the default poll interval, and the names the main file already gave with
//! their places. Out: the sources of every file, in file-name order, and every problem, each naming its own
//! file, line and column. A name given twice, in two files or in a file and the main configuration, is
//! refused at its second place with the first place named, so a source added with `veille sources add
//! --write` or `veille sources import` cannot silently shadow another. A directory that does not exist is
//! not a problem: it is where new sources will be written.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::problems::{Problems, positions};
use super::table::{Value, as_str};
use super::{ConfigError, SourceConfig, sources};
use crate::model::Interval;

/// Where each source name was first given: file, line, column.
#[derive(Debug, Default)]
pub(crate) struct Seen(HashMap<String, (PathBuf, usize, usize)>);

impl Seen {
    /// Notes the names of the `source` value of the file `path` (text `text`); a name already noted keeps
    /// its first place.
    pub(crate) fn note(&mut self, path: &Path, text: &str, value: Option<&Value<'_>>) {
        let names = names_in(value);
        let mut offsets: Vec<usize> = names.iter().map(|(_, at)| *at).collect();
        offsets.sort_unstable();
        let places = positions(text, &offsets);
        for (name, at) in names {
            let i = offsets.binary_search(&at).unwrap_or(0);
            let (line, column) = places[i];
            self.0
                .entry(name)
                .or_insert_with(|| (path.to_owned(), line, column));
        }
    }
}

/// The trimmed names of a `source` value with the byte offset of each, in file order.
fn names_in(value: Option<&Value<'_>>) -> Vec<(String, usize)> {
    let Some(DeValue::Array(items)) = value.map(|v| v.get_ref()) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let name = item.get_ref().as_table()?.get("name")?;
            let s = as_str(name)?.trim();
            (!s.is_empty()).then(|| (s.to_owned(), name.span().start))
        })
        .collect()
}

/// The `*.toml` files of `dir`, sorted by name; an empty list when the directory does not exist.
///
/// # Errors
/// A problem naming the directory when it exists but cannot be listed (or is not a directory).
pub(crate) fn files(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let problem = |message: String| ConfigError {
        file: dir.to_owned(),
        line: None,
        column: None,
        message,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(problem(format!(
                "cannot list the sources directory (sources_dir): {e}; make it a readable directory or \
                 point sources_dir elsewhere"
            )));
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            problem(format!(
                "cannot list the sources directory (sources_dir): {e}"
            ))
        })?;
        let path = entry.path();
        // Editors' backups and hidden files are not sources.
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        if !hidden && path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every file of `dir`: their sources, and every problem of every file.
pub(crate) fn read(
    dir: &Path,
    default_interval: Interval,
    seen: &mut Seen,
) -> (Vec<SourceConfig>, Vec<ConfigError>) {
    let files = match files(dir) {
        Ok(f) => f,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                errors.push(ConfigError {
                    file: file.clone(),
                    line: None,
                    column: None,
                    message: format!("cannot read this sources file: {e}"),
                });
                continue;
            }
        };
        let (found, problems) = read_file(&file, &text, default_interval, seen);
        sources.extend(found);
        errors.extend(problems);
    }
    (sources, errors)
}

/// Reads one file of the sources directory.
fn read_file(
    file: &Path,
    text: &str,
    default_interval: Interval,
    seen: &mut Seen,
) -> (Vec<SourceConfig>, Vec<ConfigError>) {
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut p = Problems::new(file, text);
    let (doc, syntax) = DeTable::parse_recoverable(text);
    let mut doc = doc.into_inner();
    if !syntax.is_empty() {
        for e in &syntax {
            p.at(
                e.span().map_or(0, |s| s.start),
                format!("TOML syntax error: {}", e.message().trim_end()),
            );
        }
        return (Vec::new(), p.into_errors());
    }
    let value = doc.remove("source");
    for (key, _) in doc.iter() {
        p.at(
            key.span().start,
            format!(
                "unknown key {:?}: a file of the sources directory holds only [[source]] tables",
                key.get_ref()
            ),
        );
    }
    let Some(value) = value else {
        return (Vec::new(), p.into_errors());
    };
    let mut found = sources::read(&mut p, &value, &base, default_interval);
    // Names given before this file (the main configuration, earlier files) are refused here.
    let mut here: HashSet<String> = HashSet::new();
    let mut refused: HashSet<String> = HashSet::new();
    for (name, at) in names_in(Some(&value)) {
        if !here.insert(name.clone()) {
            continue; // a duplicate within this file: `sources::read` reported it
        }
        if let Some((first, line, column)) = seen.0.get(&name) {
            p.at(
                at,
                format!(
                    "source {name:?}: duplicate source name; it is already given at {}:{line}:{column}; \
                     names must be unique across the configuration and its sources directory",
                    first.display()
                ),
            );
            refused.insert(name);
        }
    }
    found.retain(|s| !refused.contains(&s.name));
    seen.note(file, text, Some(&value));
    (found, p.into_errors())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn sources_of_every_file_are_read_in_name_order() {
        let d = tempfile::tempdir().unwrap();
        let conf = d.path().join("veille.toml");
        std::fs::write(
            &conf,
            "[[source]]\nname = \"main\"\nurl = \"https://main.example/rss\"\n",
        )
        .unwrap();
        let dir = d.path().join("sources.d");
        std::fs::create_dir(&dir).unwrap();
        write(
            &dir,
            "b.toml",
            "[[source]]\nname = \"b\"\nurl = \"https://b.example/rss\"\ninterval = \"1h\"\n",
        );
        write(
            &dir,
            "a.toml",
            "[[source]]\nname = \"a\"\nurl = \"local.xml\"\ntags = [\"x\"]\n",
        );
        write(&dir, "notes.txt", "not a source file");
        let c = Config::load(&conf).unwrap();
        let names: Vec<&str> = c.sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["main", "a", "b"]);
        assert_eq!(c.sources_dir, dir);
        // A relative path is relative to the file that gives it.
        assert_eq!(
            c.sources[1].location,
            crate::sources::fetch::Location::File(dir.join("local.xml"))
        );
        assert_eq!(c.sources[2].interval, Interval::secs(3600));
    }

    #[test]
    fn problems_name_their_file_line_and_column_and_duplicates_both_places() {
        let d = tempfile::tempdir().unwrap();
        let conf = d.path().join("veille.toml");
        std::fs::write(
            &conf,
            "sources_dir = \"more\"\n\n[[source]]\nname = \"presse\"\nurl = \"https://p.example/\"\n",
        )
        .unwrap();
        let dir = d.path().join("more");
        std::fs::create_dir(&dir).unwrap();
        write(
            &dir,
            "a.toml",
            "[[source]]\nname = \"blog\"\nurl = \"https://b.example/\"\n\n[[source]]\nname = \"presse\"\nurl = \"https://other.example/\"\n",
        );
        write(
            &dir,
            "b.toml",
            "colour = 1\n\n[[source]]\nname = \"blog\"\nurll = \"https://b.example/\"\n",
        );
        let shown: Vec<String> = Config::load(&conf)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect();
        let (a, b, main) = (
            dir.join("a.toml").display().to_string(),
            dir.join("b.toml").display().to_string(),
            conf.display().to_string(),
        );
        let unique = "names must be unique across the configuration and its sources directory";
        // The list of known keys grows with the kinds of sources: only its start is asserted.
        assert_eq!(shown.len(), 5, "{shown:#?}");
        assert!(shown[4].starts_with(&format!("{b}:5:1: source \"blog\": unknown key \"urll\"")));
        assert_eq!(
            shown[..4],
            [
                format!(
                    "{a}:6:8: source \"presse\": duplicate source name; it is already given at {main}:4:8; {unique}"
                ),
                format!(
                    "{b}:1:1: unknown key \"colour\": a file of the sources directory holds only [[source]] tables"
                ),
                format!("{b}:3:1: source \"blog\": missing key \"url\""),
                format!(
                    "{b}:4:8: source \"blog\": duplicate source name; it is already given at {a}:2:8; {unique}"
                ),
            ]
        );
    }

    #[test]
    fn a_missing_directory_is_fine_and_a_syntax_error_is_placed() {
        let d = tempfile::tempdir().unwrap();
        let conf = d.path().join("veille.toml");
        std::fs::write(&conf, "").unwrap();
        let c = Config::load(&conf).unwrap();
        assert_eq!(c.sources_dir, d.path().join("sources.d"));
        assert!(c.sources.is_empty());
        std::fs::create_dir(d.path().join("sources.d")).unwrap();
        write(
            &d.path().join("sources.d"),
            "x.toml",
            "[[source]\nname = 1\n",
        );
        let e = Config::load(&conf).unwrap_err();
        assert!(
            e.0[0].to_string().starts_with(&format!(
                "{}:1:",
                d.path().join("sources.d/x.toml").display()
            )),
            "{e}"
        );
        assert_eq!(
            crate::config::sources_dir_of(&conf).unwrap(),
            d.path().join("sources.d")
        );
    }
}
