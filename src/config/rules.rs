//! Reading the rule files: the only I/O of rules.
//!
//! In: a directory. Out: the text of every `*.toml` file directly in it, read in file-name order and handed
//! to the pure compiler ([`crate::analysis::rules::compile`]), giving a [`RuleSet`] or every problem found.
//! Called by the daemon at start and on SIGHUP (it keeps the previous `RuleSet` when the new files are
//! wrong), by `veille check` and by `veille rules check|test`. No state is kept between calls.
//!
//! [`load_checked`] is what the daemon and `veille check` use: the rules, with the detection settings of
//! every watch judged too ([`crate::detect::settings_problems`]), every problem as a one-line
//! [`ConfigError`] so that they list beside the configuration's own.

use std::path::{Path, PathBuf};

use super::ConfigError;
use crate::analysis::rules::{RuleError, RuleFile, RuleSet, compile};

/// A problem loading the rules of a directory.
#[derive(Debug, thiserror::Error)]
pub enum RulesLoadError {
    /// The directory or a file in it could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A rule file is wrong; the error names the file, line and column.
    #[error("{0}")]
    Rule(#[from] RuleError),
}

/// The `*.toml` files directly in `dir`, sorted by name.
///
/// # Errors
/// The I/O error when the directory cannot be listed.
pub fn rule_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        // Editors leave `.foo.toml.swp` and the like: hidden files are not rules.
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if !hidden && path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads and compiles every rule file of `dir`.
///
/// # Errors
/// Every problem found: unreadable files and every error in every rule file, in file order.
pub fn load_rules(dir: &Path) -> Result<RuleSet, Vec<RulesLoadError>> {
    let paths = rule_files(dir).map_err(|source| {
        vec![RulesLoadError::Read {
            path: dir.to_owned(),
            source,
        }]
    })?;
    let mut errors = Vec::new();
    let mut texts = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => texts.push((path.display().to_string(), text)),
            Err(source) => errors.push(RulesLoadError::Read { path, source }),
        }
    }
    let files: Vec<RuleFile<'_>> = texts
        .iter()
        .map(|(name, text)| RuleFile { name, text })
        .collect();
    match compile(&files) {
        Ok(set) if errors.is_empty() => Ok(set),
        Ok(_) => Err(errors),
        Err(rule_errors) => {
            errors.extend(rule_errors.into_iter().map(RulesLoadError::Rule));
            Err(errors)
        }
    }
}

/// The longest length of time a watch's detection settings may give.
const DETECTION: super::Bounds = super::Bounds::secs(0, 366 * 86_400);

/// Reads and compiles the rules of `dir` and judges each watch's detection settings, as the daemon needs
/// them.
///
/// # Errors
/// Every problem, one line each, at its file, line and column.
pub fn load_checked(dir: &Path) -> Result<RuleSet, Vec<ConfigError>> {
    let set = load_rules(dir)
        .map_err(|errors| errors.iter().map(|e| one_line(e, dir)).collect::<Vec<_>>())?;
    // Detection settings that parse but cannot work (a bucket that does not divide a day…), or lengths of
    // time past a year, which could only be a mistake and would overflow the detector's clock arithmetic.
    let unusable: Vec<ConfigError> = set
        .watches()
        .iter()
        .flat_map(|w| {
            let d = &w.detection;
            let too_long = [
                ("bucket", d.bucket),
                ("baseline", d.baseline),
                ("warmup", d.warmup),
                ("resolve_after", d.resolve_after),
                ("cooldown", d.cooldown),
                ("group_interval", d.group_interval),
            ]
            .into_iter()
            .filter_map(|(key, i)| DETECTION.problem(i).map(|e| format!("{key} {e}")));
            crate::detect::settings_problems(d)
                .into_iter()
                .chain(too_long)
                .map(move |p| ConfigError {
                    file: PathBuf::from(&w.location.file),
                    line: Some(w.location.line),
                    column: Some(w.location.column),
                    message: format!("watch {:?}: [watch.detection] {p}", w.id),
                })
        })
        .collect();
    if unusable.is_empty() {
        Ok(set)
    } else {
        Err(unusable)
    }
}

/// A rule-loading problem on one line, without the snippet `veille rules check` shows under it.
fn one_line(e: &RulesLoadError, dir: &Path) -> ConfigError {
    let (at, message) = match e {
        RulesLoadError::Read { path, source } => {
            let what = if path == dir {
                "the rules directory (`rules` in the configuration)"
            } else {
                "the rule file"
            };
            return ConfigError {
                file: path.clone(),
                line: None,
                column: None,
                message: format!("cannot read {what}: {source}"),
            };
        }
        RulesLoadError::Rule(RuleError::Toml { at, message, .. }) => {
            (at, format!("invalid TOML: {message}"))
        }
        RulesLoadError::Rule(
            RuleError::Invalid { at, message, .. } | RuleError::Query { at, message, .. },
        ) => (at, message.clone()),
        RulesLoadError::Rule(RuleError::DuplicateId { at, id, first, .. }) => {
            (at, format!("duplicate id `{id}`: already used at {first}"))
        }
    };
    ConfigError {
        file: PathBuf::from(&at.file),
        line: Some(at.line),
        column: Some(at.column),
        message: super::problems::one_line(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_toml_files_in_name_order_and_reports_all_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("b.toml"),
            "[[rule]]\nid = \"x\"\nname = \"b\"\nquery = \"acme OR\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "[[rule]]\nid = \"x\"\nname = \"a\"\nquery = \"acme\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not rules").unwrap();
        std::fs::write(dir.path().join(".c.toml"), "garbage [").unwrap();
        let errors = load_rules(dir.path()).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].contains("b.toml:2:6: duplicate id `x`: already used at"),
            "{text:?}"
        );
        assert!(text[0].contains("a.toml:2:6"), "{text:?}");
        assert!(
            text[1].contains("b.toml:4:17: expected a term after OR"),
            "{text:?}"
        );
    }

    #[test]
    fn detection_lengths_past_a_year_are_refused_at_the_watch() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "[[watch]]\nid = \"w\"\nquery = \"acme\"\n[watch.detection]\nbaseline = \"20000000w\"\ncooldown = \"400d\"\n",
        )
        .unwrap();
        let errors = load_checked(dir.path()).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:#?}");
        assert!(
            shown[0].ends_with(
                "a.toml:2:6: watch \"w\": [watch.detection] baseline \"20000000w\" is too long: the most is 366d"
            ),
            "{shown:#?}"
        );
        assert!(
            shown[1].contains("cooldown \"400d\" is too long"),
            "{shown:#?}"
        );
    }

    #[test]
    fn a_missing_directory_is_a_read_error() {
        let errors = load_rules(Path::new("/nonexistent/veille/rules")).unwrap_err();
        assert!(matches!(errors[0], RulesLoadError::Read { .. }));
    }

    #[test]
    fn loading_twice_gives_the_same_rules() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.toml"),
            "[[rule]]\nid = \"x\"\nname = \"a\"\nquery = \"acme\"\n",
        )
        .unwrap();
        let first = load_rules(dir.path()).unwrap();
        let second = load_rules(dir.path()).unwrap();
        assert_eq!(first.rules().len(), second.rules().len());
    }
}
