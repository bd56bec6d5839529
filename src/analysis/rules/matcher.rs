//! The compiled form of every query and the one-pass matching of a mention against all of them.
//!
//! In: boolean trees ([`Expr`]) whose word and phrase leaves point into a shared phrase table (built with
//! [`Builder`] by the compiler), then per mention a [`MentionView`]. Out: the [`Outcome`] of
//! [`super::RuleSet::evaluate`]. See the parent module for why it is built this way.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;

use regex::Regex;

use super::index::WordIndex;
use super::{MentionView, Outcome, RuleSet, Work};
use crate::analysis::fold::{Folded, Word, fold};
use crate::analysis::query::{Atom, Scope};
use crate::model::{Lang, MatchedTerm, RuleMatch, TextField};

/// At most this many regex matches per field are shown in an explanation: the rule matched either way.
const MAX_REGEX_EXPLAINED: usize = 5;

/// A compiled query.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Phrase {
        phrase: u32,
        scope: Scope,
    },
    /// A phrase looked for in the author's name.
    Author(Vec<Atom>),
    Regex {
        regex: u32,
        scope: Scope,
    },
    Site(String),
    Lang(Lang),
    Near {
        left: Vec<(u32, Scope)>,
        right: Vec<(u32, Scope)>,
        distance: u32,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

/// Collects the phrases and regexes of every query, each once.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    phrases: Vec<Vec<Atom>>,
    phrase_ids: HashMap<Vec<Atom>, u32>,
    regexes: Vec<Regex>,
    regex_ids: HashMap<String, u32>,
}

impl Builder {
    pub fn phrase(&mut self, atoms: Vec<Atom>) -> u32 {
        if let Some(&id) = self.phrase_ids.get(&atoms) {
            return id;
        }
        let id = self.phrases.len() as u32;
        self.phrases.push(atoms.clone());
        self.phrase_ids.insert(atoms, id);
        id
    }

    pub fn regex(&mut self, regex: Regex) -> u32 {
        if let Some(&id) = self.regex_ids.get(regex.as_str()) {
            return id;
        }
        let id = self.regexes.len() as u32;
        self.regex_ids.insert(regex.as_str().to_owned(), id);
        self.regexes.push(regex);
        id
    }

    /// Builds the matcher for these targets (rules first, then watches). `rule_watch[i]` is the index of
    /// the watch rule `i` counts towards.
    pub fn build(
        self,
        targets: &[&Expr],
        rule_count: usize,
        rule_watch: Vec<Option<u32>>,
    ) -> Matcher {
        // How many targets use each phrase: a phrase many rules share is a common word, a poor trigger.
        let mut usage = vec![0u32; self.phrases.len()];
        for t in targets {
            let mut seen = Vec::new();
            phrases_of(t, &mut seen);
            seen.sort_unstable();
            seen.dedup();
            for p in seen {
                usage[p as usize] += 1;
            }
        }
        let cost = |p: u32| -> u64 {
            let longest = self.phrases[p as usize]
                .iter()
                .map(|a| a.word.len())
                .max()
                .unwrap_or(0);
            u64::from(usage[p as usize]) * 4 + if longest <= 3 { 16 } else { 0 }
        };
        let mut triggers: Vec<Vec<u32>> = vec![Vec::new(); self.phrases.len()];
        let mut always = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            match trigger(t, &cost) {
                Some((set, _)) => {
                    for p in set {
                        let list = &mut triggers[p as usize];
                        if list.last() != Some(&(i as u32)) {
                            list.push(i as u32);
                        }
                    }
                }
                None => always.push(i as u32),
            }
        }
        // One index entry per distinct anchor word; the anchor of a phrase is its longest word,
        // which is usually its rarest.
        let mut pattern_ids: HashMap<&str, usize> = HashMap::new();
        let mut patterns: Vec<&str> = Vec::new();
        let mut anchors: Vec<Vec<Anchor>> = Vec::new();
        for (p, atoms) in self.phrases.iter().enumerate() {
            let (pos, atom) = atoms
                .iter()
                .enumerate()
                .max_by_key(|(i, a)| (a.word.len(), usize::MAX - i))
                .unwrap_or_else(|| unreachable!("phrases have at least one word"));
            let id = *pattern_ids.entry(atom.word.as_str()).or_insert_with(|| {
                patterns.push(atom.word.as_str());
                anchors.push(Vec::new());
                patterns.len() - 1
            });
            anchors[id].push(Anchor {
                phrase: p as u32,
                pos: pos as u32,
            });
        }
        let prefix = anchors
            .iter()
            .map(|list| {
                list.iter()
                    .any(|a| self.phrases[a.phrase as usize][a.pos as usize].prefix)
            })
            .collect();
        let index = WordIndex::new(patterns.into_iter().map(Box::from).collect(), prefix);
        Matcher {
            index,
            anchors,
            phrases: self.phrases,
            triggers,
            always,
            regexes: self.regexes,
            rule_count,
            rule_watch,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    phrase: u32,
    /// Position of the anchor word in the phrase.
    pos: u32,
}

/// Every phrase and regex of every rule and watch, ready to scan mentions.
#[derive(Debug)]
pub(crate) struct Matcher {
    /// The anchor word of every phrase.
    index: WordIndex,
    /// By word of the index: the phrases anchored on it.
    anchors: Vec<Vec<Anchor>>,
    phrases: Vec<Vec<Atom>>,
    /// By phrase: the targets a hit on it may make true.
    triggers: Vec<Vec<u32>>,
    /// Targets that have to be evaluated for every mention.
    always: Vec<u32>,
    regexes: Vec<Regex>,
    rule_count: usize,
    rule_watch: Vec<Option<u32>>,
}

/// One occurrence of a phrase in a field.
///
/// Positions are `u32` (fields are read up to [`MAX_FIELD_BYTES`]): a hostile text can have hundreds of
/// thousands of hits, and at 24 bytes rather than 40 they stay in the cache and the allocator's heap.
#[derive(Debug, Clone, Copy)]
struct Hit {
    phrase: u32,
    field: TextField,
    /// Byte range in the folded field.
    start: u32,
    end: u32,
    /// Numbers of its first and last words among the words of the field (from 0): the words between
    /// two hits are counted by a subtraction.
    first_word: u32,
    last_word: u32,
}

/// How much of a folded field is matched: what a `u32` position can hold, far beyond any capped title or
/// body.
pub(crate) const MAX_FIELD_BYTES: usize = u32::MAX as usize;

fn phrases_of(e: &Expr, out: &mut Vec<u32>) {
    match e {
        Expr::Phrase { phrase, .. } => out.push(*phrase),
        Expr::Near { left, right, .. } => out.extend(left.iter().chain(right).map(|(p, _)| *p)),
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|i| phrases_of(i, out)),
        Expr::Not(inner) => phrases_of(inner, out),
        Expr::Author(_) | Expr::Regex { .. } | Expr::Site(_) | Expr::Lang(_) => {}
    }
}

/// A set of phrases one of which must be present for `e` to be true, chosen as cheap as possible; `None`
/// when `e` can be true without any phrase of the index (then it is evaluated for every mention).
fn trigger(e: &Expr, cost: &dyn Fn(u32) -> u64) -> Option<(Vec<u32>, u64)> {
    match e {
        Expr::Phrase { phrase, .. } => Some((vec![*phrase], cost(*phrase))),
        Expr::Near { left, right, .. } => {
            let side = |s: &[(u32, Scope)]| {
                let set: Vec<u32> = s.iter().map(|(p, _)| *p).collect();
                let c = set.iter().map(|p| cost(*p)).sum::<u64>();
                (set, c)
            };
            let (l, r) = (side(left), side(right));
            Some(if r.1 < l.1 { r } else { l })
        }
        Expr::And(items) => items
            .iter()
            .filter_map(|i| trigger(i, cost))
            .min_by_key(|(_, c)| *c),
        Expr::Or(items) => {
            let mut set = Vec::new();
            let mut total = 0;
            for i in items {
                let (s, c) = trigger(i, cost)?;
                set.extend(s);
                total += c;
            }
            Some((set, total))
        }
        Expr::Not(_) | Expr::Author(_) | Expr::Regex { .. } | Expr::Site(_) | Expr::Lang(_) => None,
    }
}

/// Whether `c` belongs to a word: the same definition as [`crate::analysis::fold::Folded::words`].
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric()
    }
}

/// The end of the word that starts at byte `s`.
fn word_end(text: &str, s: usize) -> usize {
    let rest = &text[s..];
    s + rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len())
}

/// The first word at or after byte `from`.
fn next_word(text: &str, from: usize) -> Option<(usize, usize)> {
    let rest = &text[from..];
    let start = from + rest.find(is_word_char)?;
    Some((start, word_end(text, start)))
}

/// The last word that ends at or before byte `before`.
fn prev_word(text: &str, before: usize) -> Option<(usize, usize)> {
    let head = &text[..before];
    let (i, c) = head.char_indices().rev().find(|&(_, c)| is_word_char(c))?;
    let end = i + c.len_utf8();
    let start = head[..end]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word_char(c))
        .last()
        .map_or(end, |(i, _)| i);
    Some((start, end))
}

/// Whether `atoms` are spelt by consecutive words around the word `anchor` (a byte range of `text`),
/// which is word number `pos` of the phrase; gives the byte range of the whole phrase.
fn phrase_around(
    atoms: &[Atom],
    pos: usize,
    text: &str,
    anchor: (usize, usize),
) -> Option<(usize, usize)> {
    if !atom_matches(&atoms[pos], &text[anchor.0..anchor.1]) {
        return None;
    }
    let mut end = anchor.1;
    for atom in &atoms[pos + 1..] {
        let (s, e) = next_word(text, end)?;
        if !atom_matches(atom, &text[s..e]) {
            return None;
        }
        end = e;
    }
    let mut start = anchor.0;
    for atom in atoms[..pos].iter().rev() {
        let (s, e) = prev_word(text, start)?;
        if !atom_matches(atom, &text[s..e]) {
            return None;
        }
        start = s;
    }
    Some((start, end))
}

fn atom_matches(atom: &Atom, word: &str) -> bool {
    if atom.prefix {
        word.starts_with(atom.word.as_str())
    } else {
        word == atom.word
    }
}

fn scope_allows(scope: Scope, field: TextField) -> bool {
    match scope {
        Scope::Any => field != TextField::Author,
        Scope::Title => field == TextField::Title,
        Scope::Text => field == TextField::Text,
        Scope::Author => field == TextField::Author,
    }
}

/// The words of `words` (ranges into `text`) that spell `atoms` from index `first`.
fn phrase_at(atoms: &[Atom], text: &str, words: &[Word], first: usize) -> bool {
    first + atoms.len() <= words.len()
        && atoms
            .iter()
            .zip(&words[first..])
            .all(|(a, w)| atom_matches(a, &text[w.start..w.end]))
}

impl Matcher {
    fn scan(&self, field: TextField, folded: &Folded, hits: &mut Vec<Hit>) {
        let mut text = folded.as_str();
        if text.len() > MAX_FIELD_BYTES {
            let mut end = MAX_FIELD_BYTES;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text = &text[..end];
        }
        // No word list is kept: a found word is checked against its phrases by walking the words around
        // it, so a mention without hits costs one pass over its words and nothing more.
        self.index.scan(text, |found| {
            for a in &self.anchors[found.word as usize] {
                let atoms = &self.phrases[a.phrase as usize];
                if let Some((start, end)) =
                    phrase_around(atoms, a.pos as usize, text, (found.start, found.end))
                {
                    // The phrase's words are consecutive words of the text around the anchor.
                    let pos = a.pos as usize;
                    hits.push(Hit {
                        phrase: a.phrase,
                        field,
                        start: start as u32,
                        end: end as u32,
                        first_word: (found.ordinal - pos) as u32,
                        last_word: (found.ordinal + (atoms.len() - 1 - pos)) as u32,
                    });
                }
            }
        });
    }

    pub fn evaluate<'r>(&self, set: &'r RuleSet, m: &MentionView<'_>) -> (Outcome<'r>, Work) {
        let mut hits = Vec::new();
        if let Some(title) = m.title {
            self.scan(TextField::Title, title.folded, &mut hits);
        }
        self.scan(TextField::Text, m.text.folded, &mut hits);
        let mut work = Work {
            hits: hits.len() as u64,
            near_steps: 0,
        };
        if hits.is_empty() && self.always.is_empty() {
            return (Outcome::default(), work);
        }
        // The scan gives each phrase's hits in (field, start) order already: a stable sort by phrase alone
        // keeps it, and sorts a long text's many hits of few phrases in about linear time.
        hits.sort_by_key(|h| h.phrase);

        let mut candidates: Vec<u32> = Vec::with_capacity(self.always.len() + 2 * hits.len());
        candidates.extend_from_slice(&self.always);
        let mut last_phrase = u32::MAX;
        for h in &hits {
            if h.phrase != last_phrase {
                candidates.extend_from_slice(&self.triggers[h.phrase as usize]);
                last_phrase = h.phrase;
            }
        }
        candidates.sort_unstable();
        candidates.dedup();

        let ctx = Ctx {
            m,
            hits: &hits,
            matcher: self,
            regex_memo: RefCell::new(vec![[None; 2]; self.regexes.len()]),
            author: OnceCell::new(),
            near_steps: Cell::new(0),
        };
        let mut outcome = Outcome::default();
        let mut watch_hit = vec![false; set.watches.len()];
        let mut spots = Vec::new();
        for &t in &candidates {
            let t = t as usize;
            if t < self.rule_count {
                let rule = &set.rules[t];
                if !rule.filters.accepts(m, || {
                    ctx.folded_author().map(|(f, _)| f.as_str().to_owned())
                }) {
                    continue;
                }
                if let Some(s) = m.sentiment
                    && !rule.sentiment.accepts(s)
                {
                    continue;
                }
                spots.clear();
                if !ctx.check(&rule.expr, &mut spots) {
                    continue;
                }
                let terms = ctx.terms(&mut spots);
                outcome.matches.push(RuleMatch {
                    rule: rule.id.clone(),
                    severity: rule.severity,
                    terms,
                });
                if let Some(w) = self.rule_watch[t] {
                    watch_hit[w as usize] = true;
                }
            } else {
                let w = t - self.rule_count;
                let watch = &set.watches[w];
                if watch_hit[w]
                    || !watch.filters.accepts(m, || {
                        ctx.folded_author().map(|(f, _)| f.as_str().to_owned())
                    })
                {
                    continue;
                }
                watch_hit[w] = ctx.eval(&watch.expr);
            }
        }
        // Stable: rules of equal severity stay in definition order.
        outcome
            .matches
            .sort_by_key(|m| std::cmp::Reverse(m.severity));
        outcome.watches = set
            .watches
            .iter()
            .zip(&watch_hit)
            .filter(|(_, hit)| **hit)
            .map(|(w, _)| w.id.as_str())
            .collect();
        work.near_steps = ctx.near_steps.get();
        (outcome, work)
    }
}

/// What is known of one mention while its candidate rules are evaluated.
struct Ctx<'a, 'm> {
    m: &'a MentionView<'m>,
    /// Sorted by phrase.
    hits: &'a [Hit],
    matcher: &'a Matcher,
    /// By regex: whether it matches the title, the text (computed on first use).
    regex_memo: RefCell<Vec<[Option<bool>; 2]>>,
    author: OnceCell<Option<(Folded, Vec<Word>)>>,
    /// Steps taken by the `NEAR` sweeps so far (see [`Work`]).
    near_steps: Cell<u64>,
}

/// A place in a field that makes part of a query true: a byte range of the folded field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spot {
    field: TextField,
    start: usize,
    end: usize,
}

impl Spot {
    fn of(h: &Hit) -> Spot {
        Spot {
            field: h.field,
            start: h.start as usize,
            end: h.end as usize,
        }
    }
}

impl Ctx<'_, '_> {
    fn hits_of(&self, phrase: u32) -> &[Hit] {
        let start = self.hits.partition_point(|h| h.phrase < phrase);
        let end = start + self.hits[start..].partition_point(|h| h.phrase == phrase);
        &self.hits[start..end]
    }

    fn folded_author(&self) -> Option<&(Folded, Vec<Word>)> {
        self.author
            .get_or_init(|| {
                self.m.author.map(|a| {
                    let f = fold(a.trim());
                    let words = f.words().collect();
                    (f, words)
                })
            })
            .as_ref()
    }

    fn field(&self, field: TextField) -> Option<(&str, &Folded)> {
        match field {
            TextField::Title => self.m.title.map(|t| (t.original, t.folded)),
            TextField::Text => Some((self.m.text.original, self.m.text.folded)),
            TextField::Author => None,
        }
    }

    fn regex_matches(&self, regex: u32, field: TextField) -> bool {
        let slot = usize::from(field == TextField::Text);
        if let Some(known) = self.regex_memo.borrow()[regex as usize][slot] {
            return known;
        }
        let found = self.field(field).is_some_and(|(_, folded)| {
            self.matcher.regexes[regex as usize].is_match(folded.as_str())
        });
        self.regex_memo.borrow_mut()[regex as usize][slot] = Some(found);
        found
    }

    /// The hits of one side of a `NEAR`, in the fields its scopes allow, by field then first word.
    fn side_hits(&self, side: &[(u32, Scope)]) -> Cow<'_, [Hit]> {
        self.step(side.iter().map(|&(p, _)| self.hits_of(p).len()).sum());
        if let [(phrase, scope)] = side {
            let hits = self.hits_of(*phrase);
            // One phrase's hits are already in (field, start) order, which is (field, first word) order.
            if hits.iter().all(|h| scope_allows(*scope, h.field)) {
                return Cow::Borrowed(hits);
            }
        }
        let mut out: Vec<Hit> = Vec::new();
        for &(phrase, scope) in side {
            out.extend(
                self.hits_of(phrase)
                    .iter()
                    .filter(|h| scope_allows(scope, h.field)),
            );
        }
        // One sorted run per phrase of the side: a stable sort merges them.
        out.sort_by_key(|h| (h.field as u8, h.first_word));
        Cow::Owned(out)
    }

    /// For each hit of `a`, whether a hit of `b` (sorted by field then first word) lies in the same field
    /// with at most `distance` words between them, or overlaps it.
    ///
    /// Two hits are that close when each starts at most `distance + 1` words after the other ends. A sweep,
    /// not a comparison of every pair (which took minutes on a title repeating both sides thousands of
    /// times): the hits of `a` are taken by their last word, so the hits of `b` that start early enough
    /// only grow, and among those it is enough to know the one that ends last.
    fn partnered(&self, a: &[Hit], b: &[Hit], distance: u32) -> Vec<bool> {
        let reach = u64::from(distance) + 1;
        let by_last = |h: &Hit| (h.field as u8, h.last_word);
        let mut order: Vec<usize> = (0..a.len()).collect();
        // Usually in this order already (the hits are sorted by first word, and one phrase's hits have the
        // same length); otherwise nearly, and a stable sort finds the runs.
        if !a.is_sorted_by_key(by_last) {
            order.sort_by_key(|&i| by_last(&a[i]));
        }
        let mut out = vec![false; a.len()];
        let mut next = 0;
        let mut field = None;
        // The last word of the hit of `b` ending last among those taken in so far, in `field`.
        let mut furthest: Option<u64> = None;
        let mut steps = order.len();
        for i in order {
            let x = &a[i];
            if field != Some(x.field) {
                field = Some(x.field);
                furthest = None;
                while next < b.len() && (b[next].field as u8) < (x.field as u8) {
                    next += 1;
                    steps += 1;
                }
            }
            while next < b.len()
                && b[next].field == x.field
                && u64::from(b[next].first_word) <= u64::from(x.last_word) + reach
            {
                furthest = furthest.max(Some(u64::from(b[next].last_word)));
                next += 1;
                steps += 1;
            }
            out[i] = furthest.is_some_and(|end| u64::from(x.first_word) <= end + reach);
        }
        self.step(steps);
        out
    }

    /// Whether a hit of `left` and a hit of `right` lie in the same field with at most `distance` words
    /// between them; if so, and `spots` is given, adds to it every hit that has such a partner.
    fn near(
        &self,
        left: &[(u32, Scope)],
        right: &[(u32, Scope)],
        distance: u32,
        spots: Option<&mut Vec<Spot>>,
    ) -> bool {
        let l = self.side_hits(left);
        if l.is_empty() {
            return false;
        }
        let r = self.side_hits(right);
        let l_near = self.partnered(&l, &r, distance);
        if !l_near.contains(&true) {
            return false;
        }
        if let Some(spots) = spots {
            let r_near = self.partnered(&r, &l, distance);
            for (hits, near) in [(&l, &l_near), (&r, &r_near)] {
                spots.extend(
                    hits.iter()
                        .zip(near)
                        .filter(|(_, near)| **near)
                        .map(|(h, _)| Spot::of(h)),
                );
            }
        }
        true
    }

    fn step(&self, n: usize) {
        self.near_steps.set(self.near_steps.get() + n as u64);
    }

    fn site_matches(&self, host: &str) -> bool {
        let Some(site) = self.m.site else {
            return false;
        };
        // Accept a URL as well as a bare host.
        let site = site.split_once("://").map_or(site, |(_, rest)| rest);
        let site = site.split(['/', '?', '#']).next().unwrap_or("");
        let site = site.rsplit_once('@').map_or(site, |(_, h)| h);
        let site = site.split(':').next().unwrap_or("").trim_end_matches('.');
        site.eq_ignore_ascii_case(host)
            || (site.len() > host.len()
                && site.as_bytes()[site.len() - host.len() - 1] == b'.'
                && site[site.len() - host.len()..].eq_ignore_ascii_case(host))
    }

    fn author_range(&self, atoms: &[Atom]) -> Option<(usize, usize)> {
        let (folded, words) = self.folded_author()?;
        (0..words.len())
            .find(|&i| phrase_at(atoms, folded.as_str(), words, i))
            .map(|i| (words[i].start, words[i + atoms.len() - 1].end))
    }

    fn eval(&self, e: &Expr) -> bool {
        match e {
            Expr::Phrase { phrase, scope } => self
                .hits_of(*phrase)
                .iter()
                .any(|h| scope_allows(*scope, h.field)),
            Expr::Author(atoms) => self.author_range(atoms).is_some(),
            Expr::Regex { regex, scope } => {
                (scope_allows(*scope, TextField::Title)
                    && self.regex_matches(*regex, TextField::Title))
                    || (scope_allows(*scope, TextField::Text)
                        && self.regex_matches(*regex, TextField::Text))
            }
            Expr::Site(host) => self.site_matches(host),
            Expr::Lang(lang) => self.m.lang == Some(*lang),
            Expr::Near {
                left,
                right,
                distance,
            } => self.near(left, right, *distance, None),
            Expr::And(items) => items.iter().all(|i| self.eval(i)),
            Expr::Or(items) => items.iter().any(|i| self.eval(i)),
            Expr::Not(inner) => !self.eval(inner),
        }
    }

    fn term(&self, field: TextField, start: usize, end: usize) -> Option<MatchedTerm> {
        let (original, folded) = match field {
            TextField::Author => {
                let (folded, _) = self.folded_author()?;
                (self.m.author?.trim(), folded)
            }
            _ => self.field(field)?,
        };
        let (s, e) = folded.original_range(start, end);
        // A caller that hands a folded text not made from `original` gets no term rather than a panic.
        let text = original.get(s..e)?;
        let lead = self.m.author.map_or(0, |a| a.len() - a.trim_start().len());
        let shift = if field == TextField::Author { lead } else { 0 };
        Some(MatchedTerm {
            text: text.to_owned(),
            start: s + shift,
            end: e + shift,
            field,
        })
    }

    /// Whether `e` is true; if so, adds to `spots` the places that make it true (left as it was if not).
    fn check(&self, e: &Expr, spots: &mut Vec<Spot>) -> bool {
        let mark = spots.len();
        match e {
            Expr::Phrase { phrase, scope } => spots.extend(
                self.hits_of(*phrase)
                    .iter()
                    .filter(|h| scope_allows(*scope, h.field))
                    .map(Spot::of),
            ),
            Expr::Author(atoms) => {
                let Some((start, end)) = self.author_range(atoms) else {
                    return false;
                };
                spots.push(Spot {
                    field: TextField::Author,
                    start,
                    end,
                });
            }
            Expr::Regex { regex, scope } => {
                // An empty match makes the regex true too, with nothing to show.
                if !self.eval(e) {
                    return false;
                }
                for field in [TextField::Title, TextField::Text] {
                    if !scope_allows(*scope, field) || !self.regex_matches(*regex, field) {
                        continue;
                    }
                    let Some((_, folded)) = self.field(field) else {
                        continue;
                    };
                    spots.extend(
                        self.matcher.regexes[*regex as usize]
                            .find_iter(folded.as_str())
                            .filter(|m| !m.is_empty())
                            .take(MAX_REGEX_EXPLAINED)
                            .map(|m| Spot {
                                field,
                                start: m.start(),
                                end: m.end(),
                            }),
                    );
                }
                return true;
            }
            Expr::Site(_) | Expr::Lang(_) => return self.eval(e),
            Expr::Near {
                left,
                right,
                distance,
            } => return self.near(left, right, *distance, Some(spots)),
            Expr::And(items) => {
                for i in items {
                    if !self.check(i, spots) {
                        spots.truncate(mark);
                        return false;
                    }
                }
                return true;
            }
            Expr::Or(items) => {
                // Every true branch is shown, not only the first.
                let mut any = false;
                for i in items {
                    any |= self.check(i, spots);
                }
                return any;
            }
            Expr::Not(inner) => {
                let inner = self.check(inner, spots);
                spots.truncate(mark);
                return !inner;
            }
        }
        spots.len() > mark
    }

    /// The terms of the original text behind `spots`, in field and text order; a term inside a wider one
    /// at the same place ("Acme" inside "Acme Telecom") says nothing more and is left out.
    fn terms(&self, spots: &mut [Spot]) -> Vec<MatchedTerm> {
        // By start, the widest first: a spot is inside another exactly when an earlier one of its field
        // reaches at least as far.
        // Spots come in sorted runs (one per term of the query): a stable sort merges them.
        spots.sort_by_key(|s| (s.field as u8, s.start, std::cmp::Reverse(s.end)));
        let mut terms: Vec<MatchedTerm> = Vec::with_capacity(spots.len());
        let mut reach: Option<(TextField, usize)> = None;
        for s in spots.iter() {
            if let Some((field, end)) = reach
                && field == s.field
                && end >= s.end
            {
                continue;
            }
            reach = Some((s.field, s.end));
            if let Some(t) = self.term(s.field, s.start, s.end)
                && terms.last() != Some(&t)
            {
                terms.push(t);
            }
        }
        terms
    }
}
