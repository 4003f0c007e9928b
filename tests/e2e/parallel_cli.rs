//! `https-get -Z URL URL…` as a user runs it: every URL at once through one instance of the
//! async build and one context; the bodies whole and in the order given; a failing transfer
//! named on stderr while the others are still written; the first failure's exit code.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{Ending, Handler, SeenRequest, TestServer, Versions};

use crate::cli::{ca_dir, https_get, run};

/// Answers `body of PATH` after `delay`.
fn echo_path_after(delay: Duration) -> Handler {
    Arc::new(move |seen: &SeenRequest, out: &mut dyn Write| {
        std::thread::sleep(delay);
        let path = seen.head.split_whitespace().nth(1).unwrap_or("?");
        let body = format!("body of {path}\n");
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        Ok(Ending::CloseNotify)
    })
}

/// A server for good.test only.
fn good_server(pki: &Pki, handler: Handler) -> TestServer {
    TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        handler,
    )
}

/// `--cacert DIR/ca.pem` and `--resolve` of good.test and wrong.test to the server.
fn flags(server: &TestServer, dir: &std::path::Path) -> Vec<String> {
    vec![
        "--cacert".into(),
        dir.join("ca.pem").display().to_string(),
        "--resolve".into(),
        format!("good.test:{}:127.0.0.1", server.port()),
        "--resolve".into(),
        format!("wrong.test:{}:127.0.0.1", server.port()),
    ]
}

#[test]
fn parallel_fetches_eight_urls_that_each_take_a_second_in_about_a_second_bodies_in_order() {
    let pki = Pki::new("cli-parallel");
    let dir = ca_dir(&pki, "parallel");
    let server = good_server(&pki, echo_path_after(Duration::from_secs(1)));
    let urls: Vec<String> = (1..=8)
        .map(|i| server.url("https", "good.test", &format!("/{i}")))
        .collect();
    // The first run may compile the async build into the cache; the timed one loads it.
    let (code, _, err) = run(https_get()
        .arg("-Z")
        .args(flags(&server, &dir))
        .arg(&urls[0]));
    assert_eq!(code, 0, "{err}");

    let started = Instant::now();
    let (code, out, err) = run(https_get()
        .args(["-Z", "-v"])
        .args(flags(&server, &dir))
        .args(&urls));
    let took = started.elapsed();
    assert_eq!(code, 0, "{err}");
    let expected: String = (1..=8).map(|i| format!("body of /{i}\n")).collect();
    assert_eq!(out, expected);
    // One after the other: 8 s at least.
    assert!(took < Duration::from_millis(1_800), "{took:?}\n{err}");
    assert!(err.contains("from the cache"), "{err}");
    assert!(
        err.contains("* 8 transfers at once, through one instance and one context"),
        "{err}"
    );
    let mut from = 0;
    for (i, url) in urls.iter().enumerate() {
        let line = format!("* [{}/8] {url}: 200 OK, 11 bytes, TLSv1.3 ", i + 1);
        let at = err[from..]
            .find(&line)
            .unwrap_or_else(|| panic!("{line} in order in\n{err}"));
        from += at + line.len();
    }
    assert!(err[from..].contains("verified: yes"), "{err}");
}

#[test]
fn parallel_with_a_wrong_host_name_among_good_ones_exits_60_and_still_writes_the_others() {
    let pki = Pki::new("cli-parallel-wrong");
    let dir = ca_dir(&pki, "parallel-wrong");
    let server = good_server(&pki, echo_path_after(Duration::ZERO));
    let (code, out, err) = run(https_get()
        .arg("-Z")
        .args(flags(&server, &dir))
        .arg(server.url("https", "good.test", "/1"))
        .arg(server.url("https", "wrong.test", "/2"))
        .arg(server.url("https", "good.test", "/3")));
    assert_eq!(code, 60, "{err}");
    assert_eq!(out, "body of /1\nbody of /3\n");
    let wrong = server.url("https", "wrong.test", "/2");
    assert!(
        err.contains(&format!(
            "https-get: {wrong}: certificate verify failed: hostname mismatch"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "https-get: 1 of 3 transfers failed; the first in the order given, {wrong}, with exit code 60"
        )),
        "{err}"
    );
}

#[test]
fn parallel_refuses_a_bad_url_clearly_with_exit_3_and_fetches_the_rest() {
    let pki = Pki::new("cli-parallel-bad-url");
    let dir = ca_dir(&pki, "parallel-bad-url");
    let server = good_server(&pki, echo_path_after(Duration::ZERO));
    let (code, out, err) = run(https_get()
        .arg("--parallel")
        .args(flags(&server, &dir))
        .arg(server.url("https", "good.test", "/1"))
        .arg("https://bad url.test/")
        .arg(server.url("https", "good.test", "/3")));
    assert_eq!(code, 3, "{err}");
    assert_eq!(out, "body of /1\nbody of /3\n");
    assert!(err.contains("https-get: https://bad url.test/: "), "{err}");
    assert!(
        err.contains("1 of 3 transfers failed; the first in the order given, https://bad url.test/, with exit code 3"),
        "{err}"
    );
    assert_eq!(server.connections(), 2, "the bad URL connects nowhere");
}
