#!/usr/bin/env node
// Online schema changes under load: a big table, the app's reads and writes running on it, and
// five changes applied two ways: the naive plain statements in one transaction (what MikroORM and
// TypeORM generate) and the migration `tidemark gen-migration` writes, applied by `migrate up`.
// For each: the longest an app query took, the app's p99, the migration's wall time.
// A benchmark, not a test: it fails only when the harness itself cannot run.
//
//   npm run bench:online                           ROWS=5000000, both dialects, all cases
//   ROWS=200000 npm run bench:online               smaller table
//   DIALECTS=postgresql CASES="index fk" npm run bench:online
//   VARIANTS=tidemark CLIENTS=8 RATE=200 WARM=2 TAIL=3 npm run bench:online
//   LONG_TX=10 ROWS=200000 npm run bench:online    each migration meets a 10 s open transaction
//   DDL_LOCK_TIMEOUT=500ms LONG_TX=10 …            migrate up --ddl-lock-timeout 500ms
//
// See bench/README.md ("Online schema changes") for what is measured and how.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import mysql from 'mysql2/promise';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, '..');
const env = process.env;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 15).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}

const NODE = existsSync(join(REPO, 'node_modules/.bin/node')) ? join(REPO, 'node_modules/.bin/node') : process.execPath;
const ROWS = Number(env.ROWS ?? 5_000_000);
const list = (v, d) => (v ?? d).split(/[\s,]+/).filter(Boolean);
const DIALECTS = list(env.DIALECTS, 'postgresql mariadb');
const ALL_CASES = ['addcol', 'index', 'fk', 'notnull', 'widen'];
const CASES = list(env.CASES, ALL_CASES.join(' '));
const VARIANTS = list(env.VARIANTS, 'naive tidemark');
const CLIENTS = Number(env.CLIENTS ?? 8);
const RATE = Number(env.RATE ?? 200);
const WARM = Number(env.WARM ?? 2);
const TAIL = Number(env.TAIL ?? 3);
// Seconds an app transaction that updated a row of `item` stays open when the migration starts
// (0: none): the case a DDL lock timeout exists for.
const LONG_TX = Number(env.LONG_TX ?? 0);
// Passed to `migrate up --ddl-lock-timeout` (e.g. 500ms); unset: tidemark's default.
const DDL_LOCK_TIMEOUT = env.DDL_LOCK_TIMEOUT ?? '';
const WORK = resolve(env.BENCH_DIR ?? join(REPO, '.bench', 'online'));
const RESULTS = resolve(env.RESULTS_DIR ?? join(BENCH, 'results'));
const PG_SERVER = env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
const MY_SERVER = env.BENCH_MARIADB ?? 'mariadb://root@127.0.0.1:3306';
const DB = `tm_bench_${process.pid}`;
// The CLI runs from a copy of bin/ and dist/ taken at start: other work rebuilding dist/ during a
// long run would otherwise mix builds or remove a chunk under a running process.
const PKG = join(WORK, 'tidemark-pkg');
const CLI = join(PKG, 'bin/tidemark.mjs');

function die(msg) {
  console.error(`bench:online: ${msg}`);
  process.exit(2);
}
for (const d of DIALECTS) if (!['postgresql', 'mariadb'].includes(d)) die(`DIALECTS: unknown '${d}' (postgresql, mariadb)`);
for (const c of CASES) if (!ALL_CASES.includes(c)) die(`CASES: unknown '${c}' (${ALL_CASES.join(' ')})`);
for (const v of VARIANTS) if (!['naive', 'tidemark'].includes(v)) die(`VARIANTS: unknown '${v}' (naive, tidemark)`);
if (!(ROWS >= 1000) || !(CLIENTS >= 1) || !(RATE > 0)) die('ROWS must be >= 1000, CLIENTS >= 1, RATE > 0');
if (DIALECTS.includes('postgresql') && spawnSync('sh', ['-c', 'command -v pgbench'], { stdio: 'ignore' }).status !== 0)
  die('pgbench not found: apt-get install -y postgresql-client (or postgresql-contrib)');

const log = (msg) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));

const CASE_TITLE = {
  addcol: 'add column with default',
  index: 'add index',
  fk: 'add FK (100-row parent)',
  notnull: 'set NOT NULL',
  widen: 'widen varchar(50→100)',
};

// ---------------------------------------------------------------------------------------------
// The project. Every change has two columns: the naive variant changes `*_a`, tidemark's `*_b`,
// so neither has to be undone with a second big ALTER before the other runs (a narrowed varchar
// or a dropped NOT NULL can cost as much as the change). Both columns hold the same data.

/** entities/Item.ts with the tidemark changes in `done` applied. */
function itemSource(done) {
  const has = (c) => done.has(c);
  let s = `import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n`;
  s += `import { Customer } from './Customer.js';\n\n`;
  s += `@Entity({ tableName: 'item' })\n`;
  if (has('index')) s += `@Index({ name: 'item_ref_b_idx', properties: ['refB'] })\n`;
  s += `export class Item {\n`;
  s += `  @PrimaryKey() id!: number;\n`;
  s += `  @Property({ length: 100 }) name!: string;\n`;
  s += `  @Property() quantity!: number;\n`;
  s += `  @Property() refA!: number;\n`;
  s += `  @Property() refB!: number;\n`;
  // unsigned: the type of the parent's key on MariaDB, so the FK case changes nothing but the FK.
  s += `  @Property({ unsigned: true }) custA!: number;\n`;
  s += has('fk')
    ? `  @ManyToOne(() => Customer, { fieldName: 'cust_b' }) custB!: Customer;\n`
    : `  @Property({ unsigned: true }) custB!: number;\n`;
  s += `  @Property({ nullable: true }) nnA?: number;\n`;
  s += has('notnull') ? `  @Property() nnB!: number;\n` : `  @Property({ nullable: true }) nnB?: number;\n`;
  s += `  @Property({ length: 50 }) codeA!: string;\n`;
  s += `  @Property({ length: ${has('widen') ? 100 : 50} }) codeB!: string;\n`;
  if (has('addcol')) s += `  @Property({ default: 0 }) scoreB!: number;\n`;
  s += `}\n`;
  return s;
}

const CUSTOMER_SOURCE = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity({ tableName: 'customer' })
export class Customer {
  @PrimaryKey() id!: number;
  @Property({ length: 50 }) name!: string;
}
`;

const dbUrl = (dialect) => (dialect === 'postgresql' ? `${PG_SERVER}/${DB}` : `${MY_SERVER}/${DB}`);

function writeProject(dir, dialect) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'entities'), { recursive: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  // As in an app: `tidemark` installed; MikroORM found further up (the repo's node_modules).
  symlinkSync(PKG, join(dir, 'node_modules', 'tidemark'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(
    join(dir, 'tidemark.config.ts'),
    `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: ['./entities/*.ts'], migrations: './migrations', url: '${dbUrl(dialect)}' });\n`,
  );
  writeFileSync(join(dir, 'entities', 'Customer.ts'), CUSTOMER_SOURCE);
  writeFileSync(join(dir, 'entities', 'Item.ts'), itemSource(new Set()));
}

function cliEnv() {
  const e = { ...env, NO_COLOR: '1' };
  for (const k of ['NODE_OPTIONS', 'TIDEMARK_DEBUG', 'DATABASE_URL', 'TIDEMARK_CONFIG']) delete e[k];
  return e;
}

/** Runs the CLI to completion (not timed); throws with its output when it fails. */
function cli(dir, args) {
  const r = spawnSync(NODE, [CLI, ...args], { cwd: dir, env: cliEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`tidemark ${args.join(' ')} failed (exit ${r.status}) in ${dir}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `migrate up` under load: resolves with its exit code and output when it ends. */
function cliAsync(dir, args) {
  return new Promise((res) => {
    const child = spawn(NODE, [CLI, ...args], { cwd: dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => res({ code, out }));
  });
}

// ---------------------------------------------------------------------------------------------
// Databases

async function admin(dialect) {
  if (dialect === 'postgresql') {
    const c = new pg.Client({ connectionString: `${PG_SERVER}/postgres` });
    await c.connect();
    return { q: (sql) => c.query(sql), end: () => c.end() };
  }
  const c = await mysql.createConnection(MY_SERVER.replace(/^mariadb:/, 'mysql:'));
  return { q: (sql) => c.query(sql), end: () => c.end() };
}

async function connect(dialect) {
  if (dialect === 'postgresql') {
    const c = new pg.Client({ connectionString: dbUrl(dialect) });
    await c.connect();
    return { q: async (sql) => (await c.query(sql)).rows, end: () => c.end() };
  }
  const c = await mysql.createConnection(dbUrl(dialect).replace(/^mariadb:/, 'mysql:'));
  return { q: async (sql) => (await c.query(sql))[0], end: () => c.end() };
}

async function createDb(dialect) {
  const a = await admin(dialect);
  try {
    await a.q(`create database ${DB}`);
  } finally {
    await a.end();
  }
}

async function dropDb(dialect) {
  const a = await admin(dialect);
  try {
    await a.q(dialect === 'postgresql' ? `drop database if exists ${DB} with (force)` : `drop database if exists ${DB}`);
  } finally {
    await a.end();
  }
}

/** Fills the tables the initial migration made: one insert … select for the big table. */
async function load(dialect) {
  const c = await connect(dialect);
  try {
    if (dialect === 'postgresql') {
      await c.q(`insert into customer (name) select 'customer ' || g from generate_series(1, 100) g`);
      await c.q(`set synchronous_commit = off`);
      await c.q(
        `insert into item (name, quantity, ref_a, ref_b, cust_a, cust_b, nn_a, nn_b, code_a, code_b)
         select 'item ' || g, g % 1000, (g::bigint * 7919) % 1000003, (g::bigint * 7919) % 1000003, 1 + g % 100, 1 + g % 100, g, g,
                'code-' || (g % 10000), 'code-' || (g % 10000)
         from generate_series(1, ${ROWS}) g`,
      );
      await c.q(`vacuum analyze item`);
      await c.q(`checkpoint`);
    } else {
      await c.q(`insert into customer (name) select concat('customer ', seq) from seq_1_to_100`);
      await c.q(
        `insert into item (name, quantity, ref_a, ref_b, cust_a, cust_b, nn_a, nn_b, code_a, code_b)
         select concat('item ', seq), seq % 1000, (seq * 7919) % 1000003, (seq * 7919) % 1000003, 1 + seq % 100, 1 + seq % 100,
                seq, seq, concat('code-', seq % 10000), concat('code-', seq % 10000)
         from seq_1_to_${ROWS}`,
      );
      await c.q(`analyze table item`);
    }
  } finally {
    await c.end();
  }
}

// The naive variant: the plain statements, as MikroORM's and TypeORM's generators write them,
// on the `*_a` columns; `undo` restores what the next cases or the tidemark variant would notice
// (a column the history does not know, an index or FK name), never with a second big ALTER.
const NAIVE = {
  postgresql: {
    addcol: { sql: [`alter table "item" add column "score_a" int not null default 0`], undo: [`alter table "item" drop column "score_a"`] },
    index: { sql: [`create index "item_ref_a_idx" on "item" ("ref_a")`], undo: [`drop index "item_ref_a_idx"`] },
    fk: {
      sql: [`alter table "item" add constraint "item_cust_a_foreign" foreign key ("cust_a") references "customer" ("id")`],
      undo: [`alter table "item" drop constraint "item_cust_a_foreign"`],
    },
    notnull: { sql: [`alter table "item" alter column "nn_a" set not null`], undo: [] },
    widen: { sql: [`alter table "item" alter column "code_a" type varchar(100) using ("code_a"::varchar(100))`], undo: [] },
  },
  mariadb: {
    addcol: { sql: [`alter table \`item\` add \`score_a\` int not null default 0`], undo: [`alter table \`item\` drop column \`score_a\``] },
    index: { sql: [`alter table \`item\` add index \`item_ref_a_idx\`(\`ref_a\`)`], undo: [`alter table \`item\` drop index \`item_ref_a_idx\``] },
    fk: {
      sql: [
        `alter table \`item\` add index \`item_cust_a_index\`(\`cust_a\`)`,
        `alter table \`item\` add constraint \`item_cust_a_foreign\` foreign key (\`cust_a\`) references \`customer\` (\`id\`)`,
      ],
      undo: [`alter table \`item\` drop foreign key \`item_cust_a_foreign\``, `alter table \`item\` drop index \`item_cust_a_index\``],
    },
    notnull: { sql: [`alter table \`item\` modify \`nn_a\` int not null`], undo: [] },
    widen: { sql: [`alter table \`item\` modify \`code_a\` varchar(100) not null`], undo: [] },
  },
};

// ---------------------------------------------------------------------------------------------
// Load generators. Each returns { stop(): Promise<samples> }, a sample being
// { end (epoch s), lat (s, the query's own time), op, err }.

const PG_SCRIPTS = {
  read: `\\set id random(1, ${ROWS})\nselect * from item where id = :id;\n`,
  update: `\\set id random(1, ${ROWS})\nupdate item set quantity = quantity + 1 where id = :id;\n`,
  insert:
    `\\set id random(1, ${ROWS})\n\\set c random(1, 100)\n` +
    `insert into item (name, quantity, ref_a, ref_b, cust_a, cust_b, nn_a, nn_b, code_a, code_b) values ('load-' || :id, 1, :id, :id, :c, :c, :id, :id, 'c' || :c, 'c' || :c);\n`,
};
const PG_OPS = ['read', 'update', 'insert'];

async function startPgbench(dir) {
  const logDir = join(dir, 'pgbench-log');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  for (const [k, v] of Object.entries(PG_SCRIPTS)) writeFileSync(join(dir, `${k}.sql`), v);
  const u = new URL(PG_SERVER);
  // -R: paced (open loop); the log's time includes the schedule lag, which is subtracted below
  // so a sample is the query's own time. -M simple: prepared plans would break on the new column.
  const args = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'), '-n', '-M', 'simple'];
  args.push('-c', String(CLIENTS), '-j', '2', '-R', String(RATE), '-T', '36000', '-l', `--log-prefix=${join(logDir, 'tx')}`);
  args.push('-f', `${join(dir, 'read.sql')}@7`, '-f', `${join(dir, 'update.sql')}@2`, '-f', `${join(dir, 'insert.sql')}@1`, DB);
  const child = spawn('pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.on('data', (d) => (err += d));
  const closed = new Promise((r) => child.on('close', r));
  return {
    async stop() {
      // pgbench has no clean stop before -T: SIGINT loses the last unflushed lines of its log,
      // which is why the harness keeps TAIL seconds of load after the migration.
      child.kill('SIGINT');
      await closed;
      const samples = [];
      for (const f of readdirSync(logDir)) {
        for (const line of readFileSync(join(logDir, f), 'utf8').split('\n')) {
          const p = line.trim().split(/\s+/);
          if (p.length < 7 || p.some((x) => !/^\d+$/.test(x))) continue;
          const [, , time, script, sec, us, lag] = p.map(Number);
          samples.push({ end: sec + us / 1e6, lat: (time - lag) / 1e6, op: PG_OPS[script] ?? String(script) });
        }
      }
      const aborted = [...err.matchAll(/client \d+ aborted[^\n]*\n?[^\n]*/g)].map((m) => m[0].replace(/\s+/g, ' '));
      return { samples, errors: aborted };
    },
  };
}

async function startNodeLoad(dir) {
  const out = join(dir, 'load-samples.txt');
  rmSync(out, { force: true });
  const cfg = { url: dbUrl('mariadb').replace(/^mariadb:/, 'mysql:'), clients: CLIENTS, rate: RATE, rows: ROWS, out };
  const child = spawn(NODE, [join(BENCH, 'online-load.mjs')], {
    env: { ...env, ONLINE_LOAD: JSON.stringify(cfg) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const closed = new Promise((r) => child.on('close', r));
  await new Promise((res, rej) => {
    child.stdout.on('data', (d) => String(d).includes('ready') && res());
    child.on('close', (code) => rej(new Error(`load generator exited (${code}): ${err}`)));
  });
  return {
    async stop() {
      child.send('stop');
      const code = await closed;
      if (code !== 0 || !existsSync(out)) die(`load generator failed (exit ${code}): ${err}`);
      const samples = [];
      const errors = new Map();
      for (const line of readFileSync(out, 'utf8').split('\n')) {
        const p = line.split(' ');
        if (p.length < 3) continue;
        samples.push({ end: Number(p[0]) / 1000, lat: Number(p[1]) / 1000, op: p[2], err: p[3] });
        if (p[3]) errors.set(p[3], (errors.get(p[3]) ?? 0) + 1);
      }
      return { samples, errors: [...errors].map(([e, n]) => `${n}× ${e}`) };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One measurement

function stats(samples, t0, t1) {
  const inWin = samples.filter((s) => s.end >= t0 && s.end - s.lat <= t1);
  const before = samples.filter((s) => s.end < t0).map((s) => s.lat).sort((a, b) => a - b);
  const lats = inWin.map((s) => s.lat).sort((a, b) => a - b);
  const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)] : NaN);
  let worst = inWin[0];
  for (const s of inWin) if (s.lat > worst.lat) worst = s;
  return {
    n: inWin.length,
    max: worst ? worst.lat : NaN,
    maxOp: worst?.op ?? '',
    p99: pct(lats, 0.99),
    over1s: lats.filter((x) => x > 1).length,
    baseP99: pct(before, 0.99),
    failed: inWin.filter((s) => s.err).length,
  };
}

/** Which online forms a migration's SQL uses, in a few words. */
function formsOf(text) {
  // Statements only: the comments of `--sql` name the forms it did not take, too.
  const sql = text.split('\n').filter((l) => !/^\s*--/.test(l)).join('\n');
  const f = [];
  const has = (re) => re.test(sql);
  if (has(/lock_timeout/i)) f.push('lock_timeout');
  if (has(/concurrently/i)) f.push('CONCURRENTLY');
  if (has(/not valid/i)) f.push('NOT VALID');
  if (has(/validate constraint/i)) f.push('VALIDATE');
  if (has(/add constraint [^;]* check/i)) f.push('CHECK');
  const alg = sql.match(/algorithm\s*=\s*\w+/gi);
  if (alg) f.push(...new Set(alg.map((a) => a.replace(/\s+/g, '').toUpperCase())));
  const lock = sql.match(/lock\s*=\s*\w+/gi);
  if (lock) f.push(...new Set(lock.map((a) => a.replace(/\s+/g, '').toUpperCase())));
  return f.length ? f.join(', ') : 'plain';
}

/** What is wrong with the table after a case ran on column suffix `x` ('a' or 'b'), or ''. */
async function wrongResult(dialect, kase, x) {
  const c = await connect(dialect);
  const schema = dialect === 'postgresql' ? 'current_schema()' : 'database()';
  const col = async (name) =>
    (await c.q(`select is_nullable as n, column_default as d, character_maximum_length as l from information_schema.columns where table_schema = ${schema} and table_name = 'item' and column_name = '${name}'`))[0];
  try {
    if (kase === 'addcol') {
      const r = await col(`score_${x}`);
      return !r ? `no column score_${x}` : (r.n ?? r.N) !== 'NO' || !/0/.test(String(r.d ?? r.D)) ? `score_${x} is not 'not null default 0'` : '';
    }
    if (kase === 'notnull') return ((await col(`nn_${x}`)) ?? {}).n === 'NO' || ((await col(`nn_${x}`)) ?? {}).N === 'NO' ? '' : `nn_${x} is nullable`;
    if (kase === 'widen') {
      const r = (await col(`code_${x}`)) ?? {};
      return Number(r.l ?? r.L) === 100 ? '' : `code_${x} is varchar(${r.l ?? r.L})`;
    }
    if (dialect === 'postgresql') {
      if (kase === 'index') {
        const r = await c.q(`select i.indisvalid as v from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'item_ref_${x}_idx'`);
        return !r.length ? `no index item_ref_${x}_idx` : r[0].v ? '' : `index item_ref_${x}_idx is INVALID`;
      }
      const r = await c.q(`select convalidated as v from pg_constraint where conname = 'item_cust_${x}_foreign' and contype = 'f'`);
      return !r.length ? `no FK item_cust_${x}_foreign` : r[0].v ? '' : `FK item_cust_${x}_foreign is NOT VALID`;
    }
    if (kase === 'index') {
      const r = await c.q(`select 1 from information_schema.statistics where table_schema = database() and table_name = 'item' and index_name = 'item_ref_${x}_idx'`);
      return r.length ? '' : `no index item_ref_${x}_idx`;
    }
    const r = await c.q(`select 1 from information_schema.referential_constraints where constraint_schema = database() and constraint_name = 'item_cust_${x}_foreign'`);
    return r.length ? '' : `no FK item_cust_${x}_foreign`;
  } finally {
    await c.end();
  }
}

async function measure(dialect, dir, variant, kase) {
  const loader = dialect === 'postgresql' ? await startPgbench(dir) : await startNodeLoad(dir);
  await sleep(WARM);
  let ok = true;
  let refused = false;
  let note = '';
  let released = Promise.resolve();
  if (LONG_TX > 0) {
    const holder = await connect(dialect);
    await holder.q(dialect === 'postgresql' ? 'begin' : 'start transaction');
    await holder.q('update item set quantity = quantity where id = 1');
    released = sleep(LONG_TX).then(async () => {
      await holder.q('commit');
      await holder.end();
    });
  }
  const t0 = Date.now() / 1000;
  if (variant === 'naive') {
    const c = await connect(dialect);
    try {
      if (dialect === 'postgresql') await c.q('begin');
      for (const s of NAIVE[dialect][kase].sql) await c.q(s);
      if (dialect === 'postgresql') await c.q('commit');
    } catch (e) {
      ok = false;
      note = String(e.message).split('\n')[0];
    } finally {
      await c.end();
    }
  } else {
    const r = await cliAsync(dir, ['migrate', 'up', ...(DDL_LOCK_TIMEOUT ? ['--ddl-lock-timeout', DDL_LOCK_TIMEOUT] : [])]);
    if (r.code !== 0) {
      ok = false;
      // The big-table guard refusing a copy/rewrite is tidemark's default answer, not a failure of the run.
      const guard = /refused before it changed anything.*\b(TM20\d)\b/.exec(r.out);
      refused = Boolean(guard);
      note = guard ? `by the big-table guard (${guard[1]}), nothing changed: the default` : `exit ${r.code}: ${r.out.trim().split('\n').slice(-1)[0]}`;
    }
  }
  const t1 = Date.now() / 1000;
  await released;
  await sleep(TAIL);
  const { samples, errors } = await loader.stop();
  const st = stats(samples, t0, t1);
  if (errors.length) note = [note, `app errors: ${errors.slice(0, 3).join('; ')}`].filter(Boolean).join('; ');
  if (ok) {
    const wrong = await wrongResult(dialect, kase, variant === 'naive' ? 'a' : 'b');
    if (wrong) {
      ok = false;
      note = [`WRONG RESULT: ${wrong}`, note].filter(Boolean).join('; ');
    }
  }
  if (variant === 'naive' && ok) {
    const c = await connect(dialect);
    try {
      for (const s of NAIVE[dialect][kase].undo) await c.q(s);
    } finally {
      await c.end();
    }
  }
  return { dialect, kase, variant, ok, refused, note, wall: t1 - t0, ...st };
}

// ---------------------------------------------------------------------------------------------

const fmtMs = (s) => (Number.isFinite(s) ? (s >= 10 ? `${(s * 1000).toFixed(0)}` : (s * 1000).toFixed(s < 0.01 ? 1 : 0)) : '–');

function table(rows, meta) {
  const head = `| dialect | change | variant | forms | migration wall s | max app query ms | app p99 ms (idle p99) | queries > 1 s | queries in window | result |`;
  const sep = `|---|---|---|---|---:|---:|---:|---:|---:|---|`;
  const body = rows.map((r) =>
    [
      r.dialect,
      CASE_TITLE[r.kase],
      r.variant,
      r.forms,
      r.wall.toFixed(2),
      `${fmtMs(r.max)} (${r.maxOp})`,
      `${fmtMs(r.p99)} (${fmtMs(r.baseP99)})`,
      r.over1s,
      r.n,
      (r.ok ? 'ok' : r.refused ? 'refused' : 'FAILED') + (r.note ? `: ${r.note.replace(/\|/g, '\\|').slice(0, 300)}` : ''),
    ].join(' | '),
  );
  return [`# Online schema changes under load`, '', meta, '', head, sep, ...body.map((b) => `| ${b} |`), ''].join('\n');
}

/**
 * After a failed tidemark run, `migrate up` once more with no load and no open transaction (what
 * an operator does next), so the next cases start from the history's head; a migration recorded
 * as failed (MariaDB commits DDL as it runs) is first resolved as rolled back.
 */
function recover(dir, r) {
  // After a refusal by the big-table guard, the operator accepts the wait (no load runs now).
  const again = () => spawnSync(NODE, [CLI, 'migrate', 'up', '--allow-blocking', 'TM201,TM203,TM204,TM206,TM207'], { cwd: dir, env: cliEnv(), encoding: 'utf8' }).status === 0;
  if (again()) {
    r.note += ' (migrate up re-run after the load: ok)';
    return true;
  }
  const failed = [...r.note.matchAll(/migration (\d{14}_\w+) failed/g)].map((m) => m[1]);
  for (const id of failed) spawnSync(NODE, [CLI, 'migrate', 'resolve', id, '--rolled-back'], { cwd: dir, env: cliEnv(), encoding: 'utf8' });
  if (again()) {
    r.note += ' (resolved --rolled-back, migrate up re-run after the load: ok)';
    return true;
  }
  return false;
}

async function runDialect(dialect, rows) {
  const dir = join(WORK, dialect);
  writeProject(dir, dialect);
  await createDb(dialect);
  try {
    cli(dir, ['gen-migration', '-m', 'init']);
    cli(dir, ['migrate', 'up']);
    let t = Date.now();
    await load(dialect);
    log(`${dialect}: ${ROWS} rows loaded in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const done = new Set();
    let tidemarkOff = false;
    const migDir = join(RESULTS, 'online-migrations', dialect);
    rmSync(migDir, { recursive: true, force: true });
    mkdirSync(migDir, { recursive: true });
    for (const kase of CASES) {
      for (const variant of VARIANTS) {
        if (variant === 'tidemark' && tidemarkOff) continue;
        let forms = 'plain';
        if (variant === 'tidemark') {
          done.add(kase);
          writeFileSync(join(dir, 'entities', 'Item.ts'), itemSource(done));
          const before = new Set(readdirSync(join(dir, 'migrations')));
          // The data has no null in nn_b: what a user checks before accepting TM104.
          cli(dir, ['gen-migration', '-m', kase, ...(kase === 'notnull' ? ['--allow', 'TM104:item.nn_b'] : [])]);
          const files = readdirSync(join(dir, 'migrations')).filter((f) => !before.has(f) && f.endsWith('.ts'));
          for (const f of files) writeFileSync(join(migDir, f), readFileSync(join(dir, 'migrations', f)));
          // The SQL `migrate up` is about to run (every new migration: an online form may be two).
          const prev = [...before].filter((f) => f.endsWith('.ts')).sort().at(-1).replace(/\.ts$/, '');
          const sql = cli(dir, ['migrate', 'up', '--sql', '--from', prev]);
          writeFileSync(join(migDir, `${kase}.sql`), sql);
          forms = formsOf(sql);
        }
        log(`${dialect} ${kase} ${variant}: migrating under load (${CLIENTS} clients, ${RATE} q/s)`);
        const r = await measure(dialect, dir, variant, kase);
        r.forms = forms;
        if (variant === 'tidemark' && !r.ok && !recover(dir, r)) {
          rows.push(r);
          log(`${dialect} ${kase} tidemark: failed and could not be re-run after the load; the remaining tidemark cases of ${dialect} are skipped`);
          tidemarkOff = true;
          continue;
        }
        rows.push(r);
        log(
          `${dialect} ${kase} ${variant}: ${r.ok ? 'ok' : r.refused ? 'refused' : 'FAILED'} wall ${r.wall.toFixed(2)} s, max ${fmtMs(r.max)} ms (${r.maxOp}), p99 ${fmtMs(r.p99)} ms, >1s ${r.over1s}, n ${r.n}${r.note ? ` — ${r.note}` : ''}`,
        );
      }
    }
  } finally {
    if (!env.KEEP) await dropDb(dialect);
  }
}

rmSync(PKG, { recursive: true, force: true });
mkdirSync(PKG, { recursive: true });
for (const f of ['bin', 'dist', 'package.json']) cpSync(join(REPO, f), join(PKG, f), { recursive: true });
if (spawnSync(NODE, [CLI, '--version'], { encoding: 'utf8' }).status !== 0) die(`the copy of tidemark in ${PKG} does not start: run npm run build first`);

const started = new Date();
const rows = [];
const buildAt = (() => {
  try {
    return readdirSync(join(REPO, 'dist')).length ? spawnSync('git', ['-C', REPO, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).stdout.trim() : '';
  } catch {
    return '';
  }
})();
for (const d of DIALECTS) {
  try {
    await runDialect(d, rows);
  } catch (e) {
    log(`bench:online: ${d}: ${e.stack ?? e}`);
    process.exitCode = 1;
  }
}
const meta =
  `${ROWS.toLocaleString('en')} rows;${LONG_TX > 0 ? ` every migration starts while an app transaction that updated a row of item stays open ${LONG_TX} s;` : ''}${DDL_LOCK_TIMEOUT ? ` migrate up --ddl-lock-timeout ${DDL_LOCK_TIMEOUT};` : ''} load ${CLIENTS} connections, ${RATE} queries/s (70% read by key, 20% update, 10% insert); ` +
  `PostgreSQL via pgbench, MariaDB via bench/online-load.mjs; window = migration start to end; ` +
  `started ${started.toISOString().slice(0, 16)}Z; repo at ${buildAt}`;
const md = table(rows, meta);
mkdirSync(RESULTS, { recursive: true });
const base = `online${LONG_TX > 0 ? '-longtx' : ''}${DDL_LOCK_TIMEOUT ? `-ddl${DDL_LOCK_TIMEOUT}` : ''}`;
writeFileSync(join(RESULTS, `${base}.md`), md);
writeFileSync(join(RESULTS, `${base}.json`), JSON.stringify({ meta, rows }, null, 2));
console.log(md);
