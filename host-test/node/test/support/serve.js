// Starts test/support/server.js: a loopback HTTPS server in a child process (the component's
// calls are synchronous and would block a server in the test's own process).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Serves `body` over HTTPS with `leaf` ({ key, cert }); resolves to { port, stop }. With
 * `clientCa` (a PEM file's path) the server requires a client certificate issued under it;
 * `tls` passes node:tls server options that choose the version, suite, group or signature
 * scheme for the client (see server.js).
 */
export async function serve(leaf, body, { clientCa, tls } = {}) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./server.js', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ca = clientCa === undefined ? undefined : readFileSync(clientCa, 'utf8');
  child.stdin.end(
    JSON.stringify({ key: leaf.key.toString(), cert: leaf.cert.toString(), body, clientCa: ca, tls }),
  );
  const [line] = await once(child.stdout, 'data');
  return { port: Number(String(line).trim()), stop: () => child.kill() };
}
