//! Robustness over the public feed corpus in `../shared/data/feeds/` (feeds from public test suites, many
//! malformed or in odd encodings). Every file goes through the real parser: nothing may panic, files a
//! lenient reader should read must give items, and the others a clear error. The corpus is not part of the
//! project: when it is absent, the test says so and passes.

use std::path::Path;

use veille::sources::parse::parse_feed;

#[test]
fn every_corpus_feed_parses_or_fails_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/feeds");
    let Ok(index) = std::fs::read_to_string(root.join("INDEX.tsv")) else {
        eprintln!("feed corpus not found at {}: skipped", root.display());
        return;
    };
    let now = chrono::Utc::now();
    let (mut files, mut agree, mut ok_expected, mut ok_got, mut mojibake) = (0, 0, 0, 0, 0);
    let mut disagreements = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (path, expected_ok) = (cols[0], cols[2] == "yes");
        let Ok(bytes) = std::fs::read(root.join(path)) else {
            continue;
        };
        files += 1;
        let result = std::panic::catch_unwind(|| parse_feed("corpus", &bytes, None, now));
        let parsed = result.unwrap_or_else(|_| panic!("{path}: parsing panicked"));
        let got_items = match &parsed {
            Ok(feed) => {
                for m in &feed.mentions {
                    let text = format!("{} {}", m.title.as_deref().unwrap_or(""), m.text);
                    if text.contains("Ã©") || text.contains("Ã¨") || text.contains("Ã§") {
                        mojibake += 1;
                        eprintln!(
                            "  mojibake in {path}: {}",
                            text.chars().take(120).collect::<String>()
                        );
                    }
                }
                !feed.mentions.is_empty()
            }
            Err(e) => {
                assert!(!e.to_string().is_empty(), "{path}: empty error message");
                false
            }
        };
        if expected_ok {
            ok_expected += 1;
            if got_items {
                ok_got += 1;
            }
        }
        if got_items == expected_ok {
            agree += 1;
        } else {
            disagreements.push(format!(
                "{path} expected_ok={expected_ok} got={:?}",
                parsed.as_ref().map(|f| f.mentions.len())
            ));
        }
    }
    eprintln!(
        "feed corpus: {files} files, {agree} agree with expected_ok ({:.1} %); {ok_got}/{ok_expected} readable feeds gave items ({:.1} %); {mojibake} mojibake texts",
        100.0 * agree as f64 / files as f64,
        100.0 * ok_got as f64 / ok_expected.max(1) as f64
    );
    for d in disagreements
        .iter()
        .take(if std::env::var_os("VEILLE_CORPUS_ALL").is_some() {
            usize::MAX
        } else {
            40
        })
    {
        eprintln!("  {d}");
    }
    assert!(files > 1000, "only {files} corpus files read");
    assert!(
        ok_got as f64 >= 0.98 * ok_expected as f64,
        "too few readable feeds gave items: {ok_got}/{ok_expected}"
    );
    assert!(
        agree as f64 >= 0.985 * files as f64,
        "agreement too low: {agree}/{files}"
    );
    assert_eq!(mojibake, 0, "texts decoded with the wrong charset");
}
