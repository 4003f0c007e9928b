// `get-js URL`: a command component (`wasi:cli/run`, built by componentize-js) that GETs one
// URL through verified-https-fetch.js and writes the body on stdout.
//
// Exit codes are `https-get`'s (curl's): 0 on success (a status of 400 or more included: its
// body is written as any other), 60 when the certificate is refused, 77 when there are no
// trust anchors, 3, 6, 7, 18, 28, 35, ... for the other failures curl names, 1 otherwise; the
// message, in the client's wording, on stderr.

import { getStderr } from 'wasi:cli/stderr@0.2.12';
import { getStdout } from 'wasi:cli/stdout@0.2.12';
import { getArguments } from 'wasi:cli/environment@0.2.12';
import { exitWithCode } from 'wasi:cli/exit@0.2.12';
import { fetch, HttpsError } from './verified-https-fetch.js';

/** curl's exit code for each of the client's error cases (../shared/DESIGN.md); 1 otherwise. */
const EXIT_CODES = {
  'invalid-url': 3,
  'invalid-request': 2,
  'trust-store-unavailable': 77,
  'invalid-trust-anchors': 77,
  'dns-error': 6,
  'connection-refused': 7,
  'destination-unavailable': 7,
  'connection-timeout': 28,
  'http-response-timeout': 28,
  'tls-certificate-error': 60,
  'tls-alert-received': 35,
  'tls-protocol-error': 35,
  'http-protocol-error': 8,
  'http-response-header-section-size': 8,
  'http-response-header-count': 8,
  'http-response-status-line-size': 8,
  'http-response-chunk-line-size': 8,
  'too-many-interim-responses': 8,
  'http-response-body-size': 63,
  'http-response-incomplete': 18,
  'connection-terminated': 56,
  'too-many-redirects': 47,
  'invalid-client-identity': 58,
  'pin-mismatch': 90,
  'content-decoding-error': 61,
  'body-not-replayable': 65,
  'proxy-error': 56,
};

/** Writes all of `bytes` to a wasi:io output stream. */
function writeAll(stream, bytes) {
  for (let at = 0; at < bytes.length; at += 4096) {
    stream.blockingWriteAndFlush(bytes.subarray(at, at + 4096));
  }
}

/** Says why on stderr, and exits with curl's code for it. */
function fail(message, code) {
  writeAll(getStderr(), new TextEncoder().encode(`${message}\n`));
  exitWithCode(code);
}

export const run = {
  run() {
    const args = getArguments().slice(1);
    if (args.length !== 1) {
      fail('usage: get-js URL', 2);
    }
    const [url] = args;
    try {
      const response = fetch(url);
      const stdout = getStdout();
      for (const piece of response.body) {
        writeAll(stdout, piece);
      }
    } catch (err) {
      if (err instanceof HttpsError) {
        fail(`get-js: ${url}: ${err.message}`, EXIT_CODES[err.code.tag] ?? 1);
      }
      fail(`get-js: ${url}: ${err}`, 1);
    }
  },
};
