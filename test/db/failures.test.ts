import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { introspect } from '../../src/introspect/introspect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { migration } from './runner-fixtures.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

const FIRST = '20260301000000_users';
const SECOND = '20260301000100_third_statement_fails';
const users = `    this.createTable('users', (t) => {
      t.column('id', { type: 'integer', primary: true, autoincrement: true });
    });`;
const failing = `    this.createTable('alpha', (t) => {
      t.column('id', { type: 'integer', primary: true });
    });
    this.createTable('beta', (t) => {
      t.column('id', { type: 'integer', primary: true });
    });
    this.sql('insert into no_such_table values (1)');
    this.createTable('gamma', (t) => {
      t.column('id', { type: 'integer', primary: true });
    });`;

const targets: { name: DialectName; server?: ServerKind }[] = [{ name: 'sqlite' }, { name: 'postgresql', server: 'postgresql' }, { name: 'mariadb', server: 'mariadb' }];

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`a failing migration on ${target.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanups) await c();
    });

    async function setup() {
      const p = new TestProject();
      cleanups.push(() => p.dispose());
      let url = `sqlite:${join(p.dir, 'fail.db')}`;
      if (target.server) {
        const d = await freshDatabase(target.server);
        cleanups.push(d.drop);
        url = d.url;
      }
      p.write(`migrations/${FIRST}.ts`, migration(FIRST, [], users));
      p.write(`migrations/${SECOND}.ts`, migration(SECOND, [FIRST], failing));
      const live = async () => {
        const db = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
        try {
          const tables = (await introspect(db.execute, target.name, [])).tables.map((t) => t.name);
          const rows = tables.includes('tidemark_migrations')
            ? await db.execute('select name, status, statements_done, statements_total, error from tidemark_migrations order by id')
            : [];
          return { tables, rows };
        } finally {
          await db.close();
        }
      };
      return { p, url, live };
    }

    it('the third statement fails: the error names the migration; the database is left as the dialect promises', async () => {
      const { p, url, live } = await setup();
      const r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`migration ${SECOND} failed (up)`);
      const after = await live();
      if (target.name === 'mariadb') {
        // DDL commits as it runs: the first migration and two tables stay, and the run says how far it got.
        expect(r.stderr).toContain('after 2 of 4 statements');
        expect(after.tables).toEqual(['alpha', 'beta', 'tidemark_migrations', 'users']);
        expect(after.rows.map((x) => [x.name, x.status, Number(x.statements_done), Number(x.statements_total)])).toEqual([
          [FIRST, 'applied', 1, 1],
          [SECOND, 'failed', 2, 4],
        ]);
        // Blocked: status exits 3 for scripts and health checks, 0 with --exit-zero for dashboards.
        const blocked = p.run(['migrate', 'status', '--url', url]);
        expect(blocked.code).toBe(3);
        expect(JSON.parse(p.run(['migrate', 'status', '--url', url, '--json']).stdout).failed).toMatchObject([{ id: SECOND, status: 'failed' }]);
        const status = p.ok(['migrate', 'status', '--exit-zero', '--url', url]);
        expect(status).toBe(blocked.stdout);
        expect(status).toContain(`${SECOND}  failed, 2 of 4 statements ran`);
        const again = p.run(['migrate', 'up', '--url', url]);
        expect(again.code).toBe(1);
        expect(again.stderr).toContain(`migration ${SECOND} failed after 2 of 4 statements`);
        expect(again.stderr).toContain(`tidemark migrate resolve ${SECOND} --applied`);
        // A person repairs the schema and the file, then says so.
        const db = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
        await db.execute('drop table alpha');
        await db.execute('drop table beta');
        await db.close();
        p.write(`migrations/${SECOND}.ts`, migration(SECOND, [FIRST], failing.replace(`    this.sql('insert into no_such_table values (1)');\n`, '')));
        p.ok(['migrate', 'resolve', SECOND, '--rolled-back', '--url', url]);
        p.ok(['migrate', 'up', '--url', url]);
        expect((await live()).tables).toEqual(['alpha', 'beta', 'gamma', 'tidemark_migrations', 'users']);
      } else {
        // Transactional DDL: nothing of the batch remains, not even the first migration.
        expect(r.stderr).toContain('nothing of its batch remains');
        expect(after.tables.filter((t) => t !== 'tidemark_migrations')).toEqual([]);
        expect(after.rows).toEqual([]);
      }
    });

    if (target.name !== 'mariadb') it('--transaction each keeps the migrations before the failing one', async () => {
      const { p, url, live } = await setup();
      const r = p.run(['migrate', 'up', '--transaction', 'each', '--url', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`migrations before it (${FIRST}) stay applied`);
      const after = await live();
      expect(after.tables).toEqual(['tidemark_migrations', 'users']);
      expect(after.rows.map((x) => x.name)).toEqual([FIRST]);
    });

    if (target.name === 'postgresql') it('a migration with transactional = false runs alone, outside a transaction (CREATE INDEX CONCURRENTLY)', async () => {
      const { p, url, live } = await setup();
      p.remove(`migrations/${SECOND}.ts`);
      const third = '20260301000200_concurrent_index';
      p.write(
        `migrations/${third}.ts`,
        migration(third, [FIRST], `    this.sql('create index concurrently users_id_concurrent on users (id)');`, '\n  static override readonly transactional = false;'),
      );
      p.ok(['migrate', 'up', '--url', url]);
      const after = await live();
      expect(after.rows.map((x) => [x.name, x.status])).toEqual([
        [FIRST, 'applied'],
        [third, 'applied'],
      ]);
    });

    if (target.name === 'postgresql') it('a migration with transactional = false that fails halfway is recorded as failed and blocks the next run', async () => {
      const { p, url, live } = await setup();
      p.remove(`migrations/${SECOND}.ts`);
      const third = '20260301000200_concurrent_then_fail';
      p.write(
        `migrations/${third}.ts`,
        migration(third, [FIRST], `    this.sql('create index concurrently users_id_c on users (id)');\n    this.sql('select * from no_such_table');`, '\n  static override readonly transactional = false;'),
      );
      const r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`migration ${third} failed (up) after 1 of 2 statements`);
      expect(r.stderr).toContain('it ran outside a transaction (transactional = false), so it is recorded as failed');
      expect((await live()).rows.map((x) => [x.name, x.status])).toEqual([
        [FIRST, 'applied'],
        [third, 'failed'],
      ]);
      const again = p.run(['migrate', 'up', '--url', url]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`migration ${third} failed after 1 of 2 statements`);
    });
  });
}
