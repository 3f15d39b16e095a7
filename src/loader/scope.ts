import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OutputFormat } from './transpile.ts';

const typeByDir = new Map<string, string | undefined>();

/** The `type` of the nearest package.json above `dir`, as Node looks it up. */
function packageType(dir: string): string | undefined {
  const seen: string[] = [];
  let type: string | undefined;
  for (let d = dir; ; d = dirname(d)) {
    if (typeByDir.has(d)) {
      type = typeByDir.get(d);
      break;
    }
    seen.push(d);
    let text: string | undefined;
    try {
      text = readFileSync(join(d, 'package.json'), 'utf8');
    } catch {
      if (dirname(d) === d) break;
      continue;
    }
    try {
      const t = (JSON.parse(text) as { type?: unknown }).type;
      type = typeof t === 'string' ? t : undefined;
    } catch {
      type = undefined;
    }
    break;
  }
  for (const d of seen) typeByDir.set(d, type);
  return type;
}

// Top-level await or import.meta can only run as ESM.
const ESM_ONLY = /\bimport\.meta\b|^(?:export\s+)?(?:(?:const|let|var)\s[^=\n]*=\s*)?await\s/m;

/**
 * What tsc would emit for the file: ESM for .mts and for .ts in a `"type": "module"` package;
 * CommonJS for .cts and for .ts in a CommonJS package, including one with no `type` (a NestJS
 * app: tsc turns its `import`s into `require` and its config uses `__dirname`), unless the
 * file can only be ESM.
 */
export function outputFormat(file: string, source: string): OutputFormat {
  if (file.endsWith('.mts')) return 'module';
  if (file.endsWith('.cts')) return 'commonjs';
  const type = packageType(dirname(file));
  if (type === 'module') return 'module';
  if (type === 'commonjs') return 'commonjs';
  return ESM_ONLY.test(source) ? 'module' : 'commonjs';
}
