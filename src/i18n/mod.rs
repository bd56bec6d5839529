//! Translations: every sentence a person reads, per language, in Project Fluent message files.
//!
//! In: a message id and its arguments (facts: numbers, names, already-formatted times), the reader's
//! [`Locale`] and time zone. Out: the sentence. The message files are `src/i18n/{fr,en}/*.ftl`, embedded in
//! the binary; adding a language is adding one folder and one [`Locale`] variant, and
//! `every_message_exists_in_every_language` fails until every message is translated.
//!
//! Fluent (<https://projectfluent.org>) was made for languages with plural and gender rules like French:
//! « 1 mention », « 13 mentions », and in French 0 and 1 take the singular. Numbers handed to a message as
//! numbers are shown each language's way by this module's formatter: `13,0`, `1 234` and `87 %` with a
//! narrow no-break space in French, `13.0`, `1,234` and `87%` in English.
//!
//! [`Voice`] is a language and a clock together: every face (the CLI, the email, the console, chat cards)
//! makes one from its configuration and speaks through it, so a figure or a time reads the same everywhere.
//! [`words`] turns detection's facts (decisions, explanations) into sentences.
//!
//! Who calls it: the faces (`cli`, `notify`, `daemon`'s status line) and the pipeline's detection stage
//! (which keeps a French and an English copy of each decision's words for `--json` readers).

pub mod words;

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, Offset as _, TimeDelta, TimeZone as _, Timelike as _, Utc};
use chrono_tz::Tz;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::types::{FluentNumber, FluentNumberStyle};
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use intl_memoizer::concurrent::IntlLangMemoizer;

pub use crate::model::Locale;

/// The message files of one language, in the order they are added to its bundle.
macro_rules! message_files {
    ($dir:literal) => {
        [
            ("common.ftl", include_str!(concat!($dir, "/common.ftl"))),
            ("incident.ftl", include_str!(concat!($dir, "/incident.ftl"))),
            ("email.ftl", include_str!(concat!($dir, "/email.ftl"))),
            ("cli.ftl", include_str!(concat!($dir, "/cli.ftl"))),
            ("demo.ftl", include_str!(concat!($dir, "/demo.ftl"))),
            ("channels.ftl", include_str!(concat!($dir, "/channels.ftl"))),
            ("status.ftl", include_str!(concat!($dir, "/status.ftl"))),
            ("web.ftl", include_str!(concat!($dir, "/web.ftl"))),
        ]
    };
}

/// The message files of `locale`, by file name.
pub(crate) fn files(locale: Locale) -> [(&'static str, &'static str); 8] {
    match locale {
        Locale::Fr => message_files!("fr"),
        Locale::En => message_files!("en"),
    }
}

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<Vec<Bundle>> = LazyLock::new(|| Locale::ALL.map(bundle).into());

fn bundle(locale: Locale) -> Bundle {
    let id: unic_langid::LanguageIdentifier =
        locale.tag().parse().expect("a locale tag is a language id");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks (U+2068, U+2069) around every placeable are for mixed-direction scripts; they would
    // show as boxes in a terminal and in plain-text email.
    b.set_use_isolating(false);
    b.set_formatter(Some(match locale {
        Locale::Fr => format_fr,
        Locale::En => format_en,
    }));
    for (name, text) in files(locale) {
        // The files are ours and embedded; the tests parse every one of them.
        let resource = FluentResource::try_new(text.to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{}/{name}: {errors:?}", locale.tag()));
        b.add_resource(resource)
            .unwrap_or_else(|errors| panic!("{}/{name}: {errors:?}", locale.tag()));
    }
    b
}

fn format_fr(v: &FluentValue<'_>, _: &IntlLangMemoizer) -> Option<String> {
    match v {
        FluentValue::Number(n) => Some(fluent_number(n, Locale::Fr)),
        _ => None,
    }
}

fn format_en(v: &FluentValue<'_>, _: &IntlLangMemoizer) -> Option<String> {
    match v {
        FluentValue::Number(n) => Some(fluent_number(n, Locale::En)),
        _ => None,
    }
}

/// A number handed to a message: whole numbers as they are, others with their `NUMBER()` digits (one
/// decimal by default), percentages as whole percents.
fn fluent_number(n: &FluentNumber, locale: Locale) -> String {
    let o = &n.options;
    if o.style == FluentNumberStyle::Percent {
        return percent(n.value, locale);
    }
    let decimals = match (o.minimum_fraction_digits, o.maximum_fraction_digits) {
        (Some(min), _) => min,
        (None, Some(max)) if n.value.fract() != 0.0 => max,
        (None, _) if n.value.fract() == 0.0 => 0,
        (None, _) => 1,
    };
    number(n.value, decimals, locale)
}

/// An argument of a message: a fact to show.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Text(Cow<'a, str>),
    Number(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Arg<'a> {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Arg<'a> {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Arg<'_> {
    fn from(s: String) -> Arg<'static> {
        Arg::Text(Cow::Owned(s))
    }
}

macro_rules! number_arg {
    ($($t:ty),*) => {
        $(impl From<$t> for Arg<'_> {
            fn from(n: $t) -> Self {
                Arg::Number(n as f64)
            }
        })*
    };
}
number_arg!(u32, u64, i32, i64, usize, f32, f64);

/// A language and a clock: how one face speaks to its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voice {
    pub locale: Locale,
    pub tz: Tz,
}

/// The zone times are shown in when a configuration names none.
pub const DEFAULT_TZ: Tz = chrono_tz::Europe::Paris;

impl Voice {
    pub fn new(locale: Locale, tz: Tz) -> Voice {
        Voice { locale, tz }
    }

    /// French, on Paris time: the default reader.
    pub fn french() -> Voice {
        Voice::new(Locale::Fr, DEFAULT_TZ)
    }

    /// The message `id` with its arguments. A message missing from the files (a bug the tests catch) shows
    /// its id rather than nothing.
    pub fn say(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let bundle = &BUNDLES[self.locale as usize];
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(message = id, locale = %self.locale, "Message missing.");
            return format!("{{{id}}}");
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            match v {
                // An empty text reads as `none` in a selector (`{ $author -> [none] … *[other] … }`), the
                // files' way of leaving out what a fact does not have.
                Arg::Text(s) if s.is_empty() => fargs.set(*k, FluentValue::from("none")),
                Arg::Text(s) => fargs.set(*k, FluentValue::from(s.as_ref())),
                Arg::Number(n) => fargs.set(*k, FluentValue::from(*n)),
            }
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(message = id, locale = %self.locale, errors = ?errors, "Message incomplete.");
        }
        text.into_owned()
    }

    /// A message without arguments.
    pub fn word(&self, id: &str) -> String {
        self.say(id, &[])
    }

    /// `x` with `decimals` digits after the separator, thousands grouped.
    pub fn number(&self, x: f64, decimals: usize) -> String {
        number(x, decimals, self.locale)
    }

    /// One decimal unless the number is whole: how a usual level or a spread is read.
    pub fn figure(&self, x: f64) -> String {
        number(x, if x.fract() == 0.0 { 0 } else { 1 }, self.locale)
    }

    /// A whole number, thousands grouped.
    pub fn integer(&self, n: u64) -> String {
        number(n as f64, 0, self.locale)
    }

    /// A share as a whole percentage.
    pub fn percent(&self, share: f64) -> String {
        percent(share, self.locale)
    }

    /// A signed score with two decimals: `+0,42`, `-0,61`.
    pub fn signed(&self, x: f64) -> String {
        let n = number(x, 2, self.locale);
        if x > 0.0 { format!("+{n}") } else { n }
    }

    /// `text` between the language's quotation marks.
    pub fn quote(&self, text: &str) -> String {
        self.say("quoted", &[("text", text.into())])
    }

    /// [`Voice::quote`] of a text that may be absent: empty when it is, which messages read as `none`.
    pub fn quote_opt(&self, text: Option<&str>) -> String {
        text.map(|t| self.quote(t)).unwrap_or_default()
    }

    /// A length of time as people say it: `1 j 4 h`, `2 h 30`, `45 min`.
    pub fn duration(&self, d: TimeDelta) -> String {
        let total = d.num_minutes().max(0);
        let (days, hours, minutes) = (total / 1440, total % 1440 / 60, total % 60);
        if days == 0 && hours > 0 && minutes > 0 {
            return self.say(
                "duration-hours-minutes",
                &[
                    ("h", hours.into()),
                    ("m", minutes.into()),
                    ("mm", format!("{minutes:02}").into()),
                ],
            );
        }
        let mut parts = Vec::new();
        for (n, id) in [
            (days, "duration-days"),
            (hours, "duration-hours"),
            (minutes, "duration-minutes"),
        ] {
            if n > 0 {
                parts.push(self.say(id, &[("n", n.into())]));
            }
        }
        if parts.is_empty() {
            parts.push(self.say("duration-minutes", &[("n", 0.into())]));
        }
        parts.join(" ")
    }

    fn local(&self, t: DateTime<Utc>) -> DateTime<Tz> {
        t.with_timezone(&self.tz)
    }

    /// A date and time on the reader's clock: `27/11/2026 13:32`, `2026-11-27 13:32`.
    pub fn time(&self, t: DateTime<Utc>) -> String {
        let l = self.local(t);
        self.say(
            "datetime",
            &[
                ("date", l.format("%d/%m/%Y").to_string().into()),
                ("iso", l.format("%Y-%m-%d").to_string().into()),
                ("hm", l.format("%H:%M").to_string().into()),
            ],
        )
    }

    /// A moment within the last days: `22/11 à 17:00`, `22 Nov 17:00`.
    pub fn moment(&self, t: DateTime<Utc>) -> String {
        let l = self.local(t);
        self.say(
            "moment",
            &[
                ("dm", l.format("%d/%m").to_string().into()),
                ("day", l.format("%d").to_string().into()),
                (
                    "month",
                    self.month(l.format("%m").to_string().parse().unwrap_or(1))
                        .into(),
                ),
                ("hm", l.format("%H:%M").to_string().into()),
            ],
        )
    }

    /// An hour of the reader's clock: `14 h`, `14:00`; `14 h 30` when not on the hour.
    pub fn hour(&self, t: DateTime<Utc>) -> String {
        let l = self.local(t);
        self.say(
            "hour",
            &[
                ("h", l.hour().into()),
                ("hh", format!("{:02}", l.hour()).into()),
                ("m", l.minute().into()),
                ("mm", format!("{:02}", l.minute()).into()),
            ],
        )
    }

    /// A window as the detector saw it: `le 22/11 entre 13 h et 14 h`, or `du 21/11 à 23:00 au 22/11 à
    /// 01:00` when it spans more than a day.
    pub fn window(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
        if end - start <= TimeDelta::hours(24) {
            self.say(
                "window-day",
                &[
                    ("dm", self.local(start).format("%d/%m").to_string().into()),
                    ("day", self.local(start).format("%d").to_string().into()),
                    (
                        "month",
                        self.month(
                            self.local(start)
                                .format("%m")
                                .to_string()
                                .parse()
                                .unwrap_or(1),
                        )
                        .into(),
                    ),
                    ("from", self.hour(start).into()),
                    ("to", self.hour(end).into()),
                ],
            )
        } else {
            self.say(
                "window-span",
                &[
                    ("from", self.moment(start).into()),
                    ("to", self.moment(end).into()),
                ],
            )
        }
    }

    /// The reader's zone, said once per screen or email: `heure de Paris (UTC+1)` / `Paris time (UTC+1)`;
    /// another zone by its name.
    pub fn zone(&self, at: DateTime<Utc>) -> String {
        let offset = self.tz.offset_from_utc_datetime(&at.naive_utc()).fix();
        let secs = offset.local_minus_utc();
        let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
        let sign = if secs < 0 { '-' } else { '+' };
        let utc = match (secs, m) {
            (0, _) => "UTC".to_owned(),
            (_, 0) => format!("UTC{sign}{h}"),
            _ => format!("UTC{sign}{h}:{m:02}"),
        };
        let name = self.tz.name();
        let city = name.rsplit('/').next().unwrap_or(name).replace('_', " ");
        self.say(
            "zone",
            &[
                ("zone", name.into()),
                ("city", city.into()),
                ("utc", utc.into()),
                (
                    "kind",
                    if name == "UTC" || name == "Etc/UTC" {
                        "utc"
                    } else {
                        "city"
                    }
                    .into(),
                ),
            ],
        )
    }

    /// A day of the week, lower case in French (`mardi`), capitalised in English (`Tuesday`).
    pub fn weekday(&self, d: chrono::Weekday) -> String {
        self.say("weekday", &[("day", d.num_days_from_monday().into())])
    }

    fn month(&self, m: u32) -> String {
        self.say("month-short", &[("month", m.into())])
    }
}

/// A number in French (`1 234,5`, narrow no-break space between thousands) or English (`1,234.5`).
pub fn number(x: f64, decimals: usize, locale: Locale) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), ""), |(i, f)| (i, f));
    let negative = x < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let sep = match locale {
        Locale::Fr => "\u{202f}",
        Locale::En => ",",
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(if locale == Locale::Fr { ',' } else { '.' });
        out.push_str(frac);
    }
    out
}

/// A share as a whole percentage: `71 %` (narrow no-break space) in French, `71%` in English.
pub fn percent(share: f64, locale: Locale) -> String {
    let p = number((share * 100.0).round(), 0, locale);
    match locale {
        Locale::Fr => format!("{p}\u{202f}%"),
        Locale::En => format!("{p}%"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::TimeZone as _;
    use fluent_syntax::ast;

    use super::*;

    fn ids(text: &str) -> BTreeSet<String> {
        let res = fluent_syntax::parser::parse(text).expect("message files parse");
        res.body
            .iter()
            .filter_map(|e| match e {
                ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                ast::Entry::Term(t) => Some(format!("-{}", t.id.name)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_message_exists_in_every_language() {
        for (i, (name, text)) in files(Locale::Fr).iter().enumerate() {
            let fr = ids(text);
            for locale in Locale::ALL {
                let other = ids(files(locale)[i].1);
                let missing: Vec<_> = fr.difference(&other).collect();
                let extra: Vec<_> = other.difference(&fr).collect();
                assert!(
                    missing.is_empty() && extra.is_empty(),
                    "{}/{name}: missing {missing:?}, not in fr {extra:?}",
                    locale.tag()
                );
            }
        }
        // And every bundle builds (a resource error panics).
        assert_eq!(BUNDLES.len(), Locale::ALL.len());
    }

    /// Every message id the code says (`say("id"`, `word("id"`) is in the files: a typo is caught here,
    /// not by a reader seeing `{id}`.
    #[test]
    fn every_message_the_code_says_exists() {
        let all: BTreeSet<String> = files(Locale::Fr).iter().flat_map(|(_, t)| ids(t)).collect();
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(p) = stack.pop() {
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for pat in ["say(\"", "word(\""] {
                for (i, _) in text.match_indices(pat) {
                    let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
                    if text[line_start..i].trim_start().starts_with("//") {
                        continue;
                    }
                    let rest = &text[i + pat.len()..];
                    let id = &rest[..rest.find('"').unwrap()];
                    if !id.is_empty() && !all.contains(id) {
                        missing.push(format!("{}: {id}", p.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "messages the code says but no file has: {missing:?}"
        );
    }

    #[test]
    fn french_plurals_and_numbers() {
        let fr = Voice::french();
        let en = Voice::new(Locale::En, DEFAULT_TZ);
        assert_eq!(fr.number(1234.5, 1), "1\u{202f}234,5");
        assert_eq!(en.number(1234.5, 1), "1,234.5");
        assert_eq!(fr.percent(0.871), "87\u{202f}%");
        assert_eq!(en.percent(0.871), "87%");
        assert_eq!(fr.number(-0.04, 1), "0,0");
        assert_eq!(fr.signed(0.42), "+0,42");
        assert_eq!(fr.say("n-mentions", &[("count", 1.into())]), "1 mention");
        assert_eq!(fr.say("n-mentions", &[("count", 0.into())]), "0 mention");
        assert_eq!(fr.say("n-mentions", &[("count", 13.into())]), "13 mentions");
        assert_eq!(en.say("n-mentions", &[("count", 0.into())]), "0 mentions");
        assert_eq!(
            fr.say("n-mentions", &[("count", 1234.into())]),
            "1\u{202f}234 mentions"
        );
        assert_eq!(fr.quote("Brioche"), "«\u{a0}Brioche\u{a0}»");
        assert_eq!(en.quote("Brioche"), "“Brioche”");
    }

    #[test]
    fn durations_as_people_say_them() {
        let fr = Voice::french();
        let en = Voice::new(Locale::En, DEFAULT_TZ);
        let d = |m: i64| TimeDelta::minutes(m);
        assert_eq!(fr.duration(d(45)), "45 min");
        assert_eq!(fr.duration(d(150)), "2 h 30");
        assert_eq!(en.duration(d(150)), "2 h 30 min");
        assert_eq!(fr.duration(d(360)), "6 h");
        assert_eq!(fr.duration(d(1440 + 240)), "1 j 4 h");
        assert_eq!(en.duration(d(1440 + 240)), "1 d 4 h");
        assert_eq!(fr.duration(d(0)), "0 min");
    }

    #[test]
    fn times_are_on_the_readers_clock() {
        // 11:32 UTC in November is 12:32 in Paris (UTC+1), 11:32 in UTC.
        let t = Utc.with_ymd_and_hms(2026, 11, 27, 11, 32, 0).unwrap();
        let fr = Voice::french();
        assert_eq!(fr.time(t), "27/11/2026 12:32");
        assert_eq!(fr.moment(t), "27/11 à 12:32");
        assert_eq!(fr.zone(t), "heure de Paris (UTC+1)");
        let en = Voice::new(Locale::En, chrono_tz::UTC);
        assert_eq!(en.time(t), "2026-11-27 11:32");
        assert_eq!(en.moment(t), "27 Nov 11:32");
        assert_eq!(en.zone(t), "UTC");
        // Summer time: UTC+2.
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).unwrap();
        assert_eq!(fr.zone(summer), "heure de Paris (UTC+2)");
        let start = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
        let end = start + TimeDelta::hours(5);
        assert_eq!(fr.window(start, end), "le 22/11 entre 9 h et 14 h");
        assert_eq!(
            Voice::new(Locale::En, DEFAULT_TZ).window(start, end),
            "on 22 Nov between 09:00 and 14:00"
        );
    }
}
