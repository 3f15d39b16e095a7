import { afterAll, describe, expect, it } from 'vitest';
import { ids, start, writeChain } from '../db/runner-fixtures.ts';
import { fleetStamp, skipped, sql } from '../db/fleet-fixtures.ts';
import { freshDatabase, unavailable } from '../db/servers.ts';
import { TestProject } from './project.ts';

/**
 * `migrate up|status` and `check` with `--targets`, through the real CLI: the summary table,
 * `--json`, exit codes, and two runner processes sharing one list of PostgreSQL schemas.
 */
const skipPg = await unavailable('postgresql');
const stamp = fleetStamp();
const HISTORY = ids(3);

const NO_URL = `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: [], migrations: './migrations' });\n`;

describe('--targets through the CLI', () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  function project(config = NO_URL) {
    const p = new TestProject(config);
    cleanups.push(() => p.dispose());
    writeChain(p, 'postgresql', 3);
    return p;
  }

  async function schemas(prefix: string, n: number) {
    const db = await freshDatabase('postgresql');
    cleanups.push(db.drop);
    const names = Array.from({ length: n }, (_, i) => `${stamp}_${prefix}_${i + 1}`);
    await sql(db.url, names.map((s) => `create schema "${s}"`));
    const applied = async (s: string) => {
      const has = await sql(db.url, [`select 1 from information_schema.tables where table_schema = '${s}' and table_name = 'tidemark_migrations'`]);
      return has.length ? (await sql(`${db.url}?schema=${s}`, [`select name from tidemark_migrations where status = 'applied' order by id`])).map((r) => String(r.name)) : [];
    };
    return { db, names, url: (s: string) => `${db.url}?schema=${s}`, pattern: `${db.url}?schema=${stamp}_${prefix}_*`, applied };
  }

  it.skipIf(Boolean(skipPg))(`a failing target: the others complete, the summary names it, exit 1; after the fix a rerun finishes it alone (--json)${skipped(skipPg)}`, async () => {
    const p = project();
    const t = await schemas('cli', 4);
    await sql(t.url(t.names[2]!), ['create table t1 (id integer primary key)']);
    const r = p.run(['migrate', 'up', '--targets', t.pattern, '--continue-on-error', '--concurrency', '2']);
    expect(r.code).toBe(1);
    const row = (s: string) => r.stdout.split('\n').find((l) => l.startsWith(`${t.db.url}?schema=${s} `) && /\s(ok|failed)\s/.test(l));
    expect(row(t.names[2]!)).toMatch(/\sfailed\s+-\s.*database not empty.*t1/);
    for (const s of [t.names[0]!, t.names[1]!, t.names[3]!]) expect(row(s)).toMatch(/\sok\s+3\s/);
    expect(r.stdout).toMatch(/^4 targets: 3 ok \(3 migrated, 0 already up to date\), 1 failed in /m);
    // Not a terminal: a plain line per target as it ends, the failure among them.
    expect(r.stdout).toMatch(new RegExp(`^FAILED  ${t.db.url.replace(/[.?*]/g, '\\$&')}\\?schema=${t.names[2]}  `, 'm'));

    await sql(t.url(t.names[2]!), ['drop table t1']);
    const again = p.run(['migrate', 'up', '--targets', t.pattern, '--json']);
    expect(again.code).toBe(0);
    const doc = JSON.parse(again.stdout);
    expect(doc).toMatchObject({ version: 1, command: 'migrate up --targets', ok: true, counts: { done: 4, failed: 0 } });
    expect(doc.targets.map((x: { ran: { id: string }[] }) => x.ran.map((m) => m.id))).toEqual([[], [], HISTORY, []]);
    for (const s of t.names) expect(await t.applied(s)).toEqual(HISTORY);

    const status = p.run(['migrate', 'status', '--targets', t.pattern, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).targets.map((x: { applied: number; pending: string[] }) => [x.applied, x.pending.length])).toEqual(t.names.map(() => [3, 0]));
    // The project is checked once (its entities list none of t1..t3: a problem of its own), every target's schema on its own.
    const check = p.run(['check', '--targets', t.pattern]);
    expect(check.code).toBe(1);
    expect(check.stdout.match(/^✗ uncaptured-changes: /gm)).toHaveLength(1);
    expect(check.stdout).toMatch(/^4 targets: 4 match their history, 0 drifted, 0 not read; the project has 1 problem$/m);
    await sql(t.url(t.names[1]!), ['alter table t1 add column extra integer']);
    const drift = JSON.parse(p.run(['check', '--targets', t.pattern, '--json']).stdout);
    expect(drift.targets.map((x: { drift: unknown[] }) => x.drift.length)).toEqual([0, 1, 0, 0]);
  });

  it.skipIf(Boolean(skipPg))(`fail-fast by default: the targets after a failure are not started, and status shows them behind (exit 0)${skipped(skipPg)}`, async () => {
    const p = project();
    const t = await schemas('ff', 3);
    await sql(t.url(t.names[0]!), ['create table t2 (id integer primary key)']);
    const r = p.run(['migrate', 'up', '--targets', t.pattern, '--concurrency', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^3 targets: 0 ok .*, 1 failed, 2 not started in /m);
    expect(r.stdout.split('\n').filter((l) => /\sskipped\s.*not started: an earlier target failed/.test(l))).toHaveLength(2);
    const status = p.run(['migrate', 'status', '--targets', t.pattern]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^3 targets: 0 at the head, 3 behind, 0 not read$/m);
  });

  it.skipIf(Boolean(skipPg))(`two runner processes on the same list at once: every target applied exactly once${skipped(skipPg)}`, async () => {
    const p = project();
    const t = await schemas('two', 6);
    const file = 'targets.txt';
    p.write(file, `# the tenants\n${t.names.map((s) => t.url(s)).join('\n')}\n`);
    const args = ['migrate', 'up', '--targets', `@${file}`, '--concurrency', '2', '--json'];
    const a = start(p, args);
    const b = start(p, args);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, rb.code], `${ra.stderr}\n${rb.stderr}`).toEqual([0, 0]);
    const ran = (o: { stdout: string }) => JSON.parse(o.stdout).targets.map((x: { ran: unknown[] }) => x.ran.length) as number[];
    const [na, nb] = [ran(ra), ran(rb)];
    // Each target's three migrations ran in one runner, and the other found nothing left.
    for (let i = 0; i < t.names.length; i++) expect([na[i], nb[i]].sort()).toEqual([0, 3]);
    for (const s of t.names) expect(await t.applied(s)).toEqual(HISTORY);
  });

  it('targets from a file, from the config (a function) and as a list; bad flags and bad lists are one line, exit 2', async () => {
    const p = project(`import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: [], migrations: './migrations', targets: async () => ['sqlite:./a.db', 'sqlite:./b.db'] });\n`);
    // SQLite files: no pause needed in the migrations beyond the recursive CTE writeChain uses.
    p.remove('migrations');
    writeChain(p, 'sqlite', 3);
    const fromConfig = p.run(['migrate', 'up', '--targets', 'config', '--json']);
    expect(fromConfig.code, fromConfig.stderr).toBe(0);
    expect(JSON.parse(fromConfig.stdout).targets.map((x: { target: string; ran: unknown[] }) => [x.target, x.ran.length])).toEqual([
      ['sqlite:./a.db', 3],
      ['sqlite:./b.db', 3],
    ]);
    const list = p.run(['migrate', 'up', '--targets', 'sqlite:./a.db,sqlite:./c.db']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^2 targets: 2 ok \(1 migrated, 1 already up to date\), 0 failed in /m);
    for (const [args, message] of [
      [['--concurrency', '0'], /^tidemark: --concurrency 0: must be a whole number of at least 1\n$/],
      [['--url', 'sqlite:./x.db'], /^tidemark: --url cannot be used with --targets/],
      [['--step', '1'], /^tidemark: --step cannot be used with --targets/],
      [['--ddl-lock-timeout', 'bogus'], /^tidemark: --ddl-lock-timeout bogus: expected a duration such as 5s or 500ms, or a number of seconds, at most 24 days\n$/],
    ] as const) {
      const r = p.run(['migrate', 'up', '--targets', 'sqlite:./a.db', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    // --quiet: nothing on stdout, each failing target's error on stderr.
    const quiet = p.run(['migrate', 'up', '--targets', 'sqlite:./a.db,sqlite:./nodir/x.db', '--quiet', '--continue-on-error']);
    expect([quiet.code, quiet.stdout]).toEqual([1, '']);
    expect(quiet.stderr).toMatch(/^tidemark: sqlite:\.\/nodir\/x\.db: cannot open SQLite database .*folder .*nodir does not exist\n$/);
    const noFile = p.run(['migrate', 'up', '--targets', '@missing.txt']);
    expect([noFile.code, noFile.stderr]).toEqual([2, expect.stringMatching(/^tidemark: --targets @missing.txt: cannot read .*missing.txt \(ENOENT\)\n$/)]);
    const alone = p.run(['migrate', 'up', '--concurrency', '2']);
    expect([alone.code, alone.stderr]).toEqual([2, 'tidemark: --concurrency needs --targets\n']);
    const bad = p.run(['migrate', 'up', '--targets', 'nope://x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tidemark: --targets \(entry 1\): unsupported database URL scheme 'nope:'/);
  });
});
