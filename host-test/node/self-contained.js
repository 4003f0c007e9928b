// verified-https for Node.js over the self-contained build (target/verified-https.wasm): the
// same API as ./index.js, with the component computing its crypto itself (ring in wasm), for
// hosts or callers that lend it nothing. Each response's `crypto` says `lent: false`.

import { client } from './generated/verified-https.js';
import { hostOver } from './host.js';

/** GETs a URL through the self-contained build (see `hostOver` in ./host.js). */
export const { get } = hostOver(client, null);

export { HttpsError, tlsContextOptions, proxyFromEnvironment } from './host.js';
export { useNodeRoots, usePemFile, trustOrigin } from './trust.js';
