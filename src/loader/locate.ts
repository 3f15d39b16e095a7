import { SourceMap } from 'node:module';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Load errors that say where they happened. A syntax error found by swc names file:line:col;
 * an error thrown while a user file runs (a module cycle that leaves a class undefined at
 * decoration time, a failed link) gets the user file it came from, with the position mapped
 * back through the transpiled file's source map, and its stack frames mapped the same way.
 */

const LOCATED = Symbol.for('tidemark.loader.located');

function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** swc's report (`  x Expected ';'` … `,-[file:3:1]` … caret line) as a one-line SyntaxError. */
export function syntaxError(file: string, error: unknown): Error {
  const text = String((error as Error)?.message ?? error);
  const lines = text.split('\n');
  const what = (lines.find((l) => /^\s*x\s/.test(l)) ?? lines[0] ?? 'syntax error').replace(/^\s*x\s+/, '').trim();
  const label = /,-\[(.*):(\d+):(\d+)\]/.exec(text);
  const line = label ? Number(label[2]) : undefined;
  let col: number | undefined;
  let code = '';
  let caret = '';
  if (line !== undefined) {
    const codeAt = lines.findIndex((l) => new RegExp(`^\\s*${line} \\|`).test(l));
    const caretAt = lines.findIndex((l, i) => i > codeAt && /^\s*:\s*\^/.test(l));
    if (codeAt >= 0 && caretAt > codeAt) {
      const start = lines[codeAt]!.indexOf('|') + 2;
      col = lines[caretAt]!.indexOf('^') - start + 1;
      code = lines[codeAt]!.slice(start);
      caret = `${' '.repeat(Math.max(0, col - 1))}^`;
    }
  }
  const where = line === undefined ? shown(file) : `${shown(file)}:${line}${col && col > 0 ? `:${col}` : ''}`;
  const out = new SyntaxError(`${what} (${where})`);
  // Node's own layout for a syntax error: the position first, which is where tools look for it.
  out.stack = `${pathToFileURL(file).href}${line === undefined ? '' : `:${line}`}\n${code}\n${caret}\n\n${out.name}: ${out.message}`;
  (out as unknown as Record<symbol, boolean>)[LOCATED] = true;
  return out;
}

const maps = new Map<string, SourceMap | null>();

function sourceMap(file: string, code: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  map = null;
  const m = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (m) {
    try {
      map = new SourceMap(JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')));
    } catch {
      map = null;
    }
  }
  maps.set(file, map);
  return map;
}

function original(file: string, code: string, line: number, col: number | undefined): { line: number; col?: number } {
  // With --enable-source-maps, V8 positions are already the original ones.
  if (process.sourceMapsEnabled) return { line, col };
  const map = sourceMap(file, code);
  if (!map) return { line, col };
  const generated = code.split('\n', line)[line - 1] ?? '';
  const c = col ?? generated.length - generated.trimStart().length + 1;
  const entry = map.findEntry(line - 1, c - 1) as { originalLine?: number; originalColumn?: number; generatedLine?: number };
  if (entry.originalLine === undefined || entry.generatedLine !== line - 1) return { line, col };
  return { line: entry.originalLine + 1, col: col === undefined ? undefined : entry.originalColumn! + 1 };
}

const POSITION = /((?:file:\/\/)?[^\s()'"`]+?\.[mc]?ts):(\d+)(?::(\d+))?/g;

/**
 * Adds to an error thrown while loading user files the file (and line) of the first of them in
 * its stack, and maps those files' stack positions back to the sources. `transpiled` gives the
 * JavaScript each file ran as.
 */
export function locateLoadError(error: unknown, transpiled: (file: string) => string | undefined): void {
  if (!(error instanceof Error) || (error as unknown as Record<symbol, boolean>)[LOCATED]) return;
  (error as unknown as Record<symbol, boolean>)[LOCATED] = true;
  const stack = typeof error.stack === 'string' ? error.stack : '';
  const header = `${error.name}: ${error.message}`;
  const headerAt = stack.indexOf(header);
  let first: string | undefined;
  const mapped = stack.replace(POSITION, (whole, where: string, l: string, c: string | undefined, offset: number) => {
    // The message itself is not rewritten, only positions around it.
    if (headerAt >= 0 && offset >= headerAt && offset < headerAt + header.length) return whole;
    let file: string;
    try {
      file = where.startsWith('file:') ? fileURLToPath(where) : where;
    } catch {
      return whole;
    }
    const code = transpiled(file);
    if (code === undefined) return whole;
    const pos = original(file, code, Number(l), c === undefined ? undefined : Number(c));
    first ??= `${shown(file)}:${pos.line}`;
    return `${where}:${pos.line}${pos.col === undefined ? '' : `:${pos.col}`}`;
  });
  if (!first) return;
  const [head, ...rest] = error.message.split('\n');
  const message = [`${head} (${first})`, ...rest].join('\n');
  try {
    error.message = message;
    error.stack = headerAt >= 0 ? mapped.replace(header, () => `${error.name}: ${message}`) : mapped;
  } catch {
    // A frozen error keeps its text.
  }
}
