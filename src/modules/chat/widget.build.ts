import { build } from 'esbuild';
import { fromRoot } from '../../paths.ts';

/** The widget's source: plain TypeScript with no imports from the console, type-checked with it (web/tsconfig). */
export const widgetSource = fromRoot('web', 'src', 'widget', 'widget.ts');

let cached: Promise<string> | null = null;

/**
 * The embeddable widget as one minified script, built in memory with esbuild (which tsx brings) on first request and
 * kept for the life of the process.
 */
export function widgetScript(): Promise<string> {
  cached ??= build({
    entryPoints: [widgetSource],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2019'],
    write: false,
    legalComments: 'none',
  }).then((r) => {
    const out = r.outputFiles[0];
    if (!out) throw new Error('esbuild produced no widget');
    return out.text;
  });
  cached.catch(() => {
    cached = null;
  });
  return cached;
}
