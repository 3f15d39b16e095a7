import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fallbackFile } from './fallback.ts';
import { locateLoadError, syntaxError } from './locate.ts';
import { outputFormat } from './scope.ts';
import { CACHE_FORMAT, transpileWith, usesEsDecorators, type OutputFormat } from './transpile.ts';

/**
 * Loads the app's TypeScript (config, entities, migrations) with no build step, whatever the
 * project's layout: ESM or CommonJS packages, NestJS-style imports, tsconfig paths.
 *
 * Every TypeScript file of the app goes through swc (see transpile.ts): decorators, decorator
 * metadata, enums and imports of types without `type` need a real transpiler, which Node's type
 * stripping is not. Each file is emitted the way tsc would for its scope (scope.ts), ESM or
 * CommonJS, and handed to Node with that format, so `__dirname` and `require` work where the
 * app expects them. Output is kept in one content-addressed pack file; swc loads on a miss only.
 *
 * The hooks stay out of the host process's own modules: they act only on the graph reached from
 * `loadUserModule` (the app's .ts/.mts/.cts files outside node_modules), and resolve a specifier
 * differently only where Node's resolution fails (fallback.ts). Bare specifiers (`tidemark`,
 * `@mikro-orm/*`) resolve the way Node resolves them, so the app's entities and tidemark share
 * the app's one MikroORM.
 */

const self = import.meta.url;
let installed = false;
let cacheFile: string | undefined;
let entries: Record<string, string> = {};
let used = new Set<string>();
let dirty = false;

/** URLs of the app's TypeScript files reached from an entry: the only ones the hooks transform or resolve for. */
const ours = new Set<string>();
/** The JavaScript each of them ran as (by path), to place load errors. */
const served = new Map<string, string>();

function readCache(file: string) {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    if (data?.format === CACHE_FORMAT && data.entries && typeof data.entries === 'object') entries = data.entries;
  } catch {
    entries = {};
  }
}

/** Writes the transpile cache if this process added to it. Only entries used now or recently survive. */
/** The JavaScript a user file ran as (with its inline source map), to map a run-time error's position back. */
export function servedCode(file: string): string | undefined {
  return served.get(file);
}

export function flushTranspileCache(): void {
  if (!dirty || !cacheFile) return;
  dirty = false;
  const kept: Record<string, string> = {};
  for (const k of used) kept[k] = entries[k]!;
  // Keep older entries too (another entity set, another branch), up to a bound.
  let n = used.size;
  for (const k of Object.keys(entries)) {
    if (n >= 4000) break;
    if (!(k in kept)) {
      kept[k] = entries[k]!;
      n++;
    }
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

function cacheKey(file: string, format: OutputFormat, source: string): string {
  // The path is part of the key: the output's source map names the file.
  return createHash('sha256')
    .update(`${CACHE_FORMAT}\0${format}\0${usesEsDecorators(source) ? 'es' : 'legacy'}\0${file}\0${source}`)
    .digest('base64url');
}

function transpile(file: string, source: string, format: OutputFormat): string {
  const key = cacheKey(file, format, source);
  used.add(key);
  const hit = entries[key];
  if (hit !== undefined) return hit;
  let out: string;
  try {
    out = transpileWith(swc(), file, source, format);
  } catch (error) {
    throw syntaxError(file, error);
  }
  entries[key] = out;
  dirty = true;
  return out;
}

const TS_FILE = /\.[mc]?ts$/;

function isAppTs(url: string): boolean {
  return url.startsWith('file:') && TS_FILE.test(url) && !url.includes('/node_modules/');
}

function forRequire(conditions: unknown): boolean {
  // An array on Node 24, Node's own kind of Set (not instanceof Set) on Node 22.
  const c = conditions as { includes?: (x: string) => boolean; has?: (x: string) => boolean } | undefined;
  return Boolean(c?.includes?.('require') ?? c?.has?.('require'));
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
      if (entrySources.has(specifier)) return { url: specifier, format: 'module', shortCircuit: true };
      const parent = context.parentURL;
      const fromApp = parent !== undefined && ours.has(parent);
      let result;
      try {
        result = nextResolve(specifier, context);
      } catch (error) {
        if (!fromApp) throw error;
        const file = fallbackFile(specifier, fileURLToPath(parent));
        if (!file) throw error;
        try {
          // require() resolves paths, import resolves URLs.
          result = nextResolve(forRequire(context.conditions) ? file : pathToFileURL(file).href, context);
        } catch {
          throw error;
        }
      }
      if (fromApp && isAppTs(result.url)) ours.add(result.url);
      return result;
    },
    load(url, context, nextLoad) {
      const entry = entrySources.get(url);
      if (entry !== undefined) return { format: 'module', source: entry, shortCircuit: true };
      if (!ours.has(url)) return nextLoad(url, context);
      const file = fileURLToPath(url);
      // Node would detect the format by parsing (and warn); ours comes from the scope, so the
      // source is read with a format given. It is still read through the hooks after ours, so
      // tools that observe loading see every file.
      let source: string;
      try {
        const raw = nextLoad(url, { ...context, format: 'module-typescript' }).source;
        source = raw == null ? readFileSync(file, 'utf8') : typeof raw === 'string' ? raw : Buffer.from(raw as Uint8Array).toString('utf8');
      } catch {
        source = readFileSync(file, 'utf8');
      }
      const format = outputFormat(file, source);
      const code = transpile(file, source, format);
      served.set(file, code);
      return { format, source: code, shortCircuit: true };
    },
  });
}

/**
 * Loads a user module (config, entity file, migration) and returns its exports: for a file run
 * as CommonJS, its `exports` with `default` read as tsc's interop does (`exports.default` when
 * compiled from `export default`). An error names the app file it came from.
 */
export function loadUserModule(file: string): Promise<Record<string, unknown>> {
  // One at a time: a CommonJS file's require() of an ES module (MikroORM) that a concurrent
  // import() is still linking fails with "not yet fully loaded". The hooks are synchronous, so
  // concurrency gained nothing. A load started by a file being loaded does not wait for it.
  if (loadingNow.getStore()) return loadNow(file);
  const load = loading.then(() => loadingNow.run(true, () => loadNow(file)));
  loading = load.then(
    () => undefined,
    () => undefined,
  );
  return load;
}

let loading: Promise<unknown> = Promise.resolve();
const loadingNow = new AsyncLocalStorage<boolean>();

/**
 * Loads several user modules (the entity files a glob matched), in order, and returns their
 * exports in that order. The ES modules among them are imported through one generated entry
 * that imports each of them: Node instantiates an `import()` by walking the whole graph it
 * reaches, so one `import()` per file walks files × depth jobs (quadratic when entities import
 * each other in chains), where one entry walks each job once. Files run as CommonJS are
 * required one by one (require() caches, and an import() of them would fail on Node 22).
 * `blame` turns the error of the first file that fails into the one thrown: when the entry
 * fails, the files are loaded one by one again to find it (the ones already evaluated are not
 * run again), so the error is the same as if each had been imported alone.
 */
export function loadUserModules(files: string[], blame: (file: string, error: unknown) => unknown = (_f, e) => e): Promise<Record<string, unknown>[]> {
  const run = () => loadAll(files, blame);
  if (loadingNow.getStore()) return run();
  const load = loading.then(() => loadingNow.run(true, run));
  loading = load.then(
    () => undefined,
    () => undefined,
  );
  return load;
}

async function loadAll(files: string[], blame: (file: string, error: unknown) => unknown): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const one = async (file: string) => {
    try {
      return await loadNow(file);
    } catch (error) {
      throw blame(file, error);
    }
  };
  const targets = files.map(urlOf);
  for (let i = 0; i < files.length; ) {
    // A run of consecutive files that import() loads, as one entry: the order of evaluation
    // stays the order of the list.
    let end = i;
    // The entry is served by the hooks.
    while (installed && end < files.length && importable(targets[end]!)) end++;
    if (end - i > 1) {
      const batch = files.slice(i, end);
      let mods: Record<string, unknown>[] | undefined;
      let failure: unknown;
      try {
        mods = await importTogether(targets.slice(i, end).map((t) => t.url));
      } catch (error) {
        failure = error;
      }
      if (mods) out.push(...mods);
      else {
        for (const file of batch) out.push(await one(file));
        // Each file loads alone yet the entry failed: no file to blame, only a place.
        locateLoadError(failure, (f) => served.get(f));
        throw failure;
      }
      i = end;
    } else {
      out.push(await one(files[i]!));
      i++;
    }
  }
  return out;
}

/** The URL a user file is imported by (its real path), marked as the app's when it is. */
function urlOf(file: string): { url: string; real: string; app: boolean } {
  let real = file;
  try {
    real = realpathSync(file);
  } catch {
    // import() reports the missing file.
  }
  const url = pathToFileURL(real).href;
  const app = installed && isAppTs(url);
  if (app) ours.add(url);
  return { url, real, app };
}

/** Whether loadNow would import() the file (not require() it). */
function importable({ real, app }: { real: string; app: boolean }): boolean {
  return !app || entryFormat(real) !== 'commonjs';
}

/** The generated entries (by URL) until Node has read them. */
const entrySources = new Map<string, string>();
let entriesMade = 0;

async function importTogether(urls: string[]): Promise<Record<string, unknown>[]> {
  // Namespaces, not bindings: an import of a namespace never fails to link. The entry has a short
  // URL of its own, served by the hooks: Node parses the importer's URL for each import it
  // resolves, and a data: URL listing every file would make that files².
  const url = `tidemark:entities-${++entriesMade}`;
  entrySources.set(url, `${urls.map((u, i) => `import * as m${i} from ${JSON.stringify(u)};`).join('\n')}\nexport default [${urls.map((_u, i) => `m${i}`).join(', ')}];\n`);
  try {
    return ((await import(url)) as { default: Record<string, unknown>[] }).default;
  } finally {
    entrySources.delete(url);
  }
}

async function loadNow(file: string): Promise<Record<string, unknown>> {
  const { url, real, app } = urlOf(file);
  try {
    if (!app || entryFormat(real) !== 'commonjs') return (await import(url)) as Record<string, unknown>;
    // require(), not import(): Node 22 cannot import() a CommonJS file that require()s an ES
    // module (MikroORM) while hooks are registered ("request for ... is not in cache").
    return asNamespace(createRequire(real)(real));
  } catch (error) {
    locateLoadError(error, (f) => served.get(f));
    throw error;
  }
}

function entryFormat(file: string): OutputFormat {
  try {
    return outputFormat(file, readFileSync(file, 'utf8'));
  } catch {
    return 'module';
  }
}

/** A CommonJS file's exports as its importer sees them, `default` read as tsc's interop does. */
function asNamespace(exports: unknown): Record<string, unknown> {
  if (exports === null || (typeof exports !== 'object' && typeof exports !== 'function')) return { default: exports };
  const e = exports as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(e)) out[key] = e[key];
  out.default = e.__esModule ? e.default : e;
  return out;
}
