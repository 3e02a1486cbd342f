import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root (the folder of Rapport's package.json), found by walking up from this module: the same answer
 * whether the code runs from its sources (src/) or from the CLI's bundle (node_modules/.cache/rapport/).
 */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const name = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name;
      if (name === 'rapport') return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`Rapport's package.json not found above ${from}`);
  }
}

export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the project: fromRoot('drizzle') is the migrations folder. */
export const fromRoot = (...parts: string[]): string => path.join(projectRoot, ...parts);
