// Start states of the benchmark cells, and checks of what the timed commands left behind.
//
//   node bench/prep.mjs <project dir> <phase> <N>     put <dir> into the start state of <phase>
//   node bench/prep.mjs <project dir> verify <N>       check the result of the last timed run
//
// Used as hyperfine's --prepare (runs before every timed run, warm-up included). Before it
// resets the project it checks the result of the previous timed run, if there was one (the
// "armed" marker), so every timed run is verified: the last one by the `verify` call that
// run.mjs makes after the cell. A failed check exits 1, which makes hyperfine fail the cell.
//
// Saved states (made by run.mjs setup, under <dir>/.state/):
//   T0.base.ts / T0.age.ts    entity T0 without / with the nullable `age`
//   mig_init/, mig_age/       migrations folder after each generate
//   cache_init/, cache_age/   tidemark's caches (node_modules/.cache/tidemark: transpiled files, the
//                             schema at the head sealed to the migrations) and Node's
//                             compile cache ($TMPDIR/node-compile-cache, TMPDIR=<dir>/.tmp)
//                             as left by the setup's gen-migration -m init / -m age
//
// Phases:
//   gen_init       base entities, no migrations/snapshot, no db; caches = cache_init (warm)
//   gen_init_cold  the same with no transpile cache and no compile cache at all
//   gen_age        T0 has `age`, migrations = mig_init, no db; caches = cache_init
//                  (so the edited T0 is the one transpile-cache miss, as after a real edit)
//   apply          T0 has `age`, migrations = mig_age, no db; caches = cache_apply (as after a previous migrate up)
//   raw_node, raw_sqlite3   raw-floor project: no db
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

export const PHASES = ['gen_init', 'gen_init_cold', 'gen_age', 'apply', 'raw_node', 'raw_sqlite3'];

const paths = (dir) => ({
  state: join(dir, '.state'),
  mig: join(dir, 'migrations'),
  tcache: join(dir, 'node_modules', '.cache', 'tidemark'),
  ncache: join(dir, '.tmp', 'node-compile-cache'),
  armed: join(dir, '.state', 'armed'),
  verified: join(dir, '.state', 'verified'),
});

function rmDb(dir) {
  for (const f of ['db.sqlite', 'db.sqlite-journal', 'db.sqlite-wal', 'db.sqlite-shm']) rmSync(join(dir, f), { force: true });
}

function replaceDir(dst, src) {
  rmSync(dst, { recursive: true, force: true });
  if (src) cpSync(src, dst, { recursive: true, preserveTimestamps: true });
}

/** Saves the current caches of a tidemark project as a named state. */
export function saveCaches(dir, name) {
  const p = paths(dir);
  const out = join(p.state, `cache_${name}`);
  rmSync(out, { recursive: true, force: true });
  if (existsSync(p.tcache)) cpSync(p.tcache, join(out, 'tidemark'), { recursive: true, preserveTimestamps: true });
  if (existsSync(p.ncache)) cpSync(p.ncache, join(out, 'node-compile-cache'), { recursive: true, preserveTimestamps: true });
}

function restoreCaches(dir, name) {
  const p = paths(dir);
  const from = name && join(p.state, `cache_${name}`);
  const sub = (s) => (from && existsSync(join(from, s)) ? join(from, s) : undefined);
  replaceDir(p.tcache, sub('tidemark'));
  replaceDir(p.ncache, sub('node-compile-cache'));
}

class CheckError extends Error {}
const fail = (msg) => {
  throw new CheckError(msg);
};

/** N tables t*, N idx_t*_name, N/5 FKs, t0.age; for tidemark also the applied migrations. */
export function checkDb(dbFile, n, { migrations } = {}) {
  if (!existsSync(dbFile)) fail(`${dbFile}: no database file`);
  const Database = require('better-sqlite3');
  const db = new Database(dbFile, { readonly: true });
  try {
    const one = (sql) => Object.values(db.prepare(sql).get())[0];
    const tables = one(`select count(*) from sqlite_master where type='table' and name glob 't[0-9]*'`);
    const idx = one(`select count(*) from sqlite_master where type='index' and name glob 'idx_t[0-9]*_name'`);
    const fks = one(`select count(*) from sqlite_master m, pragma_foreign_key_list(m.name) f where m.type='table' and m.name glob 't[0-9]*'`);
    const badFks = one(
      `select count(*) from sqlite_master m, pragma_foreign_key_list(m.name) f where m.type='table' and m.name glob 't[0-9]*' ` +
        `and not (f."from" = 'parent_id' and f."table" = 't' || (cast(substr(m.name, 2) as integer) - 1) and f."to" = 'id')`,
    );
    const age = one(`select count(*) from pragma_table_info('t0') where name='age' and "notnull" = 0`);
    const wantFk = Math.floor(n / 5);
    let applied = '';
    if (migrations !== undefined) {
      const rows = one(`select count(*) from tidemark_migrations`);
      applied = ` applied=${rows}/${migrations}`;
      if (rows !== migrations) fail(`${dbFile}: ${rows} applied migrations, want ${migrations}`);
    }
    const got = `tables=${tables}/${n} name-indexes=${idx}/${n} fks=${fks}/${wantFk} (bad ${badFks}) t0.age=${age}/1${applied}`;
    if (tables !== n || idx !== n || fks !== wantFk || badFks !== 0 || age !== 1) fail(`${dbFile}: MISMATCH ${got}`);
    return got;
  } finally {
    db.close();
  }
}

/** The schema tidemark cached for the project's migrations folder (node_modules/.cache/tidemark/schema). */
function cachedSchema(p) {
  const dir = join(p.tcache, 'schema');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (files.length !== 1) fail(`${dir}: want one cached schema, got [${files}]`);
  return JSON.parse(readFileSync(join(dir, files[0]), 'utf8'));
}

const migFiles = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')).sort() : []);

/** What a finished run of `phase` must have left in `dir`. */
export function checkResult(dir, phase, n) {
  const p = paths(dir);
  switch (phase) {
    case 'gen_init':
    case 'gen_init_cold': {
      const files = migFiles(p.mig);
      if (files.length !== 1 || !files[0].endsWith('_init.ts')) fail(`${dir}: after gen_init want one *_init.ts, got [${files}]`);
      const src = readFileSync(join(p.mig, files[0]), 'utf8');
      const creates = src.split('this.createTable(').length - 1;
      const indexes = (src.match(/t\.index\('idx_t\d+_name'/g) ?? []).length;
      if (creates !== n || indexes !== n) fail(`${dir}: init migration has ${creates} createTable / ${indexes} name indexes, want ${n}`);
      const snap = cachedSchema(p);
      if (snap.tables?.length !== n || snap.head !== files[0].slice(0, -3)) fail(`${dir}: snapshot has ${snap.tables?.length} tables, head ${snap.head}`);
      return `migration ${files[0]}: ${creates} tables, ${indexes} indexes; snapshot ok`;
    }
    case 'gen_age': {
      const files = migFiles(p.mig);
      const age = files.find((f) => f.endsWith('_age.ts'));
      if (files.length !== 2 || !age) fail(`${dir}: after gen_age want *_init.ts and *_age.ts, got [${files}]`);
      const src = readFileSync(join(p.mig, age), 'utf8');
      if (!/this\.addColumn\('t0', 'age', \{ type: 'integer', nullable: true \}\)/.test(src)) fail(`${dir}: ${age} does not add t0.age:\n${src}`);
      const snap = cachedSchema(p);
      const t0 = snap.tables?.find((t) => t.name === 't0');
      if (snap.tables?.length !== n || snap.head !== age.slice(0, -3) || !t0?.columns.some((c) => c.name === 'age')) fail(`${dir}: snapshot after gen_age is wrong`);
      return `migration ${age}: adds t0.age; snapshot ok`;
    }
    case 'apply':
      return checkDb(join(dir, 'db.sqlite'), n, { migrations: 2 });
    case 'raw_node':
    case 'raw_sqlite3':
      return checkDb(join(dir, 'db.sqlite'), n);
    default:
      return 'no check';
  }
}

/** Checks the previous run (if armed), counts it, disarms. */
export function verifyArmed(dir, n) {
  const p = paths(dir);
  if (!existsSync(p.armed)) return undefined;
  const phase = readFileSync(p.armed, 'utf8').trim();
  const msg = checkResult(dir, phase, n);
  rmSync(p.armed);
  const count = existsSync(p.verified) ? Number(readFileSync(p.verified, 'utf8')) || 0 : 0;
  writeFileSync(p.verified, String(count + 1));
  return msg;
}

export function prepare(dir, phase, n) {
  const p = paths(dir);
  verifyArmed(dir, n);
  const t0 = (variant) => copyFileSync(join(p.state, `T0.${variant}.ts`), join(dir, 'entities', 'T0.ts'));
  const mig = (name) => replaceDir(p.mig, name && join(p.state, `mig_${name}`));
  switch (phase) {
    case 'gen_init':
      t0('base'), mig(null), rmDb(dir), restoreCaches(dir, 'init');
      break;
    case 'gen_init_cold':
      t0('base'), mig(null), rmDb(dir), restoreCaches(dir, null);
      break;
    case 'gen_age':
      t0('age'), mig('init'), rmDb(dir), restoreCaches(dir, 'init');
      break;
    case 'apply':
      t0('age'), mig('age'), rmDb(dir), restoreCaches(dir, 'apply');
      break;
    case 'raw_node':
    case 'raw_sqlite3':
      rmDb(dir);
      break;
    default:
      throw new Error(`prep: unknown phase ${phase}`);
  }
  writeFileSync(p.armed, phase);
  // flush what we just wrote so its write-back does not land inside the timed run
  try {
    execFileSync('sync');
  } catch {}
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [dir, phase, nArg] = process.argv.slice(2);
  const n = Number(nArg);
  try {
    if (phase === 'verify') {
      const msg = verifyArmed(dir, n);
      const count = existsSync(paths(dir).verified) ? readFileSync(paths(dir).verified, 'utf8') : '0';
      console.log(`${msg ?? 'nothing to verify'} (runs verified: ${count})`);
    } else prepare(dir, phase, n);
  } catch (error) {
    console.error(`bench check FAILED: ${error instanceof CheckError ? error.message : error?.stack ?? error}`);
    process.exit(1);
  }
}
