// A throwaway CA and server certificates made with the openssl command, for loopback tests.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function openssl(dir, ...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** Writes a fresh private key of `kind` ('p256', 'p384', 'ed25519' or 'rsa': 2048 bits). */
function generateKey(dir, kind, out) {
  const args = {
    p256: ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'],
    p384: ['ecparam', '-name', 'secp384r1', '-genkey', '-noout'],
    ed25519: ['genpkey', '-algorithm', 'ed25519'],
    rsa: ['genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:2048'],
  }[kind];
  if (args === undefined) {
    throw new Error(`no key kind ${kind}`);
  }
  openssl(dir, ...args, '-out', out);
}

/**
 * A fresh CA in a temporary directory: `{ dir, caPem, leaf(names, { clientAuth, key,
 * expired }) => { key, cert } }`; a leaf is for a server, or with `clientAuth: true` for a
 * client (mutual TLS); its key is P-256 unless `key` names another kind ('p384', 'ed25519',
 * 'rsa'); with `expired: true` it was valid in 2020 only.
 *
 * The CA's own key is `key` (P-256 by default) and it signs with `digest` ('sha256' by
 * default; none for Ed25519), in RSA-PSS with `pss: true` (salt of the hash's length).
 */
export function makePki(name = 'node test CA', { key = 'p256', digest = 'sha256', pss = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'verified-https-node-'));
  generateKey(dir, key, 'ca.key');
  const signing = [
    ...(key === 'ed25519' ? [] : [`-${digest}`]),
    ...(pss ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] : []),
  ];
  openssl(dir, 'req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${name}`, '-days', '2',
    ...signing,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', 'ca.pem');
  let serial = 1;
  return {
    dir,
    caPem: join(dir, 'ca.pem'),
    leaf(names, { clientAuth = false, key: leafKey = 'p256', expired = false } = {}) {
      const name = `leaf${serial}`;
      const purpose = clientAuth ? 'clientAuth' : 'serverAuth';
      const san = names.map((n) => (/^[0-9.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      writeFileSync(join(dir, `${name}.ext`),
        `subjectAltName=${san}\nextendedKeyUsage=${purpose}\nbasicConstraints=CA:FALSE\n`);
      generateKey(dir, leafKey, `${name}.key`);
      openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', `/CN=${names[0]}`, '-out', `${name}.csr`);
      if (expired) {
        // `openssl x509` takes no dates in the past; `openssl ca` does.
        writeFileSync(join(dir, `${name}.cnf`),
          `[ca]\ndefault_ca = test\n[test]\ndatabase = ${name}.index\nnew_certs_dir = .\n` +
          `serial = ${name}.serial\npolicy = anything\n[anything]\ncommonName = supplied\n`);
        writeFileSync(join(dir, `${name}.index`), '');
        writeFileSync(join(dir, `${name}.serial`), `${String(serial).padStart(2, '0')}\n`);
        openssl(dir, 'ca', '-batch', '-notext', '-config', `${name}.cnf`, '-cert', 'ca.pem',
          '-keyfile', 'ca.key', '-md', key === 'ed25519' ? 'default' : digest, '-in', `${name}.csr`,
          '-startdate', '20200101000000Z', '-enddate', '20210101000000Z',
          '-extfile', `${name}.ext`, '-out', `${name}.pem`);
        serial += 1;
      } else {
        openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
          ...signing, '-set_serial', String(serial++), '-days', '1', '-extfile', `${name}.ext`,
          '-out', `${name}.pem`);
      }
      return {
        key: readFileSync(join(dir, `${name}.key`)),
        cert: readFileSync(join(dir, `${name}.pem`)),
      };
    },
  };
}
