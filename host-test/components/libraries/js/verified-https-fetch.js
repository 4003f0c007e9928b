// HTTPS for JavaScript components (componentize-js), shaped like `fetch`, through the
// verified-https client they import (`verified:https/client`, satisfied by composing the
// component with the client and a trust provider).
//
//   import { fetch, CertificateVerificationError } from './verified-https-fetch.js';
//   const response = fetch('https://example.test/');   // synchronous: the client is
//   console.log(response.status, response.text());       // a blocking import
//
// Verified by default: chain and host name against the composition's anchors
// (`createDefaultContext()`), or exactly the caller's (`createContext({ pem })`); no anchors is
// an error (`TrustStoreUnavailableError`), never an empty store. `dangerousUnverifiedContext()`
// is the one opt-out, and every response made through it has `verified === false`. Failures
// are typed exceptions (`HttpsError` and its subclasses) in the client's wording.

import {
  createContext as clientCreateContext,
  createDefaultContext as clientCreateDefaultContext,
  createUnverifiedContext,
  describeError,
} from 'verified:https/client@0.1.0';

/** The most body bytes asked of the client in one read. */
const MAX_READ = 65536;

/**
 * A request that failed. `message` is the client's wording (its `describe-error`); `code` the
 * client's error case (`{ tag, val }`, e.g. `{ tag: 'dns-error', val: '...' }`).
 */
export class HttpsError extends TypeError {
  constructor(code) {
    super(describeError(code));
    this.name = 'HttpsError';
    this.code = code;
  }
}

/**
 * The server's certificate chain or name was refused. `reason` is the client's certificate
 * error (`{ tag: 'name-mismatch', val: { expected, presented } }`, `{ tag: 'expired', ... }`, ...).
 */
export class CertificateVerificationError extends HttpsError {
  constructor(code) {
    super(code);
    this.name = 'CertificateVerificationError';
    this.reason = code.val;
  }
}

/** There are no usable trust anchors; no connection was made. */
export class TrustStoreUnavailableError extends HttpsError {
  constructor(code) {
    super(code);
    this.name = 'TrustStoreUnavailableError';
  }
}

/** The exception for the client's error case. */
function errorFor(code) {
  switch (code.tag) {
    case 'tls-certificate-error':
      return new CertificateVerificationError(code);
    case 'trust-store-unavailable':
    case 'invalid-trust-anchors':
      return new TrustStoreUnavailableError(code);
    default:
      return new HttpsError(code);
  }
}

/** Calls `f`, turning the client's errors (thrown with their `payload`) into typed ones. */
function call(f) {
  try {
    return f();
  } catch (err) {
    if (err && typeof err === 'object' && err.payload && typeof err.payload.tag === 'string') {
      throw errorFor(err.payload);
    }
    throw err;
  }
}

/** Whom requests trust, and the idle connections they share. */
export class Context {
  constructor(inner) {
    this.inner = inner;
    /** Whether chain and host name are verified: false only for the unverified context. */
    this.verifies = inner.verifies();
  }
}

/** A verified context over the anchors of the component's composition. */
export function createDefaultContext() {
  return new Context(call(() => clientCreateDefaultContext()));
}

/** A verified context that trusts exactly the `CERTIFICATE` blocks of `pem` (a string). */
export function createContext({ pem }) {
  const options = {
    trustAnchors: { tag: 'pem', val: new TextEncoder().encode(pem) },
    revocationLists: [],
    limits: {},
    pinnedPublicKeys: [],
  };
  return new Context(call(() => clientCreateContext(options)));
}

/**
 * DANGER: a context that does not verify the server's chain or name. TLS still runs, to a
 * server nobody vouched for; every response through it has `verified === false`.
 */
export function dangerousUnverifiedContext() {
  return new Context(createUnverifiedContext());
}

/** Header fields, looked up in any case (as fetch's `Headers`). */
export class Headers {
  constructor(fields) {
    this.fields = fields.map(({ name, value }) => [name, new TextDecoder().decode(value)]);
  }

  /** The values of `name` joined by `, `, or null. */
  get(name) {
    const lower = name.toLowerCase();
    const values = this.fields.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
    return values.length ? values.join(', ') : null;
  }

  /** Whether there is a field `name`. */
  has(name) {
    return this.get(name) !== null;
  }

  /** `[name, value]` pairs, in the order received. */
  [Symbol.iterator]() {
    return this.fields[Symbol.iterator]();
  }
}

/**
 * A response whose head has arrived (as fetch's `Response`). Its body is read once: whole
 * (`arrayBuffer()`, `text()`) or in pieces as the server sends them (`read()`, or
 * `for (const piece of response.body)`). A body that ends before its framing says it is
 * complete throws, never a shorter success.
 */
export class Response {
  constructor(inner) {
    this.inner = inner;
    this.finished = false;
    this.status = inner.status();
    this.statusText = inner.reason();
    this.ok = this.status >= 200 && this.status < 300;
    this.url = inner.url();
    this.headers = new Headers(inner.headers());
    const tls = inner.tls();
    /** Whether the server's chain and name were verified. */
    this.verified = Boolean(tls && tls.verified);
    /** The TLS details (`version`, `cipherSuite`, ...), or null for `http://`. */
    this.tls = tls ?? null;
    const response = this;
    /** The body's pieces (`Uint8Array`s), as they arrive. */
    this.body = {
      *[Symbol.iterator]() {
        let piece;
        while ((piece = response.read()) !== null) {
          yield piece;
        }
      },
    };
  }

  /** The next piece of the body (a `Uint8Array` of at most `maxBytes`), or null at its end. */
  read(maxBytes = MAX_READ) {
    if (this.finished) {
      return null;
    }
    const piece = call(() => this.inner.readBody(Math.max(1, Math.min(maxBytes, 0xffffffff))));
    if (piece === undefined || piece === null) {
      this.finished = true;
      return null;
    }
    return piece;
  }

  /** The rest of the body, as an `ArrayBuffer`. */
  arrayBuffer() {
    const pieces = [...this.body];
    const whole = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const piece of pieces) {
      whole.set(piece, at);
      at += piece.length;
    }
    return whole.buffer;
  }

  /** The rest of the body, decoded as UTF-8. */
  text() {
    return new TextDecoder().decode(this.arrayBuffer());
  }
}

/**
 * Sends a request (as `fetch`, but synchronous): `init` may give `method`, `headers` (an
 * object or `[name, value]` pairs), `body` (a string or bytes), `timeout` (milliseconds, for
 * the connection and each wait for the server), `redirect: 'follow'` (at most 10, never from
 * https to http) and `context` (a verified one by default). Throws `HttpsError` (or a
 * subclass) when the request fails; a status of 400 or more is a response, not an error.
 */
export function fetch(url, init = {}) {
  const context = init.context ?? createDefaultContext();
  const headers = Object.entries(init.headers ?? {}).map(([name, value]) => ({
    name,
    value: new TextEncoder().encode(String(value)),
  }));
  const body = init.body === undefined ? undefined
    : typeof init.body === 'string' ? new TextEncoder().encode(init.body) : init.body;
  const timeout = init.timeout === undefined ? undefined : BigInt(init.timeout);
  const request = {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    url,
    headers,
    body,
    options: {
      connectTimeoutMs: timeout,
      handshakeTimeoutMs: timeout,
      readTimeoutMs: timeout,
      connectOverrides: [],
      redirects: init.redirect === 'follow'
        ? { maxRedirects: 10, allowHttpsToHttp: false } : undefined,
    },
  };
  return new Response(call(() => context.inner.send(request)));
}
