// The trust choice is explicit: none is an error; Node's roots do not trust a private CA.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as https from '../index.js';
import { makePki } from './support/pki.js';

const pki = makePki();

// No trust is chosen in this file until the second test asks for Node's roots.

/**
 * Serves HTTPS on 127.0.0.1 in a child process (the component's calls are synchronous and
 * would block a server in this process). Resolves to { port, stop }.
 */
async function serve(leaf, body) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./support/server.js', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify({ key: leaf.key.toString(), cert: leaf.cert.toString(), body }));
  const [line] = await once(child.stdout, 'data');
  return { port: Number(String(line).trim()), stop: () => child.kill() };
}

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
