//! The word index: which query words a folded text contains, found word by word.
//!
//! In: the distinct anchor words of every phrase (each either matched as a whole word only, or also as the
//! start of a longer word for `boycott*`). Out, per folded text: each word that equals an anchor word, or
//! starts with one used as a prefix, with its byte range.
//!
//! Why not an automaton over the text: every query word is a whole word of folded text (letters and
//! digits), so the text only needs cutting into words once and each word looking up in a hash table. The
//! cost per word is the same for ten anchor words as for ten thousand, where an Aho–Corasick DFA over
//! thousands of words outgrows the cache and slows down with every rule added. Most words of a text are
//! in no query: an 8 KiB bit set of the first four bytes of every anchor word turns them away before any
//! hashing of the whole word, and the text is cut into words 64 bytes at a time with bit masks rather than
//! a branch per byte (word lengths are too irregular for branch prediction).

/// Bits of the filters: 2^16 bits, 8 KiB each.
const FILTER_BITS: u32 = 16;

/// Words are screened by their first `HEAD` bytes before they are hashed whole.
const HEAD: usize = 4;

/// One entry of the table.
#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    /// `u32::MAX` for an empty slot.
    word: u32,
}

const EMPTY: Slot = Slot {
    hash: 0,
    word: u32::MAX,
};

/// The anchor words, ready to be looked up.
#[derive(Debug)]
pub(crate) struct WordIndex {
    words: Vec<Box<str>>,
    /// By word: whether a longer word starting with it counts too (`boycott*`).
    prefix: Vec<bool>,
    /// Bit `n` set when some word used as a prefix is `n` bytes long (n < 64); longer prefixes are rare
    /// enough to be listed in `long_prefixes`.
    prefix_lengths: u64,
    long_prefixes: Vec<usize>,
    slots: Vec<Slot>,
    /// By hash of a whole word.
    filter: Vec<u64>,
    /// By the head of every word (see [`head_bit`]).
    heads: Vec<u64>,
}

fn test_bit(set: &[u64], bit: usize) -> bool {
    set[bit >> 6] & (1 << (bit & 63)) != 0
}

fn set_bit(set: &mut [u64], bit: usize) {
    set[bit >> 6] |= 1 << (bit & 63);
}

/// The filter bit of the head of the word `text[start..start + len]`: its first `HEAD` bytes, or the
/// whole word padded with zero bytes when shorter. Branch-free but for the last word of a text: whether a
/// word is short is as unpredictable as the text.
#[inline]
fn head_bit(text: &[u8], start: usize, len: usize) -> usize {
    let raw = if start + HEAD <= text.len() {
        u32::from_le_bytes(text[start..start + HEAD].try_into().unwrap_or([0; HEAD]))
    } else {
        text[start..]
            .iter()
            .rev()
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
    };
    let head = raw & (u32::MAX >> (32 - 8 * len.clamp(1, HEAD)));
    (u64::from(head).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
}

/// A word of the text found in the index: the index's word number, the text word's byte range, and its
/// number among the words of the text (from 0), which lets `NEAR` count the words between two hits by a
/// subtraction instead of reading the text between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub word: u32,
    pub start: usize,
    pub end: usize,
    pub ordinal: usize,
}

fn mix(h: u64, chunk: u64) -> u64 {
    (h ^ chunk)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(29)
}

/// The hash of `text[start..start + len]`. Reads whole 8-byte chunks of `text` where it can and masks off
/// what is beyond the slice, so a short word costs one load and one multiplication.
#[inline]
fn hash(text: &[u8], start: usize, len: usize) -> u64 {
    let mut h = (len as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    let mut at = start;
    let end = start + len;
    while at + 8 <= end {
        let chunk = u64::from_le_bytes(text[at..at + 8].try_into().unwrap_or([0; 8]));
        h = mix(h, chunk);
        at += 8;
    }
    let rest = end - at;
    if rest > 0 {
        let chunk = if at + 8 <= text.len() {
            u64::from_le_bytes(text[at..at + 8].try_into().unwrap_or([0; 8]))
                & ((1u64 << (8 * rest)) - 1)
        } else {
            let mut buf = [0u8; 8];
            buf[..rest].copy_from_slice(&text[at..end]);
            u64::from_le_bytes(buf)
        };
        h = mix(h, chunk);
    }
    h ^ (h >> 31)
}

impl WordIndex {
    /// `words` must be distinct, non-empty, and made of word characters only; `prefix[i]` says whether
    /// word `i` also matches at the start of longer words.
    pub fn new(words: Vec<Box<str>>, prefix: Vec<bool>) -> WordIndex {
        let capacity = (words.len() * 2).next_power_of_two().max(16);
        let mut slots = vec![EMPTY; capacity];
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        let mut heads = vec![0u64; 1 << (FILTER_BITS - 6)];
        let mut prefix_lengths = 0u64;
        let mut long_prefixes = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let h = hash(w.as_bytes(), 0, w.len());
            let mut at = h as usize & (capacity - 1);
            while slots[at].word != u32::MAX {
                at = (at + 1) & (capacity - 1);
            }
            slots[at] = Slot {
                hash: h,
                word: i as u32,
            };
            set_bit(&mut filter, (h >> (64 - FILTER_BITS)) as usize);
            set_bit(&mut heads, head_bit(w.as_bytes(), 0, w.len()));
            if prefix[i] {
                if w.len() < 64 {
                    prefix_lengths |= 1 << w.len();
                } else if !long_prefixes.contains(&w.len()) {
                    long_prefixes.push(w.len());
                }
            }
        }
        long_prefixes.sort_unstable();
        WordIndex {
            words,
            prefix,
            prefix_lengths,
            long_prefixes,
            slots,
            filter,
            heads,
        }
    }

    /// The index's word `text[start..start + len]`, if any; `whole` is false when the slice is only the
    /// start of a word of the text (then only words used as prefixes count).
    #[inline]
    fn lookup(&self, text: &[u8], start: usize, len: usize, whole: bool) -> Option<u32> {
        let h = hash(text, start, len);
        if !test_bit(&self.filter, (h >> (64 - FILTER_BITS)) as usize) {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = h as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot.word == u32::MAX {
                return None;
            }
            if slot.hash == h
                && self.words[slot.word as usize].as_bytes() == &text[start..start + len]
                && (whole || self.prefix[slot.word as usize])
            {
                return Some(slot.word);
            }
            at = (at + 1) & mask;
        }
    }

    /// Calls `found` for every word of `text` in the index, in text order; for one text word, the
    /// whole-word entry first, then the prefix entries from the shortest.
    pub fn scan(&self, text: &str, mut found: impl FnMut(Found)) {
        if self.words.is_empty() {
            return;
        }
        let bytes = text.as_bytes();
        // The number of the next word of the text.
        let mut ordinal = 0;
        let mut word_start = 0;
        // Whether the byte before the current block is a word byte.
        let mut carry = 0u64;
        // Bytes at the start of the current block that continue a separator character of the previous one.
        let mut spill = 0usize;
        // Masks are computed for up to 8 blocks ahead, so the loads of the text are not held up by the
        // lookups (whose branches are hard to predict).
        let mut masks = [(0u64, 0u64); 8];
        for group in (0..bytes.len()).step_by(64 * masks.len()) {
            let blocks = (bytes.len() - group).div_ceil(64).min(masks.len());
            for (k, mask) in masks[..blocks].iter_mut().enumerate() {
                *mask = word_bytes(&bytes[group + 64 * k..]);
            }
            for (k, &(mut words, multibyte)) in masks[..blocks].iter().enumerate() {
                let block = group + 64 * k;
                if spill > 0 {
                    words &= !((1u64 << spill) - 1);
                    spill = 0;
                }
                if multibyte != 0 {
                    // Bytes of other characters were taken for word bytes; clear those of separators
                    // (`«`, `…`).
                    let mut leads = multibyte;
                    while leads != 0 {
                        let j = leads.trailing_zeros() as usize;
                        leads &= leads - 1;
                        if bytes[block + j] < 0xC0 {
                            continue;
                        }
                        let c = text[block + j..].chars().next().unwrap_or(' ');
                        if !c.is_alphanumeric() {
                            let n = c.len_utf8();
                            let upto = (j + n).min(64);
                            words &= !(((1u128 << upto) - 1) as u64 & !((1u64 << j) - 1));
                            spill = j + n - upto;
                        }
                    }
                }
                let before = (words << 1) | carry;
                let mut starts = words & !before;
                let mut ends = !words & before;
                if carry != 0 && ends != 0 {
                    // The word left open by the previous block ends here.
                    let j = ends.trailing_zeros() as usize;
                    ends &= ends - 1;
                    self.word(bytes, word_start, block + j, &mut ordinal, &mut found);
                }
                carry = words >> 63;
                // Starts and ends alternate: the k-th start goes with the k-th end, except a last start
                // whose word runs on into the next block.
                while starts != 0 {
                    let s = starts.trailing_zeros() as usize;
                    starts &= starts - 1;
                    if ends == 0 {
                        word_start = block + s;
                        break;
                    }
                    let e = ends.trailing_zeros() as usize;
                    ends &= ends - 1;
                    self.word(bytes, block + s, block + e, &mut ordinal, &mut found);
                }
            }
        }
        if carry != 0 {
            self.word(bytes, word_start, bytes.len(), &mut ordinal, &mut found);
        }
    }

    /// Looks up the text word `bytes[start..end]`, word number `*ordinal` of the text, whole and by its
    /// prefixes; counts it.
    #[inline(always)]
    fn word(
        &self,
        bytes: &[u8],
        start: usize,
        end: usize,
        ordinal: &mut usize,
        found: &mut impl FnMut(Found),
    ) {
        let n = end - start;
        let at = *ordinal;
        *ordinal += 1;
        // A word whose head is no index word's head can only start with an index word shorter than
        // `HEAD`, used as a prefix.
        let head_known = test_bit(&self.heads, head_bit(bytes, start, n));
        if head_known && let Some(word) = self.lookup(bytes, start, n, true) {
            found(Found {
                word,
                start,
                end,
                ordinal: at,
            });
        }
        let shorter = if head_known {
            u64::MAX
        } else {
            (1 << HEAD) - 1
        };
        let mut lengths = self.prefix_lengths & ((1u64 << n.min(63)) - 1) & shorter;
        while lengths != 0 {
            let l = lengths.trailing_zeros() as usize;
            lengths &= lengths - 1;
            if let Some(word) = self.lookup(bytes, start, l, false) {
                found(Found {
                    word,
                    start,
                    end,
                    ordinal: at,
                });
            }
        }
        if head_known {
            for &l in self.long_prefixes.iter().take_while(|&&l| l < n) {
                if let Some(word) = self.lookup(bytes, start, l, false) {
                    found(Found {
                        word,
                        start,
                        end,
                        ordinal: at,
                    });
                }
            }
        }
    }
}

const LOW: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Gathers the top bit of each of the 8 bytes of `v` into the low 8 bits, byte 0 first.
fn gather(v: u64) -> u64 {
    (((v >> 7) & LOW).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// For the (up to) 64 bytes at the start of `bytes`: bit `j` of the first mask is set when byte `j` is an
/// ASCII letter or digit or part of a multi-byte character, bit `j` of the second when it is part of a
/// multi-byte character. Eight bytes at a time, without a branch per byte: word lengths are too irregular
/// for branch prediction.
fn word_bytes(bytes: &[u8]) -> (u64, u64) {
    let (mut words, mut multibyte) = (0u64, 0u64);
    for k in 0..8 {
        let at = 8 * k;
        let x = if at + 8 <= bytes.len() {
            u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]))
        } else if at < bytes.len() {
            // The end of the text: what is beyond it reads as zero bytes, which are separators.
            bytes[at..]
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        } else {
            break;
        };
        let high = x & HIGH;
        let low = x & !HIGH;
        // With the top bit clear, adding 128 - lo to a byte sets its top bit exactly when it is >= lo.
        let at_least = |v: u64, lo: u8| v + LOW * u64::from(128 - lo);
        let digit = at_least(low, b'0') & !at_least(low, b'9' + 1);
        let lower = low | (LOW * 0x20);
        let letter = at_least(lower, b'a') & !at_least(lower, b'z' + 1);
        words |= gather((digit | letter) & HIGH | high) << at;
        multibyte |= gather(high) << at;
    }
    (words, multibyte)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(words: &[(&str, bool)]) -> WordIndex {
        WordIndex::new(
            words.iter().map(|(w, _)| Box::from(*w)).collect(),
            words.iter().map(|(_, p)| *p).collect(),
        )
    }

    fn found(index: &WordIndex, text: &str) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        index.scan(text, |f| {
            let kind = if f.end - f.start == index.words[f.word as usize].len() {
                "whole"
            } else {
                "prefix"
            };
            out.push((
                format!("{}@{}..{}", index.words[f.word as usize], f.start, f.end),
                kind,
            ));
        });
        out
    }

    #[test]
    fn whole_words_only_unless_used_as_a_prefix() {
        let idx = index(&[("acme", false), ("boycott", true), ("boy", true)]);
        assert_eq!(
            found(&idx, "acmeist acme boycottez #boycott boy"),
            vec![
                ("acme@8..12".to_owned(), "whole"),
                ("boy@13..22".to_owned(), "prefix"),
                ("boycott@13..22".to_owned(), "prefix"),
                ("boycott@24..31".to_owned(), "whole"),
                ("boy@24..31".to_owned(), "prefix"),
                ("boy@32..35".to_owned(), "whole"),
            ]
        );
    }

    #[test]
    fn words_of_other_scripts_and_text_ends() {
        let idx = index(&[("日本", false), ("x", false), ("z9", true)]);
        assert_eq!(
            found(&idx, "日本 x,日本語 z9abc x"),
            vec![
                ("日本@0..6".to_owned(), "whole"),
                ("x@7..8".to_owned(), "whole"),
                ("z9@19..24".to_owned(), "prefix"),
                ("x@25..26".to_owned(), "whole"),
            ]
        );
        // A word running to the very end of the text, shorter than a load of 8 bytes.
        assert_eq!(found(&idx, "x"), vec![("x@0..1".to_owned(), "whole")]);
    }

    #[test]
    fn long_words_and_long_prefixes() {
        let long = "a".repeat(70);
        let idx = index(&[(&long, true), ("anticonstitutionnellement", false)]);
        let text = format!("{long}b anticonstitutionnellement {long}");
        let got = found(&idx, &text);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[1].0, "anticonstitutionnellement@72..97");
    }

    #[test]
    fn many_words_are_all_found() {
        let words: Vec<String> = (0..5000).map(|i| format!("w{i}x")).collect();
        let idx = WordIndex::new(
            words.iter().map(|w| Box::from(w.as_str())).collect(),
            vec![false; words.len()],
        );
        let text = words.join(" ");
        let mut n = 0;
        idx.scan(&text, |f| {
            assert_eq!(&text[f.start..f.end], words[f.word as usize]);
            n += 1;
        });
        assert_eq!(n, words.len());
        let mut none = 0;
        idx.scan("w5000x wx w12 x12x", |_| none += 1);
        assert_eq!(none, 0);
    }

    /// The words cut character by character as the folding module defines them (maximal runs of letters
    /// and digits), looked up one by one: what `scan` must agree with.
    fn reference(index: &WordIndex, text: &str) -> Vec<Found> {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut open: Option<usize> = None;
        for (i, c) in text.char_indices() {
            match (c.is_alphanumeric(), open) {
                (true, None) => open = Some(i),
                (false, Some(s)) => {
                    runs.push((s, i));
                    open = None;
                }
                _ => {}
            }
        }
        if let Some(s) = open {
            runs.push((s, text.len()));
        }
        let mut out = Vec::new();
        for (ordinal, (start, end)) in runs.into_iter().enumerate() {
            let word = &text[start..end];
            let mut candidates: Vec<(usize, u32)> = Vec::new();
            for (i, entry) in index.words.iter().enumerate() {
                if &**entry == word {
                    candidates.push((0, i as u32));
                } else if index.prefix[i] && word.starts_with(&**entry) {
                    candidates.push((entry.len(), i as u32));
                }
            }
            candidates.sort_unstable();
            out.extend(candidates.into_iter().map(|(_, word)| Found {
                word,
                start,
                end,
                ordinal,
            }));
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]
        /// Separators of several bytes (`«`, `…`, `—`) and letters of other scripts fall across the 64-byte
        /// blocks the scan works in; the words found must not depend on where.
        #[test]
        fn scan_agrees_with_the_word_cutting_of_folded_text(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "ab", "abc", "b", "z9", "9", " ", "  ", ",", "'", "«", "»", "…", "—", "日", "本",
                    "ab日", "中文", "ǆ", "\u{300}", "x", "aa",
                ]),
                0..400,
            ),
            entries in proptest::collection::vec(
                (proptest::sample::select(vec![
                    "a", "ab", "abc", "b", "z9", "9", "日", "日本", "ab日", "aa", "x", "aaaa", "abca", "abcab",
                    "abcabc", "aaaaaaaaa",
                ]),
                 proptest::bool::ANY),
                0..8,
            ),
        ) {
            let text: String = pieces.concat();
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<_> = entries.into_iter().filter(|(w, _)| seen.insert(*w)).collect();
            let idx = index(&entries);
            let mut got = Vec::new();
            idx.scan(&text, |f| got.push(f));
            proptest::prop_assert_eq!(got, reference(&idx, &text));
        }
    }
}
