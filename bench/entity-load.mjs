#!/usr/bin/env node
// Wall time and peak RSS of `tidemark gen-migration -m init` as the entity files grow, for one or
// more builds of tidemark side by side (runs interleaved, so load from other processes hits each
// build alike). A benchmark, not a test.
//
//   node bench/entity-load.mjs [--chain] <N...>        e.g. node bench/entity-load.mjs 100 500 2000
//
// env: RUNS (default 5) timed runs per build and N, after one warm-up run;
//      BUILDS (default: this repo) space-separated tidemark package dirs (each with bin/ and dist/)
//      to compare, e.g. BUILDS="/tmp/tm-before /work/main".
//
// The project is bench/schema.mjs's (one legacy-decorator entity file per table, every 5th with
// a many-to-one to the one before); --chain gives every entity but T0 that many-to-one, so the
// import graph from T{i} is i files deep (where one import() per file costs files × depth).
// Start state of every timed run: no migrations, no database; tidemark's transpile cache, the
// bundled MikroORM and Node's compile cache as the warm-up left them (bench's gen_init).
// Each run is `/usr/bin/time -v node <build>/bin/tidemark.mjs gen-migration -m init` with
// cwd = the project: wall time around the whole process, peak RSS from time's
// "Maximum resident set size", CPU as its user + system time (steadier than wall time on a
// loaded machine); medians are printed, and the fastest wall time, and every run's migration is
// checked to create N tables.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entitySource, writeProject } from './schema.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE = existsSync(join(REPO, 'node_modules/.bin/node')) ? join(REPO, 'node_modules/.bin/node') : process.execPath;
const WORK = resolve(process.env.BENCH_DIR ?? join(REPO, '.bench', 'entity-load'));
const RUNS = Number(process.env.RUNS ?? 5);
const BUILDS = (process.env.BUILDS ?? REPO).split(/\s+/).filter(Boolean).map((b) => resolve(b));
const args = process.argv.slice(2);
const chain = args.includes('--chain');
const sizes = args.filter((a) => a !== '--chain').map(Number);
if (sizes.length === 0 || sizes.some((n) => !(n >= 1)) || !existsSync('/usr/bin/time')) {
  console.error('usage: node bench/entity-load.mjs [--chain] <N...>   (needs /usr/bin/time: apt-get install -y time)');
  process.exit(2);
}

function chainSource(i) {
  const s = entitySource(i);
  if (i === 0 || i % 5 === 4) return s;
  return s
    .replace("PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n", `ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\nimport { T${i - 1} } from './T${i - 1}.js';\n`)
    .replace(/\n}\n$/, `\n  @ManyToOne(() => T${i - 1}, { nullable: true, fieldName: 'parent_id' }) parent?: T${i - 1};\n}\n`);
}

function setup(build, n, tag) {
  const dir = join(WORK, `${chain ? 'chain' : 'base'}-n${n}-${tag}`);
  rmSync(dir, { recursive: true, force: true });
  writeProject(dir, n);
  if (chain) for (let i = 0; i < n; i++) writeFileSync(join(dir, 'entities', `T${i}.ts`), chainSource(i));
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(build, join(dir, 'node_modules', 'tidemark'));
  mkdirSync(join(dir, '.tmp'), { recursive: true });
  return dir;
}

const env = (dir) => {
  const e = { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, '.tmp') };
  for (const k of ['NODE_COMPILE_CACHE', 'NODE_OPTIONS', 'TIDEMARK_DEBUG', 'DATABASE_URL']) delete e[k];
  return e;
};

function run(build, dir, n) {
  rmSync(join(dir, 'migrations'), { recursive: true, force: true });
  for (const f of ['db.sqlite', 'db.sqlite-journal']) rmSync(join(dir, f), { force: true });
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-v', NODE, join(build, 'bin', 'tidemark.mjs'), 'gen-migration', '-m', 'init'], { cwd: dir, env: env(dir), encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const cpu = ['User', 'System'].reduce((sum, k) => sum + Number(new RegExp(`${k} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr)?.[1] ?? NaN), 0);
  if (r.status !== 0 || !rss) throw new Error(`${build}: gen-migration failed in ${dir} (exit ${r.status})\n${r.stdout}${r.stderr}`);
  const file = readdirSync(join(dir, 'migrations')).find((f) => f.endsWith('.ts'));
  const tables = (readFileSync(join(dir, 'migrations', file), 'utf8').match(/createTable\(/g) ?? []).length;
  if (tables !== n) throw new Error(`${build}: the migration in ${dir} creates ${tables} tables, not ${n}`);
  return { wall, cpu, rss: Number(rss[1]) / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const rows = [];
for (const n of sizes) {
  const dirs = BUILDS.map((b, i) => setup(b, n, `${i}-${basename(b)}`));
  BUILDS.forEach((b, i) => run(b, dirs[i], n)); // warm-up: caches, bundle
  const got = BUILDS.map(() => []);
  for (let r = 0; r < RUNS; r++) BUILDS.forEach((b, i) => got[i].push(run(b, dirs[i], n)));
  BUILDS.forEach((b, i) => {
    const row = { build: b, n, wall: median(got[i].map((x) => x.wall)), min: Math.min(...got[i].map((x) => x.wall)), cpu: median(got[i].map((x) => x.cpu)), rss: median(got[i].map((x) => x.rss)), walls: got[i].map((x) => x.wall) };
    rows.push(row);
    console.error(`${b} N=${n}: median ${row.wall.toFixed(2)} s (cpu ${row.cpu.toFixed(2)} s), ${row.rss.toFixed(0)} MB (runs: ${row.walls.map((w) => w.toFixed(2)).join(' ')})`);
  });
}
console.log(`\ngen-migration -m init, ${chain ? 'chain' : 'bench'} layout, ${RUNS} runs each (node ${spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim()}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
console.log('| build | N | wall median (s) | wall min (s) | user+sys (s) | peak RSS (MB) |\n|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.build} | ${r.n} | ${r.wall.toFixed(2)} | ${r.min.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.rss.toFixed(0)} |`);
