//! A page of mentions matching a search, in keyset order (newest first), for the console and its CSV.
//!
//! In: the store, the search as a person typed it (the rules' query language: words, `"phrases"`, `AND`,
//! `OR`, `NOT`, `-`, `prefix*`, `title:`, `site:`…, folded as the rules fold text: case, accents and elisions
//! do not matter), a cursor, a page size. Out: the mentions and the cursor of the next page. The text never
//! reaches SQL: rows are read in keyset order and matched by the rules' own matcher.

use serde::Serialize;

use crate::analysis::fold::fold;
use crate::analysis::rules::{FieldText, MentionView, RuleFile, RuleSet, compile};
use crate::store::console::MentionScope;
use crate::store::search::Cursor;
use crate::store::{Result, Store, StoredMention};

/// How many rows one page may read before it stops and offers the next (a rare word must not make one
/// request read the whole database).
pub const SCAN_LIMIT: usize = 20_000;

/// A search as the matcher runs it.
pub struct Search {
    rules: Option<RuleSet>,
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
            return Ok(Search { rules: None });
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
        Ok(Search { rules: Some(set) })
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
    /// Up to `size` mentions in `scope` matching `search`, older than `after`.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load(
        store: &Store,
        search: &Search,
        scope: &MentionScope,
        after: Option<Cursor>,
        size: usize,
    ) -> Result<MentionPage> {
        let mut out = Vec::new();
        let mut cursor = after;
        let mut read = 0;
        let batch = if search.rules.is_none() { size } else { 500 };
        loop {
            let rows = if scope.is_everything() {
                store.mentions_page(cursor, batch)?
            } else {
                store.mentions_page_in(scope, cursor, batch)?
            };
            let exhausted = rows.len() < batch;
            for (c, m) in rows {
                read += 1;
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
            if read >= SCAN_LIMIT {
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
}
