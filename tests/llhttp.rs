//! Response-parser conformance against llhttp's own test cases (`../shared/testdata/
//! llhttp-cases.json`), natively: every response case through the component's head parser and
//! body decoder must reach llhttp's verdict (error or not), or be listed with its reason in
//! `docs/llhttp-exceptions.json`. Every prefix of a valid response must be "incomplete", never
//! an error and never a wrong body.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test: a failed expectation is the failure"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use verified_https::http1::framing::BodyDecoder;
use verified_https::http1::head::HeadReader;
use verified_https::limits::Limits;

/// What the component makes of a byte stream holding (the start of) a response.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// A parse error, with its message.
    Error(String),
    /// No error: the head is incomplete, or complete with the body decoded so far.
    Fine { body: Option<Vec<u8>> },
}

fn verdict(input: &[u8]) -> Verdict {
    let mut received = input.to_vec();
    match HeadReader::default().take_final_head(&mut received, false, &Limits::default()) {
        Err(err) => Verdict::Error(err.to_string()),
        Ok(None) => Verdict::Fine { body: None },
        Ok(Some((_, framing))) => {
            let mut decoder = match BodyDecoder::new(framing, &Limits::default()) {
                Ok(decoder) => decoder,
                Err(err) => return Verdict::Error(err.to_string()),
            };
            let mut body = Vec::new();
            match decoder.decode(&received, &mut body, usize::MAX) {
                Err(err) => Verdict::Error(err.to_string()),
                Ok(_) => Verdict::Fine { body: Some(body) },
            }
        }
    }
}

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/llhttp-cases.json")
}

fn response_cases() -> Vec<Value> {
    let text = std::fs::read(testdata()).expect("llhttp-cases.json from ../shared/testdata");
    let cases: Vec<Value> = serde_json::from_slice(&text).expect("valid JSON");
    cases
        .into_iter()
        .filter(|case| {
            case["meta"]["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("response"))
        })
        .collect()
}

/// `file:line name`, unique per case.
fn case_id(case: &Value) -> String {
    format!(
        "{}:{} {}",
        case["file"].as_str().unwrap_or(""),
        case["line"],
        case["name"].as_str().unwrap_or("")
    )
}

fn exceptions() -> BTreeMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/llhttp-exceptions.json");
    serde_json::from_slice(&std::fs::read(path).expect("docs/llhttp-exceptions.json"))
        .expect("valid JSON")
}

#[test]
fn llhttp_response_cases_match_or_are_documented_exceptions() {
    let exceptions = exceptions();
    let (mut matches, mut documented, mut failures) = (0, 0, Vec::new());
    let mut used_exceptions = Vec::new();
    for case in response_cases() {
        let id = case_id(&case);
        let input = case["input"].as_str().expect("input text").as_bytes();
        let llhttp_errs = case["expect_error"].as_bool().expect("expect_error");
        let ours = verdict(input);
        let we_err = matches!(ours, Verdict::Error(_));
        if we_err == llhttp_errs {
            matches += 1;
            assert!(
                !exceptions.contains_key(&id),
                "{id} matches but is listed as an exception"
            );
        } else if exceptions.contains_key(&id) {
            documented += 1;
            used_exceptions.push(id);
        } else {
            failures.push(format!(
                "{id}: llhttp error={llhttp_errs} ({:?}), ours {ours:?}",
                case["error"]
            ));
        }
    }
    println!(
        "llhttp responses: {matches} match, {documented} documented exceptions, {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    let stale: Vec<_> = exceptions
        .keys()
        .filter(|k| !used_exceptions.contains(k))
        .collect();
    assert!(
        stale.is_empty(),
        "exceptions that no longer apply: {stale:#?}"
    );
}

#[test]
fn every_prefix_of_a_valid_response_is_incomplete_never_wrong() {
    let mut checked = 0;
    for case in response_cases() {
        let input = case["input"].as_str().expect("input text").as_bytes();
        let Verdict::Fine {
            body: Some(full_body),
        } = verdict(input)
        else {
            continue;
        };
        for end in 0..input.len() {
            match verdict(&input[..end]) {
                Verdict::Error(err) => {
                    panic!("{}: prefix of {end} bytes gave {err}", case_id(&case))
                }
                Verdict::Fine { body: Some(body) } => assert!(
                    full_body.starts_with(&body),
                    "{}: prefix of {end} bytes gave a body that is not a prefix of the whole",
                    case_id(&case)
                ),
                Verdict::Fine { body: None } => {}
            }
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} valid responses were checked");
}
