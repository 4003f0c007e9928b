// The `verified:https/trust` import, answered by the Node.js host. The host must choose where
// trust comes from — Node's bundled Mozilla roots (`tls.rootCertificates`) or a PEM file — and
// until it does, every verified context fails with `trust-store-unavailable`: there is no
// silent default.

import { readFileSync } from 'node:fs';
import tls from 'node:tls';

/** @type {Uint8Array[] | null} */
let anchors = null;
let origin = 'no trust anchors were chosen (call useNodeRoots() or usePemFile(path))';

/** Splits PEM text into the DER bytes of its CERTIFICATE blocks. */
export function pemCertificates(text) {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => {
    const base64 = block.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    return new Uint8Array(Buffer.from(base64, 'base64'));
  });
}

/** Trust what Node trusts: its bundled copy of Mozilla's root program. */
export function useNodeRoots() {
  anchors = tls.rootCertificates.flatMap(pemCertificates);
  origin = `Node.js tls.rootCertificates (${anchors.length} certificates)`;
}

/** Trust exactly the certificates of a PEM file; a file without one is an error now. */
export function usePemFile(path) {
  const found = pemCertificates(readFileSync(path, 'utf8'));
  if (found.length === 0) {
    throw new Error(`${path} contains no PEM certificate`);
  }
  anchors = found;
  origin = `${path} (${found.length} certificates)`;
}

/** Where the anchors come from, for messages. */
export function trustOrigin() {
  return origin;
}

// The import itself (jco maps `verified:https/trust` here).
export function trustAnchors() {
  if (anchors === null) {
    return { tag: 'err', val: origin };
  }
  return anchors;
}

export function revocationLists() {
  return [];
}
