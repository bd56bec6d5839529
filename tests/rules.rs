//! `veille rules check` and `veille rules test`, run as a person runs them: the real binary, the example
//! rules of `rules/`, and broken rule files whose expected messages are kept in `tests/fixtures/rules/`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn veille(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veille"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("veille runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        // A command that fails before reading closes its stdin: that is for the test to judge, not a panic.
        let _ = input.write_all(text.as_bytes());
    }
    drop(input);
    child.wait_with_output().expect("veille finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
fn check_accepts_the_example_rules_and_lists_them() {
    let out = veille(&["rules", "check", "rules"], None);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    for id in [
        "acme-boycott",
        "acme-scam",
        "brioche-intoxication",
        "brioche-fuite-donnees",
        "maison-brioche",
        "acme-telecom",
    ] {
        assert!(stdout.contains(id), "{id} missing from:\n{stdout}");
    }
    assert!(stdout.contains("critical  alert"), "{stdout}");
    assert!(
        stdout.ends_with("rules: 13 rules, 2 watches, all valid.\n"),
        "{stdout}"
    );
}

#[test]
fn check_reports_every_error_with_file_line_and_column() {
    let out = veille(
        &["rules", "check", "--rules", "tests/fixtures/rules/broken"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let expected = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/broken.expected"),
    )
    .expect("golden file");
    assert_eq!(text(&out.stderr), expected);
}

#[test]
fn check_of_a_missing_directory_fails() {
    let out = veille(
        &["rules", "check", "tests/fixtures/rules/does-not-exist"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("tests/fixtures/rules/does-not-exist: cannot read"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn test_json_prints_one_object_per_line_in_order() {
    let input = "Boycott Acme Telecom now!\n\nune recette de brioche maison\nAppel au BOYCOTT de Maison Brioche, j’ai été intoxiqué\n";
    let out = veille(
        &["rules", "test", "--rules", "rules", "--json"],
        Some(input),
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(
        lines[0],
        serde_json::json!({"matches": [{"rule": "acme-boycott", "severity": "critical", "terms": [
            {"text": "Boycott", "start": 0, "end": 7},
            {"text": "Acme Telecom", "start": 8, "end": 20},
        ]}]})
    );
    assert_eq!(lines[1], serde_json::json!({"matches": []}));
    assert_eq!(lines[2], serde_json::json!({"matches": []}));
    let rules: Vec<&str> = lines[3]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["brioche-boycott", "brioche-intoxication"]);
    // Offsets are byte offsets into the input line and `text` is the substring there.
    let line = input.lines().nth(3).unwrap();
    for m in lines[3]["matches"].as_array().unwrap() {
        for t in m["terms"].as_array().unwrap() {
            let (s, e) = (
                t["start"].as_u64().unwrap() as usize,
                t["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(&line[s..e], t["text"].as_str().unwrap());
        }
    }
}

#[test]
fn test_json_objects_have_exactly_the_contract_keys() {
    let out = veille(
        &["rules", "test", "--rules", "rules", "--json"],
        Some("Acme Telecom is a scam\n"),
    );
    assert_eq!(
        text(&out.stdout),
        "{\"matches\":[{\"rule\":\"acme-scam\",\"severity\":\"critical\",\"terms\":[\
         {\"text\":\"Acme Telecom\",\"start\":0,\"end\":12},{\"text\":\"scam\",\"start\":18,\"end\":22}]}]}\n"
    );
}

#[test]
fn test_of_a_text_explains_in_words() {
    let out = veille(
        &[
            "rules",
            "test",
            "--rules",
            "rules",
            "--lang",
            "fr",
            "Quelle arnaque, Maison Brioche !",
        ],
        None,
    );
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(
            "1 rule match\n  brioche-arnaque (critical, alert) Arnaque / escroquerie\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("\"arnaque\" at 7..14"), "{stdout}");
    assert!(
        stdout.contains("counts towards watch: maison-brioche"),
        "{stdout}"
    );
}

#[test]
fn test_with_broken_rules_fails_with_the_errors() {
    let out = veille(
        &[
            "rules",
            "test",
            "--rules",
            "tests/fixtures/rules/broken",
            "--json",
        ],
        Some("acme\n"),
    );
    // grep's convention: 2 is an error (1 says that nothing matched).
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("a-several.toml:6:22: expected a term after NOT"));
}

/// Regression: a query nested 6,000 parentheses deep overflowed the stack of `veille rules check`, which
/// died with SIGABRT (exit 134) instead of naming the place.
#[test]
fn check_of_a_query_nested_too_deep_names_the_place_instead_of_crashing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let deep = format!("{}acme{}", "(".repeat(6000), ")".repeat(6000));
    std::fs::write(
        dir.path().join("deep.toml"),
        format!("[[rule]]\nid = \"deep\"\nname = \"Deep\"\nquery = '{deep}'\n"),
    )
    .expect("rule file written");
    let out = veille(
        &[
            "rules",
            "check",
            "--rules",
            dir.path().to_str().expect("UTF-8 path"),
        ],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        &stderr[..stderr.len().min(500)]
    );
    // Column 10 is the query's first parenthesis; the 65th is one level too deep.
    assert!(
        stderr.contains("deep.toml:4:74: nested too deeply: a query may nest parentheses and NOT at most 64 levels deep"),
        "{}",
        &stderr[..stderr.len().min(500)]
    );
    assert!(
        stderr.contains("1 error in the rules of"),
        "{}",
        &stderr[stderr.len().saturating_sub(300)..]
    );
}
