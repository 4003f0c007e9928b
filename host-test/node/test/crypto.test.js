// ./crypto.js alone: what node:crypto lends the component refuses what it must (a changed
// record, a changed message, a key of another curve, a low-order point, a second use), so a
// lending host never says "valid" or "opened" for input it did not check.

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { test } from 'node:test';

import { aeadKeyFrom, startKeyExchange, verifySignature } from '../crypto.js';

test('each AEAD opens what it sealed, and nothing changed', () => {
  for (const [algorithm, length] of [['aes-128-gcm', 16], ['aes-256-gcm', 32], ['chacha20-poly1305', 32]]) {
    const key = aeadKeyFrom(algorithm, randomBytes(length));
    const nonce = randomBytes(12);
    const aad = Buffer.from('record header');
    const sealed = key.seal(nonce, aad, Buffer.from('a TLS record'));
    assert.equal(sealed.length, 'a TLS record'.length + 16, algorithm);
    assert.equal(Buffer.from(key.open(nonce, aad, sealed)).toString(), 'a TLS record', algorithm);
    const flipped = Buffer.from(sealed);
    flipped[0] ^= 1;
    assert.throws(() => key.open(nonce, aad, flipped), algorithm);
    assert.throws(() => key.open(nonce, Buffer.from('other header'), sealed), algorithm);
    assert.throws(() => key.open(nonce, aad, sealed.subarray(0, 15)), algorithm);
    assert.deepEqual(aeadKeyFrom(algorithm, randomBytes(length + 1)).tag, 'err', algorithm);
  }
});

test('each group agrees with a peer once, and refuses a point that is not one', () => {
  for (const group of ['x25519', 'secp256r1', 'secp384r1']) {
    const ours = startKeyExchange(group);
    const theirs = startKeyExchange(group);
    const secret = ours.agree(theirs.publicKey());
    assert.deepEqual(secret, theirs.agree(ours.publicKey()), group);
    assert.throws(() => ours.agree(theirs.publicKey()), /used already/, group);
    const bogus = Buffer.from(startKeyExchange(group).publicKey());
    bogus[bogus.length - 1] ^= 1;
    // A changed X25519 key is still a key; the all-zero point is the one of low order.
    const invalid = group === 'x25519' ? Buffer.alloc(32) : bogus;
    assert.throws(() => startKeyExchange(group).agree(invalid), group);
  }
  assert.equal(startKeyExchange('secp256r1').publicKey().length, 65);
  assert.equal(startKeyExchange('secp384r1').publicKey().length, 97);
});

test('a signature verifies only for its message, key and algorithm', () => {
  const message = Buffer.from('signed handshake');
  const raw = (publicKey) => publicKey.export({ type: 'spki', format: 'der' });
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p256Point = raw(p256.publicKey).subarray(-65);
  const p256Sig = sign('sha256', message, p256.privateKey);
  assert.equal(verifySignature('ecdsa-p256-sha256', p256Point, message, p256Sig), true);
  assert.equal(verifySignature('ecdsa-p256-sha256', p256Point, Buffer.from('other'), p256Sig), false);
  assert.equal(verifySignature('ecdsa-p256-sha384', p256Point, message, p256Sig), false);
  assert.equal(verifySignature('ecdsa-p384-sha256', p256Point, message, p256Sig), false);

  const ed = generateKeyPairSync('ed25519');
  const edKey = raw(ed.publicKey).subarray(-32);
  const edSig = sign(null, message, ed.privateKey);
  assert.equal(verifySignature('ed25519', edKey, message, edSig), true);
  assert.equal(verifySignature('ed25519', edKey, Buffer.from('other'), edSig), false);

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaKey = rsa.publicKey.export({ type: 'pkcs1', format: 'der' });
  const pkcs1 = sign('sha256', message, rsa.privateKey);
  assert.equal(verifySignature('rsa-pkcs1-sha256', rsaKey, message, pkcs1), true);
  assert.equal(verifySignature('rsa-pss-sha256', rsaKey, message, pkcs1), false);
  assert.equal(verifySignature('rsa-pkcs1-sha384', rsaKey, message, pkcs1), false);
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const smallSig = sign('sha256', message, small.privateKey);
  const smallKey = small.publicKey.export({ type: 'pkcs1', format: 'der' });
  assert.equal(verifySignature('rsa-pkcs1-sha256', smallKey, message, smallSig), false, 'under 2048 bits');
  assert.equal(verifySignature('rsa-pkcs1-sha256', Buffer.from('not a key'), message, pkcs1), false);
});
