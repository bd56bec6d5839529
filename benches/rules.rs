//! Rule matching throughput: 10 and 1,000 rules over 100,000 generated French and English mentions of
//! about 300 characters, folded beforehand as the daemon does (once per mention, shared with sentiment).
//! Also the cost of folding plus matching, and of compiling 1,000 rules.
//!
//! Each rule watches one made-up brand name. Two corpora: in `all_brands`, mentions name brands drawn from
//! all 1,000 (so the 1,000 rules match far more often than the 10: more work, more output); in
//! `ten_brands`, only the 10 brands of the smaller rule set are named, so both rule sets find the same
//! matches and the difference is what 990 idle rules cost.
//!
//! Run with `cargo bench --bench rules`; the figures are mentions per second on one core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use veille::analysis::fold::{Folded, fold};
use veille::analysis::rules::{FieldText, MentionView, RuleFile, RuleSet, compile};
use veille::model::Lang;

const MENTIONS: usize = 100_000;

const WORDS: &[&str] = &[
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "et",
    "ou",
    "mais",
    "donc",
    "pour",
    "avec",
    "sans",
    "chez",
    "dans",
    "très",
    "plus",
    "moins",
    "vraiment",
    "encore",
    "service",
    "client",
    "commande",
    "livraison",
    "magasin",
    "prix",
    "qualité",
    "produit",
    "équipe",
    "réseau",
    "forfait",
    "fibre",
    "boutique",
    "pain",
    "café",
    "matin",
    "soir",
    "semaine",
    "aujourd'hui",
    "hier",
    "l'entreprise",
    "d'accord",
    "qu'ils",
    "c'est",
    "n'est",
    "j'ai",
    "été",
    "déçu",
    "ravi",
    "super",
    "nul",
    "génial",
    "problème",
    "réponse",
    "attente",
    "heures",
    "jours",
    "the",
    "a",
    "and",
    "or",
    "but",
    "with",
    "without",
    "for",
    "from",
    "this",
    "that",
    "very",
    "really",
    "again",
    "customer",
    "service",
    "order",
    "delivery",
    "store",
    "price",
    "quality",
    "product",
    "team",
    "network",
    "plan",
    "broadband",
    "shop",
    "bread",
    "coffee",
    "morning",
    "evening",
    "week",
    "today",
    "yesterday",
    "great",
    "awful",
    "happy",
    "angry",
    "problem",
    "answer",
    "waiting",
    "hours",
    "days",
    "I'm",
    "don't",
    "it's",
    "#fail",
    "@support",
    "cœur",
    "œuvre",
    "Noël",
    "ça",
    "français",
    "à",
    "où",
    "être",
];

const TRIGGERS: &[&str] = &[
    "boycott",
    "boycottez",
    "arnaque",
    "scam",
    "fraude",
    "outage",
    "panne",
    "data breach",
    "fuite de données",
    "escroquerie",
    "déçu",
    "disappointed",
    "appel au boycott",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "te", "su", "vo", "ni", "pe", "ba", "zu", "do", "fi", "gra", "tor",
];

fn brand(i: usize) -> String {
    let s = SYLLABLES.len();
    let mut name = String::new();
    let mut n = i + 7;
    for _ in 0..3 {
        name.push_str(SYLLABLES[n % s]);
        n /= s;
    }
    name.push_str(&format!("{}", i % 7));
    name
}

fn rules(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        let b = brand(i);
        let query = match i % 4 {
            0 => format!("\"{b}\" AND (boycott* OR arnaque OR scam OR \"appel au boycott\")"),
            1 => format!("{b} NEAR/5 (fraud* OR escroquerie OR arnaque)"),
            2 => format!(
                "({b} OR \"{b} group\") AND (outage OR panne OR \"data breach\") NOT (recette OR cartoon)"
            ),
            _ => format!("title:{b} OR ({b} AND (déçu* OR disappointed OR \"plus jamais\"))"),
        };
        let severity = ["info", "warning", "critical"][i % 3];
        text.push_str(&format!(
            "[[rule]]\nid = \"r{i}\"\nname = \"rule {i}\"\nseverity = \"{severity}\"\nquery = '''{query}'''\n\n"
        ));
    }
    text
}

fn rule_set(n: usize) -> RuleSet {
    let text = rules(n);
    compile(&[RuleFile {
        name: "bench.toml",
        text: &text,
    }])
    .unwrap_or_else(|e| panic!("{:?}", e[0]))
}

struct Mention {
    title: String,
    text: String,
    title_folded: Folded,
    text_folded: Folded,
}

fn mentions(n: usize, brands: usize) -> Vec<Mention> {
    let mut rng = fastrand::Rng::with_seed(42);
    (0..n)
        .map(|_| {
            let mut text = String::new();
            while text.len() < 300 {
                let r = rng.u32(0..100);
                if r < 3 {
                    text.push_str(&brand(rng.usize(0..brands)));
                } else if r < 5 {
                    text.push_str(TRIGGERS[rng.usize(0..TRIGGERS.len())]);
                } else {
                    let w = WORDS[rng.usize(0..WORDS.len())];
                    if rng.u32(0..10) == 0 {
                        text.push_str(&w.to_uppercase());
                    } else {
                        text.push_str(w);
                    }
                }
                text.push_str(if rng.u32(0..12) == 0 { ". " } else { " " });
            }
            let title: String = text.split(' ').take(8).collect::<Vec<_>>().join(" ");
            Mention {
                title_folded: fold(&title),
                text_folded: fold(&text),
                title,
                text,
            }
        })
        .collect()
}

fn view(m: &Mention) -> MentionView<'_> {
    MentionView {
        title: Some(FieldText {
            original: &m.title,
            folded: &m.title_folded,
        }),
        text: FieldText {
            original: &m.text,
            folded: &m.text_folded,
        },
        author: None,
        site: None,
        lang: Some(Lang::Fr),
        source: "bench",
        tags: &[],
        sentiment: None,
    }
}

fn matching(c: &mut Criterion) {
    let sets = [(10, rule_set(10)), (1000, rule_set(1000))];
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MENTIONS as u64));
    for (corpus_name, brands) in [("all_brands", 1000), ("ten_brands", 10)] {
        let corpus = mentions(MENTIONS, brands);
        for (n, set) in &sets {
            let matched: usize = corpus.iter().map(|m| set.matches(&view(m)).len()).sum();
            eprintln!("{corpus_name}, {n} rules: {matched} matches over {MENTIONS} mentions");
            group.bench_function(format!("match_{n}_rules/{corpus_name}"), |b| {
                b.iter(|| {
                    let mut total = 0;
                    for m in &corpus {
                        total += set.evaluate(black_box(&view(m))).matches.len();
                    }
                    total
                });
            });
        }
    }
    let corpus = mentions(MENTIONS, 1000);
    let set = &sets[1].1;
    group.bench_function("fold_and_match_1000_rules/all_brands", |b| {
        b.iter(|| {
            let mut total = 0;
            for m in &corpus {
                let title = fold(black_box(&m.title));
                let text = fold(black_box(&m.text));
                let v = MentionView {
                    title: Some(FieldText {
                        original: &m.title,
                        folded: &title,
                    }),
                    text: FieldText {
                        original: &m.text,
                        folded: &text,
                    },
                    ..view(m)
                };
                total += set.evaluate(&v).matches.len();
            }
            total
        });
    });
    group.finish();

    let text = rules(1000);
    c.bench_function("compile_1000_rules", |b| {
        b.iter(|| {
            compile(&[RuleFile {
                name: "bench.toml",
                text: black_box(&text),
            }])
            .map(|s| s.rules().len())
        })
    });
}

criterion_group!(benches, matching);
criterion_main!(benches);
