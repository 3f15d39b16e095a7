/**
 * The CLI's start-up speed-up, for the CLI process only: the app's own installed MikroORM,
 * bundled once into a few files and loaded from there.
 *
 * MikroORM as installed is hundreds of small ES modules; Node takes ~0.3 s to resolve, read and
 * link them on every command, as much as the whole command should take. esbuild bundles the
 * app's `@mikro-orm/*` packages (and Kysely under them) into one graph with shared chunks, kept
 * in a cache keyed by the exact packages installed (paths and versions), beside them in
 * node_modules/.cache. A resolve hook then sends the bare `@mikro-orm/*` specifiers to those
 * files, so tidemark and the app's entities share one copy: the app's version, never another.
 *
 * The library never does this: `bin/tidemark.mjs` calls it, because the CLI owns its process. A
 * program that calls tidemark's API keeps Node's own resolution and the app's unbundled copy.
 * Anything unexpected (no esbuild for this platform, a read-only node_modules) falls back to
 * the unbundled packages, which are the same code, only slower to load.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

declare const TIDEMARK_VERSION: string;

/** Marks the plugin's own look-up through esbuild's resolver, so it is not intercepted again. */
const RESOLVING = Symbol('resolving');
/** Bumped when the shape of the cached bundle changes. */
const BUNDLE_FORMAT = 4;
/** Bundled along with MikroORM: pure ES modules it imports at start-up. Everything else stays where it is installed. */
const BUNDLED_DEPENDENCIES = /^kysely(\/|$)/;

export type BundleUse =
  | { kind: 'cached' | 'built'; version: string; dir: string; ms: number }
  | { kind: 'unbundled'; reason: string };

interface Installed {
  /** `core`, `sqlite`, ... */
  name: string;
  dir: string;
  version: string;
  exports: Record<string, unknown>;
}

interface Manifest {
  format: number;
  /** Bare specifier → file in the bundle directory. */
  specifiers: Record<string, string>;
  /** URL of the installed entry file → file in the bundle directory. */
  files: Record<string, string>;
}

/** Finds the app's MikroORM from `cwd`, bundles it if not done yet, and routes `@mikro-orm/*` there. */
export async function useAppMikroOrmBundle(cwd: string): Promise<BundleUse> {
  const started = performance.now();
  if (process.env.TIDEMARK_NO_BUNDLE) return { kind: 'unbundled', reason: 'TIDEMARK_NO_BUNDLE is set' };
  // The app's own @mikro-orm folder, as Node finds it from the project (symlinks not followed:
  // only what the app itself has installed may be answered from the bundle).
  const scope = appScope(cwd);
  if (!scope) return { kind: 'unbundled', reason: 'no node_modules/@mikro-orm/core from the working directory up' };
  const packages = installedPackages(scope);
  const core = packages.find((p) => p.name === 'core');
  if (!core) return { kind: 'unbundled', reason: `no @mikro-orm/core in ${scope}` };
  const key = createHash('sha256')
    .update(JSON.stringify([BUNDLE_FORMAT, process.version, typeof TIDEMARK_VERSION === 'string' ? TIDEMARK_VERSION : 'dev', packages.map((p) => [p.name, p.dir, p.version])]))
    .digest('hex')
    .slice(0, 16);
  // Beside the installed core (its real place), so projects sharing one install share the bundle.
  const dir = join(dirname(dirname(core.dir)), '.cache', 'tidemark', `mikro-orm-${core.version}-${key}`);
  let manifest = readManifest(dir);
  let kind: 'cached' | 'built' = 'cached';
  if (!manifest) {
    try {
      manifest = await buildBundle(packages, dir);
      kind = 'built';
    } catch (error) {
      return { kind: 'unbundled', reason: `bundling failed: ${String((error as Error)?.message ?? error).split('\n')[0]}` };
    }
  }
  const urls = new Map(Object.entries(manifest.specifiers).map(([spec, file]) => [spec, pathToFileURL(join(dir, file)).href]));
  // Code that resolves the app's packages by path (tidemark finds drivers from the project
  // root) reaches the installed entry files: those get the bundle too, so there is one copy.
  const byFile = new Map(Object.entries(manifest.files).map(([original, file]) => [original, pathToFileURL(join(dir, file)).href]));
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const url = urls.get(specifier);
      if (url) return { url, format: 'module', shortCircuit: true };
      const result = nextResolve(specifier, context);
      const bundled = byFile.get(result.url);
      return bundled ? { url: bundled, format: 'module', shortCircuit: true } : result;
    },
  });
  return { kind, version: core.version, dir, ms: performance.now() - started };
}

function appScope(cwd: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const scope = join(dir, 'node_modules', '@mikro-orm');
    if (existsSync(join(scope, 'core', 'package.json'))) return scope;
    if (dirname(dir) === dir) return undefined;
  }
}

function installedPackages(scope: string): Installed[] {
  const out: Installed[] = [];
  for (const name of readdirSync(scope)) {
    try {
      const dir = realpathSync(join(scope, name));
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg?.type === 'module' && pkg.exports && typeof pkg.exports === 'object') out.push({ name, dir, version: String(pkg.version), exports: pkg.exports });
    } catch {
      // not a package
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function readManifest(dir: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    return m.format === BUNDLE_FORMAT && Object.values(m.specifiers).every((f) => existsSync(join(dir, f))) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The file an export condition set points at for Node's `import`. */
function exportTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (target && typeof target === 'object') {
    for (const condition of ['node', 'import', 'default']) {
      const found = exportTarget((target as Record<string, unknown>)[condition]);
      if (found) return found;
    }
  }
  return undefined;
}

async function buildBundle(packages: Installed[], dir: string): Promise<Manifest> {
  const { build } = (await import('esbuild')) as typeof import('esbuild');
  const entryPoints: Record<string, string> = {};
  const specifiers: Record<string, string> = {};
  const files: Record<string, string> = {};
  for (const p of packages) {
    for (const [sub, target] of Object.entries(p.exports)) {
      const file = exportTarget(target);
      if (sub === './package.json' || !file?.endsWith('.js')) continue;
      const entry = `${p.name}${sub === '.' ? '' : sub.slice(1)}`;
      entryPoints[entry] = join(p.dir, file);
      specifiers[`@mikro-orm/${entry}`] = `${entry}.mjs`;
      files[pathToFileURL(entryPoints[entry]).href] = `${entry}.mjs`;
    }
  }
  const bundled = new Set(packages.map((p) => `@mikro-orm/${p.name}`));
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  await build({
    entryPoints,
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    chunkNames: 'chunks/[name]-[hash]',
    // MikroORM, and the app and tidemark with it, tell classes apart by name (EntitySchema, *Type).
    keepNames: true,
    // CommonJS bundled along (none in MikroORM 7.2) would call require().
    banner: { js: "import { createRequire as __tidemarkRequire } from 'node:module'; const require = __tidemarkRequire(import.meta.url);" },
    logLevel: 'silent',
    plugins: [
      {
        name: 'keep-installed-packages',
        setup(b) {
          // Drivers' clients (better-sqlite3, pg, mysql2), reflect-metadata and the rest load
          // from where they are installed, found from the package that imports them (pnpm's
          // layout too); optional MikroORM packages that are not installed stay bare and fail
          // at run time exactly as they would unbundled.
          b.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.pluginData === RESOLVING) return undefined;
            if (args.path.startsWith('node:')) return { path: args.path, external: true };
            const scoped = /^(@mikro-orm\/[^/]+)/.exec(args.path)?.[1];
            if (scoped) return bundled.has(scoped) ? undefined : { path: args.path, external: true };
            if (BUNDLED_DEPENDENCIES.test(args.path)) return undefined;
            // esbuild's resolver applies the `import` conditions, as Node would for this import.
            const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
            return { path: found.errors.length || !found.path ? args.path : pathToFileURL(found.path).href, external: true };
          });
        },
      },
    ],
  });
  const manifest: Manifest = { format: BUNDLE_FORMAT, specifiers, files };
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest));
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(tmp, dir);
  } catch (error) {
    // Another run built it at the same moment: use theirs.
    rmSync(tmp, { recursive: true, force: true });
    if (!readManifest(dir)) throw error;
  }
  return manifest;
}
