//! Content decoding through the component: nginx compressing a file on the fly (chunked) and
//! serving a precompressed one (Content-Length), a gzip bomb that stops at the body limit, a
//! corrupt stream as its own error; and the same through `https-get --compressed`.

use std::io::Write;
use std::sync::Arc;

use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};
use verified_https_host::{ContentCoding, ErrorCode, Header, HostTrust, Limits, Request};
use verified_https_testkit::nginx::{Nginx, NginxSpec};
use verified_https_testkit::pki::{LeafSpec, Pki};
use verified_https_testkit::server::{Ending, SeenRequest, TestServer, Versions};

use crate::cli::{ca_dir, https_get, run};
use crate::support::{client, fetch, fetch_through, request_to, request_to_port};

/// A text file that compresses well but not trivially: 2 MiB of numbered lines.
fn text_file() -> Vec<u8> {
    (0..60_000)
        .flat_map(|i| {
            format!(
                "line {i}: the quick brown fox jumps over {}\n",
                i * 7919 % 1000
            )
            .into_bytes()
        })
        .collect()
}

/// gzip of `data` (RFC 1952: header, deflate, CRC-32, size), made here so that the tests do
/// not trust the component's decoder to check its own input.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend(compress_to_vec(data, 6));
    out.extend_from_slice(&flate_crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// CRC-32 (ISO-HDLC), bit by bit: slow and obviously right.
fn flate_crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xedb8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn compressed(mut request: Request) -> Request {
    request.options.accept_encoding = Some(vec![ContentCoding::Gzip, ContentCoding::Deflate]);
    request
}

fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_slice())
}

/// nginx serving `file` as /www/file.txt, gzip on the fly and the precompressed file.txt.gz.
fn nginx_with(pki: &Pki, file: &[u8]) -> Nginx {
    Nginx::start(
        "gzip",
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        &NginxSpec {
            www: vec![
                ("file.txt".into(), file.to_vec()),
                ("static.txt".into(), file.to_vec()),
                ("static.txt.gz".into(), gzip(file)),
            ],
            www_directives: vec![
                "gzip on;".into(),
                "gzip_types text/plain;".into(),
                "gzip_min_length 1;".into(),
                "location /www/static.txt { gzip off; gzip_static on; }".into(),
            ],
            ..NginxSpec::default()
        },
        "not used",
    )
    .expect("nginx (make test installs Debian's nginx-light)")
}

#[test]
fn nginx_gzip_on_the_fly_and_precompressed_decode_byte_identical() {
    let pki = Pki::new("decoding-nginx");
    let file = text_file();
    let nginx = nginx_with(&pki, &file);
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    for (path, framing) in [
        ("/www/file.txt", "transfer-encoding"),
        ("/www/static.txt", "content-length"),
    ] {
        let request = compressed(request_to_port(nginx.port(), "GET", "good.test", path));
        let (response, body) = fetch(&mut client, true, &request).expect("decoded fetch");
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            header(&response.headers, "content-encoding"),
            Some(&b"gzip"[..]),
            "{path}"
        );
        assert!(
            header(&response.headers, framing).is_some(),
            "{path}: {:?}",
            response.headers
        );
        assert_eq!(
            response.content_decoded,
            vec![ContentCoding::Gzip],
            "{path}"
        );
        assert_eq!(body.len(), file.len(), "{path}");
        assert!(
            body == file,
            "{path}: the decoded body differs from the file"
        );
    }
    // Without accept-encoding the client asks for nothing, and nginx sends the file as it is.
    let request = request_to_port(nginx.port(), "GET", "good.test", "/www/file.txt");
    let (response, body) = fetch(&mut client, true, &request).expect("plain fetch");
    assert!(response.content_decoded.is_empty());
    assert_eq!(header(&response.headers, "content-encoding"), None);
    assert!(body == file);
    // A caller's own Accept-Encoding goes as given and the body stays compressed.
    let mut request = request_to_port(nginx.port(), "GET", "good.test", "/www/file.txt");
    request.headers.push(Header {
        name: "Accept-Encoding".into(),
        value: b"gzip".to_vec(),
    });
    let (response, body) = fetch(&mut client, true, &request).expect("raw fetch");
    assert!(response.content_decoded.is_empty());
    assert_eq!(&body[..2], &[0x1f, 0x8b]);
}

/// A server that answers with `body` under `Content-Encoding: coding`, chunked.
fn coded_server(pki: &Pki, coding: &'static str, body: Vec<u8>) -> TestServer {
    TestServer::https(
        &pki.leaf(&LeafSpec::new(&["good.test"])),
        Versions::Both,
        Arc::new(move |_req: &SeenRequest, out: &mut dyn Write| {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nTransfer-Encoding: chunked\r\n\r\n"
            )?;
            for piece in body.chunks(10_000) {
                write!(out, "{:x}\r\n", piece.len())?;
                out.write_all(piece)?;
                out.write_all(b"\r\n")?;
            }
            out.write_all(b"0\r\n\r\n")?;
            Ok(Ending::CloseNotify)
        }),
    )
}

#[test]
fn a_chunked_deflate_body_decodes_and_a_gzip_bomb_stops_at_the_limit_in_bounded_memory() {
    let pki = Pki::new("decoding-bomb");
    let file = text_file();
    let server = coded_server(&pki, "deflate", compress_to_vec_zlib(&file, 6));
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let (response, body) = fetch(
        &mut client,
        true,
        &compressed(request_to(&server, "GET", "good.test", "/")),
    )
    .expect("deflate");
    assert_eq!(response.content_decoded, vec![ContentCoding::Deflate]);
    assert!(body == file);

    // 1 GiB of zeros in about 1 MiB of gzip.
    let bomb = gzip(&vec![0u8; 1 << 30]);
    assert!(bomb.len() < 1_100_000, "{}", bomb.len());
    let server = coded_server(&pki, "gzip", bomb);
    let mut client = crate::support::client(HostTrust::Unavailable("not asked".into()));
    let context = client
        .context(&verified_https_host::ContextOptions {
            limits: Limits {
                max_body_bytes: Some(64 << 20),
                ..default_limits()
            },
            ..verified_https_host::ContextOptions::trusting(verified_https_host::TrustAnchors::Der(
                vec![pki.root_der()],
            ))
        })
        .expect("no trap")
        .expect("context");
    let request = compressed(request_to(&server, "GET", "good.test", "/"));
    let err = fetch_through(&mut client, context, &request).unwrap_err();
    assert_eq!(err, ErrorCode::HttpResponseBodySize(64 << 20));
    let peak = client.peak_memory_bytes();
    eprintln!("gzip bomb: stopped at 64 MiB decoded; peak linear memory {peak} bytes");
    assert!(peak <= 4 << 20, "peak linear memory {peak}");
}

/// Every limit at its default.
fn default_limits() -> Limits {
    Limits {
        max_header_section_bytes: None,
        max_header_count: None,
        max_status_line_bytes: None,
        max_chunk_line_bytes: None,
        max_interim_responses: None,
        max_body_bytes: None,
    }
}

#[test]
fn a_corrupt_gzip_stream_is_a_content_decoding_error() {
    let pki = Pki::new("decoding-corrupt");
    let mut bad = gzip(&text_file());
    let at = bad.len() - 8;
    bad[at] ^= 0x55; // the CRC-32
    let server = coded_server(&pki, "gzip", bad);
    let mut client = client(HostTrust::Anchors(vec![pki.root_der()]));
    let err = fetch(
        &mut client,
        true,
        &compressed(request_to(&server, "GET", "good.test", "/")),
    )
    .unwrap_err();
    assert!(
        matches!(&err, ErrorCode::ContentDecodingError(why) if why.contains("CRC-32")),
        "{err:?}"
    );
}

#[test]
fn https_get_compressed_writes_the_decoded_file_and_says_so_with_exit_61_for_a_corrupt_one() {
    let pki = Pki::new("decoding-cli");
    let file = text_file();
    let nginx = nginx_with(&pki, &file);
    let dir = ca_dir(&pki, "decoding");
    let out = dir.join("file.txt");
    let resolve = format!("good.test:{}:127.0.0.1", nginx.port());
    let url = format!("https://good.test:{}/www/file.txt", nginx.port());
    let (code, _, stderr) = run(https_get()
        .args(["--compressed", "-v", "--cacert"])
        .arg(dir.join("ca.pem"))
        .args(["--resolve", &resolve, "-o"])
        .arg(&out)
        .arg(&url));
    assert_eq!(code, 0, "{stderr}");
    assert!(std::fs::read(&out).expect("output") == file);
    assert!(
        stderr.contains("content-encoding: gzip (decoded)"),
        "{stderr}"
    );

    let mut bad = gzip(&file);
    let at = bad.len() / 2;
    bad[at] ^= 0xff;
    let server = coded_server(&pki, "gzip", bad);
    let (code, _, stderr) = run(https_get()
        .args(["--compressed", "-s", "--cacert"])
        .arg(dir.join("ca.pem"))
        .args([
            "--resolve",
            &format!("good.test:{}:127.0.0.1", server.port()),
        ])
        .arg(server.url("https", "good.test", "/"))
        .arg("-o")
        .arg(dir.join("bad.txt")));
    assert_eq!(code, 61, "{stderr}");
    assert!(
        stderr.contains("could not decode the response body: gzip"),
        "{stderr}"
    );
}
