#!/usr/bin/env node
// tidemark benchmark: the CLI timed as whole processes (cold start included), several runs per
// cell, reported as min and median. A benchmark, not a test: nothing here passes or fails on time;
// it fails only when a command fails or leaves a wrong result.
//
//   npm run bench                                  SIZES="10 100 500" RUNS=10 WARMUP=1
//   SIZES=100 RUNS=5 npm run bench                 narrower
//   CELLS="gen_age apply" npm run bench            only some cells
//   npm run bench -- --with-peers                  then the peers harness (alembic, drizzle, mikro, typeorm)
//   npm run bench -- --peers-only                  only the peers harness
//
// See bench/README.md for the cells, their start states and the environment.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkResult, prepare, saveCaches, verifyArmed } from './prep.mjs';
import { entitySource, rawSql, writeProject } from './schema.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, '..');
const env = process.env;
const args = new Set(process.argv.slice(2));
if (args.has('--help') || args.has('-h')) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 12).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}

// Always the project's Node 24 for the timed commands (the system node may be too old).
const NODE = existsSync(join(REPO, 'node_modules/.bin/node')) ? join(REPO, 'node_modules/.bin/node') : process.execPath;
const CLI = join(REPO, 'bin/tidemark.mjs');
const SIZES = (env.SIZES ?? '10 100 500').split(/[\s,]+/).filter(Boolean).map(Number);
const RUNS = Number(env.RUNS ?? 10);
const WARMUP = Number(env.WARMUP ?? 1);
const ALL_CELLS = ['gen_init', 'gen_age', 'apply', 'gen_init_cold', 'raw_node', 'raw_sqlite3'];
const CELLS = env.CELLS ? env.CELLS.split(/[\s,]+/).filter(Boolean) : ALL_CELLS;
const WORK = resolve(env.BENCH_DIR ?? join(REPO, '.bench', 'tidemark'));
const RESULTS = resolve(env.RESULTS_DIR ?? join(BENCH, 'results'));
const PEERS_HOME = resolve(env.PEERS_HOME ?? '/work/shared/bench/peers');
const PEERS_WORK = resolve(env.PEERS_WORK ?? join(REPO, '.bench', 'peers'));

for (const n of SIZES) if (!Number.isInteger(n) || n < 1) die(`SIZES: '${n}' is not a table count`);
for (const c of CELLS) if (!ALL_CELLS.includes(c)) die(`CELLS: unknown cell '${c}' (known: ${ALL_CELLS.join(' ')})`);
if (!(RUNS >= 1) || !(WARMUP >= 0)) die('RUNS must be >= 1, WARMUP >= 0');

function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}
const log = (msg) => process.stderr.write(`${msg}\n`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const HYPERFINE = env.BENCH_TIMER !== 'node' && has('hyperfine');
const SQLITE3 = has('sqlite3');

/** The environment of every timed process: no compile-cache override, no debug, no DATABASE_URL. */
function timedEnv(dir) {
  const e = { ...env, NO_COLOR: '1', TMPDIR: join(dir, '.tmp') };
  for (const k of ['NODE_COMPILE_CACHE', 'NODE_OPTIONS', 'TIDEMARK_DEBUG', 'DATABASE_URL', 'NODE_DISABLE_COMPILE_CACHE']) delete e[k];
  return e;
}

// quote words for hyperfine's own (shell-like) splitting and for copy-pasteable log lines
const q = (w) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
const line = (argv) => argv.map(q).join(' ');

function commandOf(cell) {
  switch (cell) {
    case 'gen_init':
    case 'gen_init_cold':
      return [NODE, CLI, 'gen-migration', '-m', 'init'];
    case 'gen_age':
      return [NODE, CLI, 'gen-migration', '-m', 'age'];
    case 'apply':
      return [NODE, CLI, 'migrate', 'up'];
    case 'raw_node':
      return [NODE, join(BENCH, 'raw-apply.mjs'), 'db.sqlite', 'schema.sql'];
    case 'raw_sqlite3':
      return ['sqlite3', 'db.sqlite', '.read schema.sql'];
  }
}

/** Runs a command once, untimed, and dies with its output if it fails. */
function runOrDie(argv, dir, what) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, env: timedEnv(dir), encoding: 'utf8' });
  if (r.status !== 0) {
    log(`\nbench: setup FAILED: ${what}\n  (cd ${q(dir)} && ${line(argv)})\n  exit ${r.status}${r.signal ? ` signal ${r.signal}` : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`);
    process.exit(1);
  }
  return r;
}

// ---------------------------------------------------------------- setup
const projDir = (n) => join(WORK, `n${n}`);
const rawDir = (n) => join(WORK, `raw-n${n}`);

function setupProject(n) {
  const dir = projDir(n);
  const state = join(dir, '.state');
  rmSync(dir, { recursive: true, force: true });
  writeProject(dir, n);
  // As in an app: `tidemark` is installed; MikroORM is found further up (the repo's node_modules).
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(REPO, join(dir, 'node_modules', 'tidemark'));
  mkdirSync(state, { recursive: true });
  mkdirSync(join(dir, '.tmp'), { recursive: true });
  writeFileSync(join(state, 'T0.base.ts'), entitySource(0));
  writeFileSync(join(state, 'T0.age.ts'), entitySource(0, { age: true }));
  const t = process.hrtime.bigint();
  runOrDie([NODE, CLI, 'gen-migration', '-m', 'init'], dir, `tidemark gen-migration -m init (N=${n})`);
  const coldInit = Number(process.hrtime.bigint() - t) / 1e9;
  checkResult(dir, 'gen_init', n);
  cpSync(join(dir, 'migrations'), join(state, 'mig_init'), { recursive: true });
  saveCaches(dir, 'init');
  writeFileSync(join(dir, 'entities', 'T0.ts'), entitySource(0, { age: true }));
  runOrDie([NODE, CLI, 'gen-migration', '-m', 'age'], dir, `tidemark gen-migration -m age (N=${n})`);
  checkResult(dir, 'gen_age', n);
  cpSync(join(dir, 'migrations'), join(state, 'mig_age'), { recursive: true });
  saveCaches(dir, 'age');
  runOrDie([NODE, CLI, 'migrate', 'up'], dir, `tidemark migrate up (N=${n})`);
  // The apply cell starts from the caches a deploy that ran `migrate up` before would have.
  saveCaches(dir, 'apply');
  log(`setup tidemark N=${n}: ok (first, fully cold gen-migration -m init took ${coldInit.toFixed(2)} s); ${checkResult(dir, 'apply', n)}`);

  const raw = rawDir(n);
  rmSync(raw, { recursive: true, force: true });
  mkdirSync(join(raw, '.tmp'), { recursive: true });
  mkdirSync(join(raw, '.state'), { recursive: true });
  writeFileSync(join(raw, 'schema.sql'), rawSql(n, 'age'));
  runOrDie(commandOf('raw_node'), raw, `raw floor through better-sqlite3 (N=${n})`);
  log(`setup raw N=${n}: ${checkResult(raw, 'raw_node', n)}`);
}

// ---------------------------------------------------------------- timing
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => {
  const m = mean(xs);
  return xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
};

const rows = [];
const failures = [];
const commandsLog = [];

/** Times one cell; `phase` undefined = no prepare step (start-up references). */
function timeCell({ name, n, dir, argv, phase }) {
  const label = `${name}${n ? ` N=${n}` : ''}`;
  log(`== ${label}: ${line(argv)}`);
  if (phase) {
    rmSync(join(dir, '.state', 'armed'), { force: true });
    rmSync(join(dir, '.state', 'verified'), { force: true });
  }
  let times;
  let error;
  const prepArgv = phase && [NODE, join(BENCH, 'prep.mjs'), dir, phase, String(n ?? 0)];
  if (HYPERFINE) {
    const json = join(RESULTS, 'raw', `${name.replace(/[^\w.-]+/g, '_')}${n ? `.n${n}` : ''}.json`);
    const hf = ['hyperfine', '-N', '--style', 'basic', '--runs', String(RUNS), '--warmup', String(WARMUP)];
    if (prepArgv) hf.push('--prepare', line(prepArgv));
    hf.push('--export-json', json, '--command-name', label, line(argv));
    commandsLog.push(`(cd ${q(dir)} && ${line(hf)})`);
    const r = spawnSync(hf[0], hf.slice(1), { cwd: dir, env: timedEnv(dir), stdio: ['ignore', 2, 2] });
    if (r.status === 0) times = JSON.parse(readFileSync(json, 'utf8')).results[0].times;
    else error = `hyperfine exit ${r.status}`;
  } else {
    commandsLog.push(`(cd ${q(dir)} && ${line(argv)})  # node timer${prepArgv ? `, prepare: ${line(prepArgv)}` : ''}`);
    times = [];
    for (let i = 0; i < WARMUP + RUNS && !error; i++) {
      if (prepArgv) {
        const p = spawnSync(prepArgv[0], prepArgv.slice(1), { cwd: dir, stdio: ['ignore', 2, 2] });
        if (p.status !== 0) error = 'prepare failed';
      }
      if (error) break;
      const t = process.hrtime.bigint();
      const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, env: timedEnv(dir), stdio: 'ignore' });
      const dt = Number(process.hrtime.bigint() - t) / 1e9;
      if (r.status !== 0) error = `exit ${r.status}`;
      else if (i >= WARMUP) times.push(dt);
    }
    if (!error) log(`  median ${median(times).toFixed(3)} s, min ${Math.min(...times).toFixed(3)} s (${times.length} runs)`);
  }
  let checked = '';
  if (phase && !error) {
    try {
      const msg = verifyArmed(dir, n);
      checked = `${readFileSync(join(dir, '.state', 'verified'), 'utf8')}/${WARMUP + RUNS}`;
      log(`  check: ${msg} (runs verified: ${checked})`);
    } catch (e) {
      error = `check of the last run failed: ${e.message}`;
    }
  }
  if (error) {
    const detail = reproduce({ dir, argv, phase, n });
    failures.push({ label, error, detail });
    log(`  FAILED: ${error}\n${detail}`);
    rows.push({ name, n, failed: true });
    return;
  }
  rows.push({ name, n, runs: times.length, min: Math.min(...times), median: median(times), mean: mean(times), sd: sd(times), checked });
}

/** After a failure: say which check failed, then run the command once more with its output shown. */
function reproduce({ dir, argv, phase, n }) {
  let out = '';
  if (phase) {
    try {
      verifyArmed(dir, n);
    } catch (e) {
      out += `  check of the previous run: ${e.message}\n`;
    }
    try {
      prepare(dir, phase, n);
    } catch (e) {
      return `${out}  prepare failed: ${e.stack}`;
    }
  }
  const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, env: { ...timedEnv(dir), TIDEMARK_DEBUG: '1' }, encoding: 'utf8' });
  out += `  re-run with TIDEMARK_DEBUG=1: (cd ${q(dir)} && ${line(argv)})\n  exit ${r.status}${r.signal ? ` signal ${r.signal}` : ''}\n`;
  out += `  --- stdout\n${indent(r.stdout)}  --- stderr\n${indent(r.stderr)}`;
  if (phase && r.status === 0) {
    try {
      out += `  check: ${verifyArmed(dir, n)}\n`;
    } catch (e) {
      out += `  check: ${e.message}\n`;
    }
  }
  return out;
}
const indent = (s) => (s ? `${s.replace(/^/gm, '    ').trimEnd()}\n` : '');

// ---------------------------------------------------------------- report
const fmt = (x) => x.toFixed(3);

function machine() {
  const sh = (cmd, a) => {
    try {
      return execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '?';
    }
  };
  const dist = join(REPO, 'dist/cli.mjs');
  return [
    `started: ${new Date().toISOString().slice(0, 16)}Z`,
    `cpu: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    `node (timed commands): ${sh(NODE, ['--version'])} (${NODE})`,
    `timer: ${HYPERFINE ? `hyperfine ${sh('hyperfine', ['--version']).split(' ')[1]} -N` : 'node process.hrtime around spawnSync'}; runs ${RUNS} per cell after ${WARMUP} warm-up`,
    `sqlite3 CLI: ${SQLITE3 ? sh('sqlite3', ['--version']).split(' ')[0] : 'absent'}`,
    `tidemark: git ${sh('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'])}${sh('git', ['-C', REPO, 'status', '--porcelain', '--', 'src', 'codegen', 'bin']) ? ' + uncommitted changes in src/codegen/bin' : ''}; dist/cli.mjs built ${existsSync(dist) ? statSync(dist).mtime.toISOString().slice(0, 19) : 'MISSING'}Z`,
    `projects: ${WORK}`,
  ];
}

function report() {
  const out = [];
  out.push('# tidemark benchmark', '');
  for (const l of MACHINE) out.push(`- ${l}`);
  out.push(`- finished: ${new Date().toISOString().slice(0, 16)}Z; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other processes on the machine inflate medians; min is the steadier figure)`);
  out.push(
    '',
    'Whole processes, cwd = the project; `tidemark` = `node bin/tidemark.mjs` (no npx). Start states, restored before every run (warm-up included):',
    '`gen_init` base entities, no migrations/db, warm transpile + compile caches (as left by a previous gen); ',
    '`gen_age` T0 gains `age`, initial migration present, no db, caches as after the initial gen (the edited T0 is the one transpile-cache miss); ',
    '`apply` both migrations, no db file, caches as after the second gen; ',
    '`gen_init_cold` = `gen_init` with no transpile cache and no Node compile cache (first run ever); ',
    '`raw_node` / `raw_sqlite3` = the same schema as hand-written DDL in one transaction, through better-sqlite3 `db.exec` / the sqlite3 CLI (`.read`). ',
    'Every run is checked (migration contents; db: N tables, N name indexes, N/5 FKs, t0.age, 2 applied migrations).',
    '',
    '| cell | N | runs | min (s) | median (s) | mean ± sd (s) | checked |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    if (r.failed) out.push(`| ${r.name} | ${r.n ?? '–'} | – | FAILED | FAILED | | |`);
    else out.push(`| ${r.name} | ${r.n ?? '–'} | ${r.runs} | ${fmt(r.min)} | ${fmt(r.median)} | ${fmt(r.mean)} ± ${fmt(r.sd)} | ${r.checked || '–'} |`);
  }
  // medians side by side, and the per-table slope between the smallest and the largest N
  const sizes = [...new Set(rows.filter((r) => r.n).map((r) => r.n))].sort((a, b) => a - b);
  if (sizes.length > 1) {
    const names = [...new Set(rows.filter((r) => r.n).map((r) => r.name))];
    const lo = sizes[0];
    const hi = sizes.at(-1);
    out.push('', `Medians (s) by N, and the slope between N=${lo} and N=${hi}:`, '');
    out.push(`| cell | ${sizes.map((n) => `N=${n}`).join(' | ')} | ms/table |`, `|---|${sizes.map(() => '---:').join('|')}|---:|`);
    for (const name of names) {
      const at = (n) => rows.find((r) => r.name === name && r.n === n && !r.failed);
      const slope = at(lo) && at(hi) ? (((at(hi).median - at(lo).median) / (hi - lo)) * 1000).toFixed(2) : '–';
      out.push(`| ${name} | ${sizes.map((n) => (at(n) ? fmt(at(n).median) : '–')).join(' | ')} | ${slope} |`);
    }
  }
  if (failures.length) {
    out.push('', '## Failures', '');
    for (const f of failures) out.push(`### ${f.label}: ${f.error}`, '', '```', f.detail.trimEnd(), '```', '');
  }
  out.push('', '<details><summary>timed command lines</summary>', '', '```sh', ...commandsLog, '```', '</details>', '');
  return out.join('\n');
}

// ---------------------------------------------------------------- peers
function runPeers() {
  const runSh = join(PEERS_HOME, 'run.sh');
  if (!existsSync(runSh)) {
    log(`bench: peers harness not found at ${runSh} (set PEERS_HOME)`);
    return { ok: false, text: `peers harness not found at ${runSh}` };
  }
  const penv = {
    ...env,
    NODE22_BIN: dirname(NODE),
    BENCH_WORK: PEERS_WORK,
    SIZES: SIZES.join(' '),
    RUNS: env.PEERS_RUNS ?? '5',
    PASSES: env.PEERS_PASSES ?? '1',
    WARMUP: String(WARMUP),
  };
  const cmd = `NODE22_BIN=${q(penv.NODE22_BIN)} BENCH_WORK=${q(PEERS_WORK)} SIZES=${q(penv.SIZES)} RUNS=${penv.RUNS} PASSES=${penv.PASSES} WARMUP=${penv.WARMUP} bash ${q(runSh)} all`;
  log(`\n== peers: ${cmd}`);
  const r = spawnSync('bash', [runSh, 'all'], { env: penv, stdio: ['ignore', 2, 2] });
  const summary = join(PEERS_WORK, 'results', 'summary.md');
  if (r.status !== 0) return { ok: false, text: `peers harness failed (exit ${r.status}): ${cmd}` };
  return { ok: true, text: `Command: \`${cmd}\`\n\n${readFileSync(summary, 'utf8')}` };
}

// The other side of the repo may rebuild dist/ while we run: say so if it did.
function distStamp() {
  const dist = join(REPO, 'dist');
  if (!existsSync(dist)) return '';
  return readdirSync(dist, { recursive: true })
    .sort()
    .map((f) => `${f}@${statSync(join(dist, f)).mtimeMs}`)
    .join(' ');
}

// ---------------------------------------------------------------- main
mkdirSync(RESULTS, { recursive: true });
const distAtStart = distStamp();
const MACHINE = machine(); // at the start: the build and commit that are measured
let md = '';
if (!args.has('--peers-only')) {
  if (!existsSync(join(REPO, 'dist/cli.mjs'))) die('dist/cli.mjs is missing: run `npm run build` first');
  if (CELLS.includes('raw_sqlite3') && !SQLITE3) log('bench: no sqlite3 CLI, skipping raw_sqlite3 (apt-get install -y sqlite3)');
  if (!HYPERFINE) log('bench: no hyperfine, timing with process.hrtime (apt-get install -y hyperfine)');
  rmSync(join(RESULTS, 'raw'), { recursive: true, force: true });
  mkdirSync(join(RESULTS, 'raw'), { recursive: true });
  mkdirSync(WORK, { recursive: true });
  for (const n of SIZES) setupProject(n);

  // start-up references
  const ref = join(WORK, 'ref');
  mkdirSync(join(ref, '.tmp'), { recursive: true });
  timeCell({ name: 'node -e 0', dir: ref, argv: [NODE, '-e', '0'] });
  timeCell({ name: 'tidemark --version', dir: ref, argv: [NODE, CLI, '--version'] });
  for (const n of SIZES) {
    for (const cell of CELLS) {
      if (cell === 'raw_sqlite3' && !SQLITE3) continue;
      const dir = cell.startsWith('raw_') ? rawDir(n) : projDir(n);
      timeCell({ name: cell, n, dir, argv: commandOf(cell), phase: cell });
    }
  }
  md = report();
  if (distStamp() !== distAtStart) {
    const warn = 'WARNING: dist/ was rebuilt while the benchmark ran: the cells may mix two builds of tidemark.';
    log(`bench: ${warn}`);
    md = md.replace('\n\n', `\n\n**${warn}**\n\n`);
  }
  writeFileSync(join(RESULTS, 'latest.md'), md);
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify({ machine: MACHINE, rows, failures }, null, 2)}\n`);
  process.stdout.write(`${md}\n`);
  log(`bench: written ${join(RESULTS, 'latest.md')}`);
}
if (args.has('--with-peers') || args.has('--peers-only')) {
  const peers = runPeers();
  const text = `\n## Peers (${PEERS_HOME})\n\n${peers.text}\n`;
  writeFileSync(join(RESULTS, 'peers.md'), text);
  if (md) writeFileSync(join(RESULTS, 'latest.md'), md + text);
  process.stdout.write(text);
  if (!peers.ok) process.exitCode = 1;
}
if (failures.length) process.exitCode = 1;
