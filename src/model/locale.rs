//! The language a person reads: the audience's, not a mention's (that is [`super::Lang`]).

use serde::{Deserialize, Serialize};

/// A language veille speaks to people in. French first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    /// Every language veille speaks, in the order of its message folders.
    pub const ALL: [Locale; 2] = [Locale::Fr, Locale::En];

    /// The language's tag, as configuration files and `--lang` write it.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    /// Reads a tag the way people and systems write it: `fr`, `en`, `fr-CA`, `fr_FR.UTF-8`, `en_GB@euro`.
    /// `None` for anything else (`C`, `POSIX`, a language veille does not speak).
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let lang = tag
            .trim()
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match lang.as_str() {
            "fr" => Some(Locale::Fr),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The language of the environment, as POSIX looks it up: `LC_ALL`, then `LC_MESSAGES`, then `LANG`
    /// (the first one set and not empty decides). `None` when it is not one veille speaks.
    pub fn from_env() -> Option<Locale> {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
            .and_then(|v| Locale::from_tag(&v))
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

impl std::str::FromStr for Locale {
    type Err = String;

    fn from_str(s: &str) -> Result<Locale, String> {
        Locale::from_tag(s).ok_or_else(|| format!("unknown language {s:?} (fr or en)"))
    }
}

#[cfg(test)]
mod tests {
    use super::Locale;

    #[test]
    fn tags_as_systems_write_them() {
        assert_eq!(Locale::from_tag("fr"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("fr_FR.UTF-8"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("fr-CA"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("en_GB@euro"), Some(Locale::En));
        assert_eq!(Locale::from_tag("EN"), Some(Locale::En));
        assert_eq!(Locale::from_tag("C.UTF-8"), None);
        assert_eq!(Locale::from_tag("POSIX"), None);
        assert_eq!(Locale::from_tag("de_DE"), None);
        assert_eq!(Locale::from_tag(""), None);
    }
}
