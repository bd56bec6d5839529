//! The `[[channel]]` tables of a configuration file, read with every problem at its place.
//!
//! In: the `channel` value with its spans. Out: the channels that are sound, and every problem in
//! [`Problems`]. The settings and what makes them wrong are [`ChannelConfig`]'s
//! ([`ChannelConfig::problems`]); this file only reads each table and puts each problem at its key.

use std::collections::HashMap;

use toml::de::DeValue;

use super::problems::Problems;
use super::table::{Value, as_str, kind, place_of, read_table};
use crate::notify::channels::ChannelConfig;

/// Reads the channels of `value` (the top-level `channel` key); `None` when one is not sound.
pub(crate) fn read(p: &mut Problems<'_>, value: Value<'_>) -> Option<Vec<ChannelConfig>> {
    let DeValue::Array(items) = value.get_ref() else {
        p.at(
            value.span().start,
            format!(
                "channel must be a list of [[channel]] tables, not a {}",
                kind(&value)
            ),
        );
        return None;
    };
    let mut channels = Vec::with_capacity(items.len());
    let mut sound = true;
    // Each name with the place it was first given.
    let mut names: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let header = item.span().start;
        let Some(keys) = item.get_ref().as_table().cloned() else {
            p.at(
                header,
                format!(
                    "channel #{} must be a table, not a {}",
                    index + 1,
                    kind(item)
                ),
            );
            sound = false;
            continue;
        };
        let label = match keys.get("name").and_then(as_str) {
            Some(n) => format!("channel {n:?}"),
            None => format!("channel #{}", index + 1),
        };
        let Some(c) = read_table::<ChannelConfig>(p, "channel", item.clone()) else {
            sound = false;
            continue;
        };
        for (key, problem) in c.problems() {
            p.at(
                place_of(&keys, key, header),
                format!("[[channel]] {label}: {problem}"),
            );
            sound = false;
        }
        let at = place_of(&keys, "name", header);
        if let Some(first) = names.get(&c.name) {
            p.again(
                at,
                *first,
                format!("[[channel]] {label}: another channel has this name; names must differ"),
            );
            sound = false;
        } else {
            names.insert(c.name.clone(), at);
        }
        channels.push(c);
    }
    sound.then_some(channels)
}
