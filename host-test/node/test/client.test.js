// The component in Node.js against a loopback HTTPS server (node:https): verified, wrong host
// refused, unverified only when asked and then saying so.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as https from '../index.js';
import { makePki } from './support/pki.js';
import { serve } from './support/serve.js';

const pki = makePki();

// This file's trust choice: the test CA. (Each test file runs in a process of its own.)
https.usePemFile(pki.caPem);

test('a verified fetch against the chosen CA succeeds and says it verified', async () => {
  const server = await serve(pki.leaf(['127.0.0.1']), 'hello from node');
  try {
    const response = https.get(`https://127.0.0.1:${server.port}/`);
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'hello from node');
    assert.equal(response.tls.verified, true);
    assert.equal(response.tls.version, 'TLSv1.3');
  } finally {
    server.stop();
  }
});

test('a certificate for another name is refused with name-mismatch', async () => {
  const server = await serve(pki.leaf(['elsewhere.test']), 'must not arrive');
  try {
    assert.throws(
      () => https.get(`https://127.0.0.1:${server.port}/`),
      (err) => {
        assert.equal(err.payload.tag, 'tls-certificate-error');
        assert.equal(err.payload.val.tag, 'name-mismatch');
        assert.equal(err.payload.val.val.expected, '127.0.0.1');
        assert.ok(err instanceof https.HttpsError);
        assert.match(
          err.message,
          /^certificate verify failed: hostname mismatch, certificate is not valid for '127\.0\.0\.1'/,
        );
        return true;
      },
    );
  } finally {
    server.stop();
  }
});

test('the unverified context is explicit and says it did not verify', async () => {
  const server = await serve(pki.leaf(['elsewhere.test']), 'unverified');
  try {
    const response = https.get(`https://127.0.0.1:${server.port}/`, { insecure: true });
    assert.equal(response.body.toString(), 'unverified');
    assert.equal(response.tls.verified, false);
  } finally {
    server.stop();
  }
});

test('onBody gets the body piece by piece instead of the response holding it', async () => {
  const body = 'streamed. '.repeat(300000);
  const server = await serve(pki.leaf(['127.0.0.1']), body);
  try {
    const pieces = [];
    const response = https.get(`https://127.0.0.1:${server.port}/`, {
      onBody: (piece) => pieces.push(Buffer.from(piece)),
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.length, 0);
    assert.ok(pieces.length > 1, `${pieces.length} piece(s)`);
    assert.equal(Buffer.concat(pieces).toString(), body);
  } finally {
    server.stop();
  }
});
