//! A page of mentions matching a search, in keyset order (newest first), for the console and its CSV.
//!
//! In: the store, the search as a person typed it (the rules' query language: words, `"phrases"`, `AND`,
//! `OR`, `NOT`, `-`, `prefix*`, `title:`, `site:`…, folded as the rules fold text: case, accents and elisions
//! do not matter), a cursor, a page size. Out: the mentions and the cursor of the next page.
//!
//! The store's full-text index finds the candidates (`narrow` turns the parsed search into a
//! [`TextQuery`] of folded words: what the index can say of words, phrases, prefixes, fields, `AND`, `OR`
//! and `NOT`), and the rules' own matcher confirms each one, so what the index cannot say (`NEAR/n` as the
//! rules count words, `site:`, `lang:`, `regex:`) still holds exactly. A search the index cannot narrow at
//! all (`lang:fr` alone, `NOT x` alone), or a database whose index is still being back-filled, reads rows in
//! keyset order and matches each. The text never reaches SQL as text either way.

use serde::Serialize;

use crate::analysis::fold::fold;
use crate::analysis::query::{self, Query, Scope};
use crate::analysis::rules::{FieldText, MentionView, RuleFile, RuleSet, compile};
use crate::store::console::MentionScope;
use crate::store::search::{Cursor, TextFields, TextQuery};
use crate::store::{Result, Store, StoredMention};

/// How many rows one page may read before it stops and offers the next (a rare word must not make one
/// request read the whole database).
pub const SCAN_LIMIT: usize = 20_000;

/// A search as the matcher runs it, with what the full-text index can narrow it to.
pub struct Search {
    rules: Option<RuleSet>,
    /// Candidates the index finds; `None` when it cannot narrow the search.
    narrowed: Option<TextQuery>,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search")
            .field("empty", &self.rules.is_none())
            .finish()
    }
}

/// Why a search cannot run: the parser's message (offset and what it expected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchError(pub String);

impl Search {
    /// Compiles `q`; an empty `q` matches everything.
    ///
    /// # Errors
    /// When `q` is not a valid query.
    pub fn parse(q: &str) -> std::result::Result<Search, SearchError> {
        if q.trim().is_empty() {
            return Ok(Search {
                rules: None,
                narrowed: None,
            });
        }
        #[derive(Serialize)]
        struct File<'a> {
            rule: [RuleToml<'a>; 1],
        }
        #[derive(Serialize)]
        struct RuleToml<'a> {
            id: &'a str,
            name: &'a str,
            query: &'a str,
        }
        let text = toml::to_string(&File {
            rule: [RuleToml {
                id: "search",
                name: "search",
                query: q,
            }],
        })
        .map_err(|e| SearchError(e.to_string()))?;
        let set = compile(&[RuleFile {
            name: "search",
            text: &text,
        }])
        .map_err(|errors| {
            // The first line says what is wrong; the position in the generated rule file means nothing to
            // the person who typed the search.
            let text = errors.first().map(|e| e.to_string()).unwrap_or_default();
            let line = text.lines().next().unwrap_or_default();
            SearchError(line.splitn(4, ':').nth(3).unwrap_or(line).trim().to_owned())
        })?;
        // The rule compiled, so the query parses; the same text gives the same tree.
        let narrowed = query::parse(q).ok().and_then(|q| match narrow(&q) {
            Narrowed::Text { query, .. } => Some(query),
            Narrowed::Everything => None,
        });
        Ok(Search {
            rules: Some(set),
            narrowed,
        })
    }

    /// Whether mention `m` matches.
    pub fn matches(&self, m: &StoredMention) -> bool {
        let Some(set) = &self.rules else {
            return true;
        };
        let title = m.title.as_deref().map(fold);
        let text = fold(&m.text);
        let site = m
            .link
            .as_deref()
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|u| u.host_str().map(str::to_owned));
        let view = MentionView {
            title: m
                .title
                .as_deref()
                .zip(title.as_ref())
                .map(|(o, f)| FieldText {
                    original: o,
                    folded: f,
                }),
            text: FieldText {
                original: &m.text,
                folded: &text,
            },
            author: m.author.as_deref(),
            site: site.as_deref(),
            lang: Some(m.lang),
            source: &m.source,
            tags: &[],
            sentiment: None,
        };
        !set.matches(&view).is_empty()
    }
}

/// What the full-text index can say of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Narrowed {
    /// Nothing: the query may match mentions that hold none of its words.
    Everything,
    /// Every match is among what `query` finds; `exact` when the two are the same set, which is what
    /// lets a `NOT` of it subtract.
    Text { query: TextQuery, exact: bool },
}

/// The full-text query whose results hold every mention `q` matches (see [`Narrowed`]).
///
/// Words and phrases in a field are exact: the index holds the words of each field as the matcher reads
/// them. `NEAR/n` becomes both sides (the matcher then counts the words between); `site:`, `lang:` and
/// `regex:` narrow nothing; `NOT x` subtracts `x` from the other parts of an `AND` when `x` is exact, and
/// alone narrows nothing.
pub(crate) fn narrow(q: &Query) -> Narrowed {
    match q {
        Query::Phrase { atoms, scope, .. } => Narrowed::Text {
            query: TextQuery::Phrase {
                fields: match scope {
                    Scope::Any => TextFields::TitleOrText,
                    Scope::Title => TextFields::Title,
                    Scope::Text => TextFields::Text,
                    Scope::Author => TextFields::Author,
                },
                words: atoms.iter().map(|a| (a.word.clone(), a.prefix)).collect(),
            },
            exact: true,
        },
        Query::Regex { .. } | Query::Site { .. } | Query::Lang { .. } | Query::Not(_) => {
            Narrowed::Everything
        }
        Query::Near { left, right, .. } => match (narrow(left), narrow(right)) {
            (Narrowed::Text { query: l, .. }, Narrowed::Text { query: r, .. }) => Narrowed::Text {
                query: TextQuery::And(vec![l, r]),
                exact: false,
            },
            (Narrowed::Text { query, .. }, Narrowed::Everything)
            | (Narrowed::Everything, Narrowed::Text { query, .. }) => Narrowed::Text {
                query,
                exact: false,
            },
            (Narrowed::Everything, Narrowed::Everything) => Narrowed::Everything,
        },
        Query::And(items) => {
            let mut exact = true;
            let (mut with, mut without) = (Vec::new(), Vec::new());
            for item in items {
                match item {
                    Query::Not(inner) => match narrow(inner) {
                        Narrowed::Text { query, exact: true } => without.push(query),
                        _ => exact = false,
                    },
                    _ => match narrow(item) {
                        Narrowed::Text { query, exact: e } => {
                            exact &= e;
                            with.push(query);
                        }
                        Narrowed::Everything => exact = false,
                    },
                }
            }
            let query = match with.len() {
                0 => return Narrowed::Everything,
                1 => with.remove(0),
                _ => TextQuery::And(with),
            };
            let query = match without.len() {
                0 => query,
                1 => TextQuery::AndNot(Box::new(query), Box::new(without.remove(0))),
                _ => TextQuery::AndNot(Box::new(query), Box::new(TextQuery::Or(without))),
            };
            Narrowed::Text { query, exact }
        }
        Query::Or(items) => {
            let mut exact = true;
            let mut any = Vec::with_capacity(items.len());
            for item in items {
                match narrow(item) {
                    Narrowed::Text { query, exact: e } => {
                        exact &= e;
                        any.push(query);
                    }
                    Narrowed::Everything => return Narrowed::Everything,
                }
            }
            Narrowed::Text {
                query: TextQuery::Or(any),
                exact,
            }
        }
    }
}

/// One page of a search.
#[derive(Debug, Clone)]
pub struct MentionPage {
    pub mentions: Vec<StoredMention>,
    /// Where the next page starts; `None` when the database has no older row.
    pub next: Option<Cursor>,
    /// Whether the page stopped at [`SCAN_LIMIT`] rows read, not at its size.
    pub scan_capped: bool,
}

impl MentionPage {
    /// Up to `size` mentions matching `search`, older than `after`: the full-text index's candidates
    /// when it can narrow the search and is complete, otherwise every row in turn.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load(
        store: &Store,
        search: &Search,
        after: Option<Cursor>,
        size: usize,
    ) -> Result<MentionPage> {
        match &search.narrowed {
            Some(query) if store.search_index_ready()? => {
                Self::collect(search, after, size, |c, n| {
                    store.mentions_found(query, c, n)
                })
            }
            _ => Self::load_by_scan(store, search, after, size),
        }
    }

    /// [`MentionPage::load`] within `scope` (the console's filters): without a filter, the same; with
    /// one, every row of the scope in keyset order (its filters bound in SQL), each matched.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load_in(
        store: &Store,
        search: &Search,
        scope: &MentionScope,
        after: Option<Cursor>,
        size: usize,
    ) -> Result<MentionPage> {
        if scope.is_everything() {
            return Self::load(store, search, after, size);
        }
        Self::collect(search, after, size, |c, n| {
            store.mentions_page_in(scope, c, n)
        })
    }

    /// [`MentionPage::load`] without the index: every row in keyset order, each matched.
    ///
    /// # Errors
    /// On SQLite failure.
    pub(crate) fn load_by_scan(
        store: &Store,
        search: &Search,
        after: Option<Cursor>,
        size: usize,
    ) -> Result<MentionPage> {
        Self::collect(search, after, size, |c, n| store.mentions_page(c, n))
    }

    /// Reads candidates in batches from `read` (rows older than a cursor, newest first) and keeps those
    /// the search matches, until the page is full, the rows end, or [`SCAN_LIMIT`] rows were read.
    fn collect(
        search: &Search,
        after: Option<Cursor>,
        size: usize,
        read: impl Fn(Option<Cursor>, usize) -> Result<Vec<(Cursor, StoredMention)>>,
    ) -> Result<MentionPage> {
        let mut out = Vec::new();
        let mut cursor = after;
        let mut seen = 0;
        // A narrowed search's candidates nearly all match: read about a page at a time.
        let batch = if search.rules.is_none() || search.narrowed.is_some() {
            size.clamp(1, 500)
        } else {
            500
        };
        loop {
            let rows = read(cursor, batch)?;
            let exhausted = rows.len() < batch;
            for (c, m) in rows {
                seen += 1;
                cursor = Some(c);
                if search.matches(&m) {
                    out.push(m);
                    if out.len() == size {
                        return Ok(MentionPage {
                            mentions: out,
                            next: cursor,
                            scan_capped: false,
                        });
                    }
                }
            }
            if exhausted {
                return Ok(MentionPage {
                    mentions: out,
                    next: None,
                    scan_capped: false,
                });
            }
            if seen >= SCAN_LIMIT {
                return Ok(MentionPage {
                    mentions: out,
                    next: cursor,
                    scan_capped: true,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention(title: &str, text: &str) -> StoredMention {
        StoredMention {
            key: 1,
            id: "g".into(),
            source: "s".into(),
            link: Some("https://presse.example/a".into()),
            title: Some(title.into()),
            text: text.into(),
            author: None,
            published: None,
            fetched: chrono::DateTime::default(),
            lang: crate::model::Lang::Fr,
            score: 0.0,
            label: crate::model::Label::Neu,
            matches: Vec::new(),
            kind: crate::model::SourceKind::Feed,
            author_handle: None,
            author_followers: None,
            likes: None,
            reposts: None,
            replies: None,
            points: None,
            story: 1,
            medium: None,
        }
    }

    #[test]
    fn search_folds_accents_and_elisions_and_reads_operators() {
        let m = mention("L'Été de Brioche", "Appel au boycott des brioches");
        assert!(Search::parse("ete").unwrap().matches(&m));
        assert!(Search::parse("\"appel au boycott\"").unwrap().matches(&m));
        assert!(Search::parse("brioche AND boycott").unwrap().matches(&m));
        assert!(!Search::parse("brioche -boycott").unwrap().matches(&m));
        assert!(Search::parse("site:presse.example").unwrap().matches(&m));
        assert!(Search::parse("").unwrap().matches(&m));
        let e = Search::parse("(brioche").unwrap_err();
        assert!(
            !e.0.contains("query =") && !e.0.starts_with("search"),
            "{e:?}"
        );
    }

    #[test]
    fn quotes_in_a_search_stay_text() {
        // A search with TOML or SQL quote characters is a query like any other, never code.
        let m = mention("a", "it's ' OR 1=1 --");
        assert!(!Search::parse("\"1 1 1\"").unwrap().matches(&m));
        assert!(Search::parse("\"or 1 1\"").unwrap().matches(&m));
    }

    use crate::model::{Analysis, Mention, SourceState};
    use crate::store::{AnalysedMention, Poll};

    const VOCAB: &[&str] = &[
        "Acme",
        "acme",
        "ACMÉ",
        "boycott",
        "boycotter",
        "Boycottage",
        "l'été",
        "L’Été",
        "été",
        "d'Acme",
        "#acme",
        "@Acme",
        "appel",
        "au",
        "cœur",
        "coeur",
        "panne",
        "réseau",
        "reseau",
        "fibre",
        "«",
        "!",
        "prix",
        "cher",
        "qu'il",
        "NOT",
        "OR",
        "AND",
        "near",
    ];

    fn words(rng: &mut fastrand::Rng, n: usize) -> String {
        let mut s = String::new();
        for _ in 0..n {
            if !s.is_empty() {
                s.push(if rng.bool() { ' ' } else { '\n' });
            }
            s.push_str(VOCAB[rng.usize(..VOCAB.len())]);
        }
        s
    }

    /// A database of `n` mentions built from [`VOCAB`], written through the store as the daemon writes.
    fn corpus(dir: &std::path::Path, n: usize, seed: u64) -> Store {
        let mut store = Store::open(&dir.join("v.db")).unwrap();
        let mut rng = fastrand::Rng::with_seed(seed);
        let mentions = (0..n)
            .map(|i| AnalysedMention {
                mention: Mention {
                    source: format!("s{}", i % 3),
                    id: format!("g{i}"),
                    link: Some(format!("https://site{}.example/{i}", i % 4)),
                    title: rng.bool().then(|| words(&mut rng, 4)),
                    text: words(&mut rng, 12),
                    author: rng.bool().then(|| words(&mut rng, 2)),
                    lang: None,
                    // Out of order on purpose, some before 1970, many sharing a second.
                    published: rng.bool().then(|| {
                        crate::store::from_ts(rng.i64(-1_000_000..2_000_000_000) / 1000 * 1000)
                    }),
                    fetched: crate::store::from_ts(1_700_000_000 + rng.i64(0..50)),
                    story: 1,
                    kind: crate::model::SourceKind::Feed,
                    reach: crate::model::Reach::default(),
                },
                analysis: Analysis::default(),
            })
            .collect();
        store
            .write_poll(&Poll {
                state: SourceState {
                    name: "s".into(),
                    url: "s.xml".into(),
                    ..SourceState::default()
                },
                mentions,
            })
            .unwrap();
        store
    }

    /// Every page of `q`, `size` at a time, through `load`.
    fn all_pages(
        store: &Store,
        search: &Search,
        size: usize,
        load: fn(&Store, &Search, Option<Cursor>, usize) -> Result<MentionPage>,
    ) -> Vec<i64> {
        let mut keys = Vec::new();
        let mut after = None;
        loop {
            let page = load(store, search, after, size).unwrap();
            assert!(!page.scan_capped);
            keys.extend(page.mentions.iter().map(|m| m.key));
            match page.next {
                Some(c) => after = Some(c),
                None => return keys,
            }
        }
    }

    fn random_query(rng: &mut fastrand::Rng, depth: usize) -> String {
        let term = |rng: &mut fastrand::Rng| {
            let w = VOCAB[rng.usize(..VOCAB.len())].replace(['«', '!'], "");
            let w = if w.is_empty() { "acme".to_owned() } else { w };
            match rng.usize(..8) {
                0 => format!("\"{w} {}\"", VOCAB[rng.usize(..4)]),
                1 if w.chars().count() > 4 => format!("{}*", w.chars().take(4).collect::<String>()),
                2 => format!("title:\"{w}\""),
                3 => format!("author:\"{w}\""),
                5 | 6 if !["NOT", "OR", "AND"].contains(&w.as_str()) => w,
                4 => format!("text:\"{w}\""),
                _ => format!("\"{w}\""),
            }
        };
        if depth == 0 {
            return term(rng);
        }
        match rng.usize(..8) {
            0 => format!(
                "{} AND {}",
                random_query(rng, depth - 1),
                random_query(rng, depth - 1)
            ),
            1 => format!(
                "({} OR {})",
                random_query(rng, depth - 1),
                random_query(rng, depth - 1)
            ),
            2 => format!("{} -{}", random_query(rng, depth - 1), term(rng)),
            3 => format!("{} NOT ({})", term(rng), random_query(rng, depth - 1)),
            4 => format!("{} NEAR/{} {}", term(rng), rng.u32(0..4), term(rng)),
            5 => format!(
                "{} site:site{}.example",
                random_query(rng, depth - 1),
                rng.u8(..4)
            ),
            6 => format!("NOT {}", term(rng)),
            _ => term(rng),
        }
    }

    /// The index must find exactly what reading every row finds, in the same order, page after page:
    /// words, phrases, prefixes, fields, AND, OR, NOT, NEAR and site:, over accents, elisions, case,
    /// hashtags, titles and authors absent, times before 1970 and many mentions in one second.
    #[test]
    fn the_index_finds_what_the_matcher_finds() {
        let dir = tempfile::tempdir().unwrap();
        let store = corpus(dir.path(), 600, 11);
        assert!(store.search_index_ready().unwrap());
        let mut rng = fastrand::Rng::with_seed(5);
        let (mut narrowed, mut found) = (0, 0);
        for _ in 0..300 {
            let depth = rng.usize(..3);
            let q = random_query(&mut rng, depth);
            // The generator may write what the language refuses (author: beside NEAR): skip it.
            let Ok(search) = Search::parse(&q) else {
                continue;
            };
            narrowed += usize::from(search.narrowed.is_some());
            let size = rng.usize(1..40);
            let by_index = all_pages(&store, &search, size, MentionPage::load);
            let by_scan = all_pages(&store, &search, size, MentionPage::load_by_scan);
            assert_eq!(
                by_index,
                by_scan,
                "{q} (fts: {:?})",
                search.narrowed.as_ref().map(TextQuery::to_fts)
            );
            found += usize::from(!by_index.is_empty());
        }
        // The comparison means something: most searches went through the index, and most found mentions.
        assert!(narrowed > 200, "{narrowed}");
        assert!(found > 150, "{found}");
    }

    /// A search holding FTS5's own syntax (column filters, NEAR(), ^, +, quotes, parentheses in words,
    /// SQL comment and quote characters) is the rules' query language and nothing else: it runs, and
    /// finds what the matcher finds.
    #[test]
    fn fts_syntax_in_a_search_is_inert() {
        let dir = tempfile::tempdir().unwrap();
        let store = corpus(dir.path(), 200, 3);
        for q in [
            "{title text}:acme",
            "title : acme",
            "NEAR(acme boycott, 2)",
            "^acme",
            "acme + boycott",
            "\"acme\" \"\" OR boycott",
            "acme' OR 1=1 --",
            "mention_fts:acme",
            "acme\"*",
            "a*b",
            "\"panne\" AND \"fibre\" NOT \"x\"\" OR \"\"y\"",
            "rowid:1",
            "*",
        ] {
            match Search::parse(q) {
                Ok(search) => assert_eq!(
                    all_pages(&store, &search, 25, MentionPage::load),
                    all_pages(&store, &search, 25, MentionPage::load_by_scan),
                    "{q}"
                ),
                // Refused by the rules' parser, with its message: never an SQL or FTS5 error.
                Err(e) => assert!(
                    !e.0.to_lowercase().contains("fts5") && !e.0.contains("SQL"),
                    "{q}: {e:?}"
                ),
            }
        }
    }

    /// A database stored before the index existed: searches read every row until the writer's back-fill
    /// is complete, then find the same mentions through the index.
    #[test]
    fn back_fill_completes_and_searches_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = corpus(dir.path(), 500, 8);
        let search = Search::parse("boycott* OR \"l'ete\"").unwrap();
        let expected = all_pages(&store, &search, 10, MentionPage::load_by_scan);
        assert!(!expected.is_empty());
        store.forget_search_index_for_tests();
        assert!(!store.search_index_ready().unwrap());
        assert_eq!(all_pages(&store, &search, 10, MentionPage::load), expected);
        let mut batches = 0;
        while store.search_backfill(64).unwrap() {
            batches += 1;
            assert!(batches < 100, "the back-fill does not end");
        }
        assert_eq!(batches, 500 / 64);
        assert!(store.search_index_ready().unwrap());
        assert_eq!(all_pages(&store, &search, 10, MentionPage::load), expected);
        // A second run has nothing to do, and indexes nothing twice.
        assert!(!store.search_backfill(64).unwrap());
        assert_eq!(all_pages(&store, &search, 10, MentionPage::load), expected);
    }

    #[test]
    fn pruned_mentions_leave_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = corpus(dir.path(), 300, 4);
        let search = Search::parse("acme OR boycott").unwrap();
        let before = all_pages(&store, &search, 50, MentionPage::load);
        store.prune(crate::store::from_ts(1_000_000_000)).unwrap();
        let after = all_pages(&store, &search, 50, MentionPage::load);
        assert!(after.len() < before.len() && !after.is_empty());
        assert_eq!(
            after,
            all_pages(&store, &search, 50, MentionPage::load_by_scan)
        );
        assert_eq!(
            store.search_index_entries_for_tests(),
            store.mention_count().unwrap()
        );
    }
}
