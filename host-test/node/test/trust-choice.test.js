// The trust choice is explicit: none is an error; Node's roots do not trust a private CA.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as https from '../index.js';
import { makePki } from './support/pki.js';
import { serve } from './support/serve.js';

const pki = makePki();

// No trust is chosen in this file until the second test asks for Node's roots.

test('with no trust chosen, a verified context is an error, not a fallback', async () => {
  const server = await serve(pki.leaf(['127.0.0.1']), 'private');
  try {
    assert.throws(() => https.get(`https://127.0.0.1:${server.port}/`), (err) => {
      assert.equal(err.payload.tag, 'trust-store-unavailable');
      assert.match(err.payload.val, /no trust anchors were chosen/);
      return true;
    });
  } finally {
    server.stop();
  }
});

test('with no trust chosen, a context with TLS options is an error too', async () => {
  const server = await serve(pki.leaf(['127.0.0.1']), 'private');
  try {
    assert.throws(
      () =>
        https.get(`https://127.0.0.1:${server.port}/`, {
          minVersion: '1.2',
          pinnedPublicKeys: [Buffer.alloc(32)],
        }),
      (err) => {
        assert.equal(err.payload.tag, 'trust-store-unavailable');
        assert.match(err.payload.val, /no trust anchors were chosen/);
        return true;
      },
    );
  } finally {
    server.stop();
  }
});

test("Node's roots (Mozilla's) refuse a private CA as unknown-issuer", async () => {
  const server = await serve(pki.leaf(['127.0.0.1']), 'private');
  try {
    https.useNodeRoots();
    assert.match(https.trustOrigin(), /tls.rootCertificates \(\d+ certificates\)/);
    assert.throws(() => https.get(`https://127.0.0.1:${server.port}/`), (err) => {
      assert.equal(err.payload.tag, 'tls-certificate-error');
      assert.equal(err.payload.val.tag, 'unknown-issuer');
      return true;
    });
  } finally {
    server.stop();
  }
});
