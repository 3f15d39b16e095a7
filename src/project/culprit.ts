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

// The file of a stack frame, in every form V8 prints one: `at f (/app/x.ts:3:9)`, `at /app/x.ts:3:9`,
// `at async file:///app/x.ts:3:9`, and on Windows `C:\app\x.ts:3:9`, `\\server\share\x.ts:3:9`,
// `file:///C:/app/x.ts:3:9`.
const FRAME = /^\s*at (?:async )?(?:.*\()?(file:\/\/[^\s)]+?|\/[^():]+?|[A-Za-z]:[\\/][^():]+?|\\\\[^():]+?):\d+(?::\d+)?\)?$/gm;

/** The path of a frame's file; a URL with a drive letter or a host is a Windows one wherever tidemark runs. */
function framePath(file: string): string {
  if (!file.startsWith('file:')) return file;
  return fileURLToPath(file, { windows: /^file:\/\/(?:\/[A-Za-z]:|[^/])/i.test(file) });
}

/**
 * The app's own file an error was thrown from (`src/entities/Post.ts`), read from its stack:
 * the first frame outside node_modules, Node's internals and tidemark. Undefined when the stack
 * names none, or when that frame is in `except` (the file the caller already names).
 */
export function culprit(error: unknown, except?: string): string | undefined {
  const stack = typeof (error as Error)?.stack === 'string' ? (error as Error).stack! : '';
  for (const m of stack.matchAll(FRAME)) {
    let file: string;
    try {
      file = framePath(m[1]!);
    } catch {
      continue;
    }
    if (/[\\/]node_modules[\\/]/.test(file) || file.startsWith(tidemarkRoot())) continue;
    if (except && file === except) return undefined;
    return relative(process.cwd(), file) || file;
  }
  return undefined;
}
