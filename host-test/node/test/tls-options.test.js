// The TLS options of a verified context from Node.js: a client certificate for a server that
// requires one (mutual TLS), public-key pins, version bounds; against node:tls servers.

import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { test } from 'node:test';

import * as https from '../index.js';
import { makePki } from './support/pki.js';
import { serve } from './support/serve.js';

const pki = makePki();
const clients = makePki('node client CA');

// This file's trust choice: the test CA (the context options add to it, never replace it).
https.usePemFile(pki.caPem);

/** The SHA-256 of a certificate's SubjectPublicKeyInfo, as `--pinnedpubkey` hashes it. */
function pinOf(certPem) {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest();
}

/** Expects `fn` to throw an HttpsError whose payload tag is `tag`; returns the payload. */
function refusedWith(fn, tag) {
  let payload;
  assert.throws(fn, (err) => {
    assert.ok(err instanceof https.HttpsError, String(err));
    assert.equal(err.payload.tag, tag, err.message);
    payload = err.payload;
    return true;
  });
  return payload;
}

test('a client certificate and key are sent to a server that requires one', async () => {
  const client = clients.leaf(['client.test'], { clientAuth: true });
  const server = await serve(pki.leaf(['127.0.0.1']), 'hello, client', { clientCa: clients.caPem });
  try {
    for (const [cert, key] of [
      [client.cert, client.key],
      [client.cert.toString(), client.key.toString()],
      [Buffer.concat([client.cert, client.key]), undefined],
    ]) {
      const response = https.get(`https://127.0.0.1:${server.port}/`, { cert, key });
      assert.equal(response.status, 200);
      assert.equal(response.body.toString(), 'hello, client');
      assert.equal(response.tls.verified, true);
      assert.equal(response.tls.clientCertificateSent, true);
      assert.deepEqual(
        response.headers.find(([name]) => name === 'x-client-cn'),
        ['x-client-cn', 'client.test'],
      );
    }
  } finally {
    server.stop();
  }
});

test('without a client certificate the server refuses with its alert', async () => {
  const server = await serve(pki.leaf(['127.0.0.1']), 'never', { clientCa: clients.caPem });
  try {
    const payload = refusedWith(
      () => https.get(`https://127.0.0.1:${server.port}/`),
      'tls-alert-received',
    );
    assert.equal(payload.val, 'certificate required');
  } finally {
    server.stop();
  }
});

test('a key that does not belong to the certificate is invalid-client-identity', async () => {
  const client = clients.leaf(['client.test'], { clientAuth: true });
  const other = clients.leaf(['other.test'], { clientAuth: true });
  const server = await serve(pki.leaf(['127.0.0.1']), 'never', { clientCa: clients.caPem });
  try {
    const payload = refusedWith(
      () => https.get(`https://127.0.0.1:${server.port}/`, { cert: client.cert, key: other.key }),
      'invalid-client-identity',
    );
    assert.match(payload.val, /does not belong to the certificate/);
  } finally {
    server.stop();
  }
});

test('a pin may be one of several, bytes or sha256//BASE64; else pin-mismatch', async () => {
  const leaf = pki.leaf(['127.0.0.1']);
  const stranger = makePki('node stranger CA').leaf(['127.0.0.1']);
  const [pin, other] = [pinOf(leaf.cert), pinOf(stranger.cert)];
  const server = await serve(leaf, 'pinned');
  const url = `https://127.0.0.1:${server.port}/`;
  try {
    for (const pinnedPublicKeys of [
      [pin],
      [other, pin],
      [`sha256//${pin.toString('base64')}`],
      `sha256//${other.toString('base64')};sha256//${pin.toString('base64')}`,
    ]) {
      const response = https.get(url, { pinnedPublicKeys });
      assert.equal(response.body.toString(), 'pinned');
      assert.equal(response.tls.clientCertificateSent, false);
    }
    const payload = refusedWith(
      () => https.get(url, { pinnedPublicKeys: [other] }),
      'pin-mismatch',
    );
    assert.deepEqual(Buffer.from(payload.val.presented), pin);
    assert.deepEqual(payload.val.pinned.map((p) => Buffer.from(p)), [other]);
  } finally {
    server.stop();
  }
});

test('maxVersion 1.2 negotiates TLS 1.2 and minVersion 1.3 accepts TLS 1.3', async () => {
  const server = await serve(pki.leaf(['127.0.0.1']), 'v');
  const url = `https://127.0.0.1:${server.port}/`;
  try {
    assert.equal(https.get(url, { maxVersion: '1.2' }).tls.version, 'TLSv1.2');
    assert.equal(https.get(url, { minVersion: '1.3' }).tls.version, 'TLSv1.3');
    refusedWith(() => https.get(url, { minVersion: '1.3', maxVersion: '1.2' }), 'invalid-request');
  } finally {
    server.stop();
  }
});

test("the options trust the host's anchors, and no option means the default context", () => {
  const options = https.tlsContextOptions({ minVersion: '1.2' });
  assert.deepEqual(options.trustAnchors, { tag: 'host' });
  assert.equal(https.tlsContextOptions({}), undefined, 'no option: the default context');
});

test('malformed options and options with insecure are TypeErrors, before any connection', () => {
  const url = 'https://127.0.0.1:9/';
  for (const [options, message] of [
    [{ pinnedPublicKeys: [Buffer.alloc(20)] }, /32 bytes, not 20/],
    [{ pinnedPublicKeys: ['sha1//AAAA'] }, /'sha256\/\/BASE64'/],
    [{ pinnedPublicKeys: ['sha256//short='] }, /'sha256\/\/BASE64'/],
    [{ minVersion: '1.1' }, /minVersion is '1.2' or '1.3'/],
    [{ maxVersion: 'tls13' }, /maxVersion is '1.2' or '1.3'/],
    [{ key: 'KEY' }, /key needs cert/],
    [{ cert: 42 }, /PEM strings or Buffers/],
    [
      { insecure: true, pinnedPublicKeys: [Buffer.alloc(32)] },
      /the unverified one \(insecure: true\) takes no options/,
    ],
    [{ insecure: true, minVersion: '1.3' }, /takes no options/],
  ]) {
    assert.throws(() => https.get(url, options), (err) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.match(err.message, message);
      return true;
    });
  }
});
