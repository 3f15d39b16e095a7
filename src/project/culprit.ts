import { readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

let ownRoot: string | undefined;

/** tidemark's own package directory (frames in it are tidemark's, not the app's). */
function tidemarkRoot(): string {
  if (ownRoot !== undefined) return ownRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'tidemark') return (ownRoot = dir + sep);
    } catch {
      // no package.json here
    }
    const up = dirname(dir);
    if (up === dir) return (ownRoot = '\0');
    dir = up;
  }
}

/**
 * The app's own file an error was thrown from (`src/entities/Post.ts`), read from its stack:
 * the first frame outside node_modules, Node's internals and tidemark. Undefined when the stack
 * names none, or when that frame is in `except` (the file the caller already names).
 */
export function culprit(error: unknown, except?: string): string | undefined {
  const stack = typeof (error as Error)?.stack === 'string' ? (error as Error).stack! : '';
  for (const m of stack.matchAll(/^\s*at (?:.*\()?(file:\/\/[^\s)]+?|\/[^\s():]+?):\d+(?::\d+)?\)?$/gm)) {
    let file = m[1]!;
    try {
      if (file.startsWith('file:')) file = fileURLToPath(file);
    } catch {
      continue;
    }
    if (file.includes(`${sep}node_modules${sep}`) || file.startsWith(tidemarkRoot())) continue;
    if (except && file === except) return undefined;
    return relative(process.cwd(), file) || file;
  }
  return undefined;
}
