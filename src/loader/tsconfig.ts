import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * The module-resolution part of the project's tsconfig.json: `paths` and `baseUrl`, with
 * `extends` followed. tsc rewrites no import specifier, so a compiled NestJS app resolves
 * `@app/users` at run time through tsconfig-paths or a bundler; loading the sources, we do it.
 */
export interface PathMapping {
  /** Absolute; bare specifiers are also looked up under it (tsc's `baseUrl`). */
  baseUrl?: string;
  /** Absolute directory the `paths` targets are relative to. */
  pathsBase: string;
  paths: [pattern: string, targets: string[]][];
}

const byDir = new Map<string, PathMapping | null>();

/** The mapping of the nearest tsconfig.json above `dir`, or null when there is none or it maps nothing. */
export function pathMappingFor(dir: string): PathMapping | null {
  const seen: string[] = [];
  let found: PathMapping | null | undefined;
  for (let d = dir; ; d = dirname(d)) {
    found = byDir.get(d);
    if (found !== undefined) break;
    seen.push(d);
    const file = join(d, 'tsconfig.json');
    if (existsSync(file)) {
      found = readMapping(file);
      break;
    }
    if (dirname(d) === d) {
      found = null;
      break;
    }
  }
  for (const d of seen) byDir.set(d, found);
  return found;
}

interface Options {
  baseUrl?: string;
  paths?: Record<string, string[]>;
  pathsBase?: string;
}

function readMapping(file: string): PathMapping | null {
  let options: Options;
  try {
    options = readOptions(file, 0);
  } catch {
    // A tsconfig we cannot read maps nothing; tsc would say why, and resolution fails as it would without us.
    return null;
  }
  if (!options.baseUrl && !options.paths) return null;
  const paths = Object.entries(options.paths ?? {}).filter((e): e is [string, string[]] => Array.isArray(e[1]));
  return { baseUrl: options.baseUrl, pathsBase: options.pathsBase ?? options.baseUrl ?? dirname(file), paths };
}

function readOptions(file: string, depth: number): Options {
  const config = parseJsonc(readFileSync(file, 'utf8')) as { extends?: string | string[]; compilerOptions?: { baseUrl?: string; paths?: Record<string, string[]> } };
  let out: Options = {};
  if (depth < 8) {
    const bases = typeof config.extends === 'string' ? [config.extends] : Array.isArray(config.extends) ? config.extends : [];
    for (const base of bases) {
      const baseFile = typeof base === 'string' ? locateExtends(base, file) : undefined;
      if (baseFile) out = { ...out, ...definedOnly(readOptions(baseFile, depth + 1)) };
    }
  }
  const own = config.compilerOptions ?? {};
  const dir = dirname(file);
  // Each option is relative to the file that sets it; `paths` without `baseUrl` to its own file.
  if (typeof own.baseUrl === 'string') out.baseUrl = resolve(dir, own.baseUrl);
  if (own.paths && typeof own.paths === 'object') {
    out.paths = own.paths;
    out.pathsBase = typeof own.baseUrl === 'string' ? out.baseUrl : dir;
  } else if (typeof own.baseUrl === 'string' && out.paths) {
    out.pathsBase = out.baseUrl;
  }
  return out;
}

function definedOnly(o: Options): Options {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Options;
}

function locateExtends(spec: string, from: string): string | undefined {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const file = resolve(dirname(from), spec);
    if (existsSync(file) && !file.endsWith('/')) return file;
    if (existsSync(`${file}.json`)) return `${file}.json`;
    return undefined;
  }
  const require = createRequire(from);
  for (const candidate of [spec, `${spec}.json`, `${spec}/tsconfig.json`]) {
    try {
      return require.resolve(candidate);
    } catch {
      // next spelling
    }
  }
  return undefined;
}

/** JSON with comments and trailing commas, as tsconfig.json allows. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let comma = -1;
  const n = text.length;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < n; ) {
    const c = text[i]!;
    if (c === '"') {
      const start = i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
      comma = -1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      // A comma followed (past blanks and comments) by a closing bracket is dropped.
      if ((c === '}' || c === ']') && comma >= 0) out = out.slice(0, comma) + out.slice(comma + 1);
      if (c === ',') comma = out.length;
      else if (!/\s/.test(c)) comma = -1;
      out += c;
      i++;
    }
  }
  return JSON.parse(out);
}

/** The files a bare specifier may name through `paths`, then `baseUrl`, in tsc's order. */
export function mappedPaths(specifier: string, mapping: PathMapping): string[] {
  const out: string[] = [];
  let best: { pattern: string; star: string } | undefined;
  for (const [pattern] of mapping.paths) {
    const at = pattern.indexOf('*');
    if (at < 0) {
      if (pattern === specifier) {
        best = { pattern, star: '' };
        break;
      }
      continue;
    }
    const prefix = pattern.slice(0, at);
    const suffix = pattern.slice(at + 1);
    if (specifier.length >= prefix.length + suffix.length && specifier.startsWith(prefix) && specifier.endsWith(suffix)) {
      // tsc prefers the pattern with the longest prefix.
      if (!best || prefix.length > best.pattern.indexOf('*')) best = { pattern, star: specifier.slice(prefix.length, specifier.length - suffix.length) };
    }
  }
  if (best) {
    const targets = mapping.paths.find(([p]) => p === best.pattern)![1];
    for (const t of targets) if (typeof t === 'string') out.push(resolve(mapping.pathsBase, t.replace('*', best.star)));
  }
  if (mapping.baseUrl) out.push(resolve(mapping.baseUrl, specifier));
  return out;
}
