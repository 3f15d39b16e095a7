// Builds dist/ from src/ and codegen/ with esbuild: one ESM graph with shared chunks, so the
// CLI, the library and the migrations it loads (which import 'tidemark') share one runtime.
// MikroORM and Kysely are bundled in: as hundreds of small ES modules they cost ~0.1 s to
// load on every command, as chunks a fraction of that (see shared/research/startup-floor.md).
// Native drivers, ts-morph and TypeScript stay external.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: {
    cli: 'src/cli/main.ts',
    index: 'src/index.ts',
    runtime: 'src/runtime/index.ts',
    'emit-process': 'codegen/emit-process.ts',
    emitter: 'codegen/emitter.ts',
    'vendor/core': 'src/vendor/core.ts',
    'vendor/decorators-legacy': 'src/vendor/decorators-legacy.ts',
    'vendor/decorators-es': 'src/vendor/decorators-es.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: [
    'better-sqlite3', 'pg', 'pg-*', 'mysql2', 'mariadb', 'ts-morph', '@ts-morph/common', '@swc/core', 'esbuild',
    // optional peers MikroORM probes for; never used by tidemark
    'tedious', 'libsql', '@libsql/*', 'oracledb', 'sqlite3', 'mongodb', 'knex', 'dataloader',
    '@mikro-orm/reflection', '@mikro-orm/seeder', '@mikro-orm/entity-generator', '@mikro-orm/cli', '@mikro-orm/knex-compat',
  ],
  // CommonJS code inside the bundle (reflect-metadata, pg helpers) still calls require().
  banner: { js: "import { createRequire as __tidemarkRequire } from 'node:module'; const require = __tidemarkRequire(import.meta.url);" },
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  define: { TIDEMARK_VERSION: JSON.stringify(pkg.version), TIDEMARK_BUNDLED: 'true' },
  logLevel: 'warning',
});

// The emitter's V8 startup snapshot: ts-morph loaded and initialised ahead of time, so the
// emitter process gen-migration starts is ready in ~0.09 s instead of ~0.17 s. Built for the
// Node running this build; without it, the emitter loads ts-morph on start.
try {
  await build({
    entryPoints: ['codegen/emit-snapshot.ts'],
    outfile: 'dist/emit-snapshot.cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    logLevel: 'error',
  });
  execFileSync(process.execPath, ['--snapshot-blob', 'dist/emitter.blob', '--build-snapshot', 'dist/emit-snapshot.cjs'], { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync('dist/emit-snapshot.cjs');
} catch (error) {
  rmSync('dist/emitter.blob', { force: true });
  console.warn(`build: no emitter snapshot (${String(error?.message ?? error).split('\n')[0]}); gen-migration loads ts-morph at run time instead`);
}
