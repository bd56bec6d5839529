//! `veille score` through the real binary: one line out per line in, in order, and the JSON contract
//! scripts rely on.

use std::io::Write;
use std::process::{Command, Stdio};

fn score(args: &[&str], input: &str) -> (String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veille"))
        .arg("score")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("veille runs");
    // A command that refuses its arguments may exit before reading: a closed pipe is its answer.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    let out = child.wait_with_output().expect("veille ends");
    (
        String::from_utf8(out.stdout).expect("UTF-8 output"),
        out.status.success(),
    )
}

fn json_lines(args: &[&str], input: &str) -> Vec<serde_json::Value> {
    let (out, ok) = score(args, input);
    assert!(ok, "veille score failed");
    out.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn json_contract_one_object_per_line_in_order() {
    let lines = json_lines(
        &["--json"],
        "Acme m a arnaqué, honteux\n\nSuper service, merci !\n",
    );
    assert_eq!(lines.len(), 3);
    for l in &lines {
        let lang = l["lang"].as_str().expect("lang");
        assert!(["fr", "en", "other"].contains(&lang));
        let score = l["score"].as_f64().expect("score");
        assert!((-1.0..=1.0).contains(&score));
        assert!(["neg", "neu", "pos"].contains(&l["label"].as_str().expect("label")));
        for t in l["terms"].as_array().expect("terms") {
            assert!(t["term"].is_string());
            assert!(t["weight"].is_number());
        }
    }
    assert_eq!(lines[0]["label"], "neg");
    assert_eq!(lines[0]["lang"], "fr");
    let first_terms: Vec<&str> = lines[0]["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert_eq!(first_terms, ["arnaqué", "honteux"], "terms as written");
    assert_eq!(lines[1]["label"], "neu");
    assert_eq!(lines[1]["terms"].as_array().unwrap().len(), 0);
    assert_eq!(lines[2]["label"], "pos");
}

#[test]
fn fixed_language_is_used_as_given() {
    let lines = json_lines(&["--json", "--lang", "en"], "This is not good\nC'est nul\n");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["lang"], "en");
    assert_eq!(lines[0]["label"], "neg");
    assert_eq!(lines[1]["lang"], "en");
    let lines = json_lines(&["--json", "--lang", "fr"], "C'est nul\n");
    assert_eq!(lines[0]["lang"], "fr");
    assert_eq!(lines[0]["label"], "neg");
}

#[test]
fn human_lines_one_per_input_line() {
    let (out, ok) = score(
        &[],
        "Acme m'a arnaqué 😡\n\nI love it\nlast line without newline",
    );
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("neg"), "{}", lines[0]);
    assert!(lines[0].contains("arnaqué(-"), "{}", lines[0]);
    assert!(lines[1].starts_with("neu"), "{}", lines[1]);
    assert!(
        lines[2].starts_with("pos") && lines[2].contains("  en"),
        "{}",
        lines[2]
    );
}

#[test]
fn bytes_that_are_not_utf8_still_get_their_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veille"))
        .args(["score", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("veille runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"caf\xe9 nul\r\nok\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 2);
}

#[test]
fn rejects_an_unknown_language() {
    let (_, ok) = score(&["--lang", "de"], "hallo\n");
    assert!(!ok);
}
