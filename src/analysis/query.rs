//! The query language of watch rules: what a communications analyst writes in `query = "…"`.
//!
//! In: the text of one query. Out: a [`Query`] tree whose leaves are already folded (see
//! [`crate::analysis::fold`]), or a [`QueryError`] with the byte offset in the query where the parser gave
//! up and what it expected there. Called by the rule compiler ([`crate::analysis::rules`]), which turns the
//! offset into a file, line and column.
//!
//! The language, as Talkwalker, Brandwatch or Google Alerts users expect it:
//!
//! - `acme`, `"appel au boycott"`: a word, an exact phrase (consecutive words). Folded like the text:
//!   case, accents, `œ`/`æ`, apostrophes, elisions, `#`/`@` and full-width letters do not matter.
//! - `boycott*`: prefix wildcard (at least three letters before the `*`); also inside phrases.
//! - `a AND b`, `a b` (implicit AND), `a OR b`, `NOT a`, `-a`, parentheses. Operators are upper case;
//!   `and`, `or`, `not` in lower case are ordinary words.
//! - `a NEAR/5 b`: `a` and `b` (terms, phrases or parenthesised `OR`s of them) in the same field, with at
//!   most 5 words between them, in either order.
//! - Scopes: `title:`, `text:`, `author:` before a term, a phrase or a group; `site:acme.fr` (the link's
//!   host or a sub-domain of it); `lang:fr` (`fr`, `en` or `other`).
//! - `regex:/…/`: a Rust regular expression run on the *folded* title and text (lower case, no accents).
//!
//! Precedence, tightest first: `NOT`/`-`, then `NEAR/n`, then `AND` (written or implicit), then `OR`.
//! So `a OR b c` is `a OR (b AND c)` and `a b NOT c` is `a AND b AND (NOT c)`.
//!
//! Parentheses and `NOT`/`-` nest at most [`MAX_DEPTH`] levels deep; deeper is an error at the token that
//! goes one level too far, so that nothing downstream recurses without a bound.

use std::ops::Range;

use crate::analysis::fold::fold;
use crate::model::Lang;

/// Fewest folded characters a prefix wildcard needs: `bo*` would match half the dictionary.
pub const MIN_WILDCARD_PREFIX: usize = 3;

/// Largest `n` of `NEAR/n`.
pub const MAX_NEAR: u32 = 100;

/// Deepest nesting of parentheses and `NOT`/`-` a query may have. The parser, the compiler and the matcher
/// walk a query's tree recursively: a bound keeps a hostile or mangled rule file (6,000 parentheses) from
/// overflowing the stack of the daemon that reloads it, and no person writes more than a handful of levels.
pub const MAX_DEPTH: usize = 64;

/// Where a word or phrase is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The title or the text.
    Any,
    Title,
    Text,
    Author,
}

/// One folded word of a term or phrase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Atom {
    /// Folded: lower case, no accents, letters and digits only.
    pub word: String,
    /// `boycott*`: any word starting with `word`.
    pub prefix: bool,
}

/// A parsed query. Leaves keep their byte range in the query text for error messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// A word or a phrase: consecutive folded words.
    Phrase {
        atoms: Vec<Atom>,
        scope: Scope,
        span: Range<usize>,
    },
    /// `regex:/…/`; the pattern is not compiled here (the compiler does it, with a size limit).
    Regex {
        pattern: String,
        scope: Scope,
        span: Range<usize>,
    },
    /// `site:host`, host lower-cased.
    Site {
        host: String,
        span: Range<usize>,
    },
    /// `lang:fr`.
    Lang {
        lang: Lang,
        span: Range<usize>,
    },
    /// `left NEAR/distance right`; each side is a `Phrase` or an `Or` of phrases.
    Near {
        left: Box<Query>,
        right: Box<Query>,
        distance: u32,
        span: Range<usize>,
    },
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
}

impl Query {
    /// Whether the query can be true of a mention that contains none of its terms, phrases, regexes,
    /// authors or sites (`NOT x`, `lang:fr`, `a OR NOT b`): such a query would match nearly everything.
    pub fn matches_without_terms(&self) -> bool {
        match self {
            Query::Phrase { .. }
            | Query::Regex { .. }
            | Query::Site { .. }
            | Query::Near { .. } => false,
            Query::Lang { .. } | Query::Not(_) => true,
            Query::And(items) => items.iter().all(Query::matches_without_terms),
            Query::Or(items) => items.iter().any(Query::matches_without_terms),
        }
    }
}

/// A query the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset} of the query)")]
pub struct QueryError {
    /// Byte offset in the query text.
    pub offset: usize,
    /// What went wrong, and what was expected.
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError {
        offset,
        message: message.into(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    /// `-` glued to what follows.
    Minus,
    Near(u32),
    Word(String),
    Phrase(String),
    /// `title:`, `text:`, `author:`, `site:`, `lang:` (the name, lower case).
    Scope(&'static str),
    Regex(String),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    span: Range<usize>,
}

const FIELDS: [&str; 5] = ["title", "text", "author", "site", "lang"];

fn is_word_end(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

fn lex(q: &str) -> Result<Vec<Token>, QueryError> {
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = q.as_bytes();
    while i < q.len() {
        let c = q[i..].chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        let start = i;
        match c {
            '(' => {
                out.push(Token {
                    tok: Tok::LParen,
                    span: i..i + 1,
                });
                i += 1;
            }
            ')' => {
                out.push(Token {
                    tok: Tok::RParen,
                    span: i..i + 1,
                });
                i += 1;
            }
            '"' | '“' | '”' | '«' | '»' => {
                // Typographic quotes are what a word processor puts in a pasted query.
                let open = c.len_utf8();
                let rest = &q[i + open..];
                let close = rest.find(['"', '“', '”', '«', '»']);
                let Some(close) = close else {
                    return err(
                        start,
                        "unclosed quote: expected a closing `\"` after the phrase",
                    );
                };
                let body = &rest[..close];
                let close_len = rest[close..].chars().next().map_or(1, char::len_utf8);
                let end = i + open + close + close_len;
                out.push(Token {
                    tok: Tok::Phrase(body.to_owned()),
                    span: start..end,
                });
                i = end;
            }
            '-' if q[i + 1..]
                .chars()
                .next()
                .is_some_and(|n| !n.is_whitespace() && n != ')' && n != '-') =>
            {
                out.push(Token {
                    tok: Tok::Minus,
                    span: i..i + 1,
                });
                i += 1;
            }
            _ => {
                // A field name glued to a colon?
                let ident_len = bytes[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphabetic())
                    .count();
                if ident_len > 0 && bytes.get(i + ident_len) == Some(&b':') {
                    let ident = q[i..i + ident_len].to_ascii_lowercase();
                    let after = i + ident_len + 1;
                    if ident == "regex" {
                        if bytes.get(after) != Some(&b'/') {
                            return err(
                                after,
                                "expected `/` after `regex:`: write `regex:/pattern/`",
                            );
                        }
                        let mut j = after + 1;
                        let mut pattern = String::new();
                        let mut closed = false;
                        while j < q.len() {
                            let ch = q[j..].chars().next().unwrap_or(' ');
                            if ch == '\\' && q[j + 1..].starts_with('/') {
                                pattern.push('/');
                                j += 2;
                                continue;
                            }
                            if ch == '/' {
                                closed = true;
                                j += 1;
                                break;
                            }
                            pattern.push(ch);
                            j += ch.len_utf8();
                        }
                        if !closed {
                            return err(
                                start,
                                "unclosed regex: expected a closing `/` (write `\\/` for a slash)",
                            );
                        }
                        out.push(Token {
                            tok: Tok::Regex(pattern),
                            span: start..j,
                        });
                        i = j;
                        continue;
                    }
                    if let Some(field) = FIELDS.iter().find(|f| **f == ident) {
                        out.push(Token {
                            tok: Tok::Scope(field),
                            span: start..after,
                        });
                        i = after;
                        continue;
                    }
                    if !q[after..].starts_with("//") {
                        return err(
                            start,
                            format!(
                                "unknown field `{}:`: expected one of title:, text:, author:, site:, lang:, regex:",
                                &q[i..i + ident_len]
                            ),
                        );
                    }
                }
                let len = q[i..].find(is_word_end).unwrap_or(q.len() - i);
                let word = &q[i..i + len];
                let tok = match word {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    _ if word.starts_with("NEAR") => {
                        let Some(n) = word.strip_prefix("NEAR/") else {
                            return err(start, "expected a distance after NEAR, e.g. `NEAR/5`");
                        };
                        match n.parse::<u32>() {
                            Ok(d) if d <= MAX_NEAR => Tok::Near(d),
                            _ => {
                                return err(
                                    start + 5,
                                    format!(
                                        "expected a number of words from 0 to {MAX_NEAR} after `NEAR/`"
                                    ),
                                );
                            }
                        }
                    }
                    _ => Tok::Word(word.to_owned()),
                };
                out.push(Token {
                    tok,
                    span: start..start + len,
                });
                i += len;
            }
        }
    }
    out.push(Token {
        tok: Tok::End,
        span: q.len()..q.len(),
    });
    Ok(out)
}

/// Folds the raw text of a term or phrase into atoms. A trailing `*` on a whitespace-separated chunk makes
/// the last word of that chunk a prefix.
fn atoms_of(raw: &str, offset: usize) -> Result<Vec<Atom>, QueryError> {
    let mut atoms = Vec::new();
    let mut pos = 0;
    for chunk in raw.split(char::is_whitespace) {
        let chunk_at = offset + pos;
        pos += chunk.len()
            + raw[pos + chunk.len()..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
        if chunk.is_empty() {
            continue;
        }
        let (body, prefix) = match chunk.strip_suffix('*') {
            Some(b) => (b, true),
            None => (chunk, false),
        };
        if let Some(star) = body.find('*') {
            return err(
                chunk_at + star,
                "a wildcard `*` may only end a word, as in `boycott*`",
            );
        }
        let folded = fold(body);
        let mut words: Vec<Atom> = folded
            .words()
            .map(|w| Atom {
                word: folded.word(w).to_owned(),
                prefix: false,
            })
            .collect();
        if prefix {
            match words.last_mut() {
                Some(last) if last.word.chars().count() >= MIN_WILDCARD_PREFIX => {
                    last.prefix = true
                }
                _ => {
                    return err(
                        chunk_at,
                        format!(
                            "a wildcard needs at least {MIN_WILDCARD_PREFIX} letters before `*`, as in `boycott*`"
                        ),
                    );
                }
            }
        }
        atoms.append(&mut words);
    }
    Ok(atoms)
}

struct Parser<'q> {
    text: &'q str,
    toks: Vec<Token>,
    pos: usize,
    /// Parentheses and `NOT`/`-` open around the current token.
    depth: usize,
}

/// Parses a query. See the module documentation for the language.
///
/// # Errors
/// A [`QueryError`] with the byte offset of the first problem and what was expected there.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    if text.trim().is_empty() {
        return err(
            0,
            "empty query: write at least one word, e.g. `acme AND boycott`",
        );
    }
    let toks = lex(text)?;
    let mut p = Parser {
        text,
        toks,
        pos: 0,
        depth: 0,
    };
    let q = p.or(Scope::Any)?;
    let t = p.peek();
    match t.tok {
        Tok::End => Ok(q),
        Tok::RParen => err(
            t.span.start,
            "unexpected `)`: there is no `(` for it to close",
        ),
        _ => err(t.span.start, "expected AND, OR or the end of the query"),
    }
}

impl Parser<'_> {
    /// Enters one more level of nesting, opened by the token at `at`.
    fn enter(&mut self, at: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(
                at,
                format!(
                    "nested too deeply: a query may nest parentheses and NOT at most {MAX_DEPTH} levels deep; \
                     simplify it or split it into several rules"
                ),
            );
        }
        Ok(())
    }

    fn peek(&self) -> &Token {
        &self.toks[self.pos]
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn starts_operand(tok: &Tok) -> bool {
        matches!(
            tok,
            Tok::LParen
                | Tok::Not
                | Tok::Minus
                | Tok::Word(_)
                | Tok::Phrase(_)
                | Tok::Scope(_)
                | Tok::Regex(_)
        )
    }

    fn or(&mut self, scope: Scope) -> Result<Query, QueryError> {
        let mut items = vec![self.and(scope, None)?];
        while self.peek().tok == Tok::Or {
            self.next();
            items.push(self.and(scope, Some("OR"))?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::Or(items)
        })
    }

    fn and(&mut self, scope: Scope, after: Option<&str>) -> Result<Query, QueryError> {
        let mut items = vec![self.near(scope, after)?];
        loop {
            let tok = &self.peek().tok;
            if *tok == Tok::And {
                self.next();
                items.push(self.near(scope, Some("AND"))?);
            } else if Self::starts_operand(tok) {
                items.push(self.near(scope, None)?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Query::And(items)
        })
    }

    fn near(&mut self, scope: Scope, after: Option<&str>) -> Result<Query, QueryError> {
        let left_at = self.peek().span.start;
        let left = self.unary(scope, after)?;
        let Tok::Near(distance) = self.peek().tok else {
            return Ok(left);
        };
        let op = self.next();
        if !Self::proximity_side(&left) {
            return err(
                left_at,
                "NEAR joins two terms or phrases (or parenthesised ORs of them): this side is neither",
            );
        }
        let right_at = self.peek().span.start;
        let text = self.text;
        let right = self.unary(scope, Some(&text[op.span.clone()]))?;
        if !Self::proximity_side(&right) {
            return err(
                right_at,
                "NEAR joins two terms or phrases (or parenthesised ORs of them): this side is neither",
            );
        }
        if let Tok::Near(_) = self.peek().tok {
            return err(
                self.peek().span.start,
                "NEAR joins exactly two sides: combine several NEARs with AND",
            );
        }
        let span = left_at..self.toks[self.pos.saturating_sub(1)].span.end;
        Ok(Query::Near {
            left: Box::new(left),
            right: Box::new(right),
            distance,
            span,
        })
    }

    fn proximity_side(q: &Query) -> bool {
        match q {
            Query::Phrase { scope, .. } => *scope != Scope::Author,
            Query::Or(items) => items
                .iter()
                .all(|i| matches!(i, Query::Phrase { scope, .. } if *scope != Scope::Author)),
            _ => false,
        }
    }

    fn unary(&mut self, scope: Scope, after: Option<&str>) -> Result<Query, QueryError> {
        match self.peek().tok {
            Tok::Not | Tok::Minus => {
                let t = self.next();
                self.enter(t.span.start)?;
                let name = if t.tok == Tok::Not { "NOT" } else { "-" };
                let inner = self.unary(scope, Some(name))?;
                self.depth -= 1;
                Ok(Query::Not(Box::new(inner)))
            }
            _ => self.primary(scope, after),
        }
    }

    fn expected_term(&self, after: Option<&str>) -> QueryError {
        let t = self.peek();
        let what = match after {
            Some(op) => format!("expected a term after {op}"),
            None => "expected a term".to_owned(),
        };
        let found = match &t.tok {
            Tok::End => "the end of the query".to_owned(),
            Tok::RParen => "`)`".to_owned(),
            _ => format!("`{}`", &self.text[t.span.clone()]),
        };
        QueryError {
            offset: t.span.start,
            message: format!("{what}, found {found}"),
        }
    }

    fn primary(&mut self, scope: Scope, after: Option<&str>) -> Result<Query, QueryError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::LParen => {
                self.next();
                self.enter(t.span.start)?;
                if self.peek().tok == Tok::RParen {
                    return err(
                        self.peek().span.start,
                        "empty parentheses: expected a term after `(`",
                    );
                }
                let inner = self.or(scope)?;
                if self.peek().tok != Tok::RParen {
                    let at = self.peek().span.start;
                    let col = self.text[..t.span.start].chars().count() + 1;
                    return err(
                        at,
                        format!("expected `)` to close the `(` at character {col} of the query"),
                    );
                }
                self.next();
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Word(ref raw) | Tok::Phrase(ref raw) => {
                self.next();
                let offset = if matches!(t.tok, Tok::Phrase(_)) {
                    t.span.start + 1
                } else {
                    t.span.start
                };
                let atoms = atoms_of(raw, offset)?;
                if atoms.is_empty() {
                    return err(
                        t.span.start,
                        format!(
                            "`{}` has no letter or digit to look for",
                            &self.text[t.span.clone()]
                        ),
                    );
                }
                Ok(Query::Phrase {
                    atoms,
                    scope,
                    span: t.span,
                })
            }
            Tok::Regex(ref pattern) => {
                self.next();
                if scope == Scope::Author {
                    return err(t.span.start, "regex: is not available inside author:");
                }
                if pattern.is_empty() {
                    return err(
                        t.span.start,
                        "empty regex: write a pattern between the slashes",
                    );
                }
                Ok(Query::Regex {
                    pattern: pattern.clone(),
                    scope,
                    span: t.span,
                })
            }
            Tok::Scope(field) => {
                self.next();
                if scope != Scope::Any {
                    return err(
                        t.span.start,
                        format!("`{field}:` cannot be used inside another field scope"),
                    );
                }
                let value = self.peek().clone();
                if value.span.start != t.span.end {
                    return err(
                        t.span.end,
                        format!("expected a value right after `{field}:` (no space)"),
                    );
                }
                match field {
                    "site" | "lang" => {
                        let Tok::Word(raw) = value.tok else {
                            return err(
                                value.span.start,
                                format!("expected a single value after `{field}:`"),
                            );
                        };
                        self.next();
                        let span = t.span.start..value.span.end;
                        if field == "lang" {
                            let lang = match raw.to_ascii_lowercase().as_str() {
                                "fr" => Lang::Fr,
                                "en" => Lang::En,
                                "other" => Lang::Other,
                                _ => {
                                    return err(
                                        value.span.start,
                                        "expected `fr`, `en` or `other` after `lang:`",
                                    );
                                }
                            };
                            Ok(Query::Lang { lang, span })
                        } else {
                            let host = raw
                                .trim_start_matches("www.")
                                .trim_end_matches('/')
                                .to_ascii_lowercase();
                            if host.is_empty() || host.contains('/') || host.contains('*') {
                                return err(
                                    value.span.start,
                                    "expected a host name after `site:`, e.g. `site:acme.fr`",
                                );
                            }
                            Ok(Query::Site { host, span })
                        }
                    }
                    _ => {
                        let inner_scope = match field {
                            "title" => Scope::Title,
                            "text" => Scope::Text,
                            _ => Scope::Author,
                        };
                        if !matches!(
                            value.tok,
                            Tok::Word(_) | Tok::Phrase(_) | Tok::LParen | Tok::Regex(_)
                        ) {
                            return err(
                                value.span.start,
                                format!("expected a term, a phrase or `(` after `{field}:`"),
                            );
                        }
                        self.primary(inner_scope, after)
                    }
                }
            }
            Tok::RParen | Tok::End | Tok::And | Tok::Or | Tok::Near(_) | Tok::Not | Tok::Minus => {
                Err(self.expected_term(after))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Atom {
        Atom {
            word: s.to_owned(),
            prefix: false,
        }
    }

    fn words(q: &Query) -> Vec<String> {
        match q {
            Query::Phrase { atoms, .. } => vec![
                atoms
                    .iter()
                    .map(|a| {
                        if a.prefix {
                            format!("{}*", a.word)
                        } else {
                            a.word.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ],
            _ => vec![],
        }
    }

    /// A compact rendering of the tree, to assert precedence.
    fn show(q: &Query) -> String {
        match q {
            Query::Phrase { scope, .. } => {
                let s = words(q).join("");
                let s = if s.contains(' ') {
                    format!("\"{s}\"")
                } else {
                    s
                };
                match scope {
                    Scope::Any => s,
                    Scope::Title => format!("title:{s}"),
                    Scope::Text => format!("text:{s}"),
                    Scope::Author => format!("author:{s}"),
                }
            }
            Query::Regex { pattern, .. } => format!("/{pattern}/"),
            Query::Site { host, .. } => format!("site:{host}"),
            Query::Lang { lang, .. } => format!("lang:{}", lang.as_str()),
            Query::Near {
                left,
                right,
                distance,
                ..
            } => format!("({} NEAR/{distance} {})", show(left), show(right)),
            Query::And(items) => format!(
                "({})",
                items.iter().map(show).collect::<Vec<_>>().join(" AND ")
            ),
            Query::Or(items) => format!(
                "({})",
                items.iter().map(show).collect::<Vec<_>>().join(" OR ")
            ),
            Query::Not(inner) => format!("NOT {}", show(inner)),
        }
    }

    fn p(q: &str) -> String {
        show(&parse(q).unwrap_or_else(|e| panic!("{q}: {e}")))
    }

    fn e(q: &str) -> QueryError {
        parse(q).expect_err(q)
    }

    #[test]
    fn single_word_is_folded() {
        assert_eq!(
            parse("Réputation").unwrap(),
            Query::Phrase {
                atoms: vec![w("reputation")],
                scope: Scope::Any,
                span: 0..11
            }
        );
    }

    #[test]
    fn implicit_and_binds_like_and() {
        assert_eq!(p("acme boycott"), "(acme AND boycott)");
        assert_eq!(p("acme AND boycott"), "(acme AND boycott)");
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(p("a1 OR b1 c1"), "(a1 OR (b1 AND c1))");
        assert_eq!(p("a1 AND b1 OR c1"), "((a1 AND b1) OR c1)");
        assert_eq!(p("(a1 OR b1) c1"), "((a1 OR b1) AND c1)");
    }

    #[test]
    fn not_binds_tightest() {
        assert_eq!(p("a1 NOT b1 OR c1"), "((a1 AND NOT b1) OR c1)");
        assert_eq!(p("a1 -b1"), "(a1 AND NOT b1)");
        assert_eq!(p("a1 -(b1 OR c1)"), "(a1 AND NOT (b1 OR c1))");
        assert_eq!(p("a1 AND NOT b1"), "(a1 AND NOT b1)");
        assert_eq!(p("a1 -\"b1 c1\""), "(a1 AND NOT \"b1 c1\")");
    }

    #[test]
    fn context_rule_for_an_ambiguous_name() {
        assert_eq!(
            p("orange AND (forfait OR réseau OR fibre) NOT (jus OR fruit)"),
            "(orange AND (forfait OR reseau OR fibre) AND NOT (jus OR fruit))"
        );
    }

    #[test]
    fn lower_case_operators_are_words() {
        assert_eq!(p("rock and roll"), "(rock AND and AND roll)");
        assert_eq!(p("or"), "or");
    }

    #[test]
    fn phrases_fold_and_split_elisions() {
        assert_eq!(p("\"Appel au BOYCOTT\""), "\"appel au boycott\"");
        assert_eq!(p("\"l’entreprise\""), "\"l entreprise\"");
        assert_eq!(p("wi-fi"), "\"wi fi\"");
        assert_eq!(p("«appel au boycott»"), "\"appel au boycott\"");
    }

    #[test]
    fn wildcards() {
        assert_eq!(p("boycott*"), "boycott*");
        assert_eq!(p("\"appel* au boycott\""), "\"appel* au boycott\"");
        assert!(e("bo*").message.contains("at least 3 letters"));
        assert!(e("boy*cott").message.contains("may only end a word"));
        assert_eq!(e("acme *cott").offset, 5);
    }

    #[test]
    fn near_takes_terms_phrases_and_ors() {
        assert_eq!(p("acme NEAR/5 boycott"), "(acme NEAR/5 boycott)");
        assert_eq!(
            p("acme NEAR/0 \"appel au boycott\""),
            "(acme NEAR/0 \"appel au boycott\")"
        );
        assert_eq!(
            p("(acme OR ac) NEAR/3 arnaque*"),
            "((acme OR ac) NEAR/3 arnaque*)"
        );
        assert_eq!(
            p("x1 OR acme NEAR/2 boycott y1"),
            "(x1 OR ((acme NEAR/2 boycott) AND y1))"
        );
    }

    #[test]
    fn near_errors() {
        assert!(
            e("acme NEAR boycott")
                .message
                .contains("expected a distance after NEAR")
        );
        assert!(e("acme NEAR/x boycott").message.contains("number of words"));
        assert!(e("acme NEAR/500 boycott").message.contains("from 0 to 100"));
        assert!(
            e("(a1 AND b1) NEAR/3 c1")
                .message
                .contains("NEAR joins two terms")
        );
        assert!(
            e("a1 NEAR/3 b1 NEAR/3 c1")
                .message
                .contains("exactly two sides")
        );
        assert_eq!(
            e("acme NEAR/3").message,
            "expected a term after NEAR/3, found the end of the query"
        );
    }

    #[test]
    fn scopes() {
        assert_eq!(p("title:acme"), "title:acme");
        assert_eq!(p("text:\"appel au boycott\""), "text:\"appel au boycott\"");
        assert_eq!(
            p("title:(acme OR brioche)"),
            "(title:acme OR title:brioche)"
        );
        assert_eq!(p("author:\"Jean Dupont\""), "author:\"jean dupont\"");
        assert_eq!(p("acme site:www.Acme.fr"), "(acme AND site:acme.fr)");
        assert_eq!(p("acme lang:FR"), "(acme AND lang:fr)");
        assert_eq!(p("acme -lang:en"), "(acme AND NOT lang:en)");
    }

    #[test]
    fn scope_errors() {
        assert!(e("titel:acme").message.contains("unknown field `titel:`"));
        assert!(e("title: acme").message.contains("right after `title:`"));
        assert!(e("lang:de").message.contains("`fr`, `en` or `other`"));
        assert!(
            e("title:(text:acme)")
                .message
                .contains("inside another field scope")
        );
        assert!(e("title:AND").message.contains("after `title:`"));
    }

    #[test]
    fn regexes() {
        assert_eq!(p("regex:/ac+me/"), "/ac+me/");
        assert_eq!(p("regex:/a\\/b (c)/ acme"), "(/a/b (c)/ AND acme)");
        assert_eq!(p("title:regex:/x+/"), "/x+/");
        assert!(e("regex:/abc").message.contains("unclosed regex"));
        assert!(e("regex:abc").message.contains("expected `/`"));
        assert!(e("regex://").message.contains("empty regex"));
    }

    #[test]
    fn syntax_errors_say_what_was_expected_and_where() {
        let x = e("acme AND NOT");
        assert_eq!(
            (x.offset, x.message.as_str()),
            (12, "expected a term after NOT, found the end of the query")
        );
        let x = e("acme OR");
        assert_eq!(
            x.message,
            "expected a term after OR, found the end of the query"
        );
        let x = e("acme AND OR b1");
        assert_eq!(
            (x.offset, x.message.as_str()),
            (9, "expected a term after AND, found `OR`")
        );
        let x = e("(acme OR b1");
        assert_eq!(
            (x.offset, x.message.as_str()),
            (
                11,
                "expected `)` to close the `(` at character 1 of the query"
            )
        );
        let x = e("acme)");
        assert_eq!(
            (x.offset, x.message.as_str()),
            (4, "unexpected `)`: there is no `(` for it to close")
        );
        let x = e("\"appel au");
        assert_eq!(x.offset, 0);
        assert!(x.message.contains("unclosed quote"));
        assert!(e("   ").message.contains("empty query"));
        assert!(e("()").message.contains("empty parentheses"));
        assert!(e("!!!").message.contains("no letter or digit"));
        assert!(e("OR acme").message.contains("expected a term, found `OR`"));
    }

    #[test]
    fn queries_that_match_without_terms_are_recognised() {
        for q in [
            "NOT acme",
            "-acme",
            "lang:fr",
            "acme OR NOT b1",
            "lang:fr NOT acme",
        ] {
            assert!(parse(q).unwrap().matches_without_terms(), "{q}");
        }
        for q in [
            "acme",
            "acme NOT b1",
            "site:acme.fr",
            "regex:/x/",
            "author:bob",
            "acme OR site:a.fr",
        ] {
            assert!(!parse(q).unwrap().matches_without_terms(), "{q}");
        }
    }

    /// A query nested `levels` deep in parentheses, each level an OR that keeps the tree as deep as the text.
    fn nested(levels: usize) -> String {
        let mut q = "acme".to_owned();
        for i in 0..levels {
            q = format!("(w{i} OR x{i} {q})");
        }
        q
    }

    /// Regression: a query nested 6,000 parentheses deep overflowed the stack of `rules check`, `check`,
    /// `run` and of the daemon reloading it on SIGHUP (exit 134).
    #[test]
    fn nesting_beyond_the_limit_is_an_error_where_it_goes_too_deep() {
        let deep = format!("{}acme{}", "(".repeat(6000), ")".repeat(6000));
        let x = e(&deep);
        assert_eq!(x.offset, MAX_DEPTH, "{x}");
        assert!(
            x.message
                .starts_with("nested too deeply: a query may nest parentheses and NOT at most 64"),
            "{x}"
        );
        let nots = format!("acme {}b1", "NOT ".repeat(6000));
        assert_eq!(e(&nots).offset, 5 + 4 * MAX_DEPTH);
        let minus = format!("acme {}b1{}", "-(".repeat(3000), ")".repeat(3000));
        assert_eq!(e(&minus).offset, 5 + MAX_DEPTH);
        // Closed levels do not count: depth is how many are open at once.
        let wide = (0..200)
            .map(|i| format!("(a{i} OR b{i})"))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(parse(&wide).is_ok());
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        let too_deep = nested(MAX_DEPTH + 1);
        let at = e(&too_deep).offset;
        assert!(too_deep[at..].starts_with('('), "{at}");
        assert_eq!(too_deep[..at].matches('(').count(), MAX_DEPTH);
    }

    #[test]
    fn nfkc_in_queries() {
        assert_eq!(p("ＡＣＭＥ"), "acme");
        assert_eq!(p("œuvre"), "oeuvre");
    }
}
