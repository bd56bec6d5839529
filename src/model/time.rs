//! Lengths of time and time zones as people write them in configuration and rule files.

use serde::{Deserialize, Serialize};

/// A length of time as people write it in config and rule files: `"90s"`, `"10m"`, `"1h"`, `"14d"`, `"2w"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Interval(pub std::time::Duration);

impl Interval {
    pub const fn secs(s: u64) -> Interval {
        Interval(std::time::Duration::from_secs(s))
    }

    pub fn as_secs(self) -> u64 {
        self.0.as_secs()
    }

    /// Parses `<number><unit>` with unit `ms`, `s`, `m`, `h`, `d` or `w`; several may follow each other
    /// (`"1h30m"`).
    ///
    /// # Errors
    /// A message saying what is wrong and what is expected.
    pub fn parse(text: &str) -> Result<Interval, String> {
        let s = text.trim();
        if s.is_empty() {
            return Err(
                "empty duration: write a number and a unit, e.g. \"90s\", \"10m\", \"1h\"".into(),
            );
        }
        let mut total_ms: u128 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return Err(format!(
                    "invalid duration {text:?}: expected a number, e.g. \"90s\", \"10m\", \"1h\""
                ));
            }
            let n: u128 = rest[..digits]
                .parse()
                .map_err(|_| format!("invalid duration {text:?}: number too large"))?;
            rest = rest[digits..].trim_start();
            let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
            let unit = &rest[..unit_len];
            rest = rest[unit_len..].trim_start();
            let ms = match unit {
                "ms" => 1,
                "s" | "sec" | "secs" | "second" | "seconds" => 1000,
                "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
                "h" | "hour" | "hours" => 3_600_000,
                "d" | "day" | "days" => 86_400_000,
                "w" | "week" | "weeks" => 7 * 86_400_000,
                "" => {
                    return Err(format!(
                        "invalid duration {text:?}: missing unit (s, m, h, d or w)"
                    ));
                }
                other => {
                    return Err(format!(
                        "invalid duration {text:?}: unknown unit {other:?} (use s, m, h, d or w)"
                    ));
                }
            };
            total_ms = total_ms.saturating_add(n.saturating_mul(ms));
        }
        let ms =
            u64::try_from(total_ms).map_err(|_| format!("invalid duration {text:?}: too large"))?;
        Ok(Interval(std::time::Duration::from_millis(ms)))
    }
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.as_secs();
        if s == 0 {
            return write!(f, "{}ms", self.0.as_millis());
        }
        for (unit, len) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s.is_multiple_of(len) {
                return write!(f, "{}{unit}", s / len);
            }
        }
        write!(f, "{s}s")
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Interval::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Interval {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod interval_tests {
    use super::Interval;

    #[test]
    fn parses_units_and_sums() {
        assert_eq!(Interval::parse("90s").unwrap().as_secs(), 90);
        assert_eq!(Interval::parse("10m").unwrap().as_secs(), 600);
        assert_eq!(Interval::parse("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(Interval::parse("14d").unwrap().as_secs(), 14 * 86400);
        assert_eq!(Interval::parse(" 2w ").unwrap().as_secs(), 14 * 86400);
        assert_eq!(Interval::parse("5 minutes").unwrap().as_secs(), 300);
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for bad in ["", "10", "h", "10x", "-5m", "1.5h"] {
            assert!(Interval::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn displays_in_the_largest_whole_unit() {
        assert_eq!(Interval::secs(3600).to_string(), "1h");
        assert_eq!(Interval::secs(90).to_string(), "90s");
        assert_eq!(Interval::secs(86400 * 14).to_string(), "2w");
    }
}

/// An IANA time zone (`"Europe/Paris"`, `"UTC"`), read and written by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timezone(pub chrono_tz::Tz);

impl Timezone {
    pub const UTC: Timezone = Timezone(chrono_tz::Tz::UTC);

    pub fn parse(name: &str) -> Result<Timezone, String> {
        name.trim().parse().map(Timezone).map_err(|_| {
            format!(
                "timezone {name:?} is unknown; write an IANA name such as \"Europe/Paris\" or \"UTC\""
            )
        })
    }
}

impl std::fmt::Display for Timezone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for Timezone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timezone::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Timezone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
