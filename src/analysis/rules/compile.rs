//! From the text of the rule files to a [`RuleSet`], or to every problem in them.
//!
//! In: [`RuleFile`]s (name and TOML text), in the order they should be read. Out: a `RuleSet`, or all the
//! [`RuleError`]s found in all the files: syntax, unknown keys, bad values, query errors, regexes that do not
//! compile or are too big, duplicate ids (naming both places), references to unknown watches, planned
//! events (`[[event]]`) whose times do not read or do not exist on their watch's clock. Each error points at
//! a line and column of its file; a query error points inside the quoted query.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::error::{Location, RuleError, SourceText, StringOffsets};
use super::matcher::{Builder, Expr};
use super::{Action, Filters, Rule, RuleFile, RuleSet, SentimentCondition, Watch};
use crate::analysis::fold::{fold_str, is_invisible};
use crate::analysis::query::{self, Query, Scope};
use crate::model::{Label, Lang, Severity, WatchSettings};

/// Largest compiled size of one `regex:` (bytes of the regex crate's program): big enough for any
/// hand-written pattern, small enough that a pasted monster cannot eat the daemon's memory.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;

const RULE_KEYS: &[&str] = &[
    "id",
    "name",
    "query",
    "severity",
    "action",
    "watch",
    "description",
    "languages",
    "sources",
    "tags",
    "authors",
    "sentiment",
    "min_score",
    "max_score",
];

const WATCH_KEYS: &[&str] = &[
    "id",
    "name",
    "query",
    "description",
    "languages",
    "sources",
    "tags",
    "authors",
    "detection",
];

const EVENT_KEYS: &[&str] = &["watch", "from", "until", "label"];

/// The known key closest to a mistyped one, if it is close enough to be what was meant.
fn suggest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    let lower = key.to_lowercase();
    known
        .iter()
        .map(|k| (distance(&lower, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: Spanned<String>,
    name: String,
    query: Spanned<String>,
    #[serde(default)]
    severity: Severity,
    #[serde(default)]
    action: Action,
    watch: Option<Spanned<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    languages: Vec<Spanned<String>>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    authors: Vec<String>,
    sentiment: Option<Spanned<String>>,
    min_score: Option<Spanned<f32>>,
    max_score: Option<Spanned<f32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchDef {
    id: Spanned<String>,
    name: Option<String>,
    query: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    languages: Vec<Spanned<String>>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    detection: WatchSettings,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventDef {
    watch: Spanned<String>,
    from: Spanned<String>,
    until: Spanned<String>,
    label: Spanned<String>,
}

/// A time of an `[[event]]`: absolute, or on the watch's clock (known once every watch is read).
#[derive(Debug, Clone, Copy)]
enum EventTime {
    Utc(chrono::DateTime<chrono::Utc>),
    Local(chrono::NaiveDateTime),
}

/// An `[[event]]` read, waiting for its watch: the errors to give if its watch is unknown, if a local
/// time does not exist on the watch's clock, or if it ends before it starts.
struct PendingEvent {
    watch: String,
    label: String,
    from: EventTime,
    until: EventTime,
    unknown_watch: RuleError,
    from_missing: RuleError,
    until_missing: RuleError,
    backwards: RuleError,
}

/// Compiles every rule and watch of these files into one [`RuleSet`].
///
/// # Errors
/// Every problem found in every file, each with its file, line and column; nothing is compiled then.
pub fn compile(files: &[RuleFile<'_>]) -> Result<RuleSet, Vec<RuleError>> {
    let mut c = Compiler::default();
    for file in files {
        c.file(&SourceText::new(file.name, file.text));
    }
    let mut result = c.finish();
    if let Err(errors) = &mut result {
        // In file order, then by place: the order a person fixes them in. The files are numbered once, not
        // looked for at each comparison.
        let number: HashMap<&str, usize> = files
            .iter()
            .enumerate()
            .rev()
            .map(|(i, f)| (f.name, i))
            .collect();
        errors.sort_by_cached_key(|e| {
            let at = e.location();
            let file = number.get(at.file.as_str()).copied().unwrap_or(usize::MAX);
            (file, at.line, at.column)
        });
    }
    result
}

#[derive(Default)]
struct Compiler {
    errors: Vec<RuleError>,
    builder: Builder,
    rules: Vec<Rule>,
    watches: Vec<Watch>,
    /// Every id seen, with where it was first defined.
    ids: HashMap<String, Location>,
    /// Rules naming a watch: (rule index, watch id, the error to give if there is no such watch).
    watch_refs: Vec<(usize, String, RuleError)>,
    /// `[[event]]` tables, given to their watch at the end.
    events: Vec<PendingEvent>,
}

impl Compiler {
    fn file(&mut self, src: &SourceText<'_>) {
        let (doc, errors) = DeTable::parse_recoverable(src.text);
        if !errors.is_empty() {
            for e in errors {
                let at = e.span().map_or(0, |s| s.start);
                self.errors.push(src.toml(at, e.message().trim_end()));
            }
            return;
        }
        let mut doc = doc.into_inner();
        // Tables in file order: the map is sorted by key, but `[[rule]]` and `[[watch]]` are arrays.
        let mut entries: Vec<_> = std::mem::take(&mut doc).into_iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (key, value) in entries {
            let key_span = key.span();
            match key.get_ref().as_ref() {
                "rule" => {
                    for item in self.tables(src, "rule", value) {
                        self.rule(src, item);
                    }
                }
                "watch" => {
                    for item in self.tables(src, "watch", value) {
                        self.watch(src, item);
                    }
                }
                "event" => {
                    for item in self.tables(src, "event", value) {
                        self.event(src, item);
                    }
                }
                other => self.errors.push(src.invalid(
                    key_span.start,
                    format!(
                        "unknown key `{other}`: a rule file holds `[[rule]]`, `[[watch]]` and `[[event]]` tables"
                    ),
                )),
            }
        }
    }

    /// The tables of an array of tables, or an error saying how to write one.
    fn tables<'i>(
        &mut self,
        src: &SourceText<'_>,
        name: &str,
        value: Spanned<DeValue<'i>>,
    ) -> Vec<Spanned<DeValue<'i>>> {
        let span = value.span();
        match value.into_inner() {
            DeValue::Array(items) if items.iter().all(|i| i.get_ref().is_table()) => {
                items.into_iter().collect()
            }
            _ => {
                self.errors.push(src.invalid(
                    span.start,
                    format!("`{name}` must be an array of tables: write each one under a `[[{name}]]` header"),
                ));
                Vec::new()
            }
        }
    }

    /// Deserializes one `[[rule]]` or `[[watch]]` table. Unknown keys are reported one by one (with a
    /// suggestion) and dropped first, so that a typo does not hide the other problems of the table; when the
    /// rest still does not deserialize, the query is checked anyway for the same reason.
    fn deserialize<T: for<'de> Deserialize<'de>>(
        &mut self,
        src: &SourceText<'_>,
        kind: &str,
        known: &[&str],
        item: Spanned<DeValue<'_>>,
    ) -> Option<T> {
        let span = item.span();
        let mut item = item;
        // The deserializer borrows from the item; owned values let `T` not borrow.
        item.get_mut().make_owned();
        let mut query = None;
        if let DeValue::Table(table) = item.get_mut() {
            let unknown: Vec<(usize, String)> = table
                .iter()
                .filter(|(k, _)| !known.contains(&k.get_ref().as_ref()))
                .map(|(k, _)| (k.span().start, k.get_ref().to_string()))
                .collect();
            for (_, key) in &unknown {
                table.remove(key.as_str());
            }
            for (at, key) in unknown {
                let hint = suggest(&key, known)
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                let list = known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.errors.push(src.invalid(
                    at,
                    format!("unknown key `{key}` in [[{kind}]]{hint}: expected one of {list}"),
                ));
            }
            if let Some(q) = table.get("query")
                && let Some(text) = q.get_ref().as_str()
            {
                query = Some(Spanned::new(q.span(), text.to_owned()));
            }
        }
        match T::deserialize(ValueDeserializer::from(item)) {
            Ok(def) => Some(def),
            Err(e) => {
                let at = e.span().map_or(span.start, |s| s.start);
                self.errors.push(src.invalid(at, e.message().trim_end()));
                if let Some(q) = query {
                    self.query(src, &q);
                }
                None
            }
        }
    }

    fn id(&mut self, src: &SourceText<'_>, id: &Spanned<String>) -> Option<Location> {
        let span = id.span();
        let value = id.get_ref();
        if value.is_empty()
            || !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            self.errors.push(src.invalid(
                span.start,
                format!("invalid id {value:?}: use letters, digits, `-`, `_` or `.`, e.g. \"acme-boycott\""),
            ));
            return None;
        }
        let at = src.location(span.start);
        if let Some(first) = self.ids.get(value) {
            let (at, snippet) = src.place(span.start);
            self.errors.push(RuleError::DuplicateId {
                at,
                id: value.clone(),
                first: first.clone(),
                snippet,
            });
            return None;
        }
        self.ids.insert(value.clone(), at.clone());
        Some(at)
    }

    fn filters(
        &mut self,
        src: &SourceText<'_>,
        langs: Vec<Spanned<String>>,
        sources: Vec<String>,
        tags: Vec<String>,
        authors: &[String],
    ) -> Filters {
        let mut languages = Vec::new();
        for l in langs {
            match l.get_ref().to_ascii_lowercase().as_str() {
                "fr" => languages.push(Lang::Fr),
                "en" => languages.push(Lang::En),
                "other" => languages.push(Lang::Other),
                other => self.errors.push(src.invalid(
                    l.span().start,
                    format!("unknown language {other:?}: expected \"fr\", \"en\" or \"other\""),
                )),
            }
        }
        Filters {
            languages,
            sources,
            tags,
            authors: authors.iter().map(|a| fold_str(a.trim())).collect(),
        }
    }

    fn sentiment(&mut self, src: &SourceText<'_>, def: &RuleDef) -> SentimentCondition {
        let label = def.sentiment.as_ref().and_then(|s| match s.get_ref().as_str() {
            "negative" | "neg" => Some(Label::Neg),
            "neutral" | "neu" => Some(Label::Neu),
            "positive" | "pos" => Some(Label::Pos),
            other => {
                self.errors.push(src.invalid(
                    s.span().start,
                    format!("unknown sentiment {other:?}: expected \"negative\", \"neutral\" or \"positive\""),
                ));
                None
            }
        });
        let mut score = |s: &Option<Spanned<f32>>, key: &str| {
            let s = s.as_ref()?;
            let v = *s.get_ref();
            if !(-1.0..=1.0).contains(&v) {
                self.errors.push(src.invalid(
                    s.span().start,
                    format!(
                        "`{key}` is a sentiment score: expected a number from -1 to 1, found {v}"
                    ),
                ));
                return None;
            }
            Some(v)
        };
        let min_score = score(&def.min_score, "min_score");
        let max_score = score(&def.max_score, "max_score");
        if let (Some(lo), Some(hi), Some(at)) = (min_score, max_score, def.min_score.as_ref())
            && lo > hi
        {
            self.errors.push(src.invalid(
                at.span().start,
                format!("`min_score` ({lo}) is above `max_score` ({hi}): no mention could match"),
            ));
        }
        SentimentCondition {
            label,
            min_score,
            max_score,
        }
    }

    fn rule(&mut self, src: &SourceText<'_>, item: Spanned<DeValue<'_>>) {
        let Some(def) = self.deserialize::<RuleDef>(src, "rule", RULE_KEYS, item) else {
            return;
        };
        let location = self.id(src, &def.id);
        let expr = self.query(src, &def.query);
        let sentiment = self.sentiment(src, &def);
        let filters = self.filters(src, def.languages, def.sources, def.tags, &def.authors);
        if let Some(w) = &def.watch {
            let err = src.invalid(
                w.span().start,
                format!(
                    "unknown watch `{}`: no `[[watch]]` has this id",
                    w.get_ref()
                ),
            );
            self.watch_refs
                .push((self.rules.len(), w.get_ref().clone(), err));
        }
        let before = self.errors.len();
        if def.name.trim().is_empty() {
            self.errors.push(src.invalid(
                def.id.span().start,
                "empty `name`: give the rule a name a person reads in alerts",
            ));
        }
        let (Some(location), Some(expr)) = (location, expr) else {
            return;
        };
        if self.errors.len() > before {
            return;
        }
        self.rules.push(Rule {
            id: def.id.into_inner(),
            name: def.name,
            description: def.description,
            query: def.query.into_inner(),
            severity: def.severity,
            action: def.action,
            watch: def.watch.map(Spanned::into_inner),
            filters,
            sentiment,
            location,
            expr,
        });
    }

    fn watch(&mut self, src: &SourceText<'_>, item: Spanned<DeValue<'_>>) {
        let Some(def) = self.deserialize::<WatchDef>(src, "watch", WATCH_KEYS, item) else {
            return;
        };
        let location = self.id(src, &def.id);
        let expr = self.query(src, &def.query);
        let filters = self.filters(src, def.languages, def.sources, def.tags, &def.authors);
        let (Some(location), Some(expr)) = (location, expr) else {
            return;
        };
        let id = def.id.into_inner();
        self.watches.push(Watch {
            name: def.name.unwrap_or_else(|| id.clone()),
            id,
            description: def.description,
            query: def.query.into_inner(),
            filters,
            detection: def.detection,
            location,
            expr,
        });
    }

    /// One `[[event]]`: its times are read now (RFC 3339, or `YYYY-MM-DD HH:MM` on the watch's clock), and
    /// it is given to its watch once every file is read.
    fn event(&mut self, src: &SourceText<'_>, item: Spanned<DeValue<'_>>) {
        let Some(def) = self.deserialize::<EventDef>(src, "event", EVENT_KEYS, item) else {
            return;
        };
        let mut time = |t: &Spanned<String>, key: &str| -> Option<EventTime> {
            let text = t.get_ref().trim();
            if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
                return Some(EventTime::Utc(at.to_utc()));
            }
            match chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
                Ok(local) => Some(EventTime::Local(local)),
                Err(_) => {
                    self.errors.push(src.invalid(
                        t.span().start,
                        format!(
                            "`{key}` = {text:?} is not a time: write \"2026-03-24 09:00\" (on the watch's clock) or \"2026-03-24T09:00:00+01:00\""
                        ),
                    ));
                    None
                }
            }
        };
        let from = time(&def.from, "from");
        let until = time(&def.until, "until");
        let label = def.label.get_ref().trim().to_owned();
        if label.is_empty() {
            self.errors.push(src.invalid(
                def.label.span().start,
                "empty `label`: give the event the name a person reads, e.g. \"Lancement Brioche Max\"",
            ));
            return;
        }
        let (Some(from), Some(until)) = (from, until) else {
            return;
        };
        let watch = def.watch.get_ref().clone();
        let missing = |t: &Spanned<String>, key: &str| {
            src.invalid(
                t.span().start,
                format!(
                    "`{key}` = {:?} does not exist on the clock of watch `{watch}` (a change to summer time skips it): pick another minute or give an offset",
                    t.get_ref()
                ),
            )
        };
        self.events.push(PendingEvent {
            unknown_watch: src.invalid(
                def.watch.span().start,
                format!("unknown watch `{watch}`: no `[[watch]]` has this id"),
            ),
            from_missing: missing(&def.from, "from"),
            until_missing: missing(&def.until, "until"),
            backwards: src.invalid(
                def.until.span().start,
                "`until` is not after `from`: the event would never be in force",
            ),
            watch,
            label,
            from,
            until,
        });
    }

    /// Gives each pending event to its watch, in the watch's time zone.
    fn place_events(&mut self) {
        for e in std::mem::take(&mut self.events) {
            let Some(w) = self.watches.iter_mut().find(|w| w.id == e.watch) else {
                self.errors.push(e.unknown_watch);
                continue;
            };
            let tz = w.detection.timezone.0;
            let utc = |t: EventTime| match t {
                EventTime::Utc(t) => Some(t),
                EventTime::Local(l) => {
                    use chrono::TimeZone as _;
                    tz.from_local_datetime(&l).earliest().map(|t| t.to_utc())
                }
            };
            let (Some(from), Some(until)) = (utc(e.from), utc(e.until)) else {
                if utc(e.from).is_none() {
                    self.errors.push(e.from_missing);
                }
                if utc(e.until).is_none() {
                    self.errors.push(e.until_missing);
                }
                continue;
            };
            if until <= from {
                self.errors.push(e.backwards);
                continue;
            }
            w.detection.events.push(crate::model::PlannedEvent {
                label: e.label,
                from,
                until,
            });
        }
    }

    /// Parses and lowers one query; errors point into the file.
    fn query(&mut self, src: &SourceText<'_>, q: &Spanned<String>) -> Option<Expr> {
        let span = q.span();
        let raw = src.text.get(span.clone()).unwrap_or("");
        let offsets = StringOffsets::new(raw, span.start, q.get_ref());
        let parsed = match query::parse(q.get_ref()) {
            Ok(p) => p,
            Err(e) => {
                self.errors
                    .push(src.query(offsets.file_offset(e.offset), e.message));
                return None;
            }
        };
        if parsed.matches_without_terms() {
            self.errors.push(src.query(
                offsets.file_offset(0),
                "this query can match a mention that contains none of its terms (only NOT, `-` or lang:): \
                 add a term the mention must contain",
            ));
            return None;
        }
        let before = self.errors.len();
        let expr = self.lower(src, &offsets, parsed);
        (self.errors.len() == before).then_some(expr)
    }

    fn lower(&mut self, src: &SourceText<'_>, offsets: &StringOffsets, q: Query) -> Expr {
        match q {
            Query::Phrase {
                atoms,
                scope: Scope::Author,
                ..
            } => Expr::Author(atoms),
            Query::Phrase { atoms, scope, .. } => Expr::Phrase {
                phrase: self.builder.phrase(atoms),
                scope,
            },
            Query::Regex {
                pattern,
                scope,
                span,
            } => match self.regex(&pattern, &span) {
                Ok(regex) => Expr::Regex {
                    regex: self.builder.regex(regex),
                    scope,
                },
                Err((at, message)) => {
                    self.errors
                        .push(src.query(offsets.file_offset(at), message));
                    Expr::Or(Vec::new())
                }
            },
            Query::Site { host, .. } => Expr::Site(host),
            Query::Lang { lang, .. } => Expr::Lang(lang),
            Query::Near {
                left,
                right,
                distance,
                ..
            } => {
                let mut side = |q: Query| -> Vec<(u32, Scope)> {
                    let items = match q {
                        Query::Or(items) => items,
                        one => vec![one],
                    };
                    items
                        .into_iter()
                        .filter_map(|i| match i {
                            Query::Phrase { atoms, scope, .. } => {
                                Some((self.builder.phrase(atoms), scope))
                            }
                            _ => None,
                        })
                        .collect()
                };
                let left = side(*left);
                let right = side(*right);
                Expr::Near {
                    left,
                    right,
                    distance,
                }
            }
            Query::And(items) => Expr::And(
                items
                    .into_iter()
                    .map(|i| self.lower(src, offsets, i))
                    .collect(),
            ),
            Query::Or(items) => Expr::Or(
                items
                    .into_iter()
                    .map(|i| self.lower(src, offsets, i))
                    .collect(),
            ),
            Query::Not(inner) => Expr::Not(Box::new(self.lower(src, offsets, *inner))),
        }
    }

    /// Compiles a `regex:` pattern with the size limit; an error gives the offset in the query.
    fn regex(&self, pattern: &str, span: &Range<usize>) -> Result<regex::Regex, (usize, String)> {
        // The pattern runs on folded text, where accented and upper-case letters no longer exist: a pattern
        // using them could never match, which is better said now than discovered during a crisis.
        if let Some(c) = pattern.chars().find(|&c| {
            !c.is_ascii() && c.is_alphabetic() && fold_str(&c.to_string()) != c.to_string()
        }) {
            return Err((
                span.start,
                format!(
                    "regex: runs on folded text (lower case, no accents): write {:?} instead of {c:?}",
                    fold_str(&c.to_string())
                ),
            ));
        }
        if pattern.chars().any(is_invisible) {
            return Err((
                span.start,
                "regex: contains an invisible character, which folded text never holds".into(),
            ));
        }
        regex::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT * 4)
            .build()
            .map_err(|e| {
                let message = match e {
                    regex::Error::CompiledTooBig(limit) => format!(
                        "regex: is too big once compiled (over {limit} bytes): split it into several terms or rules"
                    ),
                    regex::Error::Syntax(s) => {
                        // The regex crate's message is multi-line with its own caret; keep its last line.
                        let last = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
                        format!("invalid regex: {}", last.trim_start_matches("error: "))
                    }
                    other => format!("invalid regex: {other}"),
                };
                (span.start, message)
            })
    }

    fn finish(mut self) -> Result<RuleSet, Vec<RuleError>> {
        self.place_events();
        let watch_index: HashMap<&str, u32> = self
            .watches
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id.as_str(), i as u32))
            .collect();
        let mut rule_watch = vec![None; self.rules.len()];
        for (rule, id, err) in std::mem::take(&mut self.watch_refs) {
            match watch_index.get(id.as_str()) {
                // A rule that failed to compile has no slot; the compilation fails anyway then.
                Some(&w) => {
                    if let Some(slot) = rule_watch.get_mut(rule) {
                        *slot = Some(w);
                    }
                }
                None => self.errors.push(err),
            }
        }
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let targets: Vec<&Expr> = self
            .rules
            .iter()
            .map(|r| &r.expr)
            .chain(self.watches.iter().map(|w| &w.expr))
            .collect();
        let matcher = self.builder.build(&targets, self.rules.len(), rule_watch);
        let by_id = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Ok(RuleSet {
            rules: self.rules,
            watches: self.watches,
            by_id,
            matcher,
        })
    }
}
