use proptest::prelude::*;

use super::*;
use crate::analysis::fold::{Word, fold};
use crate::model::{Label, MatchedTerm, TextField};

/// A rule set with one rule per query, ids `r0`, `r1`, …
fn set(queries: &[&str]) -> RuleSet {
    let mut text = String::new();
    for (i, q) in queries.iter().enumerate() {
        text.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\nname = \"rule {i}\"\nquery = '''{q}'''\n\n"
        ));
    }
    compile(&[RuleFile {
        name: "t.toml",
        text: &text,
    }])
    .unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn one(toml: &str) -> Result<RuleSet, Vec<RuleError>> {
    compile(&[RuleFile {
        name: "t.toml",
        text: toml,
    }])
}

fn errors(toml: &str) -> Vec<String> {
    one(toml)
        .expect_err("should not compile")
        .iter()
        .map(ToString::to_string)
        .collect()
}

struct Mention {
    title: Option<(String, Folded)>,
    text: (String, Folded),
    author: Option<String>,
    site: Option<String>,
    lang: Option<Lang>,
    sentiment: Option<Sentiment>,
    tags: Vec<String>,
    source: String,
}

impl Mention {
    fn new(text: &str) -> Mention {
        Mention {
            title: None,
            text: (text.to_owned(), fold(text)),
            author: None,
            site: None,
            lang: None,
            sentiment: None,
            tags: Vec::new(),
            source: "feed".into(),
        }
    }

    fn title(mut self, t: &str) -> Mention {
        self.title = Some((t.to_owned(), fold(t)));
        self
    }

    fn view(&self) -> MentionView<'_> {
        MentionView {
            title: self.title.as_ref().map(|(o, f)| FieldText {
                original: o,
                folded: f,
            }),
            text: FieldText {
                original: &self.text.0,
                folded: &self.text.1,
            },
            author: self.author.as_deref(),
            site: self.site.as_deref(),
            lang: self.lang,
            source: &self.source,
            tags: &self.tags,
            sentiment: self.sentiment.as_ref(),
        }
    }
}

/// Ids of the rules of `s` matching `m`, in definition order.
fn ids(s: &RuleSet, m: &Mention) -> Vec<String> {
    let mut v: Vec<String> = s.matches(&m.view()).into_iter().map(|r| r.rule).collect();
    v.sort_by_key(|id| id[1..].parse::<usize>().unwrap_or(0));
    v
}

fn hit(query: &str, text: &str) -> bool {
    !set(&[query]).matches(&Mention::new(text).view()).is_empty()
}

#[test]
fn words_match_case_and_accent_insensitively() {
    for text in [
        "Une réputation ruinée",
        "REPUTATION",
        "reputation",
        "RÉPUTATION!",
    ] {
        assert!(hit("réputation", text), "{text}");
        assert!(hit("REPUTATION", text), "{text}");
    }
}

#[test]
fn ligatures_apostrophes_and_elisions() {
    assert!(hit("coeur", "Un cœur brisé"));
    assert!(hit("cœur", "un coeur"));
    assert!(hit("ex aequo", "ex æquo"));
    assert!(hit("entreprise", "l'entreprise ment"));
    assert!(hit("entreprise", "l’entreprise ment"));
    assert!(hit("acme", "Le PDG d'Acme"));
    assert!(hit("acme", "c'est qu’Acme ment"));
    assert!(hit("\"l'entreprise\"", "L’ENTREPRISE"));
}

#[test]
fn hashtags_and_handles() {
    assert!(hit("acme", "#Acme au top"));
    assert!(hit("acme", "merci @acme"));
    assert!(hit("\"boycott acme\"", "#boycott #acme"));
}

#[test]
fn word_boundaries_hold() {
    assert!(!hit("acme", "acmeist"));
    assert!(!hit("acme", "the-acmeist"));
    assert!(!hit("acme", "pacme"));
    assert!(hit("acme", "acme-telecom"));
    assert!(hit("acme", "(acme)"));
    assert!(!hit("orange", "orangeade"));
}

#[test]
fn nfkc_and_invisible_characters_do_not_dodge() {
    assert!(hit("acme", "ＡＣＭＥ ment"));
    assert!(hit("acme", "Ac\u{200B}me"));
    assert!(hit("boycott", "boy\u{00AD}cott"));
    assert!(hit("fibre", "la ﬁbre"));
}

#[test]
fn phrases_need_consecutive_words() {
    assert!(hit("\"appel au boycott\"", "Un APPEL AU BOYCOTT lancé"));
    assert!(hit("\"appel au boycott\"", "appel, au... boycott"));
    assert!(!hit("\"appel au boycott\"", "appel général au boycott"));
    assert!(!hit("\"appel au boycott\"", "boycott au appel"));
}

#[test]
fn wildcards_match_prefixes_only() {
    assert!(hit("boycott*", "boycottez Acme"));
    assert!(hit("boycott*", "boycott"));
    assert!(!hit("boycott*", "un boycot"));
    assert!(!hit("boycott*", "antiboycott"));
    assert!(hit("\"appel* au boycott\"", "appelons au boycott"));
    assert!(hit("arnaq*", "Quelle ARNAQUE"));
}

#[test]
fn and_or_not_and_precedence() {
    let s = set(&[
        "acme boycott",
        "acme OR brioche",
        "acme -boycott",
        "x1 OR acme boycott",
        "acme AND NOT (a1 OR b1)",
    ]);
    assert_eq!(
        ids(&s, &Mention::new("acme boycott")),
        ["r0", "r1", "r3", "r4"]
    );
    assert_eq!(ids(&s, &Mention::new("acme")), ["r1", "r2", "r4"]);
    assert_eq!(ids(&s, &Mention::new("x1")), ["r3"]);
    assert_eq!(ids(&s, &Mention::new("x1 boycott")), ["r3"]);
    assert_eq!(ids(&s, &Mention::new("acme b1")), ["r1", "r2"]);
}

#[test]
fn context_rule_for_an_ambiguous_name() {
    let q = "orange AND (forfait OR réseau OR fibre) NOT (jus OR fruit)";
    assert!(hit(q, "Panne du réseau Orange ce matin"));
    assert!(hit(q, "orange: la fibre est coupée"));
    assert!(!hit(q, "Un jus d'orange et un forfait"));
    assert!(!hit(q, "orange pressée"));
}

#[test]
fn near_counts_words_between_in_either_order() {
    assert!(hit("acme NEAR/2 boycott", "acme appelle au boycott"));
    assert!(!hit("acme NEAR/1 boycott", "acme appelle au boycott"));
    assert!(hit("acme NEAR/0 boycott", "boycott acme"));
    assert!(hit(
        "acme NEAR/3 \"appel au boycott\"",
        "un appel au boycott d'Acme"
    ));
    assert!(hit(
        "(acme OR brioche) NEAR/1 arnaq*",
        "brioche quelle arnaque"
    ));
    assert!(!hit("acme NEAR/5 boycott", "acme"));
}

#[test]
fn near_stays_within_one_field() {
    let s = set(&["acme NEAR/1 boycott"]);
    let m = Mention::new("boycott").title("acme");
    assert!(s.matches(&m.view()).is_empty());
}

#[test]
fn scopes_restrict_fields() {
    let s = set(&[
        "title:acme",
        "text:acme",
        "acme",
        "title:(boycott OR arnaque)",
    ]);
    let m = Mention::new("rien").title("Acme arnaque");
    assert_eq!(ids(&s, &m), ["r0", "r2", "r3"]);
    let m = Mention::new("Acme");
    assert_eq!(ids(&s, &m), ["r1", "r2"]);
}

#[test]
fn author_site_and_lang() {
    let s = set(&[
        "acme author:dupont",
        "acme site:acme.fr",
        "acme lang:fr",
        "acme -lang:fr",
    ]);
    let mut m = Mention::new("acme");
    m.author = Some("Jean DUPONT".into());
    m.site = Some("https://www.acme.fr/actu?id=1".into());
    m.lang = Some(Lang::Fr);
    assert_eq!(ids(&s, &m), ["r0", "r1", "r2"]);
    m.site = Some("notacme.fr".into());
    m.lang = Some(Lang::En);
    m.author = None;
    assert_eq!(ids(&s, &m), ["r3"]);
    m.site = Some("blog.acme.fr".into());
    assert_eq!(ids(&s, &m), ["r1", "r3"]);
}

#[test]
fn author_terms_are_explained_in_the_author() {
    let s = set(&["author:\"jean dupont\""]);
    let mut m = Mention::new("texte");
    m.author = Some(" Jean Dupont".into());
    let r = s.matches(&m.view());
    assert_eq!(
        r[0].terms,
        [MatchedTerm {
            text: "Jean Dupont".into(),
            start: 1,
            end: 12,
            field: TextField::Author
        }]
    );
}

#[test]
fn regex_runs_on_folded_text() {
    assert!(hit("regex:/rembours[ea]/", "Je veux être REMBOURSÉ"));
    assert!(hit("regex:/\\b\\d{2} ?%/", "hausse de 30 % chez Acme"));
    let e = errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"regex:/remboursé/\"\n");
    assert!(e[0].contains("write \"e\" instead of 'é'"), "{e:?}");
}

#[test]
fn explanations_point_into_the_original_text() {
    let s = set(&["acme AND (boycott* OR arnaque)"]);
    let text = "Appel au BOYCOTT de l’Ácme, pas d'arnaque ici";
    let r = s.matches(&Mention::new(text).view());
    let shown: Vec<&str> = r[0].terms.iter().map(|t| &text[t.start..t.end]).collect();
    assert_eq!(shown, ["BOYCOTT", "Ácme", "arnaque"]);
    assert!(r[0].terms.iter().all(|t| t.text == text[t.start..t.end]));
}

#[test]
fn explanations_skip_false_branches_and_negations() {
    let s = set(&["(acme AND zzz) OR boycott NOT fraude"]);
    let r = s.matches(&Mention::new("acme boycott").view());
    let words: Vec<&str> = r[0].terms.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(words, ["boycott"]);
}

#[test]
fn title_terms_say_they_are_in_the_title() {
    let s = set(&["acme"]);
    let m = Mention::new("x").title("ACME !");
    let r = s.matches(&m.view());
    assert_eq!(r[0].terms[0].field, TextField::Title);
    assert_eq!((r[0].terms[0].start, r[0].terms[0].end), (0, 4));
}

#[test]
fn matches_come_most_severe_first() {
    let s = one("[[rule]]\nid = \"i\"\nname = \"i\"\nquery = \"acme\"\n\
         [[rule]]\nid = \"c\"\nname = \"c\"\nquery = \"acme\"\nseverity = \"critical\"\n\
         [[rule]]\nid = \"w\"\nname = \"w\"\nquery = \"acme\"\nseverity = \"warning\"\n")
    .unwrap();
    let r: Vec<String> = s
        .matches(&Mention::new("acme").view())
        .into_iter()
        .map(|m| m.rule)
        .collect();
    assert_eq!(r, ["c", "w", "i"]);
    assert_eq!(s.rule("i").map(|r| r.severity), Some(Severity::Info));
}

#[test]
fn filters_on_language_source_tags_and_author() {
    let s = one(r#"
[[rule]]
id = "fr"
name = "fr only"
query = "acme"
languages = ["fr"]
[[rule]]
id = "src"
name = "one source"
query = "acme"
sources = ["presse"]
[[rule]]
id = "tag"
name = "tagged"
query = "acme"
tags = ["social"]
[[rule]]
id = "who"
name = "author"
query = "acme"
authors = ["Jean Dupont"]
"#)
    .unwrap();
    let mut m = Mention::new("acme");
    let got = |m: &Mention| {
        s.matches(&m.view())
            .into_iter()
            .map(|r| r.rule)
            .collect::<Vec<_>>()
    };
    // Language unknown: the language filter is not applied.
    assert_eq!(got(&m), ["fr"]);
    m.lang = Some(Lang::En);
    assert!(got(&m).is_empty());
    m.lang = Some(Lang::Fr);
    m.source = "presse".into();
    m.tags = vec!["social".into()];
    m.author = Some("jean dupont".into());
    assert_eq!(got(&m), ["fr", "src", "tag", "who"]);
}

#[test]
fn sentiment_conditions_apply_when_known() {
    let s = one(
        "[[rule]]\nid = \"neg\"\nname = \"n\"\nquery = \"acme\"\nsentiment = \"negative\"\n\
         [[rule]]\nid = \"low\"\nname = \"l\"\nquery = \"acme\"\nmax_score = -0.5\n",
    )
    .unwrap();
    let mut m = Mention::new("acme");
    assert_eq!(s.matches(&m.view()).len(), 2);
    m.sentiment = Some(Sentiment {
        score: -0.3,
        label: Label::Neg,
        terms: vec![],
    });
    let r: Vec<String> = s.matches(&m.view()).into_iter().map(|m| m.rule).collect();
    assert_eq!(r, ["neg"]);
    m.sentiment = Some(Sentiment {
        score: 0.6,
        label: Label::Pos,
        terms: vec![],
    });
    assert!(s.matches(&m.view()).is_empty());
}

#[test]
fn watches_count_their_query_and_rules_pointing_at_them() {
    let s = one(r#"
[[watch]]
id = "acme"
query = "acme OR \"acme telecom\""
[watch.detection]
min_negative = 8
bucket = "30m"

[[watch]]
id = "brioche"
name = "Maison Brioche"
query = "brioche"
languages = ["fr"]

[[rule]]
id = "ceo"
name = "CEO named"
query = "\"jean dupont\""
action = "count"
watch = "acme"
"#)
    .unwrap();
    assert_eq!(s.watches().len(), 2);
    assert_eq!(s.watches()[0].detection.min_negative, 8);
    assert_eq!(s.watches()[0].detection.bucket.as_secs(), 1800);
    assert_eq!(
        s.watches()[0].detection.min_z,
        WatchSettings::default().min_z
    );
    assert_eq!(s.watches()[0].name, "acme");
    assert_eq!(s.rule("ceo").map(|r| r.action), Some(Action::Count));
    assert_eq!(
        s.watches_matched(&Mention::new("Acme en panne").view()),
        ["acme"]
    );
    assert_eq!(
        s.watches_matched(&Mention::new("Jean Dupont parle").view()),
        ["acme"]
    );
    let mut m = Mention::new("brioche et acme");
    assert_eq!(s.watches_matched(&m.view()), ["acme", "brioche"]);
    m.lang = Some(Lang::En);
    assert_eq!(s.watches_matched(&m.view()), ["acme"]);
    assert!(s.watches_matched(&Mention::new("rien").view()).is_empty());
}

#[test]
fn rules_without_an_indexable_term_are_still_evaluated() {
    let s = set(&[
        "regex:/a+cme/",
        "author:bob",
        "site:acme.fr",
        "zzz OR site:acme.fr",
    ]);
    let mut m = Mention::new("aaacme");
    m.author = Some("Bob".into());
    m.site = Some("acme.fr".into());
    assert_eq!(ids(&s, &m), ["r0", "r1", "r2", "r3"]);
}

#[test]
fn shared_common_words_do_not_hide_rules() {
    // `boycott` is in every rule; each rule is indexed under its brand, and must still be found.
    let queries: Vec<String> = (0..50)
        .map(|i| format!("brand{i} AND (boycott OR scam)"))
        .collect();
    let refs: Vec<&str> = queries.iter().map(String::as_str).collect();
    let s = set(&refs);
    assert_eq!(ids(&s, &Mention::new("brand7 boycott")), ["r7"]);
    assert!(ids(&s, &Mention::new("boycott scam")).is_empty());
}

#[test]
fn empty_rule_set_matches_nothing() {
    let s = RuleSet::empty();
    assert!(s.matches(&Mention::new("acme").view()).is_empty());
    assert!(s.rules().is_empty() && s.watches().is_empty());
}

#[test]
fn missing_severity_means_info_and_action_defaults_to_alert() {
    let s = set(&["acme"]);
    assert_eq!(s.rules()[0].severity, Severity::Info);
    assert_eq!(s.rules()[0].action, Action::Alert);
}

// ---- errors ----

#[test]
fn query_errors_point_into_the_file() {
    let e = errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"acme AND NOT\"\n");
    assert_eq!(
        e,
        [
            "t.toml:4:22: expected a term after NOT, found the end of the query\n  |\n4 | query = \"acme AND NOT\"\n  |                      ^"
        ]
    );
}

#[test]
fn query_error_offsets_survive_escapes() {
    let e = errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"\\\"acme\\\" OR\"\n");
    assert!(
        e[0].starts_with("t.toml:4:21: expected a term after OR"),
        "{e:?}"
    );
}

#[test]
fn unknown_keys_and_bad_values_are_reported() {
    let e =
        errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"acme\"\nseverty = \"critical\"\n");
    assert!(
        e[0].starts_with(
            "t.toml:5:1: unknown key `severty` in [[rule]] (did you mean `severity`?)"
        ),
        "{e:?}"
    );
    let e = errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"acme\"\nseverity = \"high\"\n");
    assert!(
        e[0].starts_with("t.toml:5:12: unknown variant `high`"),
        "{e:?}"
    );
    let e = errors("[[rule]]\nid = \"a\"\nquery = \"acme\"\n");
    assert!(e[0].contains("missing field `name`"), "{e:?}");
    let e = errors("[rule]\nid = \"a\"\n");
    assert!(e[0].contains("`[[rule]]`"), "{e:?}");
    let e = errors("[[rules]]\nid = \"a\"\n");
    assert!(e[0].starts_with("t.toml:1:3: unknown key `rules`"), "{e:?}");
    let e =
        errors("[[watch]]\nid = \"w\"\nquery = \"acme\"\n[watch.detection]\nmin_z = \"high\"\n");
    assert!(e[0].starts_with("t.toml:5:9:"), "{e:?}");
    let e = errors("[[watch]]\nid = \"w\"\nquery = \"acme\"\n[watch.detection]\nbukcet = \"1h\"\n");
    assert!(e[0].contains("unknown field `bukcet`"), "{e:?}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = errors(
        "[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"NOT acme\"\n\
         [[rule]]\nid = \"a\"\nname = \"b\"\nquery = \"acme\"\nlanguages = [\"de\"]\n\
         [[rule]]\nid = \"c\"\nname = \"c\"\nquery = \"regex:/(/\"\nmax_score = 3\n",
    );
    assert_eq!(e.len(), 5, "{e:#?}");
}

#[test]
fn duplicate_ids_name_both_places() {
    let a = "[[rule]]\nid = \"x\"\nname = \"a\"\nquery = \"acme\"\n";
    let b = "\n[[watch]]\nid = \"x\"\nquery = \"acme\"\n";
    let e = compile(&[
        RuleFile {
            name: "a.toml",
            text: a,
        },
        RuleFile {
            name: "b.toml",
            text: b,
        },
    ])
    .unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(
        e[0].to_string()
            .starts_with("b.toml:3:6: duplicate id `x`: already used at a.toml:2:6"),
        "{}",
        e[0]
    );
}

#[test]
fn toml_syntax_errors_are_located() {
    let e = errors("[[rule]]\nid = \"a\nname = 1\n");
    assert!(e[0].starts_with("t.toml:2:"), "{e:?}");
    assert!(e[0].contains("invalid TOML"), "{e:?}");
}

#[test]
fn regex_size_limit_is_enforced() {
    let e =
        errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = 'regex:/\\w{200}\\w{200}\\w{200}/'\n");
    assert!(e[0].contains("too big"), "{e:?}");
}

#[test]
fn unknown_watch_references_are_errors() {
    let e = errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"acme\"\nwatch = \"nope\"\n");
    assert!(
        e[0].starts_with("t.toml:5:9: unknown watch `nope`"),
        "{e:?}"
    );
}

#[test]
fn queries_matching_without_terms_are_rejected() {
    let e = errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"lang:fr\"\n");
    assert!(e[0].contains("contains none of its terms"), "{e:?}");
}

// ---- properties ----

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "acme", "boycott", "arnaque", "brioche", "fibre", "réseau", "l'eau", "jus",
    ])
    .prop_map(str::to_owned)
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![word(), "[a-zA-Zéèàçœ’'#@ \u{200B}-]{0,8}", any::<String>()],
        0..12,
    )
    .prop_map(|v| v.join(" "))
}

fn simple_query() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        word(),
        word().prop_map(|w| format!("\"{w} {w}\"")),
        word().prop_map(|w| format!("{w}*")),
        (word(), word(), 0u32..4).prop_map(|(a, b, n)| format!("{a} NEAR/{n} {b}")),
        word().prop_map(|w| format!("title:{w}")),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} -({b}))")),
        ]
    })
}

proptest! {
    #[test]
    fn folding_is_idempotent(s in any::<String>()) {
        let once = fold(&s);
        let twice = fold(once.as_str());
        prop_assert_eq!(twice.as_str(), once.as_str());
    }

    #[test]
    fn parsing_never_panics(q in any::<String>()) {
        let _ = crate::analysis::query::parse(&q);
    }

    #[test]
    fn parsing_query_like_strings_never_panics(q in "[a-z()\" *:/\\-]{0,3}( ?(AND|OR|NOT|NEAR/2|title:|regex:/|-|\\(|\\)|\"|[a-zé*]{1,5}) ?){0,8}") {
        let _ = crate::analysis::query::parse(&q);
    }

    #[test]
    fn matching_never_panics(q in simple_query(), t in text(), title in text()) {
        let s = set(&[&q]);
        let m = Mention::new(&t).title(&title);
        for r in s.matches(&m.view()) {
            for term in r.terms {
                let field = if term.field == TextField::Title { &title } else { &t };
                prop_assert_eq!(&field[term.start..term.end], term.text.as_str());
            }
        }
    }

    #[test]
    fn or_matches_whenever_either_side_does(a in simple_query(), b in simple_query(), t in text()) {
        let s = set(&[&a, &format!("({a}) OR ({b})"), &b]);
        let got = ids(&s, &Mention::new(&t));
        let (ra, ror, rb) = (got.contains(&"r0".to_owned()), got.contains(&"r1".to_owned()), got.contains(&"r2".to_owned()));
        prop_assert_eq!(ror, ra || rb);
    }

    #[test]
    fn not_never_matches_where_its_operand_does(a in simple_query(), t in text()) {
        let s = set(&[&a, &format!("zzzz OR (acme -({a}))")]);
        let m = Mention::new(&format!("acme {t}"));
        let got = ids(&s, &m);
        let ra = got.contains(&"r0".to_owned());
        let rnot = got.contains(&"r1".to_owned());
        prop_assert!(ra != rnot, "A and acme AND NOT A must disagree: {got:?}");
    }
}

#[test]
fn errors_in_multi_line_queries_point_at_the_right_line() {
    let e = errors(
        "[[rule]]\nid = \"a\"\nname = \"a\"\nquery = '''\nacme AND\n  (boycott OR\n  titel:x)\n'''\n",
    );
    assert!(
        e[0].starts_with("t.toml:7:3: unknown field `titel:`"),
        "{e:?}"
    );
}

#[test]
fn a_bad_rule_does_not_hide_the_query_errors_of_the_same_table() {
    let e =
        errors("[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"acme OR\"\nseverity = \"high\"\n");
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with("t.toml:4:17: expected a term after OR"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("t.toml:5:12: unknown variant `high`"),
        "{e:?}"
    );
}

#[test]
fn shorter_terms_starting_where_a_longer_one_matches_are_found() {
    let s = set(&[
        "boyc*",
        "boycott",
        "boycotter",
        "\"boycott acme\"",
        "boycotte*",
    ]);
    assert_eq!(ids(&s, &Mention::new("boycotter acme")), ["r0", "r2", "r4"]);
    assert_eq!(
        ids(&s, &Mention::new("le boycott acme")),
        ["r0", "r1", "r3"]
    );
    assert_eq!(ids(&s, &Mention::new("boycottage")), ["r0"]);
}

/// The words of a text as folding splits them: the reference the matcher must agree with.
fn folded_words(t: &str) -> Vec<String> {
    let f = fold(t);
    f.words().map(|w| f.word(w).to_owned()).collect()
}

fn atom_ok(atom: &str, word: &str) -> bool {
    match atom.strip_suffix('*') {
        Some(p) => word.starts_with(p),
        None => word == atom,
    }
}

fn vocab_atom() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "acme", "boycott", "boycott*", "arnaq*", "eau", "l", "reseau", "jus",
    ])
    .prop_map(str::to_owned)
}

fn vocab_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "acme",
                "Acme",
                "boycott",
                "boycottez",
                "arnaque",
                "l'eau",
                "L’EAU",
                "réseau",
                "jus",
                "#acme",
                "acmeist"
            ])
            .prop_map(str::to_owned),
            "[ ,.'’@#-]{1,3}",
        ],
        // Up to about 250 bytes: texts cross the 64-byte blocks the word index cuts them in.
        0..40,
    )
    .prop_map(|v| v.join(" "))
}

proptest! {
    #[test]
    fn phrases_agree_with_the_folded_words(atoms in prop::collection::vec(vocab_atom(), 1..4), t in vocab_text()) {
        let query = format!("\"{}\"", atoms.join(" "));
        let words = folded_words(&t);
        let expected = words.windows(atoms.len()).any(|w| w.iter().zip(&atoms).all(|(w, a)| atom_ok(a, w)));
        prop_assert_eq!(hit(&query, &t), expected, "{} in {:?} ({:?})", query, t, words);
    }

    #[test]
    fn near_agrees_with_the_folded_words(a in vocab_atom(), b in vocab_atom(), n in 0usize..4, t in vocab_text()) {
        let query = format!("{a} NEAR/{n} {b}");
        let words = folded_words(&t);
        let at = |x: &str| words.iter().enumerate().filter(|(_, w)| atom_ok(x, w)).map(|(i, _)| i).collect::<Vec<_>>();
        let expected = at(&a).iter().any(|&i| at(&b).iter().any(|&j| i.abs_diff(j).saturating_sub(1) <= n));
        prop_assert_eq!(hit(&query, &t), expected, "{} in {:?} ({:?})", query, t, words);
    }
}

#[test]
fn a_rule_set_can_be_shared_between_threads() {
    // The daemon matches on worker threads and swaps the set on reload behind an `Arc`.
    fn shared<T: Send + Sync + 'static>() {}
    shared::<RuleSet>();
}

/// Where the phrase `atoms` occurs among `words`: (first word, last word) of each occurrence.
fn occurrences(atoms: &[String], words: &[String]) -> Vec<(usize, usize)> {
    (0..words.len())
        .filter(|&i| {
            i + atoms.len() <= words.len()
                && atoms.iter().zip(&words[i..]).all(|(a, w)| atom_ok(a, w))
        })
        .map(|i| (i, i + atoms.len() - 1))
        .collect()
}

/// The terms a NEAR between ORs of phrases must show in one field, by comparing every pair of occurrences:
/// each occurrence that lies within `n` words of (or overlaps) an occurrence of the other side, cut in the
/// original text, leaving out those inside a wider one, in text order.
fn near_reference(
    left: &[Vec<String>],
    right: &[Vec<String>],
    n: usize,
    original: &str,
    field: TextField,
) -> Vec<MatchedTerm> {
    let folded = fold(original);
    let spans: Vec<Word> = folded.words().collect();
    let words: Vec<String> = spans.iter().map(|w| folded.word(*w).to_owned()).collect();
    let side = |phrases: &[Vec<String>]| -> Vec<(usize, usize)> {
        phrases
            .iter()
            .flat_map(|p| occurrences(p, &words))
            .collect()
    };
    let (l, r) = (side(left), side(right));
    let close = |a: (usize, usize), b: (usize, usize)| {
        a.0.max(b.0) as i64 - a.1.min(b.1) as i64 - 1 <= n as i64
    };
    let mut shown: Vec<(usize, usize)> = l
        .iter()
        .filter(|a| r.iter().any(|b| close(**a, *b)))
        .chain(r.iter().filter(|b| l.iter().any(|a| close(*a, **b))))
        .map(|&(first, last)| (spans[first].start, spans[last].end))
        .collect();
    shown.sort_unstable_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
    let mut terms: Vec<MatchedTerm> = Vec::new();
    let mut reach = None;
    for (s, e) in shown {
        if reach.is_some_and(|end| end >= e) {
            continue;
        }
        reach = Some(e);
        let (s, e) = folded.original_range(s, e);
        let term = MatchedTerm {
            text: original[s..e].to_owned(),
            start: s,
            end: e,
            field,
        };
        if terms.last() != Some(&term) {
            terms.push(term);
        }
    }
    terms
}

fn vocab_phrase() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(vocab_atom(), 1..3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    /// The NEAR sweep shows exactly the occurrences that comparing every pair would show, in the title and
    /// the text, with phrases and ORs on both sides (guards the rewrite of NEAR as a sweep).
    #[test]
    fn near_explains_the_occurrences_that_have_a_close_partner(
        left in prop::collection::vec(vocab_phrase(), 1..3),
        right in prop::collection::vec(vocab_phrase(), 1..3),
        n in 0usize..4,
        title in vocab_text(),
        text in vocab_text(),
    ) {
        let side = |phrases: &[Vec<String>]| {
            phrases.iter().map(|p| format!("\"{}\"", p.join(" "))).collect::<Vec<_>>().join(" OR ")
        };
        let query = format!("({}) NEAR/{n} ({})", side(&left), side(&right));
        let s = set(&[&query]);
        let m = Mention::new(&text).title(&title);
        let mut expected = near_reference(&left, &right, n, &title, TextField::Title);
        expected.extend(near_reference(&left, &right, n, &text, TextField::Text));
        let got = s.matches(&m.view()).into_iter().next().map(|r| r.terms).unwrap_or_default();
        prop_assert_eq!(got, expected, "{} in {:?} / {:?}", query, title, text);
    }
}

/// A title repeating `"maison brioche arnaque "` `times` times.
fn hostile_title(times: usize) -> String {
    "Maison Brioche arnaque ".repeat(times)
}

/// The example rules of the repository.
fn example_rules() -> RuleSet {
    compile(&[
        RuleFile {
            name: "acme-telecom.toml",
            text: include_str!("../../../rules/acme-telecom.toml"),
        },
        RuleFile {
            name: "maison-brioche.toml",
            text: include_str!("../../../rules/maison-brioche.toml"),
        },
    ])
    .unwrap_or_else(|e| panic!("{e:?}"))
}

/// Regression: a 1 MB title repeating "maison brioche arnaque" cost 83.5 s in one `run --once` with the
/// example rules, because NEAR compared every hit of one side with every hit of the other and counted the
/// words between them in the text. The work must now grow with the hits, not with their square.
#[test]
fn near_work_is_linear_in_the_hits_of_a_repetitive_title() {
    let rules = example_rules();
    let mut per_hit = Vec::new();
    for times in [1_000, 4_000] {
        let m = Mention::new("").title(&hostile_title(times));
        let (outcome, work) = rules.evaluate_counted(&m.view());
        let arnaque = outcome
            .matches
            .iter()
            .find(|r| r.rule == "brioche-arnaque")
            .expect("the NEAR rule matches");
        // Every "maison brioche" and every "arnaque" is close to a partner, and each is shown.
        assert_eq!(arnaque.terms.len(), 2 * times);
        assert_eq!(outcome.watches, vec!["maison-brioche"]);
        // Hits: "maison brioche", "brioche" (of the watch) and "arnaque" per repetition.
        assert!(work.hits >= 3 * times as u64, "{work:?}");
        // Comparing every pair would be 1,000,000 and 16,000,000 steps.
        assert!(work.near_steps <= 8 * work.hits, "{times}: {work:?}");
        per_hit.push(work.near_steps as f64 / work.hits as f64);
    }
    // Four times the title: the same work per hit.
    assert!(
        (per_hit[1] - per_hit[0]).abs() < 0.01,
        "work per hit grows with the title: {per_hit:?}"
    );
}

/// A query nested `levels` deep in parentheses whose tree is as deep as its text: each level is an OR whose
/// second branch goes on, true only when `x{i}` and the next level are.
fn deep_query(levels: usize) -> String {
    let mut q = "acme".to_owned();
    for i in 0..levels {
        q = format!("(w{i} OR x{i} {q})");
    }
    q
}

/// Regression: a query nested 6,000 parentheses deep overflowed the stack of whatever compiled it (exit
/// 134); it is now an error at its file, line and column.
#[test]
fn nesting_too_deep_is_a_located_error() {
    let deep = format!("{}acme{}", "(".repeat(6000), ")".repeat(6000));
    let toml = format!("[[rule]]\nid = \"deep\"\nname = \"deep\"\nquery = '{deep}'\n");
    let errs = errors(&toml);
    assert_eq!(errs.len(), 1, "{errs:?}");
    // The 65th parenthesis: column 10 is the first character of the query.
    let col = 10 + crate::analysis::query::MAX_DEPTH;
    assert!(
        errs[0].starts_with(&format!("t.toml:4:{col}: nested too deeply")),
        "{}",
        &errs[0][..200]
    );
}

/// The deepest query allowed is compiled, matched (every level evaluated), explained and dropped with
/// a quarter of the 2 MiB stack of the daemon's worker threads, even unoptimised.
#[test]
fn the_deepest_query_allowed_fits_in_a_small_stack() {
    let levels = crate::analysis::query::MAX_DEPTH;
    let worker = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let rules = set(&[&deep_query(levels)]);
            let words: Vec<String> = (0..levels).map(|i| format!("x{i}")).collect();
            let m = Mention::new(&format!("{} acme", words.join(" ")));
            let found = rules.matches(&m.view());
            let without = Mention::new(&words.join(" "));
            let missed = rules.matches(&without.view());
            drop(rules);
            (found, missed)
        })
        .expect("thread");
    let (found, missed) = worker.join().expect("no stack overflow");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].terms.len(), levels + 1);
    assert!(missed.is_empty());
}

/// The other recursive reader of a rule file, the TOML parser, has its own bound: arrays and inline tables
/// nested 10,000 deep are a located error, not a stack overflow.
#[test]
fn deeply_nested_toml_is_a_located_error() {
    let arrays = format!(
        "[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"acme\"\ntags = {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let tables = format!(
        "[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"acme\"\ntags = {}1{}\n",
        "{a = ".repeat(10_000),
        "}".repeat(10_000)
    );
    let keys = format!(
        "[[rule]]\nid = \"a\"\nname = \"a\"\nquery = \"acme\"\n{} = 1\n",
        vec!["a"; 10_000].join(".")
    );
    for (toml, at) in [
        (arrays, "t.toml:5:"),
        (tables, "t.toml:5:"),
        (keys, "t.toml:"),
    ] {
        let errs = errors(&toml);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with(at)
                && errs[0].contains("invalid TOML")
                && errs[0].contains("recurs"),
            "{}",
            &errs[0][..errs[0].len().min(300)]
        );
    }
}

/// `n` rules, every other one reusing an id and naming a watch that does not exist: two errors each.
fn many_rules(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        let id = if i % 2 == 0 { i } else { i - 1 };
        let watch = if i % 2 == 0 {
            ""
        } else {
            "watch = \"nowhere\"\n"
        };
        text.push_str(&format!(
            "[[rule]]\nid = \"r{id}\"\nname = \"Rule {i}\"\nquery = '''\"brand{i}\" AND (boycott* OR arnaque)'''\n{watch}\n"
        ));
    }
    text
}

/// Regression: `veille rules check` with 100,000 rules ran for minutes, because each rule's place (and
/// each error's line) was found by reading its file from the start. The bytes read to place rules and
/// errors now grow with the file, not with the file times the rules.
#[test]
fn placing_rules_and_errors_reads_each_file_a_bounded_number_of_times() {
    let mut per_byte = Vec::new();
    for n in [2_000, 8_000] {
        let text = many_rules(n);
        error::BYTES_READ.with(|c| c.set(0));
        let errs = one(&text).expect_err("duplicates and unknown watches");
        let read = error::BYTES_READ.with(std::cell::Cell::get);
        assert_eq!(
            errs.len(),
            n,
            "one duplicate id and one unknown watch per pair"
        );
        assert!(
            errs[0]
                .to_string()
                .starts_with("t.toml:7:6: duplicate id `r0`: already used at t.toml:2:6"),
            "{}",
            errs[0]
        );
        // The file once, then a bounded stretch (a few hundred bytes) per place; reading from the start for
        // each rule would be about n / 2 times the file.
        let bound = text.len() + 1_500 * n;
        assert!(
            read <= bound as u64,
            "{n} rules: {read} bytes read for {}",
            text.len()
        );
        per_byte.push(read as f64 / text.len() as f64);
    }
    assert!(
        per_byte[1] <= per_byte[0] * 1.1,
        "bytes read per byte of file grow with the file: {per_byte:?}"
    );
}

const BRAND_WATCH: &str = "[[watch]]\nid = \"mb\"\nname = \"Maison Brioche\"\nquery = \"brioche\"\n\n[watch.detection]\ntimezone = \"Europe/Paris\"\n\n";

#[test]
fn planned_events_read_local_and_absolute_times() {
    let toml = format!(
        "{BRAND_WATCH}[[event]]\nwatch = \"mb\"\nfrom = \"2026-03-24 09:00\"\nuntil = \"2026-03-24T18:00:00Z\"\nlabel = \"Lancement Brioche Max\"\n"
    );
    let set = one(&toml).expect("compiles");
    let events = &set.watches()[0].detection.events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].label, "Lancement Brioche Max");
    // 09:00 in Paris in March (winter time, UTC+1) is 08:00 UTC.
    assert_eq!(events[0].from.to_rfc3339(), "2026-03-24T08:00:00+00:00");
    assert_eq!(events[0].until.to_rfc3339(), "2026-03-24T18:00:00+00:00");
}

#[test]
fn planned_event_mistakes_point_at_their_place() {
    let toml = format!(
        "{BRAND_WATCH}[[event]]\nwatch = \"nope\"\nfrom = \"2026-03-24 09:00\"\nuntil = \"2026-03-24 18:00\"\nlabel = \"x\"\n\n\
         [[event]]\nwatch = \"mb\"\nfrom = \"demain\"\nuntil = \"2026-03-24 18:00\"\nlabel = \"x\"\n\n\
         [[event]]\nwatch = \"mb\"\nfrom = \"2026-03-24 18:00\"\nuntil = \"2026-03-24 09:00\"\nlabel = \"x\"\n\n\
         [[event]]\nwatch = \"mb\"\nfrom = \"2026-03-29 02:30\"\nuntil = \"2026-03-29 09:00\"\nlabel = \"x\"\n\n\
         [[event]]\nwatch = \"mb\"\nfrom = \"2026-03-24 09:00\"\nuntil = \"2026-03-24 18:00\"\nlabel = \"x\"\nlabl = \"y\"\n"
    );
    let e = errors(&toml);
    assert_eq!(e.len(), 5, "{e:#?}");
    assert!(
        e[0].starts_with("t.toml:10:9: unknown watch `nope`"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("t.toml:17:8: `from` = \"demain\" is not a time"),
        "{e:?}"
    );
    assert!(
        e[2].starts_with("t.toml:24:9: `until` is not after `from`"),
        "{e:?}"
    );
    assert!(
        e[3].starts_with(
            "t.toml:29:8: `from` = \"2026-03-29 02:30\" does not exist on the clock of watch `mb`"
        ),
        "{e:?}"
    );
    assert!(
        e[4].starts_with("t.toml:38:1: unknown key `labl` in [[event]] (did you mean `label`?)"),
        "{e:?}"
    );
}
