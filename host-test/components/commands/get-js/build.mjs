// Builds get-js.wasm: componentize-js over get.js (and the guest library beside it, copied
// into OUT_DIR with it) for the world https-command. Usage: node build.mjs OUT_DIR
import { componentize } from '@bytecodealliance/componentize-js';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const here = import.meta.dirname;
const out = resolve(process.argv[2] ?? join(here, '../../../../target/get-js'));
await mkdir(join(out, 'src'), { recursive: true });
await copyFile(join(here, 'get.js'), join(out, 'src/get.js'));
await copyFile(
  join(here, '../../libraries/js/verified-https-fetch.js'),
  join(out, 'src/verified-https-fetch.js'),
);
const { component } = await componentize({
  sourcePath: join(out, 'src/get.js'),
  witPath: join(here, '../wit'),
  worldName: 'https-command',
  disableFeatures: ['http', 'fetch-event'],
});
await writeFile(join(out, 'get-js.wasm'), component);
