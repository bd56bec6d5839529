//! Stories, not copies: near-duplicate grouping of mentions by MinHash over word shingles.
//!
//! In: a mention's title and text, its exact story hash ([`crate::sources::parse::story_hash`]) and its
//! time. Out: the story it belongs to — the exact hash of the first mention of a near-identical text seen
//! within [`StoryIndex::WINDOW`], or its own. One article rewritten or lightly edited by twenty sites ("Selon
//! nos confrères, …", "… (mise à jour)") is then one story, and detection counts it once. Pure: the caller
//! keeps the index (detection keeps one per watch) and hands the time in.
//!
//! # The method
//!
//! The folded words of title and text are cut into overlapping pairs of words (shingles); two texts are
//! alike when their sets of shingles are, by the Jaccard index. MinHash (A. Broder, "On the resemblance and
//! containment of documents", Compression and Complexity of Sequences, 1997) keeps, for each of
//! [`HASHES`] hash functions, the smallest hash of any shingle: two texts agree on one such minimum with a
//! probability equal to their Jaccard index. Candidates are found by locality-sensitive hashing (Indyk &
//! Motwani 1998; *Mining of Massive Datasets*, Leskovec, Rajaraman & Ullman, ch. 3): the signature is cut
//! into [`BANDS`] bands of two minima, and texts sharing a band are compared; a candidate joins the story
//! when at least [`SAME_STORY`] of the minima agree (an estimated Jaccard index of one half or more). A
//! text with a Jaccard index of 0.75 to a story shares a band with it with a probability of 1 − (1 −
//! 0.75²)⁸ ≈ 0.999; the check of the whole signature keeps unrelated texts apart. The hash functions
//! are one 64-bit hash of the shingle (xxh3) mixed with a constant per function (the SplitMix64
//! finaliser), so a shingle costs one hash and a few multiplications.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::fold::fold;

/// Minima in a signature.
pub const HASHES: usize = 16;
/// Bands of the signature for candidate search (two minima each).
pub const BANDS: usize = 8;
const ROWS: usize = HASHES / BANDS;
/// Minima that must agree for a candidate to join a story.
pub const SAME_STORY: usize = 8;
/// Stories kept per band value: the latest ones.
const BAND_KEEPS: usize = 8;

/// A text's MinHash signature; `None` for a text with no word.
pub type Signature = [u64; HASHES];

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const SEEDS: [u64; HASHES] = {
    let mut s = [0u64; HASHES];
    let mut i = 0;
    while i < HASHES {
        s[i] = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1);
        i += 1;
    }
    s
};

/// The MinHash signature of the folded words of `title` and `text` (word pairs; a one-word text is its
/// word). `None` when there is no word at all.
pub fn signature(title: Option<&str>, text: &str) -> Option<Signature> {
    let mut sig = [u64::MAX; HASHES];
    let mut any = false;
    let mut add = |shingle: u64| {
        any = true;
        for (m, seed) in sig.iter_mut().zip(SEEDS) {
            let h = mix(shingle ^ seed);
            if h < *m {
                *m = h;
            }
        }
    };
    for part in [title.unwrap_or(""), text] {
        let f = fold(part);
        let mut prev: Option<u64> = None;
        let mut words = 0usize;
        for w in f.words() {
            let h = xxhash_rust::xxh3::xxh3_64(f.word(w).as_bytes());
            if let Some(p) = prev {
                add(p.rotate_left(17) ^ h);
            }
            prev = Some(h);
            words += 1;
        }
        if let (1, Some(h)) = (words, prev) {
            add(h);
        }
    }
    any.then_some(sig)
}

/// How many minima two signatures share.
pub fn agreement(a: &Signature, b: &Signature) -> usize {
    a.iter().zip(b).filter(|(x, y)| x == y).count()
}

#[derive(Debug, Clone)]
struct Entry {
    story: u64,
    signature: Signature,
    last: DateTime<Utc>,
}

/// The stories seen lately, searchable by band. Keep one per watch and feed it each mention in time order.
#[derive(Debug, Clone, Default)]
pub struct StoryIndex {
    entries: Vec<Entry>,
    /// Band (index and hash of its minima) to the entries holding it.
    bands: HashMap<u64, Vec<u32>>,
    /// When to forget the stories gone quiet next (a quarter of the window after the last time).
    next_prune: Option<DateTime<Utc>>,
}

impl StoryIndex {
    /// How long a story stays open to new copies after its last one.
    pub const WINDOW: TimeDelta = TimeDelta::days(2);

    pub fn new() -> StoryIndex {
        StoryIndex::default()
    }

    /// Stories held (for tests and figures).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no story is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn band_keys(sig: &Signature) -> [u64; BANDS] {
        let mut keys = [0u64; BANDS];
        for (b, key) in keys.iter_mut().enumerate() {
            let rows = &sig[b * ROWS..(b + 1) * ROWS];
            *key = mix(rows.iter().fold(b as u64, |acc, r| mix(acc ^ *r)));
        }
        keys
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
        let Some(sig) = signature(title, text) else {
            return exact;
        };
        self.assign_signature(exact, &sig, at)
    }

    /// [`StoryIndex::assign`] with the signature already made.
    pub fn assign_signature(&mut self, exact: u64, sig: &Signature, at: DateTime<Utc>) -> u64 {
        let keys = Self::band_keys(sig);
        let mut best: Option<(usize, u32)> = None;
        for key in keys {
            for &i in self.bands.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                let e = &self.entries[i as usize];
                if at - e.last > Self::WINDOW {
                    continue;
                }
                let agree = agreement(&e.signature, sig);
                if agree >= SAME_STORY && best.is_none_or(|(a, _)| agree > a) {
                    best = Some((agree, i));
                }
            }
        }
        if let Some((_, i)) = best {
            let e = &mut self.entries[i as usize];
            e.last = e.last.max(at);
            return e.story;
        }
        // Forgetting rebuilds the bands: done a few times per window, it costs a constant per mention.
        match self.next_prune {
            Some(t) if at >= t => self.prune(at),
            None => self.next_prune = Some(at + Self::WINDOW / 4),
            Some(_) => {}
        }
        let i = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        self.entries.push(Entry {
            story: exact,
            signature: *sig,
            last: at,
        });
        for key in keys {
            let entries = self.bands.entry(key).or_default();
            // A band shared by very many texts (a stock phrase) would make every lookup long: keep its
            // latest stories only, the ones a copy is most likely to copy.
            if entries.len() >= BAND_KEEPS {
                entries.remove(0);
            }
            entries.push(i);
        }
        exact
    }

    /// Forgets the stories without a copy within the window: the index stays the size of two days.
    fn prune(&mut self, now: DateTime<Utc>) {
        self.next_prune = Some(now + Self::WINDOW / 4);
        self.entries.retain(|e| now - e.last <= Self::WINDOW);
        self.bands.clear();
        for (i, e) in self.entries.iter().enumerate() {
            for key in Self::band_keys(&e.signature) {
                let entries = self.bands.entry(key).or_default();
                if entries.len() >= BAND_KEEPS {
                    entries.remove(0);
                }
                entries.push(u32::try_from(i).unwrap_or(u32::MAX));
            }
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
}
