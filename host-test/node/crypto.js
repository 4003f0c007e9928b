// The `verified:https/crypto` import (wit/crypto.wit), answered with node:crypto (OpenSSL,
// natively: AES-NI and carry-less multiply where the CPU has them). jco maps the import here
// for the host-crypto build only; the self-contained build imports no crypto.
//
// The host only computes: every AEAD key and key share is a resource object kept here, and
// which suites, groups and signature algorithms are used, and what a signature means for the
// chain, the component decides. What was computed is counted (`cryptoCalls`), so a caller can
// see that the host did the work.

import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createPublicKey,
  constants,
  diffieHellman,
  generateKeyPairSync,
  timingSafeEqual,
  verify,
} from 'node:crypto';

/** Who computes, for messages: node:crypto and the OpenSSL it runs on. */
export const LENDER = `node:crypto, OpenSSL ${process.versions.openssl}`;

const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;

/** The node:crypto cipher and key length of each WIT `aead-algorithm`. */
const AEADS = {
  'aes-128-gcm': { cipher: 'aes-128-gcm', keyLength: 16 },
  'aes-256-gcm': { cipher: 'aes-256-gcm', keyLength: 32 },
  'chacha20-poly1305': { cipher: 'chacha20-poly1305', keyLength: 32 },
};

/** What the host computed since it started: records sealed and opened, key shares made,
 * signatures checked (by WIT algorithm name). */
const calls = { seals: 0, opens: 0, keyShares: 0, verifications: 0, signatures: {} };

/** A copy of the counts of what the host computed so far. */
export function cryptoCalls() {
  return { ...calls, signatures: { ...calls.signatures } };
}

/** The key of one direction of one TLS connection (the WIT resource `aead-key`). */
export class AeadKey {
  #cipher;
  #key;

  constructor(cipher, key) {
    this.#cipher = cipher;
    this.#key = key;
  }

  /** The ciphertext of `plaintext` followed by its 16-byte tag. */
  seal(nonce, aad, plaintext) {
    calls.seals += 1;
    const cipher = createCipheriv(this.#cipher, this.#key, checkedNonce(nonce), {
      authTagLength: TAG_LENGTH,
    });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    return concat([head, tail, cipher.getAuthTag()]);
  }

  /** The plaintext of `ciphertext` (with its tag), or a throw (the WIT `err`) when the tag
   * does not match or the input is shorter than a tag. */
  open(nonce, aad, ciphertext) {
    calls.opens += 1;
    if (ciphertext.length < TAG_LENGTH) {
      throw new Error('a sealed record is shorter than its tag');
    }
    const split = ciphertext.length - TAG_LENGTH;
    const decipher = createDecipheriv(this.#cipher, this.#key, checkedNonce(nonce), {
      authTagLength: TAG_LENGTH,
    });
    decipher.setAAD(aad, { plaintextLength: split });
    decipher.setAuthTag(ciphertext.subarray(split));
    const head = decipher.update(ciphertext.subarray(0, split));
    const tail = decipher.final(); // throws when the tag does not match
    return concat([head, tail]);
  }
}

/** A key of `algorithm` from its exact bytes, or `err` saying why not. */
export function aeadKeyFrom(algorithm, key) {
  const aead = AEADS[algorithm];
  if (aead === undefined) {
    return { tag: 'err', val: `node:crypto lends no AEAD ${algorithm}` };
  }
  if (key.length !== aead.keyLength) {
    return { tag: 'err', val: `a ${algorithm} key is ${aead.keyLength} bytes, not ${key.length}` };
  }
  return new AeadKey(aead.cipher, Buffer.from(key));
}

/** A nonce must be 12 bytes: anything else is a bug in the component, so a trap (a throw
 * that is not the WIT `err` of `open`: seal has none, and jco traps on it). */
function checkedNonce(nonce) {
  if (nonce.length !== NONCE_LENGTH) {
    throw new RangeError(`a nonce of ${nonce.length} bytes, not ${NONCE_LENGTH}`);
  }
  return nonce;
}

/** An ephemeral private key for one handshake (the WIT resource `key-share`); used once. */
export class KeyShare {
  #agree;
  #publicKey;

  constructor(publicKey, agree) {
    this.#publicKey = publicKey;
    this.#agree = agree;
  }

  /** The public key as TLS carries it for the group. */
  publicKey() {
    return this.#publicKey;
  }

  /** The shared secret with `peer`; a throw (the WIT `err`) for an invalid peer key, an
   * all-zero secret, or a second use. */
  agree(peer) {
    const agree = this.#agree;
    this.#agree = null;
    if (agree === null) {
      throw new Error('this key share was used already');
    }
    const secret = agree(Buffer.from(peer));
    if (timingSafeEqual(secret, Buffer.alloc(secret.length))) {
      throw new Error('the shared secret is all zeroes');
    }
    return new Uint8Array(secret);
  }
}

/** The uncompressed point length and node:crypto curve of each NIST group. */
const NIST_GROUPS = {
  secp256r1: { curve: 'prime256v1', pointLength: 65 },
  secp384r1: { curve: 'secp384r1', pointLength: 97 },
};

/** A fresh key share of `group`, or `err` saying why the host has none. */
export function startKeyExchange(group) {
  calls.keyShares += 1;
  if (group === 'x25519') {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
    return new KeyShare(new Uint8Array(raw), (peer) => {
      if (peer.length !== 32) {
        throw new Error(`an X25519 public key is 32 bytes, not ${peer.length}`);
      }
      const peerKey = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: peer.toString('base64url') },
        format: 'jwk',
      });
      return diffieHellman({ privateKey, publicKey: peerKey });
    });
  }
  const nist = NIST_GROUPS[group];
  if (nist === undefined) {
    return { tag: 'err', val: `node:crypto lends no key exchange group ${group}` };
  }
  const ecdh = createECDH(nist.curve);
  const publicKey = new Uint8Array(ecdh.generateKeys());
  return new KeyShare(publicKey, (peer) => {
    // TLS carries uncompressed points only; computeSecret checks the point is on the curve.
    if (peer.length !== nist.pointLength || peer[0] !== 4) {
      throw new Error(`a ${group} public key is an uncompressed point of ${nist.pointLength} bytes`);
    }
    return ecdh.computeSecret(peer);
  });
}

/** How node:crypto verifies each WIT `signature-algorithm`: the key's type, its digest, and
 * the options of `crypto.verify`. */
const SIGNATURES = {
  'ecdsa-p256-sha256': { key: 'P-256', digest: 'sha256' },
  'ecdsa-p256-sha384': { key: 'P-256', digest: 'sha384' },
  'ecdsa-p384-sha256': { key: 'P-384', digest: 'sha256' },
  'ecdsa-p384-sha384': { key: 'P-384', digest: 'sha384' },
  ed25519: { key: 'Ed25519', digest: null },
  'rsa-pss-sha256': { key: 'rsa', digest: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING },
  'rsa-pss-sha384': { key: 'rsa', digest: 'sha384', padding: constants.RSA_PKCS1_PSS_PADDING },
  'rsa-pss-sha512': { key: 'rsa', digest: 'sha512', padding: constants.RSA_PKCS1_PSS_PADDING },
  'rsa-pkcs1-sha256': { key: 'rsa', digest: 'sha256', padding: constants.RSA_PKCS1_PADDING },
  'rsa-pkcs1-sha384': { key: 'rsa', digest: 'sha384', padding: constants.RSA_PKCS1_PADDING },
  'rsa-pkcs1-sha512': { key: 'rsa', digest: 'sha512', padding: constants.RSA_PKCS1_PADDING },
};

/** The coordinate length of each curve's uncompressed points. */
const COORDINATE_LENGTH = { 'P-256': 32, 'P-384': 48 };

/** Whether `signature` is a valid signature of `message` by `publicKey` (the content of a
 * SubjectPublicKeyInfo's BIT STRING) under `algorithm`; a key or signature node:crypto cannot
 * parse is not valid. */
export function verifySignature(algorithm, publicKey, message, signature) {
  calls.verifications += 1;
  calls.signatures[algorithm] = (calls.signatures[algorithm] ?? 0) + 1;
  const how = SIGNATURES[algorithm];
  if (how === undefined) {
    return false;
  }
  try {
    const key = keyObject(how.key, Buffer.from(publicKey));
    if (key === null) {
      return false;
    }
    if (how.key === 'rsa') {
      // webpki's RSA algorithms take 2048 to 8192 bits; the salt of PSS is the hash's length.
      const bits = key.asymmetricKeyDetails.modulusLength;
      if (bits < 2048 || bits > 8192) {
        return false;
      }
      return verify(
        how.digest,
        message,
        { key, padding: how.padding, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    const options = how.digest === null ? key : { key, dsaEncoding: 'der' };
    return verify(how.digest, message, options, signature);
  } catch {
    return false;
  }
}

/** The node:crypto public key of `kind` from the bytes of a SubjectPublicKeyInfo's BIT
 * STRING, or null when they are not one. */
function keyObject(kind, bytes) {
  if (kind === 'rsa') {
    return createPublicKey({ key: bytes, format: 'der', type: 'pkcs1' });
  }
  if (kind === 'Ed25519') {
    if (bytes.length !== 32) {
      return null;
    }
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') },
      format: 'jwk',
    });
  }
  const length = COORDINATE_LENGTH[kind];
  if (bytes.length !== 1 + 2 * length || bytes[0] !== 4) {
    return null;
  }
  // A JWK import checks that the point is on the curve.
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: kind,
      x: bytes.subarray(1, 1 + length).toString('base64url'),
      y: bytes.subarray(1 + length).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** The bytes of `parts`, one after the other, as a Uint8Array (what jco lowers). */
function concat(parts) {
  const joined = Buffer.concat(parts);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.length);
}
