//! Reading the tables of a configuration file into their settings structs, reporting every problem at its
//! place.
//!
//! In: one TOML value with its spans (a [`DeValue`] from `toml::de::DeTable`) and the struct it should
//! become (`HttpConfig`, `MetricsConfig`, `EmailConfig`…, any `serde` struct). Out: the struct, or `None`,
//! and every problem in [`Problems`]. serde stops at the first problem of a table; so that an unknown key does
//! not hide the rest of its table, the keys the struct does not know are reported one by one and set aside,
//! then each key whose value does not fit is reported and set aside in turn, until the rest reads.

use std::ops::Range;

use serde::de::{DeserializeOwned, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::problems::Problems;

/// A TOML value with its place in the file.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// The names of the fields of the struct `T` deserializes into, as serde's derive gives them
/// (renames applied). Empty for a type that is not a struct.
pub(crate) fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    /// A deserializer that only listens: the derived `Deserialize` of a struct hands its field names to
    /// `deserialize_struct`, which is all this wants.
    struct Listen<'a>(&'a mut &'static [&'static str]);

    impl<'de> serde::Deserializer<'de> for Listen<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(serde::de::Error::custom("listened"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Listen(&mut fields));
    fields
}

/// The key of `table` whose key or value holds byte `offset`.
fn key_at(table: &DeTable<'_>, offset: usize) -> Option<String> {
    table
        .iter()
        .find(|(k, v)| {
            let key = k.span();
            let value = v.span();
            (key.start..value.end.max(key.end)).contains(&offset)
        })
        .map(|(k, _)| k.get_ref().to_string())
}

/// The place of `key`'s value in `table`, or `fallback` when the key is not there.
pub(crate) fn place_of(table: &DeTable<'_>, key: &str, fallback: usize) -> usize {
    table.get(key).map_or(fallback, |v| v.span().start)
}

/// Reads the table `value` (written `[name]`, `name = { … }` or `name.key = …`) into `T`.
///
/// Problems are reported as `[name] key: …`. What is read from the keys that fit is returned, so that its
/// values can be judged too (the configuration as a whole is refused when `p` holds any problem); `None`
/// when the table is not a table or a key is missing.
pub(crate) fn read_table<T: DeserializeOwned>(
    p: &mut Problems<'_>,
    name: &str,
    value: Value<'_>,
) -> Option<T> {
    let span = value.span();
    let mut value = value;
    value.get_mut().make_owned();
    let DeValue::Table(table) = value.get_mut() else {
        p.at(
            span.start,
            format!("`{name}` must be a table: write it under a `[{name}]` header"),
        );
        return None;
    };
    let known = fields_of::<T>();
    let unknown: Vec<(usize, String)> = table
        .iter()
        .filter(|(k, _)| !known.contains(&k.get_ref().as_ref()))
        .map(|(k, _)| (k.span().start, k.get_ref().to_string()))
        .collect();
    for (at, key) in unknown {
        table.remove(key.as_str());
        p.at(
            at,
            format!(
                "[{name}]: unknown key `{key}` (known keys: {})",
                known.join(", ")
            ),
        );
    }
    // Each round either reads the table or sets one key aside: at most one round per known key.
    let mut set_aside: Vec<String> = Vec::new();
    loop {
        let e = match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let message = e.message().trim_end().to_owned();
        if let Some(missing) = missing_field(&message) {
            // A key set aside because its value was wrong is not missing: it was reported already.
            if !set_aside.iter().any(|k| k == missing) {
                p.at(span.start, format!("[{name}]: missing key `{missing}`"));
            }
            return None;
        }
        let at: Range<usize> = e.span().unwrap_or(span.clone());
        let DeValue::Table(table) = value.get_mut() else {
            return None;
        };
        match key_at(table, at.start) {
            Some(key) => {
                p.at(at.start, format!("[{name}] {key}: {message}"));
                table.remove(key.as_str());
                set_aside.push(key);
            }
            None => {
                p.at(at.start, format!("[{name}]: {message}"));
                return None;
            }
        }
    }
}

/// The field serde says is missing, from its message "missing field `x`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// A string value, or `None`.
pub(crate) fn as_str<'v>(value: &'v Value<'_>) -> Option<&'v str> {
    value.get_ref().as_str()
}

/// An integer value as `i64`, or `None` when the value is not an integer or does not fit.
pub(crate) fn as_integer(value: &Value<'_>) -> Option<i64> {
    let n = value.get_ref().as_integer()?;
    let digits = n.as_str().replace('_', "");
    i64::from_str_radix(&digits, n.radix()).ok()
}

/// How a value is written, for messages: its TOML type.
pub(crate) fn kind(value: &Value<'_>) -> &'static str {
    value.get_ref().type_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        name: String,
        #[serde(default)]
        count: u32,
        #[serde(default)]
        on: bool,
    }

    fn read(text: &str) -> (Option<Settings>, Vec<String>) {
        let (doc, errors) = DeTable::parse_recoverable(text);
        assert!(errors.is_empty());
        let mut doc = doc.into_inner();
        let value = doc.remove("t").expect("a table t");
        let mut p = Problems::new(Path::new("f.toml"), text);
        let settings = read_table::<Settings>(&mut p, "t", value);
        let shown = p.into_errors().iter().map(ToString::to_string).collect();
        (settings, shown)
    }

    #[test]
    fn fields_are_listened_to() {
        assert_eq!(fields_of::<Settings>(), &["name", "count", "on"]);
        assert!(fields_of::<String>().is_empty());
    }

    #[test]
    fn a_good_table_reads() {
        let (s, problems) = read("[t]\nname = \"a\"\ncount = 3\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            s,
            Some(Settings {
                name: "a".into(),
                count: 3,
                on: false
            })
        );
    }

    #[test]
    fn every_problem_of_a_table_is_reported_at_its_key() {
        let (s, problems) =
            read("[t]\ncolour = 1\nname = \"a\"\ncount = \"many\"\nspeed = 2\non = 3\n");
        // What fits is read, the rest is left at its default, and everything else is reported.
        assert_eq!(
            s,
            Some(Settings {
                name: "a".into(),
                count: 0,
                on: false
            })
        );
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems[0].starts_with("f.toml:2:1: [t]: unknown key `colour`"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("f.toml:4:9: [t] count: invalid type: string"),
            "{problems:?}"
        );
        assert!(
            problems[2].starts_with("f.toml:5:1: [t]: unknown key `speed`"),
            "{problems:?}"
        );
        assert!(
            problems[3].starts_with("f.toml:6:6: [t] on: invalid type: integer"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_missing_key_is_named_at_the_table_and_a_bad_one_is_not_also_missing() {
        let (_, problems) = read("[t]\ncount = 1\n");
        assert_eq!(problems, vec!["f.toml:1:1: [t]: missing key `name`"]);
        let (_, problems) = read("[t]\nname = 1\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("f.toml:2:8: [t] name: invalid type"));
    }

    #[test]
    fn dotted_keys_and_inline_tables_have_their_places() {
        let text = "t.name = \"a\"\nt.count = \"x\"\n";
        let (_, problems) = read(text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("f.toml:2:11: [t] count:"),
            "{problems:?}"
        );
        let (_, problems) = read("t = { name = \"a\", on = \"yes\" }\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("f.toml:1:24: [t] on:"),
            "{problems:?}"
        );
    }
}
