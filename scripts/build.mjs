// Builds dist/ from src/ and codegen/ with esbuild: one ESM graph with shared chunks, so the
// CLI, the library and the migrations it loads (which import 'tidemark') share one runtime.
// MikroORM stays external: it is the app's, a peer dependency, and entities must register
// into the very copy tidemark reads them with. Kysely (compile-only) and clipanion are
// tidemark's own and are bundled; native drivers, swc and ts-morph stay external.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// `npm pack` runs `prepare` and then `prepack`: build once.
if (process.env.npm_lifecycle_event === 'prepare' && ['pack', 'publish'].includes(process.env.npm_command ?? '')) process.exit(0);

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Built beside dist/ and swapped in at the end, so a test run in progress never sees half a build.
const out = `dist.build-${process.pid}`;
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: {
    cli: 'src/cli/main.ts',
    index: 'src/index.ts',
    runtime: 'src/runtime/index.ts',
    'emit-process': 'codegen/emit-process.ts',
    'mikro-orm-bundle': 'src/cli/mikro-orm-bundle.ts',
    'emit-snapshot-build': 'codegen/emit-snapshot-build.ts',
    emitter: 'codegen/emitter.ts',
  },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: [
    '@mikro-orm/*', 'better-sqlite3', 'pg', 'mysql2', 'mysql2/*',
    'ts-morph', '@ts-morph/common', '@swc/core', 'esbuild',
  ],
  // clipanion (CommonJS, bundled) still calls require() for Node's own tty and async_hooks.
  banner: { js: "import { createRequire as __tidemarkRequire } from 'node:module'; const require = __tidemarkRequire(import.meta.url);" },
  // Maps stay beside the build for debugging here; the package ships without them.
  sourcemap: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  define: { TIDEMARK_VERSION: JSON.stringify(pkg.version), TIDEMARK_BUNDLED: 'true' },
  logLevel: 'warning',
});

// The entry of the emitter's startup snapshot, built on first use (codegen/emitter-snapshot.ts),
// which inlines the installed ts-morph then: a snapshot may only require Node's own modules.
await build({
  entryPoints: ['codegen/emit-snapshot.ts'],
  outfile: `${out}/emit-snapshot.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  external: ['ts-morph', '@ts-morph/common'],
  logLevel: 'warning',
});

// Declarations for the published entries. Sources import each other as `./x.ts`; a user's
// tsc (NodeNext, no allowImportingTsExtensions) needs `./x.js`, which resolves to `./x.d.ts`.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json', '--outDir', `${out}/types`], { stdio: 'inherit' });
for (const file of readdirSync(`${out}/types`, { recursive: true })) {
  if (!file.endsWith('.d.ts')) continue;
  const path = join(`${out}/types`, file);
  const text = readFileSync(path, 'utf8');
  const fixed = text.replace(/((?:from|import\()\s*['"]\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1.js$2');
  if (fixed !== text) writeFileSync(path, fixed);
}

rmSync(`${out}.old`, { recursive: true, force: true });
try {
  renameSync('dist', `${out}.old`);
} catch {
  // first build
}
renameSync(out, 'dist');
rmSync(`${out}.old`, { recursive: true, force: true });
