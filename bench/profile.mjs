#!/usr/bin/env node
// Where a cell's time goes: one run under --cpu-prof, self time grouped by module and by function.
//
//   node bench/profile.mjs <gen_init|gen_init_cold|gen_age|apply> <N>   (after `npm run bench` set up .bench/tidemark/n<N>)
//
// The run starts from the cell's usual start state (prep.mjs). The profile is written to
// bench/results/prof/; open it in Chrome DevTools (Performance → Load profile) for the call tree.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare, verifyArmed } from './prep.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(BENCH, '..');
const NODE = existsSync(join(REPO, 'node_modules/.bin/node')) ? join(REPO, 'node_modules/.bin/node') : process.execPath;
const WORK = resolve(process.env.BENCH_DIR ?? join(REPO, '.bench', 'tidemark'));
const [cell = 'gen_init', nArg = '500'] = process.argv.slice(2);
const n = Number(nArg);
const dir = join(WORK, `n${n}`);
if (!existsSync(join(dir, '.state'))) {
  console.error(`profile: ${dir} is not set up: run SIZES=${n} npm run bench first`);
  process.exit(2);
}
const args = { gen_init: ['gen-migration', '-m', 'init'], gen_init_cold: ['gen-migration', '-m', 'init'], gen_age: ['gen-migration', '-m', 'age'], apply: ['migrate', 'up'] }[cell];
if (!args) {
  console.error(`profile: unknown cell ${cell}`);
  process.exit(2);
}
const out = join(BENCH, 'results', 'prof', `${cell}.n${n}`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

rmSync(join(dir, '.state', 'armed'), { force: true });
prepare(dir, cell, n);
const env = { ...process.env, NO_COLOR: '1', TMPDIR: join(dir, '.tmp') };
for (const k of ['NODE_COMPILE_CACHE', 'NODE_OPTIONS', 'TIDEMARK_DEBUG', 'DATABASE_URL']) delete env[k];
const t = process.hrtime.bigint();
const r = spawnSync(NODE, ['--cpu-prof', '--cpu-prof-dir', out, '--cpu-prof-interval', '200', join(REPO, 'bin/tidemark.mjs'), ...args], { cwd: dir, env, encoding: 'utf8' });
const wall = Number(process.hrtime.bigint() - t) / 1e6;
if (r.status !== 0) {
  console.error(`profile: tidemark ${args.join(' ')} failed (exit ${r.status})\n${r.stdout}${r.stderr}`);
  process.exit(1);
}
console.log(`check: ${verifyArmed(dir, n)}`);
const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
const prof = JSON.parse(readFileSync(join(out, file), 'utf8'));

const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const self = new Map();
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);

function moduleOf(url, fn) {
  if (!url) return fn.startsWith('(') ? fn : '(native/builtin)';
  if (url.startsWith('node:')) return 'node: internals';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (p.startsWith(join(REPO, 'dist'))) return `tidemark ${p.slice(REPO.length + 1)}`;
  if (p.startsWith(dir)) return 'project (config, entities, migrations)';
  return p;
}
const byModule = new Map();
const byFn = new Map();
let total = 0;
for (const [id, ms] of self) {
  const { callFrame: cf } = byId.get(id);
  total += ms;
  const mod = moduleOf(cf.url, cf.functionName);
  byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
  const fn = `${cf.functionName || '(anonymous)'} ${mod}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
}
// inclusive time (a function counted once per sample however deep it recurses); async
// continuations start new stacks, so an async function's inclusive time covers its synchronous parts only
const parent = new Map();
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const incl = new Map();
for (const [id, ms] of self) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const { callFrame: cf } = byId.get(cur);
    const mod = moduleOf(cf.url, cf.functionName);
    if (!/^(tidemark|ts-morph|@ts-morph|project)/.test(mod) || !cf.functionName) continue;
    const key = `${cf.functionName} ${mod}:${cf.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    incl.set(key, (incl.get(key) ?? 0) + ms);
  }
}
const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
console.log(`\n${cell} N=${n}: wall ${wall.toFixed(0)} ms (with profiler overhead), profiled ${total.toFixed(0)} ms; profile: ${join(out, file)}\n`);
console.log('| self time by module | ms | % |\n|---|---:|---:|');
for (const [k, v] of top(byModule, 20)) console.log(`| ${k} | ${v.toFixed(0)} | ${((100 * v) / total).toFixed(1)} |`);
console.log('\n| self time by function | ms |\n|---|---:|');
for (const [k, v] of top(byFn, 25)) console.log(`| ${k} | ${v.toFixed(1)} |`);
console.log('\n| inclusive time, tidemark / ts-morph / project functions | ms |\n|---|---:|');
for (const [k, v] of top(incl, 30)) console.log(`| ${k} | ${v.toFixed(1)} |`);
