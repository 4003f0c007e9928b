// node bench.js [--self-contained] CA_PEM URL...: the Node.js host's part of `make bench`
// (host-test/bench). GETs each URL in turn through ./index.js (the host-crypto build, lent
// node:crypto) or, with --self-contained, ./self-contained.js, the bodies streamed and
// discarded, and prints `BYTES NANOSECONDS RECORDS_OPENED_BY_THE_HOST`: the time of the
// requests alone, as the bench takes curl's own time_total, so that neither Node's start-up
// nor the component's compilation (at import) is counted.

const args = process.argv.slice(2);
const selfContained = args[0] === '--self-contained';
const [ca, ...urls] = selfContained ? args.slice(1) : args;
if (ca === undefined || urls.length === 0) {
  console.error('usage: node bench.js [--self-contained] CA_PEM URL...');
  process.exit(2);
}
const https = await import(selfContained ? './self-contained.js' : './index.js');
https.usePemFile(ca);

let bytes = 0;
let opened = 0;
const start = process.hrtime.bigint();
for (const url of urls) {
  const response = https.get(url, { proxy: null, onBody: (piece) => (bytes += piece.length) });
  if (response.status !== 200) {
    console.error(`bench.js: ${url}: status ${response.status}`);
    process.exit(1);
  }
  opened += response.crypto.lent ? response.crypto.opens : 0;
}
const nanos = process.hrtime.bigint() - start;
console.log(`${bytes} ${nanos} ${opened}`);
