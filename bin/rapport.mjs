#!/usr/bin/env node
// Runs the Rapport CLI (src/cli/main.ts) from a bundle of its TypeScript sources, so `npx rapport …` and `npm start`
// work from a clone without a build step. esbuild (a dependency) writes the bundle to node_modules/.cache/rapport/
// when it is missing or older than a source file, this launcher or package.json; npm packages stay outside it and
// load from node_modules as usual. Running the bundle starts a command in about a second, where transpiling the
// ~250 source files through tsx on every run took five or more.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const bundle = path.join(root, 'node_modules/.cache/rapport/cli.mjs');

/** The newest modification time under p (a file or a folder), test files aside. */
function newest(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of fs.readdirSync(p)) if (!e.endsWith('.test.ts')) m = Math.max(m, newest(path.join(p, e)));
  return m;
}

async function ensureBundle() {
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0;
  const sources = Math.max(newest(path.join(root, 'src')), newest(self), newest(path.join(root, 'package.json')));
  if (built > sources) return;
  const { build } = await import('esbuild');
  // Written beside the bundle, then renamed over it: several commands starting at once never read half a file.
  const tmp = `${bundle}.${process.pid}.tmp`;
  await build({
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
  });
  fs.renameSync(tmp, bundle);
}

try {
  await ensureBundle();
} catch (err) {
  console.error(`error: could not build the CLI from src/: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

// In this process: signals reach the CLI directly. Stack traces point into src/ through the bundle's source map.
process.setSourceMapsEnabled(true);
const { main } = await import(pathToFileURL(bundle).href);
await main(process.argv);
