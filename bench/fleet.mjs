#!/usr/bin/env node
// Fleet benchmark (issue 12 §2): one history, the example's 3 migrations plus 20, applied by
// `tidemark migrate up --targets` to PG_SCHEMAS PostgreSQL schemas (one database) and MY_DBS
// MariaDB databases on the local servers. A benchmark, not a test: it reports wall time per
// concurrency, the runner's peak RSS, and checks every target after a SIGKILL and a rerun.
//
//   node bench/fleet.mjs                     # PG_SCHEMAS=300 MY_DBS=50 CONCURRENCY="1 4 8"
//   PG_SCHEMAS=30 MY_DBS=5 node bench/fleet.mjs
//
// Everything it creates (database tm_fleet_<pid>, schemas in it, MariaDB databases
// tm_fleet_<pid>_*) is dropped at the end, on failure and on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE = existsSync(join(REPO, 'node_modules/.bin/node')) ? join(REPO, 'node_modules/.bin/node') : process.execPath;
const BIN = join(REPO, 'bin/tidemark.mjs');
const env = process.env;
const PG_SCHEMAS = Number(env.PG_SCHEMAS ?? 300);
const MY_DBS = Number(env.MY_DBS ?? 50);
const CONCURRENCY = (env.CONCURRENCY ?? '1 4 8').split(/\s+/).filter(Boolean).map(Number);
const PG = env.TIDEMARK_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const MY = env.TIDEMARK_TEST_MYSQL_URL || 'mariadb://root@127.0.0.1:3306/mysql';
const STAMP = `tm_fleet_${process.pid}`;
const DIR = resolve(env.BENCH_DIR ?? join(REPO, '.bench', 'fleet'));
const EXTRA = 20;

const log = (s) => process.stderr.write(`${s}\n`);
const pgUrl = new URL(PG);
const myUrl = new URL(MY);
const pgDb = `${pgUrl.protocol}//${pgUrl.username}${pgUrl.password ? `:${pgUrl.password}` : ''}@${pgUrl.host}/${STAMP}`;
const schemaName = (i) => `${STAMP}_t${String(i).padStart(4, '0')}`;
const dbName = (i) => `${STAMP}_d${String(i).padStart(3, '0')}`;
const TARGETS = `${pgDb}?schema=${STAMP}_t*,${myUrl.protocol}//${myUrl.username}${myUrl.password ? `:${myUrl.password}` : ''}@${myUrl.host}/${STAMP}_d*`;

function psql(db, sql) {
  const r = spawnSync('psql', ['-h', pgUrl.hostname, '-p', pgUrl.port || '5432', '-U', pgUrl.username || 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atq'], { input: sql, encoding: 'utf8', env: { ...env, PGPASSWORD: decodeURIComponent(pgUrl.password) } });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout;
}
function mysql(sql) {
  const args = ['-h', myUrl.hostname, '-P', myUrl.port || '3306', '-u', myUrl.username || 'root', '-N', '-B'];
  if (myUrl.password) args.push(`-p${decodeURIComponent(myUrl.password)}`);
  const r = spawnSync('mysql', args, { input: sql, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mysql: ${r.stderr}`);
  return r.stdout;
}

/** The example's history (migrations/ of this repo) and 20 more: a table, then columns and an index on it. */
function writeProject() {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(join(DIR, 'node_modules'), { recursive: true });
  symlinkSync(REPO, join(DIR, 'node_modules', 'tidemark'));
  writeFileSync(join(DIR, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(join(DIR, 'tidemark.config.ts'), `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: [], migrations: './migrations' });\n`);
  cpSync(join(REPO, 'migrations'), join(DIR, 'migrations'), { recursive: true });
  let parent = '20261124090338_add_user_age';
  for (let i = 1; i <= EXTRA; i++) {
    const id = `202612010000${String(i).padStart(2, '0')}_step_${i}`;
    const body =
      i % 5 === 1
        ? `this.createTable('extra_${i}', (t) => {\n      t.column('id', { type: 'integer', primary: true, autoincrement: true });\n      t.column('label', { type: 'string', length: 80 });\n    });`
        : i % 5 === 2
          ? `this.createIndex('extra_${i - 1}', 'extra_${i - 1}_label_index', ['label']);`
          : `this.addColumn('user', 'attr_${i}', { type: 'integer', nullable: true });`;
    const down = i % 5 === 1 ? `this.dropTable('extra_${i}');` : i % 5 === 2 ? `this.dropIndex('extra_${i - 1}', 'extra_${i - 1}_label_index');` : `this.dropColumn('user', 'attr_${i}');`;
    writeFileSync(
      join(DIR, 'migrations', `${id}.ts`),
      `import { TidemarkMigration } from 'tidemark';\n\nexport class Step${i} extends TidemarkMigration {\n  static override readonly id = '${id}';\n  static override readonly parents = ['${parent}'];\n\n  override up(): void {\n    ${body}\n  }\n\n  override down(): void {\n    ${down}\n  }\n}\n`,
    );
    parent = id;
  }
}

/** Every target empty again: the database and its schemas, the MariaDB databases. */
function reset() {
  psql('postgres', `drop database if exists ${STAMP} with (force); create database ${STAMP};`);
  let s = '';
  for (let i = 1; i <= PG_SCHEMAS; i++) s += `create schema ${schemaName(i)};\n`;
  psql(STAMP, s);
  let m = '';
  for (let i = 1; i <= MY_DBS; i++) m += `drop database if exists ${dbName(i)}; create database ${dbName(i)};\n`;
  mysql(m);
}

function cleanup() {
  try {
    psql('postgres', `drop database if exists ${STAMP} with (force);`);
  } catch (e) {
    log(`cleanup: ${e.message}`);
  }
  try {
    let m = '';
    for (let i = 1; i <= MY_DBS; i++) m += `drop database if exists ${dbName(i)};\n`;
    mysql(m);
  } catch (e) {
    log(`cleanup: ${e.message}`);
  }
}

/** CLI processes under way: stopped before the cleanup on Ctrl-C, so none recreates what it drops. */
const running = new Set();

/** Runs the CLI; resolves with its output, wall time and peak RSS (VmHWM, sampled until it exits). */
function tidemark(args, { killWhen } = {}) {
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(NODE, [BIN, ...args], { cwd: DIR, env: { ...env, DATABASE_URL: '' } });
    running.add(child);
    child.on('exit', () => running.delete(child));
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    let killed = false;
    const sample = () => {
      try {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
        if (kb > peakKb) peakKb = kb;
      } catch {
        // exited
      }
    };
    const timer = setInterval(sample, 50);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (killWhen && !killed && killWhen(stdout)) {
        sample();
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => {
      clearInterval(timer);
      done({ code, signal, stdout, stderr, s: (performance.now() - started) / 1000, peakMb: peakKb / 1024 });
    });
  });
}

const okLines = (out) => (out.match(/^ok {4}/gm) ?? []).length;
const total = PG_SCHEMAS + MY_DBS;

/** Every target at the head: 23 applied rows, nothing else recorded, and no drift (check --targets). */
async function verify(label) {
  const pgRows = psql(STAMP, Array.from({ length: PG_SCHEMAS }, (_, i) => `select count(*) filter (where status = 'applied') || ' ' || count(*) from ${schemaName(i + 1)}.tidemark_migrations;`).join('\n')).trim().split('\n');
  const myRows = mysql(Array.from({ length: MY_DBS }, (_, i) => `select concat(sum(status = 'applied'), ' ', count(*)) from ${dbName(i + 1)}.tidemark_migrations;`).join('\n')).trim().split('\n');
  const want = `${3 + EXTRA} ${3 + EXTRA}`;
  const bad = [...pgRows, ...myRows].filter((r) => r !== want).length;
  const check = await tidemark(['check', '--targets', TARGETS, '--concurrency', '4', '--json']);
  const doc = JSON.parse(check.stdout);
  const drifted = doc.targets.filter((t) => t.state !== 'done' || t.drift.length).length;
  log(`${label}: ${total - bad}/${total} targets with exactly ${3 + EXTRA} applied rows; ${doc.targets.length - drifted}/${doc.targets.length} with a live schema equal to the history's (check --targets)`);
  return { bad, drifted };
}

async function main() {
  log(`fleet bench: ${PG_SCHEMAS} PostgreSQL schemas + ${MY_DBS} MariaDB databases, ${3 + EXTRA} migrations, project in ${DIR}`);
  writeProject();
  const rows = [];
  for (const c of CONCURRENCY) {
    reset();
    const r = await tidemark(['migrate', 'up', '--targets', TARGETS, '--concurrency', String(c), '--json']);
    const doc = JSON.parse(r.stdout || '{}');
    if (r.code !== 0 || doc.counts?.done !== total) throw new Error(`concurrency ${c}: exit ${r.code}\n${r.stderr}\n${(doc.targets ?? []).filter((t) => t.state === 'failed').map((t) => `${t.target}: ${t.error.message}`).join('\n') || r.stdout.slice(0, 2000)}`);
    const pgS = doc.targets.filter((t) => t.target.startsWith('postgres')).reduce((a, t) => a + t.ms, 0) / 1000;
    rows.push({ c, s: r.s, peakMb: r.peakMb, pgS, myS: doc.targets.filter((t) => !t.target.startsWith('postgres')).reduce((a, t) => a + t.ms, 0) / 1000 });
    log(`  concurrency ${c}: ${r.s.toFixed(1)} s, peak RSS ${r.peakMb.toFixed(0)} MB`);
  }
  const noop = await tidemark(['migrate', 'up', '--targets', TARGETS, '--concurrency', '4', '--json']);
  const status = await tidemark(['migrate', 'status', '--targets', TARGETS, '--concurrency', '4', '--json']);
  log(`  rerun with nothing to do (concurrency 4): ${noop.s.toFixed(1)} s; status --targets: ${status.s.toFixed(1)} s`);

  // Scale-out with no coordinator: two runners given the same list at once, each at concurrency 4.
  reset();
  const pair = await Promise.all([0, 1].map(() => tidemark(['migrate', 'up', '--targets', TARGETS, '--concurrency', '4', '--json'])));
  const docs = pair.map((r) => JSON.parse(r.stdout || '{}'));
  if (pair.some((r) => r.code !== 0)) throw new Error(`two runners: exit ${pair.map((r) => r.code)}\n${pair.map((r) => r.stderr).join('\n')}`);
  const twice = docs[0].targets.filter((t, i) => t.ran.length + docs[1].targets[i].ran.length !== 3 + EXTRA).length;
  const split = docs.map((d) => d.targets.filter((t) => t.ran.length).length);
  const busy = docs.map((d) => d.targets.reduce((a, t) => a + t.busy, 0));
  const pairS = Math.max(...pair.map((r) => r.s));
  log(`  two runners at concurrency 4: ${pairS.toFixed(1)} s; targets migrated ${split.join(' + ')}; locks found held ${busy.join(' + ')}; targets not migrated exactly once: ${twice}`);

  // SIGKILL in the middle, once while PostgreSQL schemas are under way, once during MariaDB's.
  const kills = [];
  for (const [phase, after] of [
    ['PostgreSQL schemas', Math.floor(PG_SCHEMAS / 2)],
    ['MariaDB databases', PG_SCHEMAS + Math.floor(MY_DBS / 2)],
  ]) {
    reset();
    const k = await tidemark(['migrate', 'up', '--targets', TARGETS, '--concurrency', '4'], { killWhen: (out) => okLines(out) >= after });
    const rerun = await tidemark(['migrate', 'up', '--targets', TARGETS, '--concurrency', '4', '--continue-on-error', '--json']);
    const doc = JSON.parse(rerun.stdout);
    const failed = doc.targets.filter((t) => t.state !== 'done');
    // MariaDB's DDL commits as it runs: a migration the kill cut short stays recorded as running
    // and blocks its target until a person says what happened (migrate resolve). Each of these
    // migrations is one statement, so the live schema tells: the bench plays that person.
    for (const t of failed) {
      const m = /migration (\S+) was interrupted/.exec(t.error?.message ?? '');
      if (!m) throw new Error(`rerun after SIGKILL: ${t.target}: ${t.error?.message}`);
      const db = /\/([^/?]+)$/.exec(t.target)[1];
      const id = m[1];
      const n = Number(id.replace(/^.*_step_/, ''));
      const probe =
        n % 5 === 1
          ? `select count(*) from information_schema.tables where table_schema = '${db}' and table_name = 'extra_${n}'`
          : n % 5 === 2
            ? `select count(*) from information_schema.statistics where table_schema = '${db}' and index_name = 'extra_${n - 1}_label_index'`
            : `select count(*) from information_schema.columns where table_schema = '${db}' and table_name = 'user' and column_name = 'attr_${n}'`;
      const done = Number(mysql(probe).trim()) > 0;
      const url = t.target;
      const r = spawnSync(NODE, [BIN, 'migrate', 'resolve', id, done ? '--applied' : '--rolled-back', '--url', url], { cwd: DIR, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`resolve ${id} on ${url}: ${r.stderr}`);
    }
    const last = failed.length ? await tidemark(['migrate', 'up', '--targets', TARGETS, '--concurrency', '4', '--json']) : rerun;
    const lastDoc = JSON.parse(last.stdout);
    const v = await verify(`  after SIGKILL during ${phase}`);
    kills.push({
      phase,
      before: okLines(k.stdout),
      rerunRan: doc.targets.filter((t) => t.ran?.length).length,
      blocked: failed.length,
      final: lastDoc.counts.done,
      ...v,
    });
  }

  const out = [];
  out.push(`Fleet: ${PG_SCHEMAS} PostgreSQL schemas + ${MY_DBS} MariaDB databases, ${3 + EXTRA} migrations each, one \`migrate up --targets\` process`);
  out.push('');
  out.push('| concurrency | wall time | speed-up | peak RSS | PG target time (sum) | MariaDB target time (sum) |');
  out.push('|---|---|---|---|---|---|');
  for (const r of rows) out.push(`| ${r.c} | ${r.s.toFixed(1)} s | ${(rows[0].s / r.s).toFixed(2)}× | ${r.peakMb.toFixed(0)} MB | ${r.pgS.toFixed(1)} s | ${r.myS.toFixed(1)} s |`);
  out.push('');
  out.push(`Rerun with nothing to do (concurrency 4): ${noop.s.toFixed(1)} s, peak RSS ${noop.peakMb.toFixed(0)} MB; \`migrate status --targets\`: ${status.s.toFixed(1)} s.`);
  out.push(`Two runner processes on the same list at once, concurrency 4 each: ${pairS.toFixed(1)} s (the slower one); targets migrated by each: ${split.join(' + ')}, locks found held and come back to: ${busy.join(' + ')}, targets not migrated exactly once: ${twice}.`);
  out.push('');
  out.push('| SIGKILL during | targets done before the kill | rerun migrated | left blocked (interrupted MariaDB migration, resolved) | targets at the head after | wrong rows | drift |');
  out.push('|---|---|---|---|---|---|---|');
  for (const k of kills) out.push(`| ${k.phase} | ${k.before} | ${k.rerunRan} | ${k.blocked} | ${k.final}/${total} | ${k.bad} | ${k.drifted} |`);
  process.stdout.write(`${out.join('\n')}\n`);
}

process.on('SIGINT', () => {
  for (const c of running) c.kill('SIGKILL');
  cleanup();
  process.exit(130);
});
try {
  await main();
} catch (error) {
  log(`fleet bench failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
