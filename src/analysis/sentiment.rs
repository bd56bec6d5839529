//! Sentiment: how negative or positive a text is, and which words say so.
//!
//! In: the original text (for capitals, emoji and emoticons), its [`Folded`] form (the words the rules also
//! read) and its language. Out: a [`Sentiment`]: a compound score in [-1, 1], its label
//! ([`Label::of_score`]) and the contributing terms with their weights, in text order. Terms are shown as
//! written, in lower case (`déçue`, not the lexicon's `decue`), a negated word with its negation (`not
//! happy`, `n'aime pas`), since they end up in alert emails. Called by the analysis pipeline once per
//! mention and by `veille score`.
//!
//! The scorer is lexicon-and-rules, in the manner of VADER (Hutto & Gilbert, 2014), with one lexicon per
//! language compiled into the binary (see `lexicon/` and `NOTICE`). Each word or multi-word expression found
//! carries a valence on VADER's -4..4 scale; regular inflections of lexicon words (French plurals, feminines
//! and `-ment` adverbs, English `-ly` adverbs and verb forms of strong words) share their base's valence.
//! Rules then adjust it:
//! - intensifiers and dampeners up to three words before (`very`, `très`, `trop`, `un peu`), and French
//!   slang intensifiers after (`nul grave`, `génial de ouf`); English `too` before a word without sentiment
//!   says excess (`too long`);
//! - negation within the same clause, up to four words before in English and three in French (`not`,
//!   `never`, `n't`, `lacks`, `pas`, `jamais`, `sans`, `aucun`, `manque`), French `ne`/`n'` before and
//!   `pas`/`plus`/`jamais`/`rien`/`guère` after (`je n'aime pas`), or informal `pas` right after the word
//!   (`j'aime pas`); idioms that contain their own negation (`pas mal`, `pas terrible`, `no thanks`,
//!   `plus jamais`) are entries; `never`/`jamais` before a comparative (`never been so good`, `jamais été
//!   aussi bien servi`) intensifies instead, unless a comparison follows (`never as good as…`);
//! - contrast: before `but`/`however`/`mais`/`cependant`/`pourtant`/`par contre`/`toutefois` a text weighs
//!   half, after it one and a half;
//! - emphasis: words in capitals in a text that is not all capitals, letters repeated three times or more
//!   (`nuuuul`, which also finds `nul` in the lexicon), exclamation marks;
//! - emoji and emoticons, in any language;
//! - English `like` counts only as a verb after a subject (`I like`), not as a preposition.
//!
//! Negative valences then weigh more (×1.2 in English, ×1.5 in French), the sum is divided by the square
//! root of the number of contributing terms (a long review with many mild words should not look as sure as
//! one strong word), and squashed into [-1, 1] as VADER does (`x / sqrt(x² + 15)`). The label is
//! [`Label::of_score`]. Texts in [`Lang::Other`] get only their emoji and emoticons: a French or English
//! lexicon read over German says nothing reliable.
//!
//! Per text the scorer allocates its word list and the terms it returns; word lookups borrow the folded
//! text. The lexicons live for as long as the process: each keeps its keys in one string and its entries
//! in one array, found through a hash table of entry numbers (about 2.7 MiB for both). `benches/sentiment_eval.py` measures quality on development data, `benches/sentiment.rs` speed.

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use std::hash::BuildHasher as _;

use super::fold::{Folded, Word, is_invisible};
use crate::model::{Label, Lang, Sentiment, TermWeight};

pub(crate) const EN_BASE: &str = include_str!("lexicon/en.tsv");
pub(crate) const EN_EXTRA: &str = include_str!("lexicon/en_extra.tsv");
pub(crate) const FR_BASE: &str = include_str!("lexicon/fr.tsv");
pub(crate) const FR_EXTRA: &str = include_str!("lexicon/fr_extra.tsv");
const EMOTICONS: &str = include_str!("lexicon/emoticons.tsv");
const EMOJI: &str = include_str!("lexicon/emoji.tsv");

/// Added to (or, for dampeners, taken from) a word's valence by an intensifier: VADER's empirical figure.
const BOOST: f32 = 0.293;
/// Added to a word in capitals in a text that is not all capitals (VADER).
const CAPS: f32 = 0.733;
/// Valence from which an English word also lends it to its verb forms.
const STRONG: f32 = 1.0;
/// Valence of excess: "too long", "costs too much".
const EXCESS: f32 = -1.2;
/// What an inflected form keeps of its base's valence: a guess is worth a little less than an entry.
const INFLECTED: f32 = 0.9;
/// Added to a word with letters repeated for emphasis.
const ELONGATION: f32 = 0.4;
/// What negation multiplies a valence by (VADER): a negated positive is negative, a negated negative is
/// mildly positive ("pas déçu" is not praise, but it is not a complaint).
const NEGATION: f32 = -0.74;
/// How many words before a word an English negation reaches, within its clause ("don't think you can go
/// wrong"); French negations reach three, their `pas` sits closer to what it negates.
const NEGATION_SCOPE_EN: usize = 4;
/// Weights of the clauses before and after a contrast word.
const BEFORE_CONTRAST: f32 = 0.5;
const AFTER_CONTRAST: f32 = 1.5;
/// Per exclamation mark, at most four (VADER).
const EXCLAMATION: f32 = 0.292;
/// Lexicon words lean positive in reviews and news ("a lovely cast wasted on a dull script"), and French
/// complaints often use milder words than praise: negative valences weigh more. Measured on development
/// data, see `benches/sentiment_eval.py`.
const NEGATIVE_EN: f32 = 1.2;
const NEGATIVE_FR: f32 = 1.5;
/// The sum of valences is divided by the number of contributing terms to this power before squashing: 0
/// is VADER's plain sum, 1 an average.
const SPREAD: f32 = 0.5;
/// Squashing constant of the compound score (VADER).
const ALPHA: f32 = 15.0;

/// Negates the words after it (`not`, `pas`, `sans`).
const NEGATOR: u16 = 1;
/// French `ne`: negates when a [`NE_PAIR`] word follows (`je n'aime pas`).
const NE: u16 = 1 << 1;
/// Completes `ne`: `pas`, `plus`, `jamais`, `rien`, `guère`, `point`.
const NE_PAIR: u16 = 1 << 2;
/// `plus`: a negator only after `ne` (`ne… plus`), otherwise "more".
const PLUS: u16 = 1 << 3;
/// Contrast word: what follows weighs more.
const CONTRAST: u16 = 1 << 4;
/// `contre`, which is contrast only in `par contre`.
const CONTRE: u16 = 1 << 5;
/// First word of a multi-word entry.
const PHRASE_START: u16 = 1 << 6;
/// Slang intensifier after the word it intensifies (`grave`, `de ouf`).
const POST_BOOST: u16 = 1 << 7;
/// `de`, which introduces `de ouf`.
const DE: u16 = 1 << 8;
/// French `pas` and `jamais` right after a verb, negating it without `ne` (informal writing).
const POST_NEG: u16 = 1 << 10;
/// English `too`, which says excess before a word without sentiment (see [`excess`]).
const TOO: u16 = 1 << 11;
/// `never`, `jamais`: before a comparative word they praise or blame more, not less ("never been so
/// good", "jamais été aussi bien servi").
const NEVER: u16 = 1 << 12;
/// The comparative words that turn [`NEVER`] around: `so`, `such`, `this`, `as`; `aussi`, `si`, `autant`,
/// `tellement`.
const SO: u16 = 1 << 13;
/// A comparison's second term, which keeps the negation ("never as good as the first", "jamais aussi
/// bon que l'original"): `as`, `than`; `que`.
const THAN: u16 = 1 << 14;
/// English `like`: a verb of liking only after a subject ("I like it"), otherwise a preposition ("plays
/// like a TV movie") with no sentiment.
const LIKE: u16 = 1 << 9;
/// Words after which `like` is the verb.
const LIKE_SUBJECTS: &[&str] = &[
    "i",
    "you",
    "we",
    "they",
    "would",
    "really",
    "t",
    "dont",
    "didnt",
    "doesnt",
    "also",
    "do",
    "does",
    "did",
    "to",
    "who",
    "people",
    "u",
    "d",
    "ll",
    "still",
    "actually",
    "definitely",
    "kids",
    "everyone",
    "fans",
];

/// What the lexicon knows of one folded word.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    /// Valence on -4..4; zero for words without sentiment of their own.
    valence: f32,
    /// Intensifier (positive) or dampener (negative) for the words after it.
    boost: f32,
    /// Non-zero for every word that is part of a multi-word entry; keys the phrase table. A few hundred
    /// words are: 16 bits keep an entry at 12 bytes.
    id: u16,
    flags: u16,
}

/// One language's words, expressions and rule words.
///
/// The words (some 38,000 in English and 45,000 in French with their inflections) are kept in three
/// blocks, not one allocation each: their keys one after the other in one string, their entries in the
/// same order, and a hash table of entry numbers. The two lexicons are most of what an idle daemon holds
/// on its heap: 2.7 MiB so, against 5.0 MiB in 83,000 allocations (more with the allocator's own
/// overhead) with one allocation per word (`examples/heap_census.rs`).
#[derive(Default)]
struct Lexicon {
    /// Every word's key, in the order of `words`.
    keys: String,
    /// What the lexicon knows of each word: words of the lexicon files, their inflections (see
    /// [`inflections`]) and the rule words.
    words: Vec<Slot>,
    /// Numbers in `words`, hashed by key.
    index: HashTable<u32>,
    /// Multi-word entries by the ids of their words (0 for a missing third word): valence and key.
    phrases: FxHashMap<[u16; 3], (f32, &'static str)>,
    /// French rules (`ne… pas`, elisions) rather than English ones (`n't`).
    french: bool,
}

/// One word of a [`Lexicon`]: its entry and where its key starts in [`Lexicon::keys`] (it ends where the next
/// word's starts).
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: u32,
    entry: Entry,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("words", &self.words.len())
            .field("phrases", &self.phrases.len())
            .field("french", &self.french)
            .finish()
    }
}

/// The hash of a lexicon key, the same when building and looking up.
fn hash_key(key: &str) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// The key of word `i` of a lexicon: from its start to the next word's.
fn key_of<'a>(keys: &'a str, words: &[Slot], i: u32) -> &'a str {
    let i = i as usize;
    let start = words[i].start as usize;
    let end = words.get(i + 1).map_or(keys.len(), |s| s.start as usize);
    &keys[start..end]
}

/// Rule words of one language: negations, intensifiers, contrast.
struct Rules {
    negators: &'static [&'static str],
    boosters: &'static [(&'static str, f32)],
    contrast: &'static [&'static str],
}

const EN_RULES: Rules = Rules {
    negators: &[
        "not", "never", "no", "without", "nobody", "nothing", "none", "neither", "nor", "nowhere",
        "cannot", "t", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant",
        "couldnt", "wont", "wouldnt", "shouldnt", "hasnt", "havent", "hadnt", "aint", "mustnt",
        "neednt", "nope", "rarely", "seldom", "despite", "lack", "lacks", "lacking", "lacked",
        "fails", "failed",
    ],
    boosters: &[
        ("absolutely", BOOST),
        ("amazingly", BOOST),
        ("awfully", BOOST),
        ("completely", BOOST),
        ("considerably", BOOST),
        ("deeply", BOOST),
        ("enormously", BOOST),
        ("entirely", BOOST),
        ("especially", BOOST),
        ("exceptionally", BOOST),
        ("extremely", BOOST),
        ("fucking", BOOST),
        ("greatly", BOOST),
        ("hella", BOOST),
        ("highly", BOOST),
        ("hugely", BOOST),
        ("incredibly", BOOST),
        ("intensely", BOOST),
        ("majorly", BOOST),
        ("more", BOOST),
        ("most", BOOST),
        ("particularly", BOOST),
        ("purely", BOOST),
        ("quite", BOOST),
        ("really", BOOST),
        ("remarkably", BOOST),
        ("so", BOOST),
        ("substantially", BOOST),
        ("thoroughly", BOOST),
        ("totally", BOOST),
        ("tremendously", BOOST),
        ("unbelievably", BOOST),
        ("unusually", BOOST),
        ("utterly", BOOST),
        ("very", BOOST),
        ("super", BOOST),
        ("too", BOOST),
        ("almost", -BOOST),
        ("barely", -BOOST),
        ("hardly", -BOOST),
        ("kinda", -BOOST),
        ("less", -BOOST),
        ("little", -BOOST),
        ("marginally", -BOOST),
        ("occasionally", -BOOST),
        ("partly", -BOOST),
        ("scarcely", -BOOST),
        ("slightly", -BOOST),
        ("somewhat", -BOOST),
        ("sorta", -BOOST),
        ("fairly", -BOOST),
        ("rather", -BOOST),
    ],
    contrast: &["but", "however"],
};

const FR_RULES: Rules = Rules {
    negators: &[
        "manque",
        "manquent",
        "manquait",
        "pas",
        "jamais",
        "sans",
        "aucun",
        "aucune",
        "rien",
        "guere",
        "ni",
        "nullement",
    ],
    boosters: &[
        ("tres", BOOST),
        ("trop", BOOST),
        ("vraiment", BOOST),
        ("tellement", BOOST),
        ("super", BOOST),
        ("hyper", BOOST),
        ("ultra", BOOST),
        ("extremement", BOOST),
        ("vachement", BOOST),
        ("carrement", BOOST),
        ("completement", BOOST),
        ("totalement", BOOST),
        ("absolument", BOOST),
        ("particulierement", BOOST),
        ("franchement", BOOST),
        ("si", BOOST),
        ("aussi", BOOST),
        ("enormement", BOOST),
        ("profondement", BOOST),
        ("hautement", BOOST),
        ("incroyablement", BOOST),
        ("terriblement", BOOST),
        ("archi", BOOST),
        ("plus", BOOST),
        ("bien", BOOST),
        ("peu", -2.0 * BOOST),
        ("assez", -BOOST),
        ("plutot", -BOOST),
        ("moyennement", -2.0 * BOOST),
        ("legerement", -BOOST),
        ("presque", -BOOST),
        ("relativement", -BOOST),
        ("moins", -BOOST),
    ],
    contrast: &[
        "mais",
        "cependant",
        "pourtant",
        "toutefois",
        "neanmoins",
        "contre",
    ],
};

/// The sentiment scorer: lexicons parsed once, then shared (it is `Sync`) by every caller.
#[derive(Debug)]
pub struct Scorer {
    en: Lexicon,
    fr: Lexicon,
    /// Emoticons as folded (lower-case) whitespace-separated tokens: `:)`, `:-(`, `<3`.
    emoticons: FxHashMap<&'static str, f32>,
    emoji: FxHashMap<char, f32>,
}

/// Parses `key<TAB>weight` lines, skipping blank lines and `#` comments.
fn entries(data: &'static str) -> impl Iterator<Item = (&'static str, f32)> {
    data.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (k, w) = l.split_once('\t')?;
            Some((k, w.trim().parse().ok()?))
        })
}

impl Lexicon {
    fn build(base: &'static str, extra: &'static str, rules: &Rules, french: bool) -> Lexicon {
        let mut valences: FxHashMap<&'static str, f32> = FxHashMap::default();
        for (k, w) in entries(base) {
            valences.insert(k, w);
        }
        // Hand-written entries win; a zero weight removes the generated one, and keeps inflection from
        // bringing it back.
        let mut blocked: FxHashSet<&'static str> = FxHashSet::default();
        let mut own: FxHashSet<&'static str> = FxHashSet::default();
        for (k, w) in entries(extra) {
            if w == 0.0 {
                valences.remove(k);
                blocked.insert(k);
            } else {
                valences.insert(k, w);
                own.insert(k);
            }
        }
        let mut lex = Lexicon {
            french,
            ..Lexicon::default()
        };
        let mut next_id = 1u16;
        let mut phrases = Vec::new();
        let mut bases = Vec::new();
        for (&k, &w) in &valences {
            if k.contains(' ') {
                phrases.push((k, w));
            } else {
                bases.push((k, w));
                lex.entry(k).valence = w;
            }
        }
        // Inflected forms the lexicons lack ("gorgeously", "honteusement", "déçues") take their base's
        // valence, slightly lowered. Bases in a fixed order, so that the first base to claim a form keeps it.
        bases.sort_by(|a, b| a.0.cmp(b.0));
        for (k, w) in bases {
            for form in inflections(k, w, french) {
                if blocked.contains(form.as_str()) {
                    continue;
                }
                if lex.find(&form).is_none() {
                    lex.entry(&form).valence = w * INFLECTED;
                }
            }
        }
        for &n in rules.negators {
            lex.entry(n).flags |= NEGATOR;
        }
        // Intensifiers have no valence of their own unless a hand-written entry gives them one ("super").
        for &(b, x) in rules.boosters {
            let e = lex.entry(b);
            e.boost = x;
            if !own.contains(b) {
                e.valence = 0.0;
            }
        }
        for &c in rules.contrast {
            let e = lex.entry(c);
            e.flags |= if c == "contre" { CONTRE } else { CONTRAST };
        }
        if !french {
            lex.entry("like").flags |= LIKE;
            lex.entry("too").flags |= TOO;
        }
        let (never, so, than): (&str, &[&str], &[&str]) = if french {
            (
                "jamais",
                &["aussi", "si", "autant", "tellement"],
                &["que", "qu"],
            )
        } else {
            ("never", &["so", "such", "this", "as"], &["as", "than"])
        };
        lex.entry(never).flags |= NEVER;
        for &w in so {
            lex.entry(w).flags |= SO;
        }
        for &w in than {
            lex.entry(w).flags |= THAN;
        }
        if french {
            for w in ["ne", "n"] {
                lex.entry(w).flags |= NE;
            }
            for w in ["pas", "plus", "jamais", "rien", "guere", "point"] {
                lex.entry(w).flags |= NE_PAIR;
            }
            lex.entry("plus").flags |= PLUS;
            for w in ["pas", "jamais"] {
                lex.entry(w).flags |= POST_NEG;
            }
            lex.entry("de").flags |= DE;
            for w in ["grave", "ouf"] {
                lex.entry(w).flags |= POST_BOOST;
            }
        }
        for (k, w) in phrases {
            let mut ids = [0u16; 3];
            for (slot, word) in ids.iter_mut().zip(k.split(' ')) {
                let e = lex.entry(word);
                if e.id == 0 {
                    e.id = next_id;
                    // Far from the limit; were it reached, expressions would share ids, and the test
                    // that finds every expression would fail.
                    next_id = next_id.saturating_add(1);
                }
                *slot = e.id;
            }
            let first = k.split(' ').next().unwrap_or(k);
            lex.entry(first).flags |= PHRASE_START;
            lex.phrases.insert(ids, (w, k));
        }
        // Built by appending: hand back what the growth left over.
        lex.keys.shrink_to_fit();
        lex.words.shrink_to_fit();
        let Lexicon {
            keys, words, index, ..
        } = &mut lex;
        index.shrink_to_fit(|&i| hash_key(key_of(keys, words, i)));
        lex
    }

    /// The number of a word in `words`, if the lexicon has it.
    fn find(&self, word: &str) -> Option<u32> {
        self.index
            .find(hash_key(word), |&i| {
                key_of(&self.keys, &self.words, i) == word
            })
            .copied()
    }

    /// The entry of a word, added (with nothing known of it) if the lexicon does not have it yet.
    fn entry(&mut self, word: &str) -> &mut Entry {
        let i = match self.find(word) {
            Some(i) => i,
            None => {
                let Lexicon {
                    keys, words, index, ..
                } = self;
                // Lexicons are compiled in: a few hundred kilobytes of keys, far from 4 GiB.
                let (Ok(start), Ok(i)) = (u32::try_from(keys.len()), u32::try_from(words.len()))
                else {
                    unreachable!("a lexicon of more than 4 GiB");
                };
                words.push(Slot {
                    start,
                    entry: Entry::default(),
                });
                keys.push_str(word);
                index.insert_unique(hash_key(word), i, |&j| hash_key(key_of(keys, words, j)));
                i
            }
        };
        &mut self.words[i as usize].entry
    }

    /// The entry of a word, trying its un-elongated forms (`nuuuul`, `sooo`) when it is not known as is.
    /// Returns the entry, the lexicon's key (for the term shown), and whether the word was elongated.
    fn lookup<'a>(&'a self, word: &'a str) -> (Entry, &'a str, bool) {
        if let Some(i) = self.find(word) {
            return (self.words[i as usize].entry, word, false);
        }
        let b = word.as_bytes();
        if b.len() > 48 || !b.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]) {
            return (Entry::default(), word, false);
        }
        // Squeeze runs of three or more to one letter, then to two ("cooool" is "cool", "nuuul" is "nul").
        for keep in [1usize, 2] {
            let mut buf = [0u8; 48];
            let mut n = 0;
            let mut run = 0;
            for (i, &c) in b.iter().enumerate() {
                run = if i > 0 && b[i - 1] == c { run + 1 } else { 1 };
                let run_len = b[i..].iter().take_while(|&&x| x == c).count() + run - 1;
                if run_len < 3 || run <= keep {
                    buf[n] = c;
                    n += 1;
                }
            }
            if let Ok(s) = std::str::from_utf8(&buf[..n])
                && let Some(i) = self.find(s)
            {
                return (
                    self.words[i as usize].entry,
                    key_of(&self.keys, &self.words, i),
                    true,
                );
            }
        }
        (Entry::default(), word, true)
    }
}

/// Regular inflections of a lexicon word. French: plural, feminine and the adverb in `-ment`. English: only
/// the adverb in `-ly` (`gorgeously`, `terribly`): English plurals and `-er`, `-ed` forms are too often other
/// words (`player`, `news`, `business`). Over-generating is harmless (a form that is not a word never
/// matches); a form that is a word of its own and is listed keeps its own entry.
fn inflections(word: &str, valence: f32, french: bool) -> Vec<String> {
    let mut out = Vec::new();
    if word.len() < 3 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return out;
    }
    let stem = |n: usize| &word[..word.len() - n];
    let mut add = |s: String| out.push(s);
    if french {
        for suffix in ["s", "e", "es"] {
            add(format!("{word}{suffix}"));
        }
        if let Some(st) = word.strip_suffix("eux") {
            for suffix in ["euse", "euses", "eusement"] {
                add(format!("{st}{suffix}"));
            }
        } else if let Some(st) = word.strip_suffix("if") {
            for suffix in ["ive", "ives", "ivement"] {
                add(format!("{st}{suffix}"));
            }
        } else if let Some(st) = word.strip_suffix("al") {
            add(format!("{st}aux"));
            add(format!("{word}ement"));
        } else if word.ends_with("au") || word.ends_with("eu") {
            add(format!("{word}x"));
        } else if let Some(st) = word.strip_suffix("ant") {
            add(format!("{st}amment"));
        } else if let Some(st) = word.strip_suffix("ent") {
            add(format!("{st}emment"));
        } else if word.ends_with(['e', 'i', 'u']) {
            add(format!("{word}ment"));
        } else {
            add(format!("{word}ement"));
        }
        for (end, fem) in [
            ("el", "elle"),
            ("en", "enne"),
            ("on", "onne"),
            ("et", "ette"),
            ("er", "ere"),
        ] {
            if word.ends_with(end) {
                add(format!("{}{fem}", stem(2)));
                add(format!("{}{fem}s", stem(2)));
            }
        }
    } else if word.ends_with('y') && !word[..word.len() - 1].ends_with(['a', 'e', 'o', 'u']) {
        add(format!("{}ily", stem(1)));
    } else if word.ends_with("le") {
        add(format!("{}y", stem(1)));
    } else if word.ends_with("ic") {
        add(format!("{word}ally"));
    } else {
        add(format!("{word}ly"));
    }
    // Verb forms only of strongly felt words ("hates", "hated", "loving"): weak words in `-s`, `-ed` are
    // too often nouns and names of things ("means", "games", "based").
    if !french && valence.abs() >= STRONG {
        let e = word.ends_with('e');
        let base = if e { stem(1) } else { word };
        add(format!("{word}s"));
        add(format!("{base}ed"));
        add(format!("{base}ing"));
        add(format!("{base}in"));
    }
    // Dropped g of informal writing: "lovin", "rockin".
    if !french && let Some(st) = word.strip_suffix("ing") {
        add(format!("{st}in"));
    }
    out
}

/// One word of the text being scored.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    word: Word,
    entry: Entry,
    key: &'a str,
    /// Clause number: punctuation and contrast words end a clause, and negation does not cross one.
    clause: u32,
    caps: bool,
    elongated: bool,
}

/// A contribution to the score, before contrast weighting.
struct Unit<'a> {
    /// Byte range in the original text: the term as written, shown to people ("déçue", not the lexicon's
    /// "decue"); its start keeps terms in text order.
    at: usize,
    end: usize,
    valence: f32,
    /// The lexicon's key, shown when the original range cannot be read.
    term: &'a str,
    /// Index of the first word (`usize::MAX` for emoji), for contrast weighting.
    token: usize,
}

impl Default for Scorer {
    fn default() -> Self {
        Scorer::new()
    }
}

impl Scorer {
    /// Parses the compiled-in lexicons. Costs a few milliseconds: build one and share it.
    pub fn new() -> Scorer {
        let emoticons = entries(EMOTICONS).collect();
        let emoji = entries(EMOJI)
            .filter_map(|(k, w)| Some((k.chars().next()?, w)))
            .collect();
        Scorer {
            en: Lexicon::build(EN_BASE, EN_EXTRA, &EN_RULES, false),
            fr: Lexicon::build(FR_BASE, FR_EXTRA, &FR_RULES, true),
            emoticons,
            emoji,
        }
    }

    /// Scores one text. `original` is the text as written, `folded` is `fold(original)`.
    pub fn score(&self, original: &str, folded: &Folded, lang: Lang) -> Sentiment {
        let mut units: Vec<Unit<'_>> = Vec::new();
        let lexicon = match lang {
            Lang::Fr => Some(&self.fr),
            Lang::En => Some(&self.en),
            Lang::Other => None,
        };
        if let Some(lex) = lexicon {
            self.words(lex, original, folded, &mut units);
        }
        self.symbols(original, &mut units);
        let negative = match lang {
            Lang::Fr => NEGATIVE_FR,
            Lang::En => NEGATIVE_EN,
            Lang::Other => 1.0,
        };
        let (mut sum, mut count) = (0.0f32, 0usize);
        for u in &mut units {
            if u.valence < 0.0 {
                u.valence *= negative;
            }
            if u.valence != 0.0 {
                sum += u.valence;
                count += 1;
            }
        }
        // Many weak words should not add up to the certainty of one strong one.
        sum /= (count.max(1) as f32).powf(SPREAD);
        if sum != 0.0 {
            let bangs = original.bytes().filter(|&b| b == b'!').count().min(4) as f32;
            sum += sum.signum() * bangs * EXCLAMATION;
        }
        let score = (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0);
        units.sort_by_key(|u| u.at);
        let terms = units
            .iter()
            .filter(|u| u.valence != 0.0)
            .map(|u| {
                // Shown on the lexicon's scale (-4..4 as -1..1), rules applied, before the extra weight of
                // negative words, so that strong words do not all read -1.
                let v = if u.valence < 0.0 {
                    u.valence / negative
                } else {
                    u.valence
                };
                TermWeight {
                    term: shown(original, u),
                    weight: ((v / 4.0).clamp(-1.0, 1.0) * 100.0).round() / 100.0,
                }
            })
            .collect();
        Sentiment {
            score,
            label: Label::of_score(score),
            terms,
        }
    }

    /// Words and expressions of the lexicon, with the rules applied.
    fn words<'a>(
        &self,
        lex: &'a Lexicon,
        original: &str,
        folded: &'a Folded,
        units: &mut Vec<Unit<'a>>,
    ) {
        let text = folded.as_str();
        let bytes = text.as_bytes();
        let mut tokens: Vec<Token<'a>> = Vec::with_capacity(text.len() / 5 + 4);
        let mut clause = 0u32;
        let mut prev_end = 0usize;
        let (mut caps_words, mut letter_words) = (0usize, 0usize);
        let may_shout = !original.is_ascii() || original.bytes().any(|b| b.is_ascii_uppercase());
        for w in folded.words() {
            if bytes[prev_end..w.start].iter().any(|b| {
                matches!(
                    b,
                    b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\n' | b'(' | b')'
                )
            }) {
                clause = clause.wrapping_add(1);
            }
            prev_end = w.end;
            let (entry, key, elongated) = lex.lookup(folded.word(w));
            // Capitals are looked for only in texts that have some: most social text is lower case.
            let caps = may_shout && {
                let (s, e) = folded.original_range(w.start, w.end);
                let orig = original.get(s..e).unwrap_or("");
                let mut letters = 0;
                let mut upper = true;
                for c in orig.chars().filter(|c| c.is_alphabetic()) {
                    letters += 1;
                    upper &= c.is_uppercase();
                }
                caps_words += usize::from(letters >= 2 && upper);
                letters >= 2 && upper
            };
            letter_words += usize::from(w.end - w.start >= 2 && !bytes[w.start].is_ascii_digit());
            if entry.flags & CONTRAST != 0
                || (entry.flags & CONTRE != 0 && prev_is(&tokens, folded, "par"))
            {
                clause = clause.wrapping_add(1);
            }
            tokens.push(Token {
                word: w,
                entry,
                key,
                clause,
                caps,
                elongated,
            });
        }
        // Capitals are emphasis only against a background of lower case.
        let shouting = caps_words > 0 && caps_words < letter_words;
        let first = units.len();
        let mut contrast_at = None;
        let mut i = 0;
        while i < tokens.len() {
            let t = tokens[i];
            let is_contrast = t.entry.flags & CONTRAST != 0
                || (t.entry.flags & CONTRE != 0
                    && i > 0
                    && folded.word(tokens[i - 1].word) == "par");
            if is_contrast && contrast_at.is_none() {
                contrast_at = Some(i);
            }
            let (mut valence, len, term) = match phrase(lex, &tokens, i) {
                Some((v, n, k)) => (v, n, k),
                None => match excess(&tokens, i) {
                    Some(n) => (EXCESS, 2, &folded.as_str()[t.word.start..n.word.end]),
                    None => (t.entry.valence, 1, t.key),
                },
            };
            // "won't", "can't": the auxiliary before a split `n't` is not the word "won".
            let contracted = len == 1
                && !lex.french
                && tokens
                    .get(i + 1)
                    .is_some_and(|n| folded.word(n.word) == "t");
            if valence == 0.0
                || contracted
                || (len == 1
                    && t.entry.flags & LIKE != 0
                    && !(i > 0 && LIKE_SUBJECTS.contains(&folded.word(tokens[i - 1].word))))
            {
                i += 1;
                continue;
            }
            // An intensifier or negator with a valence of its own ("super", "no") gives it up when it
            // modifies the next word ("super service" is not two praises).
            if len == 1
                && (t.entry.boost != 0.0 || t.entry.flags & NEGATOR != 0)
                && tokens
                    .get(i + 1)
                    .is_some_and(|n| n.entry.valence != 0.0 && n.clause == t.clause)
            {
                i += 1;
                continue;
            }
            let sign = valence.signum();
            if shouting && t.caps {
                valence += sign * CAPS;
            }
            if t.elongated {
                valence += sign * ELONGATION;
            }
            // Intensifiers and dampeners up to three words before, fading with distance.
            for (d, j) in (i.saturating_sub(3)..i).rev().enumerate() {
                let b = tokens[j];
                if b.clause != t.clause || b.entry.boost == 0.0 {
                    continue;
                }
                // `plus` after `ne` negates rather than intensifies.
                if b.entry.flags & PLUS != 0 && ne_before(&tokens, j) {
                    continue;
                }
                let fade = [1.0, 0.95, 0.9][d];
                let mut boost = b.entry.boost * fade;
                if shouting && b.caps && boost > 0.0 {
                    boost += CAPS;
                }
                valence += sign * boost;
            }
            valence += sign * post_boost(&tokens, i + len, t.clause);
            let first_flags = t.entry.flags;
            let mut span = (i, i + len - 1);
            // An expression that carries its own negation ("pas mal", "no thanks") is not negated again.
            if first_flags & (NEGATOR | NE_PAIR) == 0
                && let Some(negation) = negated(
                    &tokens,
                    i,
                    len,
                    if lex.french { 3 } else { NEGATION_SCOPE_EN },
                )
            {
                valence *= NEGATION;
                span = negation;
            }
            let (first, last) = (tokens[span.0].word, tokens[span.1].word);
            let (at, _) = folded.original_range(first.start, first.end);
            let (_, end) = folded.original_range(last.start, last.end);
            units.push(Unit {
                at,
                end,
                valence,
                term,
                token: i,
            });
            i += len;
        }
        if let Some(c) = contrast_at {
            for u in &mut units[first..] {
                u.valence *= if u.token < c {
                    BEFORE_CONTRAST
                } else {
                    AFTER_CONTRAST
                };
            }
        }
    }

    /// Emoji (in the original text) and emoticons (whitespace-separated tokens).
    fn symbols<'a>(&'a self, original: &'a str, units: &mut Vec<Unit<'a>>) {
        if !original.is_ascii() {
            for (at, c) in original.char_indices() {
                if (c as u32) < 0x2190 {
                    continue;
                }
                if let Some(&v) = self.emoji.get(&c) {
                    units.push(Unit {
                        at,
                        end: at + c.len_utf8(),
                        valence: v,
                        term: &original[at..at + c.len_utf8()],
                        token: usize::MAX,
                    });
                }
            }
        }
        let base = original.as_ptr() as usize;
        for tok in original.split_ascii_whitespace() {
            let b = tok.as_bytes();
            if b.len() > 8 || b.iter().all(u8::is_ascii_alphanumeric) || !b.is_ascii() {
                continue;
            }
            let mut buf = [0u8; 8];
            buf[..b.len()].copy_from_slice(b);
            buf[..b.len()].make_ascii_lowercase();
            let Ok(key) = std::str::from_utf8(&buf[..b.len()]) else {
                continue;
            };
            if let Some((&k, &v)) = self.emoticons.get_key_value(key) {
                let at = tok.as_ptr() as usize - base;
                units.push(Unit {
                    at,
                    end: at + tok.len(),
                    valence: v,
                    term: k,
                    token: usize::MAX,
                });
            }
        }
    }
}

/// A term as written in the original text, in lower case, with its inner spacing made one space and
/// invisible characters left out; the lexicon's key if the range does not fit the text.
fn shown(original: &str, u: &Unit<'_>) -> String {
    let Some(written) = original.get(u.at..u.end) else {
        return u.term.to_owned();
    };
    let mut out = String::with_capacity(written.len());
    for word in written.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(
            word.chars()
                .filter(|c| !is_invisible(*c))
                .flat_map(char::to_lowercase),
        );
    }
    if out.is_empty() {
        u.term.to_owned()
    } else {
        out
    }
}

fn prev_is(tokens: &[Token<'_>], folded: &Folded, word: &str) -> bool {
    tokens.last().is_some_and(|t| folded.word(t.word) == word)
}

/// A multi-word entry starting at token `i`: valence, length in words, key. Longest first.
fn phrase<'a>(lex: &'a Lexicon, tokens: &[Token<'_>], i: usize) -> Option<(f32, usize, &'a str)> {
    if tokens[i].entry.flags & PHRASE_START == 0 {
        return None;
    }
    let id = |k: usize| tokens.get(k).map_or(0, |t| t.entry.id);
    let (a, b, c) = (id(i), id(i + 1), id(i + 2));
    if b == 0 {
        return None;
    }
    if c != 0
        && let Some(&(v, k)) = lex.phrases.get(&[a, b, c])
    {
        return Some((v, 3, k));
    }
    lex.phrases.get(&[a, b, 0]).map(|&(v, k)| (v, 2, k))
}

/// English `too` before a word without sentiment of its own ("too long", "too much"): the word after it, if
/// it says excess rather than intensity. Before a sentiment word ("too good") `too` is an intensifier.
fn excess<'a>(tokens: &[Token<'a>], i: usize) -> Option<Token<'a>> {
    let t = tokens[i];
    if t.entry.flags & TOO == 0 {
        return None;
    }
    let n = *tokens.get(i + 1)?;
    let plain = n.entry.valence == 0.0
        && n.entry.boost <= 0.0
        && n.entry.flags & (NEGATOR | PHRASE_START) == 0;
    (n.clause == t.clause && plain).then_some(n)
}

/// Whether a French `ne`/`n'` stands up to three words before token `j`, in its clause.
fn ne_before(tokens: &[Token<'_>], j: usize) -> bool {
    ne_at(tokens, j).is_some()
}

/// The token of a French `ne`/`n'` up to three words before token `j`, in its clause.
fn ne_at(tokens: &[Token<'_>], j: usize) -> Option<usize> {
    let clause = tokens[j].clause;
    let from = j.saturating_sub(3);
    tokens[from..j]
        .iter()
        .rposition(|t| t.clause == clause && t.entry.flags & NE != 0)
        .map(|k| from + k)
}

/// Whether the unit of `len` words at `i` is negated, by a negation up to `scope` words before it; if so,
/// the first and last tokens of the negated expression (`not happy`, `n'aime pas`), which is what a reader
/// is shown.
fn negated(tokens: &[Token<'_>], i: usize, len: usize, scope: usize) -> Option<(usize, usize)> {
    let clause = tokens[i].clause;
    let last = i + len - 1;
    let from = i.saturating_sub(scope);
    let before = &tokens[from..i];
    for (k, t) in before.iter().enumerate() {
        if t.clause != clause {
            continue;
        }
        if t.entry.flags & NEGATOR != 0 {
            // "never been so good" praises; "never as good as the first" still blames.
            let so = t.entry.flags & NEVER != 0
                && before[k + 1..].iter().any(|b| b.entry.flags & SO != 0)
                && !tokens[i + len..]
                    .iter()
                    .take(2)
                    .any(|a| a.clause == clause && a.entry.flags & THAN != 0);
            if so {
                continue;
            }
            // The `t` of a split "don't" is shown with its auxiliary.
            let start = if t.key == "t" {
                (from + k).saturating_sub(1)
            } else {
                from + k
            };
            return Some((start, last));
        }
        // `ne… plus` negates; `plus` alone means "more".
        if t.entry.flags & PLUS != 0
            && let Some(ne) = ne_at(tokens, from + k)
        {
            return Some((ne, last));
        }
    }
    // French `ne` before and its pair after: "je n'aime pas", "il ne marche jamais".
    if let Some(ne) = ne_at(tokens, i) {
        return tokens[i + len..]
            .iter()
            .take(2)
            .position(|t| t.clause == clause && t.entry.flags & NE_PAIR != 0)
            .map(|p| (ne, i + len + p));
    }
    // Informal French drops `ne`: "j'accroche pas", "j'aime pas trop". Not when `pas` governs a word of its
    // own ("excellent, pas cher" is not a negated "excellent").
    if let Some(next) = tokens.get(i + len)
        && next.clause == clause
        && next.entry.flags & POST_NEG != 0
        && tokens
            .get(i + len + 1)
            .is_none_or(|t| t.clause != clause || t.entry.valence == 0.0)
    {
        return Some((i, i + len));
    }
    None
}

/// Intensity added by a slang intensifier right after the unit: `nul grave`, `génial de ouf`.
fn post_boost(tokens: &[Token<'_>], k: usize, clause: u32) -> f32 {
    let Some(t) = tokens.get(k) else { return 0.0 };
    if t.clause != clause {
        return 0.0;
    }
    if t.entry.flags & POST_BOOST != 0 {
        return 2.0 * BOOST;
    }
    if t.entry.flags & DE != 0
        && tokens
            .get(k + 1)
            .is_some_and(|n| n.entry.flags & POST_BOOST != 0 && n.clause == clause)
    {
        return 2.0 * BOOST;
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fold::{fold, fold_str};
    use std::sync::OnceLock;

    fn scorer() -> &'static Scorer {
        static S: OnceLock<Scorer> = OnceLock::new();
        S.get_or_init(Scorer::new)
    }

    fn fr(s: &str) -> f32 {
        scorer().score(s, &fold(s), Lang::Fr).score
    }

    fn en(s: &str) -> f32 {
        scorer().score(s, &fold(s), Lang::En).score
    }

    fn terms(s: &str, lang: Lang) -> Vec<String> {
        scorer()
            .score(s, &fold(s), lang)
            .terms
            .into_iter()
            .map(|t| t.term)
            .collect()
    }

    #[test]
    fn scorer_is_shared_between_workers() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Scorer>();
    }

    #[test]
    fn required_examples() {
        assert!(fr("Je ne suis pas déçu") > -0.05);
        assert!(fr("pas terrible") <= -0.05);
        assert!(fr("Le service est nul mais le produit est génial") >= 0.05);
        assert!(fr("Acme m'a arnaqué 😡") < -0.5);
    }

    #[test]
    fn lexicon_files_are_consistent() {
        for (name, data) in [
            ("en.tsv", EN_BASE),
            ("en_extra.tsv", EN_EXTRA),
            ("fr.tsv", FR_BASE),
            ("fr_extra.tsv", FR_EXTRA),
            ("emoticons.tsv", EMOTICONS),
            ("emoji.tsv", EMOJI),
        ] {
            let mut seen: FxHashMap<&str, f32> = FxHashMap::default();
            let lines = data
                .lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .count();
            let parsed: Vec<_> = entries(data).collect();
            assert_eq!(parsed.len(), lines, "{name}: every line is key<TAB>weight");
            for (k, w) in parsed {
                assert!(
                    (-4.0..=4.0).contains(&w),
                    "{name}: {k} has weight {w} out of -4..4"
                );
                if let Some(old) = seen.insert(k, w) {
                    assert_eq!(old, w, "{name}: {k} listed twice with different weights");
                    panic!("{name}: {k} listed twice");
                }
                if !name.starts_with("emo") {
                    let words: Vec<String> = {
                        let f = fold(k);
                        f.words().map(|w| f.word(w).to_owned()).collect()
                    };
                    assert_eq!(words.join(" "), k, "{name}: key {k:?} is not folded");
                    assert!(words.len() <= 3, "{name}: {k:?} is longer than three words");
                } else if name == "emoticons.tsv" {
                    assert_eq!(fold_str(k), k, "{name}: key {k:?} is not folded");
                }
            }
        }
    }

    /// Guards the lexicons' layout (all keys in one string, entries found through a table of their
    /// numbers): every word of the lexicon files, every inflection the scorer derives and every expression
    /// must still be found under its own key, with the valence the files give it — a key lost or cut short
    /// fails here.
    #[test]
    fn every_word_inflection_and_expression_of_the_files_is_found() {
        // Valences by key, English then French.
        let mut found = Vec::new();
        for (lex, base, extra, rules, french) in [
            (&scorer().en, EN_BASE, EN_EXTRA, &EN_RULES, false),
            (&scorer().fr, FR_BASE, FR_EXTRA, &FR_RULES, true),
        ] {
            // What the files say, hand-written entries winning (a zero removes the generated one).
            let mut listed: std::collections::BTreeMap<&str, f32> = entries(base).collect();
            let mut blocked = FxHashSet::default();
            let mut own = FxHashSet::default();
            for (k, w) in entries(extra) {
                if w == 0.0 {
                    listed.remove(k);
                    blocked.insert(k);
                } else {
                    listed.insert(k, w);
                    own.insert(k);
                }
            }
            let mut expected: std::collections::BTreeMap<String, f32> = listed
                .iter()
                .filter(|(k, _)| !k.contains(' '))
                .map(|(k, w)| ((*k).to_owned(), *w))
                .collect();
            for (k, w) in listed.iter().filter(|(k, _)| !k.contains(' ')) {
                for form in inflections(k, *w, french) {
                    if !blocked.contains(form.as_str()) {
                        expected.entry(form).or_insert(w * INFLECTED);
                    }
                }
            }
            for (b, _) in rules.boosters {
                if !own.contains(b) {
                    expected.insert((*b).to_owned(), 0.0);
                }
            }
            assert!(expected.len() > 5_000, "{} forms", expected.len());
            for (word, valence) in &expected {
                let (entry, key, elongated) = lex.lookup(word);
                assert_eq!(key, word, "{word} is found under its own key");
                assert!(!elongated, "{word}");
                assert_eq!(entry.valence, *valence, "valence of {word}");
            }
            for (k, w) in listed.iter().filter(|(k, _)| k.contains(' ')) {
                let mut ids = [0u16; 3];
                for (slot, word) in ids.iter_mut().zip(k.split(' ')) {
                    *slot = lex.lookup(word).0.id;
                    assert_ne!(*slot, 0, "{word} of {k} has an id");
                }
                let first = lex.lookup(k.split(' ').next().unwrap_or(k)).0;
                assert_ne!(first.flags & PHRASE_START, 0, "{k} starts an expression");
                assert_eq!(lex.phrases.get(&ids), Some(&(*w, *k)), "{k}");
            }
            for &n in rules.negators {
                assert_ne!(lex.lookup(n).0.flags & NEGATOR, 0, "{n} negates");
            }
            assert_eq!(lex.lookup("zzqxj").0.valence, 0.0);
            for (k, w) in listed.iter().filter(|(k, _)| k.contains(' ')) {
                expected.insert((*k).to_owned(), *w);
            }
            found.push(expected);
        }
        // As people write them: accents, inflections (`génialement` and `lovin` are derived, not listed)
        // and expressions, each with the valence the files give its folded key.
        for (text, lang, term, key) in [
            ("Je suis déçue", Lang::Fr, "déçue", "decue"),
            (
                "C'est génialement fait",
                Lang::Fr,
                "génialement",
                "genialement",
            ),
            ("pas mal du tout", Lang::Fr, "pas mal", "pas mal"),
            ("gorgeously shot", Lang::En, "gorgeously", "gorgeously"),
            ("just lovin it", Lang::En, "lovin", "lovin"),
        ] {
            let valence = found[usize::from(lang == Lang::Fr)][key];
            assert_ne!(valence, 0.0, "{key}");
            let s = scorer().score(text, &fold(text), lang);
            let t = s.terms.iter().find(|t| t.term == term);
            let want = ((valence / 4.0).clamp(-1.0, 1.0) * 100.0).round() / 100.0;
            assert_eq!(t.map(|t| t.weight), Some(want), "{text}: {:?}", s.terms);
        }
    }

    #[test]
    fn scores_stay_in_range() {
        let long = "génial ".repeat(200) + &"!".repeat(50);
        assert!(fr(&long) <= 1.0 && fr(&long) > 0.9);
        let long = "horrible awful ".repeat(200);
        assert!(en(&long) >= -1.0 && en(&long) < -0.9);
        assert_eq!(fr(""), 0.0);
        assert_eq!(en("the and of"), 0.0);
    }

    #[test]
    fn english_negation() {
        assert!(en("This is good") > 0.3);
        assert!(en("This is not good") < -0.05);
        assert!(en("This isn't good") < -0.05);
        assert!(en("I never liked it") < -0.05);
        assert!(en("A phone without problems") > 0.05);
        assert!(en("The film lacks charm") < -0.05);
        assert!(en("Nobody likes this") < -0.05);
        assert!(en("I don't like it") < -0.05);
        assert!(en("They won't answer") <= 0.0, "won't is not a victory");
        // Negation stops at the end of a clause.
        assert!(en("Not now. Great product") > 0.3);
        // `never` before a comparative praises more, unless a comparison follows.
        assert!(en("I have never been so happy with a provider") > 0.3);
        assert!(en("Never such a great service") > 0.3);
        assert!(en("It was never as good as the first one") < -0.05);
    }

    #[test]
    fn french_negation() {
        assert!(fr("Ce produit est bon") > 0.2);
        assert!(fr("Ce produit n'est pas bon") < -0.05);
        assert!(fr("Ce produit n' est pas bon") < -0.05, "tokenised elision");
        assert!(fr("je n'aime pas") < -0.05);
        assert!(fr("je n aime pas ce film") < -0.05);
        assert!(fr("Il ne marche jamais bien") < -0.05);
        assert!(fr("Je ne suis plus satisfait") < -0.05);
        assert!(fr("Rien de bon") < -0.05);
        assert!(fr("Un film sans intérêt") < -0.05);
        assert!(fr("Aucun plaisir") < -0.05);
        assert!(fr("Ça manque d'originalité") < -0.05);
        assert!(fr("c'est pas bon") < -0.05, "pas alone, informal");
        assert!(fr("j'aime pas") < -0.05, "ne dropped, informal");
        assert!(fr("j'accroche pas vraiment") < -0.05);
        assert!(fr("Excellent, pas cher") > 0.05);
        assert!(fr("Jamais déçu par Acme") > -0.05);
        // `plus` without `ne` is "more".
        assert!(fr("le plus beau") > 0.2);
        // `jamais` before a comparative praises or blames more, unless a comparison follows.
        assert!(fr("Je n'ai jamais été aussi bien servi") > 0.2);
        assert!(fr("Jamais vu un service aussi nul") < -0.3);
        assert!(fr("Ce ne sera jamais aussi bon que l'original") < -0.05);
    }

    #[test]
    fn idioms() {
        assert!(fr("pas mal du tout") > 0.05);
        assert!(fr("Une série à ne pas rater") > 0.05);
        assert!(fr("c'est pas terrible") < -0.05);
        assert!(fr("Rappel produit chez Acme") < -0.3);
        assert!(fr("Le service client injoignable depuis une semaine") < -0.3);
        assert!(fr("Fuite de données chez Acme") < -0.3);
        assert!(en("No thanks") < -0.05);
        assert_eq!(
            terms("Rappel produit chez Acme", Lang::Fr),
            ["rappel produit"]
        );
    }

    #[test]
    fn too_says_excess_before_a_plain_word() {
        assert!(en("The film is too long") < -0.05);
        assert!(en("It costs too much") < -0.05);
        assert!(en("too little, too late") < -0.05);
        assert!(
            en("too good") > en("good"),
            "before a sentiment word it intensifies"
        );
        assert_eq!(en("Me too."), 0.0);
        assert!(en("It is not too long") > 0.05);
        assert_eq!(terms("The film is too long", Lang::En), ["too long"]);
    }

    #[test]
    fn like_is_a_verb_only_after_a_subject() {
        assert!(en("I like it") > 0.05);
        assert!(en("we really like the new app") > 0.05);
        assert_eq!(en("It is like a box"), 0.0);
        assert_eq!(en("Like its script, the plot"), 0.0);
    }

    #[test]
    fn intensifiers_and_dampeners() {
        assert!(en("very good") > en("good"));
        assert!(en("extremely bad") < en("bad"));
        assert!(en("slightly good") < en("good"));
        assert!(fr("très bon") > fr("bon"));
        assert!(fr("vraiment nul") < fr("nul"));
        assert!(fr("un peu décevant") > fr("décevant"));
        assert!(
            fr("nul grave") < fr("nul"),
            "slang intensifier after the word"
        );
        assert!(fr("génial de ouf") > fr("génial"));
        // A missing accent changes nothing: the lexicon is folded.
        assert_eq!(fr("tres decu"), fr("très déçu"));
    }

    #[test]
    fn contrast_weighs_the_second_clause() {
        assert!(en("The food was bad but the service was excellent") > 0.05);
        assert!(en("The food was great, however the service was horrible") < -0.05);
        assert!(fr("Le produit est bien, cependant la livraison est catastrophique") < -0.05);
        assert!(fr("Le service est nul par contre le produit est génial") > 0.05);
        assert!(fr("Cher, pourtant excellent") > 0.05);
    }

    #[test]
    fn emphasis() {
        assert!(en("This is GREAT") > en("This is great"));
        assert!(fr("C'est NUL") < fr("c'est nul"));
        // All capitals is not emphasis on any word.
        assert_eq!(en("THIS IS GREAT"), en("this is great"));
        assert!(en("Great!!!") > en("Great"));
        assert!(fr("Nul !!") < fr("Nul"));
        assert!(fr("nuuuuul") < -0.3);
        assert!(fr("nuuuuul") < fr("nul"));
        assert!(fr("génialllll") > 0.3);
        assert!(en("sooo bad") < en("bad"));
    }

    #[test]
    fn emoji_and_emoticons_count_in_both_languages() {
        assert!(fr("Livraison reçue 😍") > 0.3);
        assert!(fr("Livraison 👎") < -0.3);
        assert!(en("Delivery 🤬") < -0.3);
        assert!(fr("Je t'aime ❤️") > 0.3);
        assert!(en("Thanks :)") > en("Thanks"));
        assert!(fr("Encore en retard :(") < -0.2);
        assert!(fr("Trop fort :D") > 0.3);
        assert!(en("ok :-)") > 0.3);
        let s = scorer().score("Das ist 😡", &fold("Das ist 😡"), Lang::Other);
        assert_eq!(s.label, Label::Neg);
    }

    #[test]
    fn elisions_split() {
        assert!(fr("c'est nul") < -0.3);
        assert!(fr("c' est nul") < -0.3);
        assert!(fr("j'adore") > 0.3);
        assert!(fr("l'accueil était génial") > 0.3);
        assert!(fr("qu'est-ce que c'est décevant") < -0.3);
    }

    #[test]
    fn crisis_vocabulary() {
        for s in [
            "Acme est une arnaque",
            "Boycott Acme",
            "Scandale chez Acme",
            "C'est honteux",
            "Encore une panne",
            "Escroquerie !",
            "Plainte déposée contre Acme",
            "Intoxication après un repas",
            "Plus jamais Maison Brioche",
            "Je ne reviendrai plus jamais chez eux",
            "Aucune excuse après le rappel",
        ] {
            assert!(fr(s) <= -0.05, "{s} should be negative");
        }
        for s in [
            "Top !",
            "Génial",
            "trop bien",
            "c'est ouf",
            "bravo l'équipe",
        ] {
            assert!(fr(s) >= 0.05, "{s} should be positive");
        }
        assert!(fr("bof") <= -0.05);
        assert!(fr("de la merde") < -0.3);
    }

    #[test]
    fn terms_are_in_text_order_with_weights() {
        let s = scorer().score(
            "Acme m'a arnaqué 😡",
            &fold("Acme m'a arnaqué 😡"),
            Lang::Fr,
        );
        let names: Vec<&str> = s.terms.iter().map(|t| t.term.as_str()).collect();
        // As written (accents kept), not the lexicon's key "arnaque".
        assert_eq!(names, ["arnaqué", "😡"]);
        assert!(s.terms.iter().all(|t| t.weight < 0.0 && t.weight >= -1.0));
        assert_eq!(s.label, Label::Neg);
        // In lower case, one space inside an expression, no invisible characters.
        assert_eq!(
            terms("Vraiment DÉÇUE. Plus\n  jamais ! Hon\u{200B}teux", Lang::Fr),
            ["déçue", "plus jamais", "honteux"]
        );
        // A negated word is shown with what negates it.
        assert_eq!(terms("Not happy with Acme", Lang::En), ["not happy"]);
        assert_eq!(
            terms("I don't really like it", Lang::En),
            ["don't really like"]
        );
        assert_eq!(terms("Je n'aime pas ce service", Lang::Fr), ["n'aime pas"]);
        assert_eq!(
            terms("Je ne suis plus satisfait", Lang::Fr),
            ["ne suis plus satisfait"]
        );
        assert_eq!(terms("j'aime pas", Lang::Fr), ["aime pas"]);
    }

    #[test]
    fn long_texts_with_many_clauses_stay_in_range() {
        // More clauses than a u16 counts: clause numbers wrap, they never overflow.
        let text = "nul, ".repeat(70_000);
        let s = fr(&text);
        assert!((-1.0..=-0.9).contains(&s));
    }

    proptest::proptest! {
        #[test]
        fn any_text_scores_in_range(text in "\\PC{0,200}", french in proptest::bool::ANY) {
            let lang = if french { Lang::Fr } else { Lang::En };
            let s = scorer().score(&text, &fold(&text), lang);
            proptest::prop_assert!(s.score.is_finite() && (-1.0..=1.0).contains(&s.score));
            proptest::prop_assert!(s.terms.iter().all(|t| (-1.0..=1.0).contains(&t.weight)));
            proptest::prop_assert_eq!(s.label, Label::of_score(s.score));
        }
    }

    #[test]
    fn other_language_reads_only_symbols() {
        let s = scorer().score("nul nul nul", &fold("nul nul nul"), Lang::Other);
        assert_eq!(s.score, 0.0);
        assert!(s.terms.is_empty());
    }
}
