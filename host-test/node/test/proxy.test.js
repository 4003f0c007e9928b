// Proxies from Node.js: the environment read as curl reads it, and a fetch through Debian's
// tinyproxy on loopback (make test installs it), bypassed by NO_PROXY.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import * as https from '../index.js';
import { makePki } from './support/pki.js';
import { serve } from './support/serve.js';

const pki = makePki();
https.usePemFile(pki.caPem);

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function tinyproxy() {
  const dir = mkdtempSync(join(tmpdir(), 'verified-https-tinyproxy-'));
  const port = await freePort();
  const log = join(dir, 'tinyproxy.log');
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    `Port ${port}\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nLogLevel Info\n` +
      `LogFile "${log}"\nPidFile "${join(dir, 'tinyproxy.pid')}"\n`,
  );
  const child = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 500; i++) {
    const up = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket.end() && true));
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const tunnels = () => readFileSync(log, 'utf8').split('Established connection to host').length - 1;
  return { url: `http://127.0.0.1:${port}`, tunnels, stop: () => child.kill() };
}

test('the proxy comes from the environment as curl reads it', () => {
  const env = { HTTPS_PROXY: 'proxy.test:3128', NO_PROXY: 'a.test, .b.test', http_proxy: 'http://p2:8' };
  assert.deepEqual(https.proxyFromEnvironment('https://x.test/', env), {
    url: 'http://proxy.test:3128',
    noProxy: ['a.test', '.b.test'],
  });
  assert.equal(https.proxyFromEnvironment('http://x.test/', env).url, 'http://p2:8');
  assert.equal(https.proxyFromEnvironment('http://x.test/', { HTTP_PROXY: 'http://no:1' }), undefined);
});

test('a fetch goes through tinyproxy, verified, and NO_PROXY goes around it', async () => {
  const server = await serve(pki.leaf(['127.0.0.1']), 'hello through the proxy');
  const proxy = await tinyproxy();
  try {
    const url = `https://127.0.0.1:${server.port}/`;
    const response = https.get(url, { proxy: { url: proxy.url, noProxy: [] } });
    assert.equal(response.body.toString(), 'hello through the proxy');
    assert.equal(response.tls.verified, true);
    assert.equal(proxy.tunnels(), 1);
    https.get(url, { proxy: { url: proxy.url, noProxy: ['127.0.0.1'] } });
    https.get(url, { proxy: null });
    assert.equal(proxy.tunnels(), 1);
  } finally {
    proxy.stop();
    server.stop();
  }
});
