import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CACHE_FORMAT, transpileWith, usesEsDecorators } from './transpile.ts';

/**
 * Loads the user's TypeScript (config, entities, migrations) with no build step.
 *
 * Files without decorators go to Node's own type stripping. Decorated files (entities)
 * need a real transpiler: Node cannot parse decorators, and legacy decorators with
 * inferred types need decorator metadata, which esbuild does not emit. swc does both (see
 * transpile.ts); its output is kept in one content-addressed pack file, and swc is loaded
 * only on a miss.
 *
 * Bare specifiers (`tidemark`, `@mikro-orm/*`) resolve the way Node resolves them from the
 * importing file: tidemark's MikroORM is a peer dependency, so it and the app's entities
 * share the app's one installed copy without any redirection.
 */

const DECORATOR = /^\s*@[A-Za-z_$][\w$.]*\s*(\(|$)/m;

const self = import.meta.url;
let installed = false;
let cacheFile: string | undefined;
let entries: Record<string, string> = {};
let used = new Set<string>();
let dirty = false;

function readCache(file: string) {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    if (data?.format === CACHE_FORMAT && data.entries && typeof data.entries === 'object') entries = data.entries;
  } catch {
    entries = {};
  }
}

/** Writes the transpile cache if this process added to it. Only entries used now or recently survive. */
export function flushTranspileCache(): void {
  if (!dirty || !cacheFile) return;
  dirty = false;
  const kept: Record<string, string> = {};
  for (const k of used) kept[k] = entries[k]!;
  // Keep older entries too (another entity set, another branch), up to a bound.
  for (const k of Object.keys(entries)) {
    if (Object.keys(kept).length >= 4000) break;
    kept[k] ??= entries[k]!;
  }
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ format: CACHE_FORMAT, entries: kept }));
    renameSync(tmp, cacheFile);
  } catch {
    // A read-only checkout still works, just without the cache.
  }
}

type Swc = typeof import('@swc/core');
let swcModule: Swc | undefined;
function swc(): Swc {
  // Loaded on a cache miss only.
  swcModule ??= createRequire(self)('@swc/core') as Swc;
  return swcModule;
}

function cacheKey(source: string): string {
  return createHash('sha256').update(`${CACHE_FORMAT}\0${usesEsDecorators(source) ? 'es' : 'legacy'}\0${source}`).digest('base64url');
}

function transpile(file: string, source: string): string {
  const key = cacheKey(source);
  used.add(key);
  const hit = entries[key];
  if (hit !== undefined) return hit;
  const out = transpileWith(swc(), file, source);
  entries[key] = out;
  dirty = true;
  return out;
}

function tsCandidate(specifier: string): string | undefined {
  if (!/^\.{1,2}\//.test(specifier) && !specifier.startsWith('file:') && !specifier.startsWith('/')) return undefined;
  if (/\.(m|c)?js$/.test(specifier)) return specifier.replace(/\.(m|c)?js$/, (_m, x) => `.${x ?? ''}ts`);
  if (!/\.[a-z]+$/i.test(specifier)) return `${specifier}.ts`;
  return undefined;
}

export interface LoaderOptions {
  /** Directory of the transpile cache; none means no cache on disk. */
  cacheDir?: string;
}

export function installTsLoader(options: LoaderOptions = {}): void {
  if (installed) return;
  installed = true;
  // TypeScript's ES-decorator helpers need the symbol to exist before any class is defined.
  (Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');
  if (options.cacheDir) {
    cacheFile = join(options.cacheDir, 'transpile.json');
    readCache(cacheFile);
  }
  process.once('exit', flushTranspileCache);
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        const alt = tsCandidate(specifier);
        if (!alt) throw error;
        try {
          return nextResolve(alt, context);
        } catch {
          throw error;
        }
      }
    },
    load(url, context, nextLoad) {
      // Let the default loader (and any hook after ours) read the file first: only the
      // transform is ours, so tools that observe loading still see every file.
      const result = nextLoad(url, context);
      if (url.startsWith('file:') && /\.[mc]?ts$/.test(url) && !url.includes('/node_modules/') && result.source != null) {
        const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
        if (DECORATOR.test(source)) return { format: 'module', source: transpile(fileURLToPath(url), source), shortCircuit: true };
      }
      return result;
    },
  });
}

/** Loads a user module (config, entity file, migration) and returns its exports. */
export async function loadUserModule(file: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}
