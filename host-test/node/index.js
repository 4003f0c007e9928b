// verified-https for Node.js: the host-crypto build of the component
// (target/verified-https-host-crypto.wasm), to which this host lends node:crypto (./crypto.js:
// AEAD records, key shares and signature checks computed natively; every decision stays in
// the component). ./self-contained.js is the same API over target/verified-https.wasm, which
// computes its own crypto. Each response's `crypto` says which ran.

import { client } from './generated/verified-https-host-crypto.js';
import { LENDER, cryptoCalls } from './crypto.js';
import { hostOver } from './host.js';

/** GETs a URL through the host-crypto build (see `hostOver` in ./host.js). */
export const { get } = hostOver(client, { name: LENDER, calls: cryptoCalls });

/** What node:crypto computed for this process's requests so far (see ./crypto.js). */
export { cryptoCalls } from './crypto.js';
export { HttpsError, tlsContextOptions, proxyFromEnvironment } from './host.js';
export { useNodeRoots, usePemFile, trustOrigin } from './trust.js';
