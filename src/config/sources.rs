//! The `[[source]]` tables of a configuration file (or an inline array of them), read with every problem at
//! its place.
//!
//! A table's `kind` (default `feed`) says which other keys it takes; [`crate::sources::kinds::build`] checks
//! them and makes the address or API the poll reads, and each of its problems is reported on its key. A
//! kind's politeness sets the shortest `interval` accepted, and the default interval is raised to it.
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
use crate::model::{Interval, SourceKind};
use crate::sources::kinds::{self, Keys};

/// The keys every kind takes; the kinds' own keys are in [`kinds::KIND_KEYS`].
const COMMON_KEYS: &[&str] = &["name", "kind", "interval", "tags", "enabled"];

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
    let source_kind = match t.get("kind") {
        None => Some(SourceKind::Feed),
        Some(v) => match as_str(v).map(str::trim) {
            Some(k) => {
                let parsed = SourceKind::parse(k);
                if parsed.is_none() {
                    p.at(
                        v.span().start,
                        format!(
                            "{label}: unknown kind {k:?} (kinds: {})",
                            SourceKind::ALL.map(SourceKind::as_str).join(", ")
                        ),
                    );
                }
                parsed
            }
            None => {
                p.at(
                    v.span().start,
                    format!("{label}: kind must be a string, not a {}", kind(v)),
                );
                None
            }
        },
    };
    for (key, _) in t.iter() {
        let key_name: &str = key.get_ref().as_ref();
        if COMMON_KEYS.contains(&key_name) {
            continue;
        }
        if !kinds::KIND_KEYS.contains(&key_name) {
            p.at(
                key.span().start,
                format!(
                    "{label}: unknown key {:?} (known keys: {}, {})",
                    key.get_ref(),
                    COMMON_KEYS.join(", "),
                    kinds::KIND_KEYS.join(", ")
                ),
            );
            sound = false;
        } else if let Some(k) = source_kind {
            let (needed, optional) = kinds::keys_of(k);
            if key_name != "base_url"
                && !needed.contains(&key_name)
                && !optional.contains(&key_name)
            {
                p.at(
                    key.span().start,
                    format!(
                        "{label}: kind {:?} does not take {key_name:?} (its keys: {})",
                        k.as_str(),
                        needed
                            .iter()
                            .chain(optional)
                            .chain(&["base_url"])
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                sound = false;
            }
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
    let built = source_kind.and_then(|k| {
        let (needed, _) = kinds::keys_of(k);
        let mut missing = false;
        for key in needed {
            if t.get(*key).is_none() {
                let why = if t.get("kind").is_some() {
                    format!(" (kind {:?} needs {})", k.as_str(), needed.join(", "))
                } else {
                    String::new()
                };
                p.at(start, format!("{label}: missing key {key:?}{why}"));
                missing = true;
            }
        }
        let keys = read_keys(p, t, &label)?;
        if missing {
            return None;
        }
        match kinds::build(k, &keys, base) {
            Ok(b) => Some((k, b)),
            Err(problems) => {
                for problem in problems {
                    let at = problem
                        .key
                        .and_then(|key| t.get(key))
                        .map_or(start, |v| v.span().start);
                    p.at(at, format!("{label}: {}", problem.message));
                }
                None
            }
        }
    });
    let least = source_kind.map_or(std::time::Duration::ZERO, |k| {
        kinds::politeness(k).min_interval
    });
    let interval = match t.get("interval") {
        None => Some(Interval(default_interval.0.max(least))),
        Some(v) => duration(p, v, &format!("{label}: interval"), POLL_INTERVAL).and_then(|i| {
            if i.0 < least {
                p.at(
                    v.span().start,
                    format!(
                        "{label}: interval \"{i}\" is too short for kind {:?}: the least is {} (the service's politeness; see the README's table of kinds)",
                        source_kind.map_or("", SourceKind::as_str),
                        Interval(least)
                    ),
                );
                None
            } else {
                Some(i)
            }
        }),
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
    match (name, built, interval, tags, enabled) {
        (Some(name), Some((kind, built)), Some(interval), Some(tags), Some(enabled)) if sound => {
            let url = match (kind, t.get("url").and_then(as_str)) {
                (SourceKind::Feed, Some(written)) => written.to_owned(),
                _ => built.location.display(),
            };
            Some(SourceConfig {
                name,
                kind,
                url,
                location: built.location,
                target: built.target,
                interval,
                tags,
                enabled,
            })
        }
        _ => None,
    }
}

/// The kind-specific keys of a table as strings (`instance` may also be a list of them).
fn read_keys(p: &mut Problems<'_>, t: &toml::de::DeTable<'_>, label: &str) -> Option<Keys> {
    let mut sound = true;
    let mut text = |key: &str| -> Option<String> {
        let v = t.get(key)?;
        match as_str(v) {
            Some(s) => Some(s.to_owned()),
            None => {
                p.at(
                    v.span().start,
                    format!("{label}: {key} must be a string, not a {}", kind(v)),
                );
                sound = false;
                None
            }
        }
    };
    let mut keys = Keys {
        url: text("url"),
        query: text("query"),
        lang: text("lang"),
        country: text("country"),
        instance: Vec::new(),
        tag: text("tag"),
        handle: text("handle"),
        identifier: text("identifier"),
        password_file: text("password_file"),
        subreddit: text("subreddit"),
        channel_id: text("channel_id"),
        playlist_id: text("playlist_id"),
        community: text("community"),
        site: text("site"),
        app_id: text("app_id"),
        base_url: text("base_url"),
    };
    if let Some(v) = t.get("instance") {
        let list = match v.get_ref() {
            DeValue::String(s) => Some(vec![s.to_string()]),
            DeValue::Array(a) => a.iter().map(|i| as_str(i).map(str::to_owned)).collect(),
            _ => None,
        };
        match list {
            Some(l) if !l.is_empty() => keys.instance = l,
            _ => {
                p.at(
                    v.span().start,
                    format!("{label}: instance must be a host name or a list of them"),
                );
                sound = false;
            }
        }
    }
    sound.then_some(keys)
}
