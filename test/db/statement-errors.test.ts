import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { migration } from './runner-fixtures.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * A failure names what failed: the statement (cut to ~200 characters) with its SQLSTATE or
 * errno, or the migration file and line of a throw in up(); and a statement the server refuses
 * inside a transaction is refused before anything runs, `--sql` included.
 */
const FIRST = '20260301000000_users';
const SECOND = '20260301000100_second';
const users = `    this.createTable('users', (t) => {
      t.column('id', { type: 'integer', primary: true, autoincrement: true });
    });`;

const targets: { name: DialectName; server?: ServerKind; code: RegExp }[] = [
  { name: 'sqlite', code: /\[SQLITE_ERROR\]/ },
  { name: 'postgresql', server: 'postgresql', code: /\[SQLSTATE 42P01\]/ },
  { name: 'mariadb', server: 'mariadb', code: /\[SQLSTATE 42S02, errno 1146\]/ },
];

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`errors say what failed on ${target.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanups) await c();
    });

    async function setup(second: string, extra = '') {
      const p = new TestProject();
      cleanups.push(() => p.dispose());
      let url = `sqlite:${join(p.dir, 'e.db')}`;
      if (target.server) {
        const d = await freshDatabase(target.server);
        cleanups.push(d.drop);
        url = d.url;
      }
      p.write(`migrations/${FIRST}.ts`, migration(FIRST, [], users));
      p.write(`migrations/${SECOND}.ts`, migration(SECOND, [FIRST], second, extra));
      const tables = async () => {
        const db = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
        try {
          const q = target.name === 'sqlite' ? `select name from sqlite_master where type = 'table' and name = 'users'` : `select table_name from information_schema.tables where table_name = 'users' and table_schema = ${target.name === 'postgresql' ? `'public'` : 'database()'}`;
          return (await db.execute(q)).length;
        } finally {
          await db.close();
        }
      };
      return { p, url, tables };
    }

    it('a failing statement is named, with its SQLSTATE/errno', async () => {
      const long = `alter table no_such_table add column c int -- ${'x'.repeat(300)}`;
      const { p, url } = await setup(`    this.sql(${JSON.stringify(long)});`);
      const r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code).not.toBe(0);
      const line = r.stderr.split('\n').find((l) => l.includes(SECOND))!;
      expect(line).toMatch(target.code);
      expect(line).toContain('statement: alter table no_such_table add column c int -- xxx');
      expect(line).toContain('x…');
      expect(line).not.toContain('x'.repeat(250));
    });

    it('a throw in up() at run time points at the migration file and line', async () => {
      // `this.driver` is there only when the migration runs against a database, not on replay.
      const body = `    this.sql('select 1');\n    if ((this as unknown as { driver?: unknown }).driver) throw new Error('lookup table missing');`;
      const { p, url } = await setup(body);
      const r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`migration ${SECOND} failed \\(up\\): lookup table missing \\(at migrations/${SECOND}\\.ts:9\\)`));
    });

    if (target.name !== 'mariadb') {
      it('VACUUM / CREATE INDEX CONCURRENTLY in a transactional migration: refused before any statement runs', async () => {
        const statement = target.name === 'postgresql' ? 'create index concurrently users_id_idx on users (id)' : 'vacuum';
        const { p, url, tables } = await setup(`    this.sql('${statement}');`);
        const r = p.run(['migrate', 'up', '--url', url]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain(`migration ${SECOND} (migrations/${SECOND}.ts), up(): ${target.name === 'postgresql' ? 'CONCURRENTLY' : 'VACUUM'} cannot run inside a transaction (${statement})`);
        if (target.name === 'postgresql') expect(r.stderr).toContain("add 'static transactional = false' to the migration class");
        // The first migration of the run did not run either.
        expect(await tables()).toBe(0);
        const sql = p.run(['migrate', 'up', '--sql', '--dialect', target.name]);
        expect(sql.code).not.toBe(0);
        expect(sql.stdout).toBe('');
        expect(sql.stderr).toContain('cannot run inside a transaction');
      });
    }

    if (target.name === 'postgresql') {
      it('with static transactional = false, CREATE INDEX CONCURRENTLY runs', async () => {
        const { p, url } = await setup(`    this.sql('create index concurrently users_id_idx on users (id)');`, '\n  static override readonly transactional = false;');
        const r = p.run(['migrate', 'up', '--quiet', '--url', url]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr + r.stdout).toBe('');
        expect(p.ok(['migrate', 'up', '--sql', '--dialect', 'postgresql'])).toContain('create index concurrently users_id_idx on users (id);');
      });
    }
  });
}
