//! Stories, not copies: near-duplicate grouping of mentions by MinHash over word shingles.
//!
//! In: a mention's folded title and text (the analyser's, [`crate::analysis::analyzer`]), its exact story
//! hash ([`crate::sources::parse::story_hash`]) and the time it arrived. Out: the story it belongs to — the
//! story of a near-identical text seen within [`StoryIndex::WINDOW`], or its own exact hash. One article
//! rewritten or lightly edited by twenty sites ("Selon nos confrères, …", "… (mise à jour)") is then one
//! story, and detection counts it once. Pure: the detection stage keeps one index for the whole store
//! ([`crate::pipeline::detect`]), stores each mention's story with it, and rebuilds the index from the
//! stored mentions of the last two days when it starts.
//!
//! # The method
//!
//! The folded words of title and text are cut into overlapping pairs of words (shingles); two texts are
//! alike when their sets of shingles are, by the Jaccard index. MinHash (A. Broder, "On the resemblance and
//! containment of documents", Compression and Complexity of Sequences, 1997) keeps, for each of
//! [`HASHES`] hash functions, the smallest hash of any shingle: two texts agree on one such minimum with a
//! probability equal to their Jaccard index. Candidates are found by locality-sensitive hashing (Indyk &
//! Motwani 1998; *Mining of Massive Datasets*, Leskovec, Rajaraman & Ullman, ch. 3): the signature is cut
//! into [`BANDS`] bands of three minima (30 of the 64), and texts sharing a band are compared; a
//! candidate joins the story when at least [`SAME_STORY`] of the [`HASHES`] minima agree (an estimated
//! Jaccard index of 0.56 or more). By the binomial tails over 64 draws, a copy with a Jaccard index of
//! 0.75 to its story (a rewritten lead, a line added) shares a band with it with a probability of
//! 1 − (1 − 0.75³)¹⁰ ≈ 0.996 and passes the check in 9,997 cases of 10,000, 0.7 in 99 %; two complaints that share a third of their
//! word pairs (the same angry sentence, each in a customer's own words after it) pass it about once in
//! ten thousand. With 16 minima and a threshold of one half, they passed it once in eight.
//!
//! The minima are kept as their low 16 bits: two different minima then agree by chance once in 65,536
//! draws, which moves no decision, and a signature is 128 bytes.
//!
//! # Cost
//!
//! The 64 minima come from one hash per shingle, not 64: *one permutation hashing* (P. Li, A.
//! Owen, C.-H. Zhang, "One Permutation Hashing", NIPS 2012) cuts the hash range into 64 bins and keeps
//! the smallest value in each; a bin no shingle fell in borrows the minimum of a filled bin drawn by a
//! fixed sequence of its own (*optimal densification*, A. Shrivastava, "Optimal Densification for Fast
//! and Accurate Minwise Hashing", ICML 2017), which keeps the property banding needs — two texts agree on
//! a bin with a probability equal to their Jaccard index — and, unlike borrowing from the next bin to the
//! right (Shrivastava and Li, ICML 2014), does not let one shingle of a short text decide a long run of
//! bins. Each bin's draws are a fixed random order of the bins, made at compile time, and the first eight
//! are tested together. A shingle then costs the hash of its words (each word hashed once, two
//! neighbours' hashes combined) and one comparison. Words are found and hashed eight bytes at a time
//! where the folded text is ASCII (a word shorter than eight bytes is one load, a few masks, one
//! multiplication and a mix), character by character elsewhere, with the same hash either way. The
//! folding is the analyser's, done once for rules, language and sentiment.
//!
//! In the index, a band's key leads to its latest entry through one open-addressing table (a mention's
//! ten lookups are asked of memory together), and each entry to the previous one of the same band (a
//! chain cut at [`BAND_KEEPS`]); once a window, the stories without a copy in the window are forgotten
//! and the table is built again, which costs a constant per mention. Memory: about 300 bytes per story
//! of the last two to four days (60 to 120 MB at 100,000 new stories a day). Benchmarked by
//! `benches/stories.rs`.

use chrono::{DateTime, TimeDelta, Utc};

use super::fold::{Folded, fold};

pub use crate::model::Signature;

/// Minima in a signature.
pub const HASHES: usize = 64;
/// Bands of the signature for candidate search (three minima each; the other 34 minima only check candidates).
pub const BANDS: usize = 10;
const ROWS: usize = 3;
/// Minima that must agree for a candidate to join a story (an estimated Jaccard index of 0.56 or more).
pub const SAME_STORY: usize = 36;
/// Entries followed per band value: the latest ones. A band shared by very many texts (a stock phrase)
/// would otherwise make every lookup long; the latest stories are the ones a copy most likely copies.
pub const BAND_KEEPS: usize = 8;

/// No entry (end of a band's chain).
const NONE: u32 = u32::MAX;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Each bin's draws for densification: a fixed random order of the bins (a Fisher–Yates shuffle by
/// SplitMix64, made at compile time), the same for every text.
const DRAWS: [[u8; HASHES]; HASHES] = {
    let mut draws = [[0u8; HASHES]; HASHES];
    let mut state = 0xd1b5_4a32_d192_ed03u64;
    let mut i = 0;
    while i < HASHES {
        let mut k = 0;
        while k < HASHES {
            draws[i][k] = k as u8;
            k += 1;
        }
        let mut k = HASHES - 1;
        while k > 0 {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let r = (z % (k as u64 + 1)) as usize;
            let t = draws[i][k];
            draws[i][k] = draws[i][r];
            draws[i][r] = t;
            k -= 1;
        }
        i += 1;
    }
    draws
};

/// Bytes of a `u64`, each with its high bit: for the eight-bytes-at-once word scan.
const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

/// The bytes of `x` (eight ASCII bytes, high bits clear) that are digits or lower-case letters — the word
/// characters of folded ASCII text, which has no upper case — each marked by its high bit. `x + (0x80 − lo)`
/// sets a byte's high bit exactly when the byte is at least `lo`, without a carry into the next byte.
#[inline(always)]
fn word_bytes(x: u64) -> u64 {
    let at_least = |lo: u8| x.wrapping_add(u64::from(0x80 - lo) * ONES) & HIGH;
    (at_least(b'0') & !at_least(b'9' + 1)) | (at_least(b'a') & !at_least(b'z' + 1))
}

/// The first `n` bytes of `x` (`n` below 8).
#[inline(always)]
fn low_bytes(x: u64, n: u32) -> u64 {
    x & ((1u64 << (8 * n)) - 1)
}

/// A word's hash, fed eight bytes at a time from the word's start (the last chunk padded with zeros, no
/// empty chunk), then finished with its length: a word shorter than eight bytes (most words) is one
/// chunk, and one multiplication before the mix.
#[inline(always)]
fn absorb(h: u64, chunk: u64) -> u64 {
    (h ^ chunk)
        .wrapping_mul(0xff51_afd7_ed55_8ccd)
        .rotate_left(29)
}

#[inline(always)]
fn finish(h: u64, len: usize) -> u64 {
    mix(h ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The hash of a word from its bytes (any length); the same as the scan's.
fn word_hash(word: &[u8]) -> u64 {
    let h = word.chunks(8).fold(0, |h, c| {
        let mut b = [0u8; 8];
        b[..c.len()].copy_from_slice(c);
        absorb(h, u64::from_le_bytes(b))
    });
    finish(h, word.len())
}

/// Eight bytes of the text from `at`, when there are eight and all are ASCII.
#[inline(always)]
fn ascii8(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    let x = u64::from_le_bytes(chunk);
    (x & HIGH == 0).then_some(x)
}

/// Calls `f` with the hash of each word of a folded text, in order: the words of [`Folded::words`], read
/// eight bytes at a time where the text is ASCII, and one character at a time elsewhere (and in the last
/// eight bytes). Both ways give a word the same hash.
fn word_hashes(folded: &Folded, mut f: impl FnMut(u64)) {
    let bytes = folded.as_str().as_bytes();
    let len = bytes.len();
    let mut i = 0;
    // At the top of the loop, `i` is 0 or follows a separator.
    'text: while i < len {
        if let Some(x) = ascii8(bytes, i) {
            let word = word_bytes(x);
            if word == 0 {
                i += 8;
                continue;
            }
            // The word's start; its chunks are read from there.
            i += (word.trailing_zeros() / 8) as usize;
            let mut p = i;
            let mut h = 0;
            while let Some(x) = ascii8(bytes, p) {
                let after = !word_bytes(x) & HIGH;
                if after == 0 {
                    h = absorb(h, x);
                    p += 8;
                    continue;
                }
                let n = after.trailing_zeros() / 8;
                if n > 0 {
                    h = absorb(h, low_bytes(x, n));
                }
                p += n as usize;
                f(finish(h, p - i));
                i = p;
                continue 'text;
            }
            // The word reaches the last eight bytes or a character outside ASCII: read again from its
            // start, below.
        }
        // One word character by character, as [`Folded::words`] finds it.
        match folded.words_from(i).next() {
            Some(w) => {
                f(word_hash(&bytes[w.start..w.end]));
                i = w.end;
            }
            None => break,
        }
    }
}

/// The MinHash signature of a folded text (word pairs; a one-word text is its word). `None` when there is
/// no word at all.
pub fn signature_of(folded: &Folded) -> Option<Signature> {
    let mut sig = [u32::MAX; HASHES];
    // The bins some shingle fell in.
    let mut filled = 0u64;
    let mut add = |shingle: u64| {
        // One hash per shingle (its words' hashes, combined): its top bits choose the bin, the next 32
        // bits are the value.
        let bin = (shingle >> 58) as usize;
        let value = (shingle >> 26) as u32;
        sig[bin] = sig[bin].min(value);
        filled |= 1 << bin;
    };
    let mut prev = 0u64;
    let mut words = 0usize;
    word_hashes(folded, |h| {
        if words > 0 {
            add(prev.rotate_left(17) ^ h);
        }
        prev = h;
        words += 1;
    });
    match words {
        0 => return None,
        1 => add(prev),
        _ => {}
    }
    // Densification: an empty bin takes the minimum of the first filled bin in its draws, the same draws
    // for every text, so that two texts agree on it with the same probability as on a filled one. Only
    // empty bins are written, so a donor's minimum is its own.
    let mut empty = !filled;
    while empty != 0 {
        let i = empty.trailing_zeros() as usize;
        empty &= empty - 1;
        // Whether each of the first eight draws is filled, gathered without a branch (one of them is but
        // for about one empty bin in 256 when half the bins are filled); else the rest, one by one.
        let draws = &DRAWS[i];
        let first = (0..8).fold(0u32, |m, k| m | (((filled >> draws[k]) & 1) as u32) << k);
        let donor = if first != 0 {
            Some(draws[first.trailing_zeros() as usize])
        } else {
            draws[8..].iter().copied().find(|&j| filled >> j & 1 == 1)
        };
        if let Some(j) = donor {
            sig[i] = sig[j as usize];
        }
    }
    Some(sig.map(|m| m as u16))
}

/// The signature of a title and a text, folded the way the analyser folds them (the title, a line break,
/// the text): the same signature the analyser gave the mention.
pub fn signature(title: Option<&str>, text: &str) -> Option<Signature> {
    let title = title.filter(|t| !t.is_empty());
    let folded_text = fold(text);
    match title.map(fold) {
        Some(t) if !text.is_empty() => signature_of(&t.join('\n', &folded_text)),
        Some(t) => signature_of(&t),
        None => signature_of(&folded_text),
    }
}

/// How many minima two signatures share.
pub fn agreement(a: &Signature, b: &Signature) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

/// The band keys of a signature: 32 bits each, never zero (zero marks an empty slot of the table).
fn band_keys(sig: &Signature) -> [u32; BANDS] {
    let mut keys = [0u32; BANDS];
    for (b, key) in keys.iter_mut().enumerate() {
        let rows = &sig[b * ROWS..(b + 1) * ROWS];
        let packed = rows.iter().fold(0u64, |acc, r| (acc << 16) | u64::from(*r));
        *key = ((mix(packed ^ (b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 32) as u32).max(1);
    }
    keys
}

#[derive(Debug, Clone)]
struct Entry {
    story: u64,
    signature: Signature,
    /// Last copy seen, in seconds since the epoch.
    last: i64,
    /// The entry of the same band key inserted before this one, or [`NONE`].
    prev: [u32; BANDS],
}

/// Band key to the latest entry holding it: an open-addressing table of packed (key, entry) slots with
/// linear probing, so that a lookup is mostly one cache line, and the lines of a mention's sixteen
/// lookups can be asked of memory all at once. Two band keys equal on their 32 bits share a chain, which
/// costs a comparison, never a wrong story (every candidate's whole signature is checked).
#[derive(Debug, Clone, Default)]
struct BandTable {
    slots: Vec<u64>,
    len: usize,
}

impl BandTable {
    /// A table that holds `keys` keys without growing (at most two thirds full).
    fn with_capacity(keys: usize) -> BandTable {
        BandTable {
            slots: vec![0; (keys * 3 / 2).max(1024)],
            len: 0,
        }
    }

    /// The home slot of `key`: the key (a hash) scaled to the table's length (D. Lemire's multiply-shift
    /// range reduction), so the table need not be a power of two.
    fn position(&self, key: u32) -> usize {
        ((u64::from(key) * self.slots.len() as u64) >> 32) as usize
    }

    /// Asks memory for the line of `key`'s slot ahead of its lookup.
    fn prefetch(&self, key: u32) {
        if self.slots.is_empty() {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is a hint; the address is within the slots.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(self.slots.as_ptr().add(self.position(key)).cast::<i8>());
        }
    }

    fn get(&self, key: u32) -> u32 {
        if self.slots.is_empty() {
            return NONE;
        }
        let mut i = self.position(key);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return NONE;
            }
            if (slot >> 32) as u32 == key {
                return slot as u32;
            }
            i = if i + 1 == self.slots.len() { 0 } else { i + 1 };
        }
    }

    /// Points `key` at `entry`; the entry it pointed at before, or [`NONE`].
    fn insert(&mut self, key: u32, entry: u32) -> u32 {
        if (self.len + 1) * 3 > self.slots.len() * 2 {
            self.grow();
        }
        let mut i = self.position(key);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                self.slots[i] = (u64::from(key) << 32) | u64::from(entry);
                self.len += 1;
                return NONE;
            }
            if (slot >> 32) as u32 == key {
                self.slots[i] = (u64::from(key) << 32) | u64::from(entry);
                return slot as u32;
            }
            i = if i + 1 == self.slots.len() { 0 } else { i + 1 };
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![0; (old.len() * 2).max(1024)];
        self.len = 0;
        for slot in old.into_iter().filter(|&s| s != 0) {
            self.insert((slot >> 32) as u32, slot as u32);
        }
    }
}

/// The stories seen lately, searchable by band. Keep one and feed it each new mention in the order they
/// arrive.
#[derive(Debug, Clone, Default)]
pub struct StoryIndex {
    entries: Vec<Entry>,
    bands: BandTable,
    /// When the stories gone quiet are next forgotten (a window after the last time).
    next_prune: Option<i64>,
}

impl StoryIndex {
    /// How long a story stays open to new copies after its last one.
    pub const WINDOW: TimeDelta = TimeDelta::days(2);

    pub fn new() -> StoryIndex {
        StoryIndex::default()
    }

    /// An index sized for `stories` stories in a window (the table then does not grow on the way).
    pub fn with_capacity(stories: usize) -> StoryIndex {
        StoryIndex {
            entries: Vec::with_capacity(stories),
            bands: BandTable::with_capacity(stories * BANDS),
            next_prune: None,
        }
    }

    /// Stories held (for tests and figures).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no story is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The story of a mention with this exact hash, title and text, seen at `at`: the story of a
    /// near-identical text seen within [`StoryIndex::WINDOW`], else its own exact hash (and it becomes a
    /// story others can join).
    pub fn assign(
        &mut self,
        exact: u64,
        title: Option<&str>,
        text: &str,
        at: DateTime<Utc>,
    ) -> u64 {
        match signature(title, text) {
            Some(sig) => self.assign_signature(exact, &sig, at),
            None => exact,
        }
    }

    /// [`StoryIndex::assign`] with the signature already made.
    pub fn assign_signature(&mut self, exact: u64, sig: &Signature, at: DateTime<Utc>) -> u64 {
        self.find_or_add(exact, sig, at, false)
    }

    /// Takes back a mention stored with its `story` (when the index is rebuilt from the store): it joins
    /// that story's entry when one is near, else starts an entry for it. Stories are never merged here:
    /// the stored grouping stands.
    pub fn remember(&mut self, story: u64, sig: &Signature, at: DateTime<Utc>) {
        self.find_or_add(story, sig, at, true);
    }

    /// The best candidate: (agreement, entry), at least [`SAME_STORY`], seen within the window before
    /// `at`, of story `only` when given.
    fn best(
        &self,
        keys: &[u32; BANDS],
        sig: &Signature,
        at: i64,
        only: Option<u64>,
    ) -> Option<(usize, u32)> {
        for key in keys {
            self.bands.prefetch(*key);
        }
        let mut best: Option<(usize, u32)> = None;
        for (b, key) in keys.iter().enumerate() {
            let mut i = self.bands.get(*key);
            let mut steps = 0;
            while i != NONE && steps < BAND_KEEPS {
                let e = &self.entries[i as usize];
                if at - e.last <= Self::WINDOW.num_seconds()
                    && only.is_none_or(|story| story == e.story)
                    && best.is_none_or(|(_, j)| j != i)
                {
                    let agree = agreement(&e.signature, sig);
                    if agree >= SAME_STORY && best.is_none_or(|(a, _)| agree > a) {
                        best = Some((agree, i));
                    }
                }
                i = e.prev[b];
                steps += 1;
            }
        }
        best
    }

    fn find_or_add(&mut self, exact: u64, sig: &Signature, at: DateTime<Utc>, keep: bool) -> u64 {
        let at = at.timestamp();
        let keys = band_keys(sig);
        if let Some((_, i)) = self.best(&keys, sig, at, keep.then_some(exact)) {
            let e = &mut self.entries[i as usize];
            e.last = e.last.max(at);
            return e.story;
        }
        // Forgetting rebuilds the table: done once a window, it costs a constant per mention.
        match self.next_prune {
            Some(t) if at >= t => self.prune(at),
            None => self.next_prune = Some(at + Self::WINDOW.num_seconds()),
            Some(_) => {}
        }
        self.push(exact, *sig, &keys, at);
        exact
    }

    fn push(&mut self, story: u64, signature: Signature, keys: &[u32; BANDS], at: i64) {
        let i = u32::try_from(self.entries.len()).unwrap_or(NONE - 1);
        let mut prev = [NONE; BANDS];
        for (b, key) in keys.iter().enumerate() {
            prev[b] = self.bands.insert(*key, i);
        }
        self.entries.push(Entry {
            story,
            signature,
            last: at,
            prev,
        });
    }

    /// Forgets the stories without a copy within the window: the index stays the size of two windows at
    /// most.
    fn prune(&mut self, now: i64) {
        self.next_prune = Some(now + Self::WINDOW.num_seconds());
        let kept: Vec<Entry> = std::mem::take(&mut self.entries)
            .into_iter()
            .filter(|e| now - e.last <= Self::WINDOW.num_seconds())
            .collect();
        // Sized for as many stories again as were kept: the next window is likely as busy as this one.
        self.bands = BandTable::with_capacity(2 * kept.len() * BANDS);
        self.entries.reserve(2 * kept.len());
        for e in kept {
            let keys = band_keys(&e.signature);
            self.push(e.story, e.signature, &keys, e.last);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + TimeDelta::hours(h)
    }

    const STORY: &str = "Maison Brioche rappelle des lots de brioches après la découverte de morceaux de plastique dans plusieurs boulangeries de la région lyonnaise";

    /// The eight-bytes-at-once scan finds the words the character-by-character one finds, with the same
    /// hashes: at the text's end, across chunk edges, in long words and runs of separators, next to
    /// letters of other scripts, emoji and punctuation outside ASCII.
    #[test]
    fn the_word_scan_finds_the_words_of_the_folded_text() {
        const PIECES: &[&str] = &[
            "a",
            "le",
            "brioche",
            "boulange",
            "boulangerie",
            "anticonstitutionnellement",
            "2026",
            "x9",
            " ",
            "  ",
            "         ",
            ", ",
            "'",
            "-",
            "#",
            "@",
            "\n",
            "«",
            "»",
            "…",
            "жизнь",
            "東京",
            "🥐",
            "ﬁ",
            "œuvre",
            "été",
            "l'équipe",
            "d'acme",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..5_000 {
            let mut text = String::new();
            for _ in 0..rng.usize(0..40) {
                text.push_str(PIECES[rng.usize(0..PIECES.len())]);
            }
            let folded = fold(&text);
            let mut scanned = Vec::new();
            word_hashes(&folded, |h| scanned.push(h));
            let expected: Vec<u64> = folded
                .words()
                .map(|w| word_hash(folded.word(w).as_bytes()))
                .collect();
            assert_eq!(
                scanned,
                expected,
                "{text:?} folded to {:?}",
                folded.as_str()
            );
        }
    }

    #[test]
    fn rewritten_copies_of_one_article_are_one_story() {
        let mut idx = StoryIndex::new();
        let first = idx.assign(1, None, STORY, t(0));
        assert_eq!(first, 1);
        for (n, copy) in [
            format!("Selon nos confrères, {STORY}"),
            format!("{STORY} (mise à jour)"),
            format!("INFO — {STORY}"),
            STORY.to_uppercase(),
            STORY.replace("plusieurs", "trois"),
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(idx.assign(10 + n as u64, None, copy, t(1)), 1, "{copy}");
        }
        assert_eq!(idx.len(), 1);
    }

    #[test]
    fn different_texts_on_the_same_brand_are_different_stories() {
        let mut idx = StoryIndex::new();
        let texts = [
            "Maison Brioche : service client injoignable depuis trois jours, commande jamais livrée",
            "Maison Brioche : la nouvelle brioche au chocolat est une merveille, bravo",
            "Maison Brioche ferme sa boutique de Villeurbanne, les clients regrettent",
            "Maison Brioche augmente encore ses prix, c'est devenu hors de prix",
            "Grève chez Maison Brioche : les livraisons perturbées toute la semaine",
        ];
        for (n, text) in texts.iter().enumerate() {
            assert_eq!(idx.assign(n as u64, None, text, t(0)), n as u64, "{text}");
        }
        assert_eq!(idx.len(), texts.len());
    }

    #[test]
    fn a_story_closes_after_its_window() {
        let mut idx = StoryIndex::new();
        idx.assign(1, None, STORY, t(0));
        // A copy a day later keeps it open; three days after that copy it is a new story.
        assert_eq!(idx.assign(2, None, STORY, t(24)), 1);
        assert_eq!(idx.assign(3, None, STORY, t(24 + 72)), 3);
    }

    #[test]
    fn empty_texts_keep_their_own_hash() {
        let mut idx = StoryIndex::new();
        assert_eq!(idx.assign(7, None, "", t(0)), 7);
        assert_eq!(idx.assign(8, Some("  "), " ! ", t(0)), 8);
        assert!(idx.is_empty());
    }

    /// Twelve words drawn from a vocabulary of five thousand: texts that share almost nothing.
    fn unrelated(n: u64) -> String {
        (0..12)
            .map(|k| format!("mot{}", mix(n * 31 + k) % 5000))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn pruning_keeps_recent_stories_findable() {
        let mut idx = StoryIndex::new();
        for n in 0..3000u64 {
            let story = idx.assign(n + 100, None, &unrelated(n), t(n as i64 / 10));
            assert_eq!(story, n + 100, "text {n} is its own story");
        }
        assert!(idx.len() < 3000, "old stories are forgotten: {}", idx.len());
        assert_eq!(idx.assign(1, None, &unrelated(2999), t(300)), 3099);
        assert_eq!(idx.assign(2, None, &unrelated(0), t(300)), 2, "forgotten");
    }

    /// Guards the estimator: over many pairs of texts sharing half their word pairs (a Jaccard index of
    /// 1/3: 20 pairs in common, 20 of each alone), the share of agreeing minima averages the index; a
    /// biased densification (empty bins agreeing by themselves) or a hash with too few bits would drift.
    #[test]
    fn agreement_estimates_the_jaccard_index() {
        let mut total = 0usize;
        let trials = 400u64;
        for n in 0..trials {
            let word = |k: u64| format!("w{}", mix(n * 1_000 + k) % 1_000_000);
            // Words 0..21 shared (20 pairs), then 21 words of each text's own (21 pairs, one crossing).
            let shared: Vec<String> = (0..21).map(word).collect();
            let a: Vec<String> = shared.iter().cloned().chain((100..120).map(word)).collect();
            let b: Vec<String> = shared.iter().cloned().chain((200..220).map(word)).collect();
            let sa = signature(None, &a.join(" ")).unwrap();
            let sb = signature(None, &b.join(" ")).unwrap();
            total += agreement(&sa, &sb);
        }
        let estimate = total as f64 / (trials as f64 * HASHES as f64);
        // 20 shared pairs of 20 + 20 + 20 + 2 crossing: J = 20 / 60 ≈ 0.33.
        assert!((0.28..0.39).contains(&estimate), "{estimate}");
    }

    #[test]
    fn a_short_text_and_its_copy_agree_everywhere() {
        let a = signature(Some("Rappel"), "Maison Brioche").unwrap();
        let b = signature(Some("RAPPEL"), "maison brioche").unwrap();
        assert_eq!(agreement(&a, &b), HASHES);
        assert_eq!(agreement(&a, &signature(None, "Boycott").unwrap()), 0);
    }

    /// Guards the rebuild after a restart: stored stories are taken back as they were grouped, never
    /// merged, and a new copy then joins the right one.
    #[test]
    fn remembered_stories_keep_their_ids_and_take_new_copies() {
        let mut idx = StoryIndex::new();
        let sig = signature(None, STORY).unwrap();
        idx.remember(5, &sig, t(0));
        // The same text stored under another story (grouped apart before): remembered apart.
        idx.remember(6, &sig, t(1));
        assert_eq!(idx.len(), 2);
        idx.remember(5, &sig, t(2));
        assert_eq!(idx.len(), 2, "a stored copy touches its story");
        let copy = format!("Selon nos confrères, {STORY}");
        assert!([5, 6].contains(&idx.assign(9, None, &copy, t(3))));
    }

    /// Guards the generations: a story copied again and again stays open past two windows, while one left
    /// alone closes.
    #[test]
    fn a_story_copied_across_generations_stays_open() {
        let mut idx = StoryIndex::new();
        idx.assign(1, None, STORY, t(0));
        idx.assign(2, None, &unrelated(1), t(0));
        for day in 1..=6i64 {
            assert_eq!(
                idx.assign(10 + day as u64, None, STORY, t(day * 24)),
                1,
                "day {day}"
            );
        }
        assert_eq!(idx.assign(3, None, &unrelated(1), t(6 * 24)), 3);
        assert!(idx.len() <= 6, "{}", idx.len());
    }
}
