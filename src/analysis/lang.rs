//! Language: is a text French, English or something else?
//!
//! In: a [`Folded`] text (the same one rules and sentiment read) and the language its feed declares, if any.
//! Out: [`Lang::Fr`], [`Lang::En`] or [`Lang::Other`]. Called by the analysis pipeline once per mention and by
//! `veille score --lang auto`.
//!
//! The first pass counts very frequent function words of French, of English, and of the neighbouring
//! languages that are most often mistaken for them (German, Spanish, Italian, Portuguese, Dutch), plus words
//! in other scripts. Most texts of more than a few words settle there, at a fraction of the cost of a
//! trigram model. Short or mixed texts go to the second pass: sentiment words only one of the two lexicons
//! knows ("arnaque", "awesome") add their votes; then the feed's hint wins if the words do not contradict
//! it, else the stronger of French and English, else whatlang over all its languages (not an allow-list, so
//! that German stays `Other`). A text that still points nowhere and has no word of another language is read
//! as French or English by whatlang restricted to those two, so that its sentiment is still scored.

use hashbrown::HashTable;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

use super::fold::Folded;
use super::sentiment::{
    EN_BASE as EN_WORDS, EN_EXTRA as EN_EXTRA_WORDS, FR_BASE as FR_WORDS,
    FR_EXTRA as FR_EXTRA_WORDS,
};
use crate::model::Lang;

/// Weight of a function word for (French, English, other languages). Halves mark words shared with a
/// neighbour: `la`, `de` and `que` are also Spanish, `in` and `will` also German.
type Votes = (f32, f32, f32);

const FRENCH: &[(&str, f32)] = &[
    ("le", 1.0),
    ("les", 1.0),
    ("des", 1.0),
    ("du", 1.0),
    ("est", 1.0),
    ("et", 1.0),
    ("je", 1.0),
    ("nous", 1.0),
    ("vous", 1.0),
    ("ils", 1.0),
    ("elle", 1.0),
    ("elles", 1.0),
    ("pas", 1.0),
    ("ne", 1.0),
    ("qu", 1.0),
    ("au", 1.0),
    ("aux", 1.0),
    ("ce", 1.0),
    ("cette", 1.0),
    ("ces", 1.0),
    ("mais", 0.5),
    ("pour", 1.0),
    ("avec", 1.0),
    ("sur", 1.0),
    ("dans", 1.0),
    ("qui", 1.0),
    ("tres", 1.0),
    ("tout", 1.0),
    ("sont", 1.0),
    ("ont", 1.0),
    ("suis", 1.0),
    ("mon", 1.0),
    ("mes", 1.0),
    ("ton", 1.0),
    ("ses", 1.0),
    ("leur", 1.0),
    ("bien", 1.0),
    ("fait", 1.0),
    ("etre", 1.0),
    ("avoir", 1.0),
    ("ca", 1.0),
    ("c", 1.0),
    ("j", 1.0),
    ("l", 1.0),
    ("d", 1.0),
    ("n", 1.0),
    ("une", 1.0),
    ("la", 0.5),
    ("de", 0.5),
    ("que", 0.5),
    ("un", 0.5),
    ("il", 0.5),
    ("en", 0.5),
    ("par", 1.0),
    ("comme", 1.0),
    ("aussi", 1.0),
    ("sans", 1.0),
    ("encore", 1.0),
    ("deja", 1.0),
    ("apres", 1.0),
    ("quand", 1.0),
    ("merci", 1.0),
    ("oui", 1.0),
    ("non", 0.5),
    ("ou", 1.0),
    ("mais", 0.5),
    ("votre", 1.0),
    ("notre", 1.0),
    ("nos", 1.0),
    ("vos", 1.0),
    ("moi", 1.0),
    ("toi", 1.0),
    ("lui", 1.0),
    ("cela", 1.0),
    ("tous", 1.0),
    ("fois", 1.0),
    ("rien", 1.0),
    ("jamais", 1.0),
    ("toujours", 1.0),
    ("trop", 1.0),
    ("peu", 1.0),
    ("chez", 1.0),
    ("sa", 0.5),
    ("ma", 0.5),
    ("tu", 0.5),
    ("se", 0.5),
    ("qui", 1.0),
    ("quoi", 1.0),
    ("ete", 1.0),
    ("avez", 1.0),
    ("sommes", 1.0),
    ("etes", 1.0),
    ("vraiment", 1.0),
    ("nul", 1.0),
    ("genial", 1.0),
    ("super", 0.5),
];

const ENGLISH: &[(&str, f32)] = &[
    ("the", 1.0),
    ("and", 1.0),
    ("is", 1.0),
    ("are", 1.0),
    ("was", 0.5),
    ("were", 1.0),
    ("to", 1.0),
    ("of", 1.0),
    ("in", 0.5),
    ("that", 1.0),
    ("it", 1.0),
    ("for", 1.0),
    ("with", 1.0),
    ("this", 1.0),
    ("you", 1.0),
    ("i", 0.5),
    ("my", 1.0),
    ("not", 1.0),
    ("have", 1.0),
    ("has", 1.0),
    ("be", 1.0),
    ("but", 1.0),
    ("they", 1.0),
    ("we", 1.0),
    ("he", 1.0),
    ("she", 1.0),
    ("at", 1.0),
    ("from", 1.0),
    ("by", 1.0),
    ("your", 1.0),
    ("our", 1.0),
    ("what", 1.0),
    ("so", 0.5),
    ("just", 1.0),
    ("can", 1.0),
    ("will", 0.5),
    ("would", 1.0),
    ("do", 0.5),
    ("does", 1.0),
    ("did", 1.0),
    ("about", 1.0),
    ("all", 1.0),
    ("get", 1.0),
    ("if", 1.0),
    ("or", 1.0),
    ("an", 1.0),
    ("been", 1.0),
    ("had", 1.0),
    ("there", 1.0),
    ("their", 1.0),
    ("which", 1.0),
    ("who", 1.0),
    ("when", 1.0),
    ("how", 1.0),
    ("its", 1.0),
    ("very", 1.0),
    ("really", 1.0),
    ("t", 1.0),
    ("me", 0.5),
    ("no", 0.5),
    ("one", 1.0),
    ("out", 1.0),
    ("up", 1.0),
    ("more", 1.0),
    ("than", 1.0),
    ("them", 1.0),
    ("his", 1.0),
    ("her", 1.0),
    ("on", 0.5),
    ("like", 1.0),
    ("good", 1.0),
    ("great", 1.0),
    ("thanks", 1.0),
    ("love", 1.0),
    ("should", 1.0),
    ("could", 1.0),
    ("because", 1.0),
    ("only", 1.0),
    ("never", 1.0),
    ("too", 1.0),
];

const OTHER: &[(&str, f32)] = &[
    // German
    ("der", 1.0),
    ("die", 1.0),
    ("das", 1.0),
    ("und", 1.0),
    ("ist", 1.0),
    ("nicht", 1.0),
    ("ich", 1.0),
    ("mit", 1.0),
    ("sie", 1.0),
    ("wir", 1.0),
    ("ein", 1.0),
    ("eine", 1.0),
    ("den", 1.0),
    ("dem", 1.0),
    ("zu", 1.0),
    ("auf", 1.0),
    ("fur", 1.0),
    ("von", 1.0),
    ("sich", 1.0),
    ("auch", 1.0),
    ("es", 0.5),
    ("sehr", 1.0),
    ("aber", 1.0),
    ("wie", 1.0),
    ("noch", 1.0),
    ("nur", 1.0),
    ("was", 0.5),
    ("will", 0.5),
    // Spanish
    ("el", 1.0),
    ("los", 1.0),
    ("las", 1.0),
    ("y", 1.0),
    ("del", 1.0),
    ("con", 1.0),
    ("por", 1.0),
    ("una", 1.0),
    ("muy", 1.0),
    ("para", 1.0),
    ("pero", 1.0),
    ("como", 1.0),
    ("esta", 1.0),
    ("este", 1.0),
    ("es", 0.5),
    ("lo", 1.0),
    ("mas", 1.0),
    ("su", 1.0),
    ("al", 0.5),
    ("la", 0.5),
    ("de", 0.5),
    ("que", 0.5),
    ("un", 0.5),
    ("en", 0.5),
    ("se", 0.5),
    ("tu", 0.5),
    ("no", 0.5),
    ("sa", 0.5),
    // Italian
    ("che", 1.0),
    ("di", 1.0),
    ("della", 1.0),
    ("il", 0.5),
    ("sono", 1.0),
    ("per", 1.0),
    ("e", 1.0),
    ("non", 0.5),
    ("molto", 1.0),
    ("questo", 1.0),
    ("ma", 0.5),
    ("gli", 1.0),
    ("anche", 1.0),
    // Portuguese
    ("nao", 1.0),
    ("voce", 1.0),
    ("uma", 1.0),
    ("com", 1.0),
    ("isso", 1.0),
    ("muito", 1.0),
    ("em", 1.0),
    ("os", 1.0),
    ("mais", 0.5),
    ("da", 1.0),
    ("do", 0.5),
    // Dutch
    ("het", 1.0),
    ("een", 1.0),
    ("van", 1.0),
    ("niet", 1.0),
    ("ik", 1.0),
    ("zijn", 1.0),
    ("ook", 1.0),
    ("op", 1.0),
    ("maar", 1.0),
    ("voor", 1.0),
    ("wat", 1.0),
    ("heb", 1.0),
];

fn votes() -> &'static FxHashMap<&'static str, Votes> {
    static VOTES: OnceLock<FxHashMap<&'static str, Votes>> = OnceLock::new();
    VOTES.get_or_init(|| {
        let mut map: FxHashMap<&'static str, Votes> = FxHashMap::default();
        for &(w, x) in FRENCH {
            map.entry(w).or_default().0 = x;
        }
        for &(w, x) in ENGLISH {
            map.entry(w).or_default().1 = x;
        }
        for &(w, x) in OTHER {
            map.entry(w).or_default().2 = x;
        }
        map
    })
}

/// Whether a folded word is written in a script that is neither French nor English (Cyrillic, Greek,
/// Arabic, CJK…). Folding has already turned accented Latin letters into ASCII.
fn foreign_script(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| !c.is_ascii() && c.is_alphabetic() && c > '\u{024F}')
}

/// The lexicon files whose words vote, with the language they vote for: `1` French, `-1` English.
const SIDE_FILES: [(i8, &str); 4] = [
    (1, FR_WORDS),
    (1, FR_EXTRA_WORDS),
    (-1, EN_WORDS),
    (-1, EN_EXTRA_WORDS),
];

/// A word of [`SIDE_FILES`] by where it is: the file's number (2 bits), the key's offset in it (18 bits)
/// and its length (12 bits). The table holds these rather than the words, a third of the memory of a map
/// of `&str`.
fn side_spot(file: usize, offset: usize, len: usize) -> Option<u32> {
    (file < 4 && offset < 1 << 18 && len < 1 << 12)
        .then(|| u32::try_from(file << 30 | offset << 12 | len).ok())
        .flatten()
}

/// The word at a [`side_spot`] and its side.
fn side_word(spot: u32) -> (&'static str, i8) {
    let (file, offset, len) = (spot >> 30, (spot >> 12) & 0x3_ffff, spot & 0xfff);
    let (side, data) = SIDE_FILES[file as usize];
    let start = offset as usize;
    (data.get(start..start + len as usize).unwrap_or(""), side)
}

fn hash_word(word: &str) -> u64 {
    use std::hash::BuildHasher as _;
    rustc_hash::FxBuildHasher.hash_one(word)
}

/// Words that only one of the two sentiment lexicons knows, as [`side_spot`]s. Sentiment words are what
/// short social texts are made of ("Top !", "arnaque", "awesome"), so they settle many texts the function
/// words leave open.
fn lexicon_sides() -> &'static HashTable<u32> {
    static SIDES: OnceLock<HashTable<u32>> = OnceLock::new();
    SIDES.get_or_init(|| {
        let mut table: HashTable<u32> = HashTable::new();
        let mut both: FxHashSet<&'static str> = FxHashSet::default();
        let find = |table: &HashTable<u32>, key: &str| {
            table
                .find(hash_word(key), |&s| side_word(s).0 == key)
                .copied()
        };
        for (file, &(side, data)) in SIDE_FILES.iter().enumerate() {
            let mut offset = 0;
            for line in data.split_inclusive('\n') {
                let at = offset;
                offset += line.len();
                if line.starts_with('#') {
                    continue;
                }
                let Some((key, _)) = line.split_once('\t') else {
                    continue;
                };
                if key.contains(' ') {
                    continue;
                }
                match find(&table, key) {
                    Some(s) if side_word(s).1 != side => {
                        both.insert(key);
                    }
                    Some(_) => {}
                    None => {
                        // The files are compiled in and far below the spot's limits (a test checks every
                        // word is found).
                        if let Some(spot) = side_spot(file, at, key.len()) {
                            table.insert_unique(hash_word(key), spot, |&s| {
                                hash_word(side_word(s).0)
                            });
                        }
                    }
                }
            }
        }
        table.retain(|s| !both.contains(side_word(*s).0));
        table.shrink_to_fit(|&s| hash_word(side_word(s).0));
        table
    })
}

/// The side of a word in [`lexicon_sides`]: `1` French, `-1` English, `0` neither or both.
fn lexicon_side(word: &str) -> i8 {
    lexicon_sides()
        .find(hash_word(word), |&s| side_word(s).0 == word)
        .map_or(0, |&s| side_word(s).1)
}

/// Lexicon votes of a folded text: (French, English).
fn lexicon_votes(text: &Folded) -> (f32, f32) {
    let (mut f, mut e) = (0.0f32, 0.0f32);
    for w in text.words() {
        match lexicon_side(text.word(w)) {
            1 => f += 0.5,
            -1 => e += 0.5,
            _ => {}
        }
    }
    (f, e)
}

/// Function-word votes of a folded text: (French, English, other).
fn count(text: &Folded) -> Votes {
    let votes = votes();
    let (mut f, mut e, mut o) = (0.0f32, 0.0f32, 0.0f32);
    let bytes = text.as_str().as_bytes();
    for w in text.words() {
        let word = text.word(w);
        // Elided letters (`l'`, `d'`, `n't`) count only beside their apostrophe: the `D` of `:-D` is not
        // French.
        if matches!(word, "c" | "d" | "j" | "l" | "n" | "t")
            && bytes.get(w.end) != Some(&b'\'')
            && (w.start == 0 || bytes[w.start - 1] != b'\'')
        {
            continue;
        }
        if let Some(&(vf, ve, vo)) = votes.get(word) {
            f += vf;
            e += ve;
            o += vo;
        } else if foreign_script(word) {
            o += 1.0;
        }
    }
    (f, e, o)
}

/// Detects the language of a folded text. `hint` is the language the feed declares: it settles short or
/// ambiguous texts, but words that clearly say otherwise win over it.
pub fn detect(text: &Folded, hint: Option<Lang>) -> Lang {
    let (mut f, mut e, o) = count(text);
    let mut ranked = [(f, Lang::Fr), (e, Lang::En), (o, Lang::Other)];
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (best, lang) = ranked[0];
    let second = ranked[1].0;
    // Clear function-word majority: two votes at least, twice the runner-up's, one and a half ahead.
    if best >= 2.0 && best >= 2.0 * second && best - second >= 1.5 {
        return lang;
    }
    let (lf, le) = lexicon_votes(text);
    f += lf;
    e += le;
    let side = |l: Lang| match l {
        Lang::Fr => f,
        Lang::En => e,
        Lang::Other => o,
    };
    if let Some(h) = hint {
        // The hint stands unless another language has clearly more votes than it.
        let others = [Lang::Fr, Lang::En, Lang::Other]
            .into_iter()
            .filter(|&l| l != h)
            .map(side)
            .fold(0.0f32, f32::max);
        if side(h) + 1.0 >= others {
            return h;
        }
    }
    let stronger = if f > e {
        Some(Lang::Fr)
    } else if e > f {
        Some(Lang::En)
    } else {
        None
    };
    if let Some(l) = stronger
        && o <= f.max(e)
    {
        return l;
    }
    // Too few words for the first pass: ask the trigram model, over all its languages.
    if let Some(info) = whatlang::detect(text.as_str()) {
        let guess = match info.lang() {
            whatlang::Lang::Fra => Lang::Fr,
            whatlang::Lang::Eng => Lang::En,
            _ => Lang::Other,
        };
        if info.is_reliable() || guess != Lang::Other {
            if guess == Lang::Other && o < f.max(e) {
                // A function word of ours outweighs an unsure guess at a third language.
                return stronger.unwrap_or(guess);
            }
            return guess;
        }
    }
    if o > f.max(e) {
        return Lang::Other;
    }
    if let Some(l) = stronger.or(hint) {
        return l;
    }
    // Nothing points anywhere (a few words, an emoticon): a text with no word of another language and no
    // other script is read as French or English, whichever the trigram model finds closer, so that its
    // sentiment is still scored.
    if o == 0.0 {
        static FR_EN: OnceLock<whatlang::Detector> = OnceLock::new();
        let detector = FR_EN.get_or_init(|| {
            whatlang::Detector::with_allowlist(vec![whatlang::Lang::Fra, whatlang::Lang::Eng])
        });
        match detector.detect_lang(text.as_str()) {
            Some(whatlang::Lang::Fra) => return Lang::Fr,
            Some(whatlang::Lang::Eng) => return Lang::En,
            _ => {}
        }
    }
    Lang::Other
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::fold::fold;

    fn lang(s: &str) -> Lang {
        detect(&fold(s), None)
    }

    /// Guards the table of lexicon words by their place in the files: every single word of the four files
    /// has the side the files give it (French only, English only, or none when both list it), and words
    /// of neither file have none.
    #[test]
    fn every_lexicon_word_has_its_side() {
        let mut expected: FxHashMap<&str, i8> = FxHashMap::default();
        for (side, data) in SIDE_FILES {
            for line in data.lines().filter(|l| !l.starts_with('#')) {
                if let Some((key, _)) = line.split_once('\t')
                    && !key.contains(' ')
                {
                    let s = expected.entry(key).or_insert(side);
                    if *s != side {
                        *s = 0;
                    }
                }
            }
        }
        assert!(expected.values().filter(|&&s| s == 1).count() > 1_000);
        assert!(expected.values().filter(|&&s| s == -1).count() > 1_000);
        assert!(expected.values().any(|&s| s == 0));
        for (word, side) in &expected {
            assert_eq!(lexicon_side(word), *side, "{word}");
        }
        assert_eq!(
            lexicon_sides().len(),
            expected.values().filter(|&&s| s != 0).count()
        );
        assert_eq!(lexicon_side("arnaque"), 1);
        assert_eq!(lexicon_side("awesome"), -1);
        assert_eq!(lexicon_side("zzqxj"), 0);
        assert_eq!(lexicon_side(""), 0);
    }

    #[test]
    fn french_sentences() {
        assert_eq!(lang("Je ne suis pas déçu par le service client"), Lang::Fr);
        assert_eq!(lang("Acme m'a arnaqué, c'est honteux"), Lang::Fr);
        assert_eq!(lang("Super service, merci !"), Lang::Fr);
        assert_eq!(lang("Acme m'a arnaqué 😡"), Lang::Fr);
        assert_eq!(
            lang("Grève à la SNCF : les trains sont annulés demain"),
            Lang::Fr
        );
    }

    #[test]
    fn english_sentences() {
        assert_eq!(
            lang("The customer service is terrible and I want a refund"),
            Lang::En
        );
        assert_eq!(lang("Worst product ever, not buying this again"), Lang::En);
        assert_eq!(lang("I love it!"), Lang::En);
        assert_eq!(lang("Awesome!"), Lang::En);
        assert_eq!(lang("So awesome. :-D"), Lang::En);
    }

    #[test]
    fn other_languages_stay_other() {
        assert_eq!(
            lang("Der Kundendienst ist nicht gut und ich bin sehr enttäuscht"),
            Lang::Other
        );
        assert_eq!(
            lang("El servicio es muy malo y no funciona con mi cuenta"),
            Lang::Other
        );
        assert_eq!(
            lang("Questo prodotto è molto buono, lo consiglio a tutti per il prezzo"),
            Lang::Other
        );
        assert_eq!(lang("Служба поддержки не отвечает уже неделю"), Lang::Other);
    }

    #[test]
    fn hint_settles_short_texts() {
        assert_eq!(detect(&fold("Acme"), Some(Lang::Fr)), Lang::Fr);
        assert_eq!(detect(&fold("Acme"), Some(Lang::En)), Lang::En);
        assert_eq!(detect(&fold("Top !"), Some(Lang::Fr)), Lang::Fr);
    }

    #[test]
    fn words_beat_a_wrong_hint() {
        let text = fold("Le produit est arrivé cassé et le service client ne répond pas");
        assert_eq!(detect(&text, Some(Lang::En)), Lang::Fr);
        let text = fold("The product arrived broken and the support does not answer");
        assert_eq!(detect(&text, Some(Lang::Fr)), Lang::En);
    }

    proptest::proptest! {
        #[test]
        fn any_text_gets_a_language(text in "\\PC{0,120}") {
            let folded = fold(&text);
            let _ = detect(&folded, None);
            proptest::prop_assert_eq!(detect(&fold(""), Some(Lang::En)), Lang::En);
        }
    }

    #[test]
    fn empty_text_follows_the_hint() {
        assert_eq!(detect(&fold(""), None), Lang::Other);
        assert_eq!(detect(&fold("😡 !!!"), Some(Lang::Fr)), Lang::Fr);
    }
}
