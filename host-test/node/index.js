// verified-https for Node.js: the component, transpiled by jco and run on preview2-shim (its
// wasi:sockets are Node's sockets), with the trust import answered by ./trust.js.

import { client } from './generated/verified-https.js';

export { useNodeRoots, usePemFile, trustOrigin } from './trust.js';

/**
 * GETs `url`, like `urlopen`: resolves to `{ status, reason, headers, body, tls }`.
 * Verified by default against the anchors chosen in ./trust.js; `{ insecure: true }` uses the
 * component's explicit unverified context, and the result then says `tls.verified === false`.
 * A failure throws an HttpsError whose `payload` is the component's `error-code`
 * (for example `{ tag: 'tls-certificate-error', val: { tag: 'name-mismatch', ... } }`) and
 * whose message is the component's own wording of it (`describe-error`).
 */
export function get(url, options = {}) {
  try {
    return send(url, options);
  } catch (err) {
    if (err && err.payload !== undefined) {
      throw new HttpsError(err.payload);
    }
    throw err;
  }
}

/** A failed request: `payload` is the component's `error-code`, the message its wording. */
export class HttpsError extends Error {
  constructor(payload) {
    super(client.describeError(payload));
    this.name = 'HttpsError';
    this.payload = payload;
  }
}

function send(url, { insecure = false, headers = {}, timeoutMs = 30000, resolve = [] }) {
  const context = insecure ? client.createUnverifiedContext() : client.createDefaultContext();
  const response = context.send({
    method: 'GET',
    url,
    headers: Object.entries(headers).map(([name, value]) => ({
      name,
      value: new TextEncoder().encode(String(value)),
    })),
    body: undefined,
    options: {
      connectTimeoutMs: undefined,
      handshakeTimeoutMs: undefined,
      readTimeoutMs: undefined,
      timeoutMs: BigInt(timeoutMs),
      connectOverrides: resolve,
      redirects: undefined,
    },
  });
  const pieces = [];
  for (let piece; (piece = response.readBody(1 << 20)) !== undefined; ) {
    pieces.push(piece);
  }
  return {
    status: response.status(),
    reason: response.reason(),
    headers: response.headers().map(({ name, value }) => [name, new TextDecoder().decode(value)]),
    body: Buffer.concat(pieces),
    tls: response.tls(),
  };
}
