// A throwaway CA and server certificates made with the openssl command, for loopback tests.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function openssl(dir, ...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/**
 * A fresh CA in a temporary directory: `{ dir, caPem, leaf(names, { clientAuth }) => { key,
 * cert } }`; a leaf is for a server, or with `clientAuth: true` for a client (mutual TLS).
 */
export function makePki(name = 'node test CA') {
  const dir = mkdtempSync(join(tmpdir(), 'verified-https-node-'));
  openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  openssl(dir, 'req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${name}`, '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', 'ca.pem');
  let serial = 1;
  return {
    dir,
    caPem: join(dir, 'ca.pem'),
    leaf(names, { clientAuth = false } = {}) {
      const name = `leaf${serial}`;
      const purpose = clientAuth ? 'clientAuth' : 'serverAuth';
      const san = names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      writeFileSync(join(dir, `${name}.ext`),
        `subjectAltName=${san}\nextendedKeyUsage=${purpose}\nbasicConstraints=CA:FALSE\n`);
      openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
      openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', `/CN=${names[0]}`, '-out', `${name}.csr`);
      openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
        '-set_serial', String(serial++), '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
      return {
        key: readFileSync(join(dir, `${name}.key`)),
        cert: readFileSync(join(dir, `${name}.pem`)),
      };
    },
  };
}
