//! Folding: the one normal form that rules and sentiment both read.
//!
//! In: any text (a mention's title or body, a rule term, a line typed at the CLI). Out: a [`Folded`] text,
//! lower-cased, accent-free, NFKC-normalised (full-width letters become ASCII, ligatures split), with
//! zero-width and other invisible format characters removed, `œ`/`æ`/`ß` spelt out and every apostrophe
//! variant turned into `'`. Each folded byte keeps the byte offset of the original character it came from,
//! so a match in folded text can be shown in the original (`veille rules test` prints those offsets).
//!
//! Words are maximal runs of letters and digits in the folded text. Apostrophes, hyphens, `#` and `@` are
//! separators, which is what makes `l'entreprise`, `d'Acme`, `#Acme` and `@acme` yield the words
//! `entreprise` and `acme`, and keeps `acme` from matching inside `acmeist`.
//!
//! Pure code: callers are the rule matcher, the sentiment scorer and the CLI. Texts that are pure ASCII
//! (most of them) skip the Unicode work entirely; the output is the same.
//!
//! Linear in the text, hostile text included: each character is decomposed on its own (no buffer of
//! combining marks to reorder, since they are dropped), into at most a bounded number of characters.
//! `fold_counted` counts the steps, for tests to check.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// A folded text with the way back to the original offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded {
    text: String,
    /// `origin[i]` is the byte offset in the original text of the character that produced folded byte `i`;
    /// one extra entry holds the original length. `None` when folding kept every byte in place (ASCII).
    origin: Option<Vec<u32>>,
    original_len: usize,
}

/// A word of a folded text, as a byte range into [`Folded::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
}

impl Folded {
    /// The folded text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The byte offset in the original text that folded byte `folded` comes from. `folded` may be the
    /// folded length, which maps to the original length.
    pub fn original_offset(&self, folded: usize) -> usize {
        match &self.origin {
            None => folded.min(self.original_len),
            Some(origin) => origin
                .get(folded)
                .map_or(self.original_len, |&o| o as usize),
        }
    }

    /// The original byte range `[start, end)` that the folded range `[start, end)` covers, widened to whole
    /// original characters.
    pub fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let s = self.original_offset(start);
        // The end is the start of the next original character after the last folded byte.
        let e = if end == 0 {
            s
        } else {
            let last = self.original_offset(end - 1);
            let mut next = self.original_offset(end);
            if next <= last {
                // Several folded bytes from one original character: find where it ends.
                let mut k = end;
                while k < self.text.len() && self.original_offset(k) == last {
                    k += 1;
                }
                next = self.original_offset(k);
            }
            next
        };
        (s, e.max(s))
    }

    /// The words of the folded text, in order.
    pub fn words(&self) -> Words<'_> {
        Words {
            text: &self.text,
            pos: 0,
        }
    }

    /// The words of the folded text from byte `pos` on (`pos` at the start of the text or just after a
    /// separator, or the first word found may be the tail of one).
    pub fn words_from(&self, pos: usize) -> Words<'_> {
        Words {
            text: &self.text,
            pos,
        }
    }

    /// The folded text of one word.
    pub fn word(&self, w: Word) -> &str {
        &self.text[w.start..w.end]
    }

    /// The folding of `a`, `sep` and `b` one after the other, from the foldings of `a` and `b`: the same as
    /// folding the joined text, since folding works character by character, without folding again.
    pub fn join(&self, sep: char, other: &Folded) -> Folded {
        debug_assert!(sep.is_ascii() && !sep.is_ascii_uppercase() && !is_invisible(sep));
        let mut text = String::with_capacity(self.text.len() + 1 + other.text.len());
        text.push_str(&self.text);
        text.push(sep);
        text.push_str(&other.text);
        let shift = self.original_len + 1;
        let origin = match (&self.origin, &other.origin) {
            (None, None) => None,
            (a, b) => {
                let mut origin = Vec::with_capacity(text.len() + 1);
                match a {
                    Some(a) => origin.extend_from_slice(&a[..self.text.len()]),
                    None => origin.extend(0..self.text.len() as u32),
                }
                origin.push(self.original_len as u32);
                match b {
                    Some(b) => origin.extend(b.iter().map(|&o| o + shift as u32)),
                    None => origin.extend((0..=other.text.len()).map(|o| (o + shift) as u32)),
                }
                Some(origin)
            }
        };
        Folded {
            text,
            origin,
            original_len: shift + other.original_len,
        }
    }

    /// Whether folding left the text byte for byte as it was (pure ASCII without upper case).
    pub fn is_identity(&self) -> bool {
        self.origin.is_none()
    }
}

/// Iterator over the [`Word`]s of a folded text.
pub struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl Iterator for Words<'_> {
    type Item = Word;

    fn next(&mut self) -> Option<Word> {
        let bytes = self.text.as_bytes();
        let len = bytes.len();
        let mut i = self.pos;
        // Skip separators.
        while i < len {
            let b = bytes[i];
            if b < 0x80 {
                if b.is_ascii_alphanumeric() {
                    break;
                }
                i += 1;
            } else {
                let c = self.text[i..].chars().next().unwrap_or(' ');
                if c.is_alphanumeric() {
                    break;
                }
                i += c.len_utf8();
            }
        }
        if i >= len {
            self.pos = len;
            return None;
        }
        let start = i;
        while i < len {
            let b = bytes[i];
            if b < 0x80 {
                if !b.is_ascii_alphanumeric() {
                    break;
                }
                i += 1;
            } else {
                let c = self.text[i..].chars().next().unwrap_or(' ');
                if !c.is_alphanumeric() {
                    break;
                }
                i += c.len_utf8();
            }
        }
        self.pos = i;
        Some(Word { start, end: i })
    }
}

/// Characters that are invisible in print and only serve to dodge a match: zero-width spaces and joiners,
/// word joiner, soft hyphen, byte-order mark, directional marks.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}')
}

/// Folds one already-decomposed, non-combining character into `out`.
fn push_folded(c: char, out: &mut String) {
    match c {
        '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{02BB}' | '\u{0060}' | '\u{00B4}'
        | '\u{2032}' | '\u{FF07}' => out.push('\''),
        'œ' | 'Œ' => out.push_str("oe"),
        'æ' | 'Æ' => out.push_str("ae"),
        'ß' | 'ẞ' => out.push_str("ss"),
        'ø' | 'Ø' => out.push('o'),
        'đ' | 'Đ' => out.push('d'),
        'ł' | 'Ł' => out.push('l'),
        'ı' => out.push('i'),
        c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
        c => {
            for l in c.to_lowercase() {
                out.push(l);
            }
        }
    }
}

/// Folds a text. See the module documentation for what folding does.
pub fn fold(text: &str) -> Folded {
    fold_counted(text, &mut 0)
}

/// [`fold`], adding to `steps` the characters it read and the pieces their decompositions gave.
pub(crate) fn fold_counted(text: &str, steps: &mut usize) -> Folded {
    if text.is_ascii() {
        *steps += text.len();
        let has_upper = text.bytes().any(|b| b.is_ascii_uppercase());
        let mut folded = text.to_owned();
        if has_upper {
            folded.make_ascii_lowercase();
        }
        // Backquote is the only ASCII character folding rewrites; it is a separator either way, so it
        // may stay: words are identical.
        return Folded {
            text: folded,
            origin: None,
            original_len: text.len(),
        };
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut origin: Vec<u32> = Vec::with_capacity(text.len() + 9);
    for (i, c) in text.char_indices() {
        *steps += 1;
        let before = out.len();
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if is_invisible(c) {
            continue;
        } else {
            decompose_compatible(c, |d| {
                *steps += 1;
                if !is_combining_mark(d) && !is_invisible(d) {
                    push_folded(d, &mut out);
                }
            });
        }
        *steps += out.len() - before;
        origin.resize(out.len(), 0);
        for slot in &mut origin[before..] {
            *slot = i as u32;
        }
    }
    origin.push(text.len() as u32);
    Folded {
        text: out,
        origin: Some(origin),
        original_len: text.len(),
    }
}

/// Folds a short string (a rule term, a lexicon entry) and returns only the folded text.
pub fn fold_str(text: &str) -> String {
    fold(text).text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        let f = fold(s);
        f.words().map(|w| f.word(w).to_owned()).collect()
    }

    #[test]
    fn ascii_lowercases_in_place() {
        let f = fold("Acme BOYCOTT");
        assert_eq!(f.as_str(), "acme boycott");
        assert!(f.is_identity());
        assert_eq!(f.original_offset(5), 5);
    }

    #[test]
    fn accents_and_case_fold() {
        assert_eq!(
            fold_str("Réputation RÉPUTATION reputation"),
            "reputation reputation reputation"
        );
        assert_eq!(fold_str("Déçu, très déçu"), "decu, tres decu");
        assert_eq!(fold_str("À l'ÉCOLE"), "a l'ecole");
    }

    #[test]
    fn ligatures_and_eszett_are_spelt_out() {
        assert_eq!(
            fold_str("Œuvre cœur ex æquo Straße"),
            "oeuvre coeur ex aequo strasse"
        );
    }

    #[test]
    fn apostrophes_unify_and_elisions_split_words() {
        assert_eq!(fold_str("l’entreprise"), "l'entreprise");
        assert_eq!(
            words("l’entreprise d'Acme qu’Acme"),
            ["l", "entreprise", "d", "acme", "qu", "acme"]
        );
    }

    #[test]
    fn hashtags_and_handles_yield_the_word() {
        assert_eq!(words("#Acme @acme"), ["acme", "acme"]);
    }

    #[test]
    fn word_boundaries_hold() {
        assert_eq!(words("acmeist acme-bis"), ["acmeist", "acme", "bis"]);
    }

    #[test]
    fn nfkc_tricks_do_not_dodge() {
        // Full-width letters, zero-width space and joiner, soft hyphen.
        assert_eq!(fold_str("ＡＣＭＥ"), "acme");
        assert_eq!(
            words("Ac\u{200B}me boy\u{00AD}cott ac\u{200D}me"),
            ["acme", "boycott", "acme"]
        );
        // Ligature fi (U+FB01) and superscript.
        assert_eq!(fold_str("ﬁbre"), "fibre");
    }

    #[test]
    fn offsets_map_back_to_the_original() {
        let original = "Très DÉÇU par Acme";
        let f = fold(original);
        assert_eq!(f.as_str(), "tres decu par acme");
        let w: Vec<Word> = f.words().collect();
        let (s, e) = f.original_range(w[1].start, w[1].end);
        assert_eq!(&original[s..e], "DÉÇU");
        let (s, e) = f.original_range(w[3].start, w[3].end);
        assert_eq!(&original[s..e], "Acme");
    }

    #[test]
    fn offsets_widen_over_expanded_characters() {
        let original = "le Cœur";
        let f = fold(original);
        let w: Vec<Word> = f.words().collect();
        let (s, e) = f.original_range(w[1].start, w[1].end);
        assert_eq!(&original[s..e], "Cœur");
        // A range ending inside the expansion of œ still covers all of it.
        let (s, e) = f.original_range(w[1].start, w[1].start + 2);
        assert_eq!(&original[s..e], "Cœ");
    }

    #[test]
    fn empty_and_symbol_only_texts() {
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(words("!!! 😡 ..."), Vec::<String>::new());
        assert_eq!(fold("").original_offset(0), 0);
    }

    proptest::proptest! {
        /// The analyser folds a title and a body once each and joins them for language and sentiment.
        #[test]
        fn joining_foldings_is_folding_the_joined_text(
            a in "[a-zA-Zé'’ Œ\u{200B}\u{0301}ﬁＡ.!]{0,12}",
            b in "[a-zA-Zé'’ Œ\u{200B}\u{0301}ﬁＡ.!]{0,12}",
        ) {
            let joined = fold(&a).join('\n', &fold(&b));
            proptest::prop_assert_eq!(&joined, &fold(&format!("{a}\n{b}")));
            for i in 0..=joined.as_str().len() {
                proptest::prop_assert_eq!(
                    joined.original_offset(i),
                    fold(&format!("{a}\n{b}")).original_offset(i)
                );
            }
        }
    }

    /// Guards folding against super-linear shapes (issue 16, 4): long runs of combining marks, of
    /// characters with long compatibility decompositions, of invisible characters, and the cleaner's
    /// hostile shapes. The steps stay within a constant times the input, and grow with it.
    #[test]
    fn folding_hostile_text_is_linear() {
        let shapes = |len: usize| {
            let mut shapes = vec![
                format!("e{}", "\u{0301}\u{0327}\u{0308}".repeat(len / 6)),
                // U+FDFA decomposes into 18 characters, the longest decomposition there is.
                "\u{FDFA}".repeat(len / 3),
                "\u{200B}\u{00AD}".repeat(len / 5),
                "Œ".repeat(len / 2),
                "A".repeat(len),
            ];
            shapes.extend(
                crate::analysis::clean::tests::hostile_html(len)
                    .into_iter()
                    .map(|(_, s)| s),
            );
            shapes
        };
        for (s, l) in shapes(64 * 1024).iter().zip(&shapes(256 * 1024)) {
            let (mut s_steps, mut l_steps) = (0, 0);
            fold_counted(s, &mut s_steps);
            let folded = fold_counted(l, &mut l_steps);
            let head: String = l.chars().take(3).collect();
            assert!(
                l_steps <= 20 * l.len(),
                "{head}…: {l_steps} steps for {} bytes",
                l.len()
            );
            assert!(
                l_steps as f64 <= 1.1 * s_steps as f64 * l.len() as f64 / s.len() as f64,
                "{head}…: {s_steps} then {l_steps} steps"
            );
            // The way back to the original stays one entry per folded byte.
            assert_eq!(
                folded.original_offset(folded.as_str().len()),
                l.len(),
                "{head}…"
            );
        }
        let marks = fold(&format!("e{}", "\u{0301}".repeat(10_000)));
        assert_eq!(marks.as_str(), "e");
    }
}
