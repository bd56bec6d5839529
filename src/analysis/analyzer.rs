//! The analyser: everything analysis says about one mention, in one call.
//!
//! In: a mention and the tags of its source. Out: its [`Analysis`] — language, sentiment with the terms that
//! made it, the rules that match with the terms that matched, and the watches it counts towards. The daemon,
//! `veille replay` and the demo all go through [`Analyzer::analyse`], so a mention is judged the same way
//! wherever it is seen.
//!
//! Each text is folded once here and the folded forms are shared: the title and the body separately for the
//! rules (whose matches point into one field or the other), and the two together for language and sentiment
//! (a title often carries the tone: « Arnaque chez Acme »), and for the story signature
//! ([`crate::analysis::story`]).

use crate::analysis::fold::fold;
use crate::analysis::lang;
use crate::analysis::rules::{FieldText, MentionView, RuleSet};
use crate::analysis::sentiment::Scorer;
use crate::model::{Analysis, Lang, Mention};

/// The analysis stage, built once and shared by the workers (it is immutable; a reload builds a new one).
pub struct Analyzer {
    rules: RuleSet,
    scorer: Scorer,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("rules", &self.rules.rules().len())
            .field("watches", &self.rules.watches().len())
            .finish()
    }
}

impl Analyzer {
    /// An analyser with these rules.
    pub fn new(rules: RuleSet) -> Analyzer {
        Analyzer {
            rules,
            scorer: Scorer::new(),
        }
    }

    /// The compiled rules and watches.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Analyses one mention of a source tagged `tags`.
    pub fn analyse(&self, mention: &Mention, tags: &[String]) -> Analysis {
        let title = mention.title.as_deref().filter(|t| !t.is_empty());
        let whole = match title {
            Some(t) if !mention.text.is_empty() => format!("{t}\n{}", mention.text),
            Some(t) => t.to_owned(),
            None => mention.text.clone(),
        };
        // Rules need the title and the text folded apart (a match is shown in its field); language and
        // sentiment read them together. Each is folded once and the two joined.
        let folded_title = title.map(fold);
        let folded_text = fold(&mention.text);
        let joined;
        let folded_whole = match &folded_title {
            Some(t) if !mention.text.is_empty() => {
                joined = t.join('\n', &folded_text);
                &joined
            }
            Some(t) => t,
            None => &folded_text,
        };
        let hint = mention.lang.as_deref().map(Lang::from_tag);
        let lang = lang::detect(folded_whole, hint);
        let sentiment = self.scorer.score(&whole, folded_whole, lang);

        let site = mention
            .link
            .as_deref()
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|u| u.host_str().map(str::to_owned));
        let view = MentionView {
            title: title
                .zip(folded_title.as_ref())
                .map(|(original, folded)| FieldText { original, folded }),
            text: FieldText {
                original: &mention.text,
                folded: &folded_text,
            },
            author: mention.author.as_deref(),
            site: site.as_deref(),
            lang: Some(lang),
            source: &mention.source,
            tags,
            sentiment: Some(&sentiment),
        };
        let outcome = self.rules.evaluate(&view);
        Analysis {
            lang,
            matches: outcome.matches,
            watches: outcome.watches.into_iter().map(str::to_owned).collect(),
            sentiment,
            near: crate::analysis::story::signature_of(folded_whole),
            medium: Some(crate::model::Medium::of(tags, Some(mention.kind.as_str()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rules::{RuleFile, compile};
    use crate::model::{Label, Severity};

    fn analyzer() -> Analyzer {
        let text = r#"
[[rule]]
id = "brioche-boycott"
name = "Appel au boycott"
query = "boycott* AND (\"maison brioche\" OR #maisonbrioche)"
severity = "critical"

[[watch]]
id = "maison-brioche"
name = "Maison Brioche"
query = "\"maison brioche\" OR maisonbrioche"
"#;
        Analyzer::new(
            compile(&[RuleFile {
                name: "t.toml",
                text,
            }])
            .unwrap(),
        )
    }

    fn mention(title: &str, text: &str) -> Mention {
        Mention {
            source: "forum".into(),
            id: "1".into(),
            link: Some("https://forum.example/t/1".into()),
            title: Some(title.into()),
            text: text.into(),
            author: Some("marc".into()),
            lang: None,
            published: None,
            fetched: chrono::Utc::now(),
            story: 0,
            kind: crate::model::SourceKind::Feed,
            reach: crate::model::Reach::default(),
        }
    }

    #[test]
    fn a_boycott_call_is_french_negative_critical_and_counts_for_the_watch() {
        let a = analyzer().analyse(
            &mention(
                "Appel au boycott de Maison Brioche",
                "C'est honteux, ils nous ont arnaqués 😡",
            ),
            &[],
        );
        assert_eq!(a.lang, Lang::Fr);
        assert_eq!(a.sentiment.label, Label::Neg);
        assert_eq!(a.matches.len(), 1);
        assert_eq!(a.matches[0].rule, "brioche-boycott");
        assert_eq!(a.matches[0].severity, Severity::Critical);
        assert_eq!(a.watches, ["maison-brioche"]);
    }

    #[test]
    fn praise_is_positive_and_matches_no_rule() {
        let a = analyzer().analyse(
            &mention(
                "Super accueil",
                "Les croissants de Maison Brioche sont délicieux !",
            ),
            &[],
        );
        assert_eq!(a.sentiment.label, Label::Pos);
        assert!(a.matches.is_empty());
        assert_eq!(a.watches, ["maison-brioche"]);
    }
}
