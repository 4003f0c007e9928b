// node example.js URL [--cacert FILE | --node-roots] [-k] [--self-contained]
// Fetches URL through the verified-https component and prints what it verified and who computed
// its crypto (node:crypto, lent to the host-crypto build; or, with --self-contained, the
// component itself), then the body.

const args = process.argv.slice(2);
const https = await import(args.includes('--self-contained') ? './self-contained.js' : './index.js');
const url = args.find((a) => !a.startsWith('-') && args[args.indexOf(a) - 1] !== '--cacert');
const cacert = args.includes('--cacert') ? args[args.indexOf('--cacert') + 1] : undefined;
const insecure = args.includes('-k');
if (!url) {
  console.error('usage: node example.js URL [--cacert FILE | --node-roots] [-k] [--self-contained]');
  process.exit(2);
}
if (cacert) {
  https.usePemFile(cacert);
} else if (args.includes('--node-roots')) {
  https.useNodeRoots();
}
try {
  const response = https.get(url, { insecure });
  const tls = response.tls;
  console.error(`* trust: ${insecure ? 'none (-k: NOT verified)' : https.trustOrigin()}`);
  if (tls) {
    console.error(`* ${tls.version} ${tls.cipherSuite}, verified: ${tls.verified ? 'yes' : 'NO'}`);
  }
  console.error(`* crypto: ${response.crypto.description}`);
  console.error(`< ${response.status} ${response.reason}`);
  process.stdout.write(response.body);
} catch (err) {
  console.error(`example: ${url}: ${JSON.stringify(err.payload ?? String(err), (_, v) => (typeof v === 'bigint' ? Number(v) : v))}`);
  process.exit(1);
}
