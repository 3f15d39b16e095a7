import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { acquireLock } from '../../src/migrate/lock.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { observe, start, trialDatabase, writeChain } from './runner-fixtures.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

const oneLine = (s: string) => s.trim().split('\n').length === 1;

/** Files changed after they were applied, and other histories that must stop a run before any DDL. */
describe('integrity checks before any DDL', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((p) => p.dispose()));

  async function applied(n = 3) {
    const p = new TestProject();
    projects.push(p);
    const chain = writeChain(p, 'sqlite', n);
    p.ok(['migrate', 'up']);
    return { p, chain, file: (i: number) => `migrations/${chain[i]}.ts` };
  }

  const unchanged = async (p: TestProject, run: () => { code: number; stderr: string }) => {
    const before = await observe(`sqlite:${join(p.dir, 'app.db')}`, 'sqlite', p.dir);
    const r = run();
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr), r.stderr).toBe(true);
    expect(await observe(`sqlite:${join(p.dir, 'app.db')}`, 'sqlite', p.dir)).toEqual(before);
    return r.stderr;
  };

  it('an applied file that was edited is refused, naming file and remedy; line endings or a BOM alone are no edit', async () => {
    const { p, chain, file } = await applied();
    const text = p.read(file(1));
    p.write(file(1), text.replace(/\n/g, '\r\n'));
    expect(p.run(['migrate', 'up']).code).toBe(0);
    // Nor is a byte-order mark an editor adds.
    p.write(file(1), `\uFEFF${text}`);
    expect(p.run(['migrate', 'up']).code).toBe(0);
    expect(p.run(['migrate', 'down', '--step', '0']).code).not.toBe(0);
    p.write(file(1), text.replace("length: 40", "length: 50"));
    p.write(`migrations/20260401000009_more.ts`, p.read(file(2)).replace(/20260401000002_table_3/g, '20260401000009_more').replace(/20260401000001_table_2/g, chain[2]!).replace(/'t3'/g, "'t9'").replace(/t3_label/g, 't9_label').replace('Table3', 'More'));
    const err = await unchanged(p, () => p.run(['migrate', 'up']));
    expect(err).toContain(`migration ${chain[1]} (${file(1)}) was edited after it was applied`);
    expect(err).toContain(`git checkout -- ${file(1)}`);
    expect(err).toContain(`tidemark migrate resolve ${chain[1]} --applied`);
    p.ok(['migrate', 'resolve', chain[1]!, '--applied']);
    expect(p.ok(['migrate', 'up'])).toContain('20260401000009_more');
  });

  it('an applied migration whose file is gone (or renamed) is refused; resolve --rolled-back forgets it', async () => {
    const { p, chain, file } = await applied();
    const text = p.read(file(2));
    p.remove(file(2));
    const err = await unchanged(p, () => p.run(['migrate', 'up']));
    expect(err).toContain(`migration ${chain[2]} is applied, but no file in the migrations folder has that id`);
    p.write(`migrations/renamed.ts`, text);
    const renamed = await unchanged(p, () => p.run(['migrate', 'up']));
    expect(renamed).toContain(`migration migrations/renamed.ts declares id '${chain[2]}', which is not its file name`);
    p.remove('migrations/renamed.ts');
    p.ok(['migrate', 'resolve', chain[2]!, '--rolled-back']);
    expect(p.ok(['migrate', 'status'])).toContain(`Current:  ${chain[1]} (head)`);
  });

  it('duplicate ids, unknown parents and files that do not load are refused before the database is opened', async () => {
    const { p, chain, file } = await applied(2);
    const text = p.read(file(1));
    p.write(`migrations/${chain[1]}.mts`, text);
    expect(await unchanged(p, () => p.run(['migrate', 'up']))).toContain(`duplicate migration id '${chain[1]}' in migrations/${chain[1]}.mts and ${file(1)}`);
    p.remove(`migrations/${chain[1]}.mts`);

    expect(text).toContain(`parents = ["${chain[0]}"]`);
    p.write(file(1), text.replace(`["${chain[0]}"]`, `['20250101000000_nowhere']`));
    expect(await unchanged(p, () => p.run(['migrate', 'up']))).toContain(`names parent '20250101000000_nowhere', which is not in the migrations folder`);

    p.write(file(1), text.replace('override up(): void {', 'override up(): void {\n    this.createTable(;'));
    const err = await unchanged(p, () => p.run(['migrate', 'status']));
    expect(err).toMatch(new RegExp(`cannot load migration ${file(1)}:\\d+: `));
    p.write(file(1), text);
  });

  it('a migration merged from another branch that is older than applied ones is applied, with a note, never skipped', async () => {
    const { p, chain } = await applied(2);
    const older = '20260301000000_from_a_branch';
    p.write(
      `migrations/${older}.ts`,
      `import { TidemarkMigration } from 'tidemark';\n\nexport class FromABranch extends TidemarkMigration {\n  static override readonly id = '${older}';\n  static override readonly parents = ['${chain[0]}'];\n\n  override up(): void {\n    this.createTable('branch', (t) => {\n      t.column('id', { type: 'integer', primary: true });\n    });\n  }\n\n  override down(): void {\n    this.dropTable('branch');\n  }\n}\n`,
    );
    const r = p.run(['migrate', 'up', '--to', older]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: ${older} (migrations/${older}.ts) is older than applied ${chain[1]}`);
    expect(r.stdout).toContain(`Applied 1 migration`);
  });
});

const targets: DialectName[] = ['sqlite', 'postgresql', 'mariadb'];
for (const target of targets) {
  const skip = target === 'sqlite' ? undefined : await unavailable(target as ServerKind);
  describe.skipIf(Boolean(skip))(`the run lock and signals on ${target}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => unknown)[] = [];
    afterAll(async () => {
      for (const c of cleanups) await c();
    });

    it('a held lock makes a run wait, then fail with the lock-timeout exit code, naming the holder; nothing changes', async () => {
      const p = new TestProject();
      cleanups.push(() => p.dispose());
      writeChain(p, target, 2);
      const db = await trialDatabase(target, p);
      cleanups.push(db.drop);
      const lock = await acquireLock(parseDatabaseUrl(db.url, p.dir, 'test'), { timeoutMs: 1000, table: 'tidemark_migrations', baseDir: process.cwd() });
      try {
        const r = await start(p, ['migrate', 'up', '--url', db.url, '--lock-timeout', '1']).done;
        expect(r.code).toBe(75);
        expect(r.stderr).toMatch(/waiting for the migration lock, held by /);
        expect(r.stderr).toMatch(/could not take the migration lock on .* within 1 s: it is held by .+; wait for that run to finish, or raise --lock-timeout/);
        if (target === 'postgresql') expect(r.stderr).toMatch(/held by tidemark migrate \(pid \d+ on .+\) \(backend pid \d+/);
        if (target === 'mariadb') expect(r.stderr).toMatch(/held by connection \d+ \(root@/);
        const status = await start(p, ['migrate', 'status', '--url', db.url]).done;
        expect(status.stdout).toMatch(/Lock: {5}held by /);
        expect((await observe(db.url, target, p.dir)).tables).toEqual([]);
      } finally {
        await lock.release();
      }
      const after = await start(p, ['migrate', 'up', '--url', db.url, '--lock-timeout', '5']).done;
      expect(after.code, after.stderr).toBe(0);
      expect((await start(p, ['migrate', 'status', '--url', db.url]).done).stdout).toContain('Lock:     free');
    });

    if (target !== 'mariadb') {
      it('SIGTERM/SIGINT: no new migration starts, the batch rolls back, the lock is released, exit 143/130', async () => {
        for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
          const p = new TestProject();
          cleanups.push(() => p.dispose());
          writeChain(p, target, 5);
          const db = await trialDatabase(target, p, signal);
          cleanups.push(db.drop);
          // The SQL log shows when the first migration is under way: signal then, never after a guessed delay.
          const run = start(p, ['migrate', 'up', '--url', db.url], { TIDEMARK_DEBUG_SQL: '1' });
          expect(await run.seen(/create table [`"]?t1\b/i), 'the run ended before its first migration started').toBe(true);
          run.kill(signal);
          const r = await run.done;
          expect(r.code, r.stderr).toBe(code);
          expect(r.stderr).toContain(`${signal}: stopping after`);
          expect(r.stderr).toMatch(new RegExp(`stopped by ${signal}: .*run the command again to continue`));
          const seen = await observe(db.url, target, p.dir);
          expect(seen.tables).toEqual(seen.rows.map((x) => `t${Number(x.name.slice(13, 14)) + 1}`).sort());
          const again = await start(p, ['migrate', 'up', '--url', db.url, '--lock-timeout', '2']).done;
          expect(again.code, again.stderr).toBe(0);
        }
      });
    }
  });
}

/** A password given in a URL never appears in any output, raw or URL-encoded. */
describe('secrets', () => {
  const projects: TestProject[] = [];
  const cleanupsSecrets: (() => Promise<void>)[] = [];
  afterAll(async () => {
    projects.forEach((p) => p.dispose());
    for (const c of cleanupsSecrets) await c();
  });

  it.each([
    // PostgreSQL here trusts local connections, so a password is accepted and the run goes on.
    ['postgresql', 'Pa55%40w0rd%3Ax', ['Pa55@w0rd:x', 'Pa55%40w0rd%3Ax']],
    ['postgresql', 'Pa55@w0rd', ['Pa55@w0rd', 'Pa55%40w0rd', 'w0rd@']],
    // MariaDB's root has no password: a wrong one is refused, and the refusal must not show it.
    ['mariadb', 'Hunter2%21secret', ['Hunter2!secret', 'Hunter2%21secret']],
    ['unreachable', 'Sup3r%2Fsecret', ['Sup3r/secret', 'Sup3r%2Fsecret']],
    ['unreachable', 'has space!x', ['has space!x', 'has%20space', 'space!x']],
  ])('%s with password %s', async (kind, password, secrets) => {
    if (kind !== 'unreachable' && (await unavailable(kind as ServerKind))) return;
    const p = new TestProject();
    projects.push(p);
    let url = `postgres://app:${password}@127.0.0.1:1/none`;
    if (kind !== 'unreachable') {
      const d = await freshDatabase(kind as ServerKind);
      cleanupsSecrets.push(d.drop);
      const u = new URL(d.url);
      url = `${u.protocol}//${u.username}:${password}@${u.host}${u.pathname}`;
    }
    writeChain(p, 'postgresql', 1);
    p.write('migrations/20260401000001_fails.ts', readFileSync(join(p.dir, 'migrations/20260401000000_table_1.ts'), 'utf8')
      .replace(/20260401000000_table_1/, '20260401000001_fails').replace('parents = []', "parents = ['20260401000000_table_1']")
      .replace("this.createTable('t1'", "this.sql('select * from no_such_table_anywhere');\n    this.createTable('t1'").replace('Table1', 'Fails'));
    const outputs: string[] = [];
    for (const args of [['migrate', 'status'], ['migrate', 'status', '--json'], ['migrate', 'up', '--to', '20260401000000'], ['migrate', 'up'], ['migrate', 'down', '--to', 'base'], ['migrate', 'up', '--sql']]) {
      const r = p.run([...args, '--url', url], { TIDEMARK_DEBUG: '1' });
      outputs.push(r.stdout, r.stderr);
      const viaEnv = p.run(args, { DATABASE_URL: url, TIDEMARK_DEBUG: '1' });
      outputs.push(viaEnv.stdout, viaEnv.stderr);
    }
    const all = outputs.join('\n');
    expect(all).toContain('****');
    for (const s of secrets) expect(all).not.toContain(s);
  });
});
