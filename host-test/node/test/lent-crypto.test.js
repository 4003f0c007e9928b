// node:crypto lent to the host-crypto build (./index.js), beside the self-contained build
// (./self-contained.js), against loopback node:tls servers that choose each suite, version,
// group and signature scheme themselves. Both builds fetch the same bodies; only the
// host-crypto build makes the host compute (counted per response), and verification fails
// exactly as it does inside the component, because the decisions never left it.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as lending from '../index.js';
import * as selfContained from '../self-contained.js';
import { makePki } from './support/pki.js';
import { serve } from './support/serve.js';

const pki = makePki();
// Both builds share ./trust.js, so this one choice is theirs.
lending.usePemFile(pki.caPem);

const BUILDS = [
  ['host-crypto', lending],
  ['self-contained', selfContained],
];

/** A body of several TLS records, so that many are opened. */
const BODY = 'lent or not. '.repeat(5000);

/** GETs / from a server of `leaf` with node:tls options `tls` through `host`: the response. */
async function fetchFrom(host, leaf, tls) {
  const server = await serve(leaf, BODY, { tls });
  try {
    return host.get(`https://127.0.0.1:${server.port}/`);
  } finally {
    server.stop();
  }
}

/** Checks the body and who computed: the host (every kind of call) for the host-crypto
 * build, the component for the self-contained one. */
function assertComputedBy(build, response, what) {
  assert.equal(response.status, 200, what);
  assert.equal(response.body.toString(), BODY, what);
  assert.equal(response.tls.verified, true, what);
  const { crypto } = response;
  if (build === 'host-crypto') {
    assert.equal(crypto.lent, true, what);
    assert.match(crypto.by, /^node:crypto, OpenSSL /, what);
    assert.ok(crypto.seals > 0 && crypto.keyShares > 0 && crypto.verifications > 0, `${what}: ${crypto.description}`);
    assert.ok(crypto.opens > BODY.length / 16384, `${what}: ${crypto.description}`);
    assert.match(crypto.description, /^lent by the host \(node:crypto, OpenSSL .*\): [1-9]\d* records sealed/);
  } else {
    assert.deepEqual(crypto, {
      lent: false,
      by: 'the component',
      description: 'inside the component (ring in wasm; it imports no crypto)',
    });
  }
}

const leaf = pki.leaf(['127.0.0.1']);

test('both builds fetch from servers that choose each suite themselves, TLS 1.2 and 1.3', async () => {
  const cases = [
    ['TLSv1.3', 'TLS_AES_128_GCM_SHA256', 'TLS13_AES_128_GCM_SHA256'],
    ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 'TLS13_AES_256_GCM_SHA384'],
    ['TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS13_CHACHA20_POLY1305_SHA256'],
    ['TLSv1.2', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
    ['TLSv1.2', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
    ['TLSv1.2', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  ];
  for (const [build, host] of BUILDS) {
    for (const [version, ciphers, name] of cases) {
      const tls = { minVersion: version, maxVersion: version, ciphers, honorCipherOrder: true };
      const response = await fetchFrom(host, leaf, tls);
      assert.equal(response.tls.version, version, `${build} ${name}`);
      assert.equal(response.tls.cipherSuite, name, `${build} ${name}`);
      assertComputedBy(build, response, `${build} ${name}`);
    }
  }
});

test('both builds agree on each key exchange group the server insists on', async () => {
  // The client sends an X25519 share first; in TLS 1.3 a server that wants P-256 or P-384
  // asks again (HelloRetryRequest), so a second share, of that group, is made and used. In
  // TLS 1.2 the ClientHello's share goes unused and a second is made for the group of the
  // server's key exchange, X25519 included.
  const cases = [
    ['X25519', 'TLSv1.3', 1],
    ['P-256', 'TLSv1.3', 2],
    ['P-384', 'TLSv1.3', 2],
    ['X25519', 'TLSv1.2', 2],
    ['P-256', 'TLSv1.2', 2],
    ['P-384', 'TLSv1.2', 2],
  ];
  for (const [build, host] of BUILDS) {
    for (const [group, version, shares] of cases) {
      const what = `${build} ${group} ${version}`;
      const tls = { minVersion: version, maxVersion: version, ecdhCurve: group };
      const response = await fetchFrom(host, leaf, tls);
      assert.equal(response.tls.version, version, what);
      assertComputedBy(build, response, what);
      if (build === 'host-crypto') {
        assert.equal(response.crypto.keyShares, shares, `${what}: ${response.crypto.description}`);
      }
    }
  }
});

test('both builds check every signature algorithm of the WIT, the host computing each', async () => {
  // Each case: a CA (its key, digest, PSS or not), the leaf's key, the server's version and
  // signature schemes; the lent algorithms expected: the CA's signature on the leaf, then
  // the leaf's handshake signature.
  const cases = [
    [{ key: 'p256', digest: 'sha256' }, 'p256', { maxVersion: 'TLSv1.3' }, ['ecdsa-p256-sha256']],
    [{ key: 'p256', digest: 'sha384' }, 'p384', { maxVersion: 'TLSv1.3' }, ['ecdsa-p256-sha384', 'ecdsa-p384-sha384']],
    [{ key: 'p384', digest: 'sha256' }, 'p256', { maxVersion: 'TLSv1.2', sigalgs: 'ECDSA+SHA256' }, ['ecdsa-p384-sha256', 'ecdsa-p256-sha256']],
    [{ key: 'p384', digest: 'sha384' }, 'p384', { maxVersion: 'TLSv1.2', sigalgs: 'ECDSA+SHA384' }, ['ecdsa-p384-sha384']],
    [{ key: 'ed25519' }, 'ed25519', { maxVersion: 'TLSv1.3' }, ['ed25519']],
    [{ key: 'rsa', digest: 'sha256', pss: true }, 'rsa', { maxVersion: 'TLSv1.3', sigalgs: 'rsa_pss_rsae_sha384' }, ['rsa-pss-sha256', 'rsa-pss-sha384']],
    [{ key: 'rsa', digest: 'sha512', pss: true }, 'rsa', { maxVersion: 'TLSv1.3', sigalgs: 'rsa_pss_rsae_sha512' }, ['rsa-pss-sha512']],
    [{ key: 'rsa', digest: 'sha256' }, 'rsa', { maxVersion: 'TLSv1.2', sigalgs: 'RSA+SHA256' }, ['rsa-pkcs1-sha256']],
    [{ key: 'rsa', digest: 'sha384' }, 'rsa', { maxVersion: 'TLSv1.2', sigalgs: 'RSA+SHA512' }, ['rsa-pkcs1-sha384', 'rsa-pkcs1-sha512']],
  ];
  for (const [ca, leafKey, tls, algorithms] of cases) {
    const own = makePki(`node ${ca.key} CA`, ca);
    const served = own.leaf(['127.0.0.1'], { key: leafKey });
    lending.usePemFile(own.caPem);
    try {
      for (const [build, host] of BUILDS) {
        const what = `${build} ${JSON.stringify(ca)} ${leafKey} ${JSON.stringify(tls)}`;
        const response = await fetchFrom(host, served, tls);
        assert.equal(response.tls.version, tls.maxVersion, what);
        assertComputedBy(build, response, what);
        if (build === 'host-crypto') {
          assert.deepEqual(Object.keys(response.crypto.signatures).sort(), [...algorithms].sort(), what);
        }
      }
    } finally {
      lending.usePemFile(pki.caPem);
    }
  }
});

test('verification fails the same way through the lent crypto', async () => {
  const other = makePki('node other CA');
  const cases = [
    ['wrong name', pki.leaf(['elsewhere.test']), 'name-mismatch'],
    ['unknown CA', other.leaf(['127.0.0.1']), 'unknown-issuer'],
    ['expired', pki.leaf(['127.0.0.1'], { expired: true }), 'expired'],
  ];
  for (const [what, served, reason] of cases) {
    for (const version of ['TLSv1.3', 'TLSv1.2']) {
      const server = await serve(served, 'must not arrive', { tls: { maxVersion: version } });
      try {
        const outcomes = BUILDS.map(([build, host]) => {
          let refusal;
          assert.throws(
            () => host.get(`https://127.0.0.1:${server.port}/`),
            (err) => {
              assert.ok(err instanceof lending.HttpsError, `${build} ${what}: ${err}`);
              refusal = { payload: err.payload, message: err.message };
              return true;
            },
          );
          return refusal;
        });
        assert.equal(outcomes[0].payload.tag, 'tls-certificate-error', `${what} ${version}`);
        assert.equal(outcomes[0].payload.val.tag, reason, `${what} ${version}: ${outcomes[0].message}`);
        assert.match(outcomes[0].message, /^certificate verify failed: /);
        assert.deepEqual(outcomes[0], outcomes[1], `${what} ${version}: the builds disagree`);
      } finally {
        server.stop();
      }
    }
  }
});

test('a refusal through the lent crypto was computed by the host up to the refusal', async () => {
  // In TLS 1.3 the key exchange comes before the certificate, so the host made a share for a
  // connection whose certificate the component then refused; the refusal is the component's.
  const server = await serve(pki.leaf(['elsewhere.test']), 'must not arrive', {
    tls: { maxVersion: 'TLSv1.3' },
  });
  try {
    const before = lending.cryptoCalls();
    assert.throws(() => lending.get(`https://127.0.0.1:${server.port}/`), lending.HttpsError);
    const after = lending.cryptoCalls();
    assert.equal(after.keyShares - before.keyShares, 1);
    assert.ok(after.opens > before.opens, 'the host opened the encrypted handshake');
  } finally {
    server.stop();
  }
});
