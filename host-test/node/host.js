// The Node.js host over one build of the component (transpiled by jco, run on preview2-shim,
// whose wasi:sockets are Node's sockets; the trust import answered by ./trust.js): `get` and
// what it needs. ./index.js gives it the host-crypto build, whose crypto import ./crypto.js
// answers with node:crypto; ./self-contained.js the build that computes its own crypto.

/**
 * The host's `get` over `client` (the exported interface of one transpiled build); `lender`
 * is `{ name, calls }` of the crypto the host lends that build (./crypto.js), or null for the
 * self-contained build.
 *
 * `get(url, options)` GETs `url`, like `urlopen`: resolves to `{ status, reason, headers, body,
 * tls, crypto }`.
 * Verified by default against the anchors chosen in ./trust.js; `{ insecure: true }` uses the
 * component's explicit unverified context, and the result then says `tls.verified === false`.
 * A failure throws an HttpsError whose `payload` is the component's `error-code`
 * (for example `{ tag: 'tls-certificate-error', val: { tag: 'name-mismatch', ... } }`) and
 * whose message is the component's own wording of it (`describe-error`).
 *
 * TLS options of the verified context (each absent by default; see `tlsContextOptions`):
 * `cert` and `key` (PEM strings or Buffers; the key may be in `cert`), sent to a server that
 * asks for a client certificate (`tls.clientCertificateSent`); `pinnedPublicKeys` (Buffers of
 * 32 bytes or `'sha256//BASE64'` strings: the SHA-256 of the server's SubjectPublicKeyInfo,
 * checked besides the chain and name; else `pin-mismatch`); `minVersion` and `maxVersion`
 * (`'1.2'` or `'1.3'`). With `insecure: true` they are refused (a TypeError): the unverified
 * context takes no options, and a pin through it would vouch for nothing.
 *
 * `proxy`: `{ url, noProxy }` (an http:// or https:// proxy reached by CONNECT; the server is
 * still verified end to end), `null` for a direct connection, or (absent) what
 * `proxyFromEnvironment` finds.
 *
 * `onBody`: a function given each piece of the body (a Uint8Array) as it arrives, instead of
 * collecting it (`body` is then empty): for bodies too large to hold. Absent by default.
 *
 * `crypto` says who computed the request's crypto: `{ lent: true, by, seals, opens, keyShares,
 * verifications, signatures, description }` when the host lent it (the counts are this
 * request's; `signatures` by WIT algorithm), `{ lent: false, by, description }` when the
 * component computed it itself; `description` in `https-get -v`'s words.
 */
export function hostOver(client, lender) {
  return {
    get(url, options = {}) {
      try {
        return send(client, lender, url, options);
      } catch (err) {
        if (err && err.payload !== undefined) {
          throw new HttpsError(err.payload, client.describeError(err.payload));
        }
        throw err;
      }
    },
  };
}

/** A failed request: `payload` is the component's `error-code`, `message` its wording of it
 * (`describe-error`). */
export class HttpsError extends Error {
  constructor(payload, message) {
    super(message);
    this.name = 'HttpsError';
    this.payload = payload;
  }
}

/**
 * The `context-options` of `client.createContext` for the TLS options of `get`, trusting what
 * ./trust.js answers (the host's anchors: none chosen is still `trust-store-unavailable`, never
 * a fallback); `undefined` when none is given (then `createDefaultContext` is used). A
 * malformed option is a TypeError; whether the certificate and key are usable is decided by the
 * component (`invalid-client-identity`).
 */
export function tlsContextOptions({ cert, key, pinnedPublicKeys, minVersion, maxVersion } = {}) {
  const given = [cert, key, pinnedPublicKeys, minVersion, maxVersion].some((o) => o !== undefined);
  if (!given) {
    return undefined;
  }
  if (key !== undefined && cert === undefined) {
    throw new TypeError('key needs cert (the certificate the key belongs to)');
  }
  return {
    trustAnchors: { tag: 'host' },
    revocationLists: [],
    limits: {},
    clientIdentity: cert === undefined ? undefined : { tag: 'pem', val: identityPem(cert, key) },
    minVersion: tlsVersion('minVersion', minVersion),
    maxVersion: tlsVersion('maxVersion', maxVersion),
    pinnedPublicKeys: pins(pinnedPublicKeys ?? []),
  };
}

/** The PEM text of `cert`, then that of `key` if given, as bytes. */
function identityPem(cert, key) {
  const text = [cert, key]
    .filter((part) => part !== undefined)
    .map((part) => {
      if (typeof part !== 'string' && !(part instanceof Uint8Array)) {
        throw new TypeError('cert and key are PEM strings or Buffers');
      }
      return Buffer.from(part).toString('latin1');
    });
  return new Uint8Array(Buffer.from(text.join(text[0].endsWith('\n') ? '' : '\n'), 'latin1'));
}

/** `'1.2'` or `'1.3'` as the WIT `tls-version`; `undefined` stays the default. */
function tlsVersion(name, version) {
  if (version === undefined) {
    return undefined;
  }
  const versions = { '1.2': 'tls12', '1.3': 'tls13' };
  if (!Object.hasOwn(versions, version)) {
    throw new TypeError(`${name} is '1.2' or '1.3', not ${JSON.stringify(version)}`);
  }
  return versions[version];
}

/**
 * Pins as 32-byte digests: Buffers of 32 bytes, or `sha256//BASE64` (curl's spelling; one
 * string may hold several, separated by `;`, as curl's `--pinnedpubkey`).
 */
function pins(list) {
  const entries = typeof list === 'string' ? list.split(';') : Array.isArray(list) ? list : [list];
  return entries.map((pin) => {
    if (pin instanceof Uint8Array) {
      if (pin.length !== 32) {
        throw new TypeError(
          `a pinned public key is a SHA-256 digest of 32 bytes, not ${pin.length}`,
        );
      }
      return new Uint8Array(pin);
    }
    const encoded = typeof pin === 'string' ? /^sha256\/\/([A-Za-z0-9+/]{43}=)$/.exec(pin) : null;
    if (encoded === null) {
      throw new TypeError(
        `a pinned public key is 32 bytes or 'sha256//BASE64', not ${JSON.stringify(pin)}`,
      );
    }
    return new Uint8Array(Buffer.from(encoded[1], 'base64'));
  });
}

/**
 * The proxy for `url` as curl reads the environment (the component reads none): `https_proxy`
 * or `HTTPS_PROXY` for https URLs, `http_proxy` (lower case only) for http, then `all_proxy` /
 * `ALL_PROXY`; `NO_PROXY`/`no_proxy` lists hosts reached directly. `undefined`: no proxy.
 */
export function proxyFromEnvironment(url, env = process.env) {
  const first = (...names) => names.map((name) => env[name]).find((value) => value);
  const proxy = url.startsWith('https:')
    ? first('https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY')
    : first('http_proxy', 'all_proxy', 'ALL_PROXY');
  if (!proxy) {
    return undefined;
  }
  const noProxy = (first('NO_PROXY', 'no_proxy') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return { url: proxy.includes('://') ? proxy : `http://${proxy}`, noProxy };
}

function send(
  client,
  lender,
  url,
  {
    insecure = false,
    headers = {},
    timeoutMs = 30000,
    resolve = [],
    proxy = proxyFromEnvironment(url),
    onBody,
    ...tls
  },
) {
  const options = tlsContextOptions(tls);
  if (insecure && options !== undefined) {
    throw new TypeError(
      'cert, key, pinnedPublicKeys, minVersion and maxVersion need a verified context: ' +
        'the unverified one (insecure: true) takes no options',
    );
  }
  const context = insecure
    ? client.createUnverifiedContext()
    : options === undefined
      ? client.createDefaultContext()
      : client.createContext(options);
  const before = lender?.calls();
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
      acceptEncoding: undefined,
      proxy: proxy ?? undefined,
    },
  });
  const pieces = [];
  for (let piece; (piece = response.readBody(1 << 20)) !== undefined; ) {
    if (onBody === undefined) {
      pieces.push(piece);
    } else {
      onBody(piece);
    }
  }
  return {
    status: response.status(),
    reason: response.reason(),
    headers: response.headers().map(({ name, value }) => [name, new TextDecoder().decode(value)]),
    body: Buffer.concat(pieces),
    tls: response.tls(),
    crypto: cryptoReport(lender, before),
  };
}

/** Who computed a request's crypto, and what the host computed for it since `before`. */
function cryptoReport(lender, before) {
  if (lender === null) {
    return {
      lent: false,
      by: 'the component',
      description: 'inside the component (ring in wasm; it imports no crypto)',
    };
  }
  const now = lender.calls();
  const counts = {};
  for (const name of ['seals', 'opens', 'keyShares', 'verifications']) {
    counts[name] = now[name] - before[name];
  }
  const signatures = {};
  for (const [algorithm, count] of Object.entries(now.signatures)) {
    const made = count - (before.signatures[algorithm] ?? 0);
    if (made > 0) {
      signatures[algorithm] = made;
    }
  }
  return {
    lent: true,
    by: lender.name,
    ...counts,
    signatures,
    description:
      `lent by the host (${lender.name}): ${counts.seals} records sealed, ${counts.opens} ` +
      `opened, ${counts.keyShares} key shares, ${counts.verifications} signatures verified`,
  };
}
