//! The `[[source]]` tables of a configuration file (or an inline array of them), read with every problem at
//! its place.
//!
//! In: the `source` value with its spans, the file's directory and the default interval. Out: the sources
//! that are sound, and every problem in [`Problems`]. Linear in the number of sources: keys are looked up in
//! a fixed list and names in one hash map, which also says where a duplicate name was first given.

use std::collections::HashMap;
use std::path::Path;

use toml::de::DeValue;

use super::problems::Problems;
use super::table::{Value, as_str, kind};
use super::{POLL_INTERVAL, SourceConfig, duration};
use crate::model::Interval;
use crate::sources::fetch::Location;

const SOURCE_KEYS: &[&str] = &["name", "url", "interval", "tags", "enabled"];

/// Reads the sources of `value` (the top-level `source` key).
pub(crate) fn read(
    p: &mut Problems<'_>,
    value: &Value<'_>,
    base: &Path,
    default_interval: Interval,
) -> Vec<SourceConfig> {
    let DeValue::Array(items) = value.get_ref() else {
        p.at(
            value.span().start,
            format!(
                "source must be a list of [[source]] tables, not a {}",
                kind(value)
            ),
        );
        return Vec::new();
    };
    let mut sources = Vec::with_capacity(items.len());
    // Each name with the place it was first given.
    let mut names: HashMap<String, usize> = HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if let Some(s) = read_one(p, item, index, base, default_interval, &mut names) {
            sources.push(s);
        }
    }
    sources
}

fn read_one(
    p: &mut Problems<'_>,
    item: &Value<'_>,
    index: usize,
    base: &Path,
    default_interval: Interval,
    names: &mut HashMap<String, usize>,
) -> Option<SourceConfig> {
    let start = item.span().start;
    let Some(t) = item.get_ref().as_table() else {
        p.at(
            start,
            format!(
                "source #{} must be a table, not a {}",
                index + 1,
                kind(item)
            ),
        );
        return None;
    };
    let label = match t.get("name").and_then(as_str) {
        Some(n) => format!("source {:?}", n.trim()),
        None => format!("source #{}", index + 1),
    };
    let mut sound = true;
    for (key, _) in t.iter() {
        if !SOURCE_KEYS.contains(&key.get_ref().as_ref()) {
            p.at(
                key.span().start,
                format!(
                    "{label}: unknown key {:?} (known keys: {})",
                    key.get_ref(),
                    SOURCE_KEYS.join(", ")
                ),
            );
            sound = false;
        }
    }
    let name = match t.get("name") {
        Some(v) => match as_str(v).map(str::trim) {
            Some(s) if !s.is_empty() => {
                let at = v.span().start;
                match names.get(s) {
                    Some(&first) => {
                        p.again(
                            at,
                            first,
                            format!("{label}: duplicate source name {s:?}; names must be unique"),
                        );
                        None
                    }
                    None => {
                        names.insert(s.to_owned(), at);
                        Some(s.to_owned())
                    }
                }
            }
            _ => {
                p.at(
                    v.span().start,
                    format!("{label}: name must be a non-empty string"),
                );
                None
            }
        },
        None => {
            p.at(start, format!("{label}: missing key \"name\""));
            None
        }
    };
    let url = match t.get("url") {
        Some(v) => match as_str(v) {
            Some(s) => match Location::parse(s, Some(base)) {
                Ok(l) => Some((s.to_owned(), l)),
                Err(e) => {
                    p.at(v.span().start, format!("{label}: {e}"));
                    None
                }
            },
            None => {
                p.at(
                    v.span().start,
                    format!("{label}: url must be a string, not a {}", kind(v)),
                );
                None
            }
        },
        None => {
            p.at(start, format!("{label}: missing key \"url\""));
            None
        }
    };
    let interval = match t.get("interval") {
        None => Some(default_interval),
        Some(v) => duration(p, v, &format!("{label}: interval"), POLL_INTERVAL),
    };
    let tags = match t.get("tags") {
        None => Some(Vec::new()),
        Some(v) => {
            let strings: Option<Vec<String>> = v
                .get_ref()
                .as_array()
                .and_then(|a| a.iter().map(|s| as_str(s).map(str::to_owned)).collect());
            if strings.is_none() {
                p.at(
                    v.span().start,
                    format!("{label}: tags must be a list of strings"),
                );
            }
            strings
        }
    };
    let enabled = match t.get("enabled") {
        None => Some(true),
        Some(v) => {
            let b = v.get_ref().as_bool();
            if b.is_none() {
                p.at(
                    v.span().start,
                    format!("{label}: enabled must be true or false, not a {}", kind(v)),
                );
            }
            b
        }
    };
    match (name, url, interval, tags, enabled) {
        (Some(name), Some((url, location)), Some(interval), Some(tags), Some(enabled)) if sound => {
            Some(SourceConfig {
                name,
                url,
                location,
                interval,
                tags,
                enabled,
            })
        }
        _ => None,
    }
}
