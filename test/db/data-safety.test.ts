import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject, USER_V1 } from '../e2e/project.ts';
import { trialDatabase } from './runner-fixtures.ts';
import { unavailable, type ServerKind } from './servers.ts';

const withProps = (props: string) => USER_V1.replace('  name!: string;\n}', `  name!: string;\n${props}}`);
const at = (day: number) => ({ TIDEMARK_NOW: `2026-07-${String(day).padStart(2, '0')}T12:00:00Z` });

const hand = (id: string, parent: string, up: string) => `import { TidemarkMigration } from 'tidemark';

export class Step extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = ['${parent}'];

  override up(): void {
    ${up}
  }
}
`;

const targets: DialectName[] = ['sqlite', 'postgresql', 'mariadb'];
for (const target of targets) {
  const skip = target === 'sqlite' ? undefined : await unavailable(target as ServerKind);
  describe.skipIf(Boolean(skip))(`data safety on ${target}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => unknown)[] = [];
    afterAll(async () => {
      for (const c of cleanups) await c();
    });

    async function project() {
      const p = new TestProject();
      cleanups.push(() => p.dispose());
      const db = await trialDatabase(target, p);
      cleanups.push(db.drop);
      const sql = async (text: string) => {
        const d = await openDatabase(parseDatabaseUrl(db.url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
        try {
          return await d.execute(text);
        } finally {
          await d.close();
        }
      };
      return { p, url: db.url, sql };
    }

    it('a rename stated with --rename keeps the data through up, down and up', async () => {
      const { p, url, sql } = await project();
      p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  fullName?: string;\n'));
      p.ok(['gen-migration', '-m', 'base'], at(1));
      p.ok(['migrate', 'up', '--url', url]);
      await sql(`insert into ${target === 'mariadb' ? '`user`' : '"user"'} (email, name, full_name) values ('a@x', 'A', 'Ada Lovelace')`);
      p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  displayName?: string;\n'));
      p.ok(['gen-migration', '-m', 'rename', '--rename', 'user.full_name=display_name'], at(2));
      const q = (col: string) => `select ${col} as v from ${target === 'mariadb' ? '`user`' : '"user"'}`;
      p.ok(['migrate', 'up', '--url', url]);
      expect(await sql(q('display_name'))).toEqual([{ v: 'Ada Lovelace' }]);
      p.ok(['migrate', 'down', '--url', url]);
      expect(await sql(q('full_name'))).toEqual([{ v: 'Ada Lovelace' }]);
      p.ok(['migrate', 'up', '--url', url]);
      expect(await sql(q('display_name'))).toEqual([{ v: 'Ada Lovelace' }]);
    });

    it('checks the data before any DDL: NULLs, duplicates, truncation, rows for a NOT NULL column; refused with counts, nothing changed', async () => {
      const { p, url, sql } = await project();
      p.write('entities/User.ts', withProps('\n  @Property({ nullable: true })\n  age?: number;\n\n  @Property({ length: 200, nullable: true })\n  bio?: string;\n'));
      p.ok(['gen-migration', '-m', 'base'], at(1));
      p.ok(['migrate', 'up', '--url', url]);
      const base = p.migrations()[0]!.replace('.ts', '');
      const user = target === 'mariadb' ? '`user`' : '"user"';
      await sql(`insert into ${user} (email, name, age, bio) values ('a@x', 'Ann', null, 'short'), ('b@x', 'Ann', null, '${'x'.repeat(40)}'), ('c@x', 'Cy', 3, null)`);
      const versions = async () => (await sql('select name from tidemark_migrations order by id')).map((r) => r.name);
      const cases: [string, string][] = [
        [`this.alterColumn('user', 'age', { type: 'integer' });`, '2 rows of user have NULL in age: it cannot become NOT NULL without a default or a backfill (TM104)'],
        [`this.createIndex('user', 'user_name_unique', ['name'], { unique: true });`, '1 value of (name) in user occurs more than once: unique index user_name_unique cannot be built'],
        [`this.alterColumn('user', 'bio', { type: 'string', length: 10, nullable: true });`, '1 row of user has a bio that does not fit string(10) (TM103)'],
        [`this.addColumn('user', 'score', { type: 'integer' });`, 'user has 3 rows: a NOT NULL column score without a default cannot be added (TM104)'],
      ];
      for (const [op, says] of cases) {
        const id = '20260702120000_risky';
        p.write(`migrations/${id}.ts`, hand(id, base, op));
        const r = p.run(['migrate', 'up', '--url', url]);
        expect(r.code, op).toBe(1);
        expect(r.stderr).toContain(`migration ${id} (up) refused before it changed anything: ${says}`);
        expect(await versions()).toEqual([base]);
        expect(p.ok(['migrate', 'status', '--url', url])).not.toContain('Failed');
      }
      // With a default, NULLs are backfilled instead of refused.
      const id = '20260702120000_risky';
      p.write(`migrations/${id}.ts`, hand(id, base, `this.alterColumn('user', 'age', { type: 'integer', default: 0 });`));
      p.ok(['migrate', 'up', '--url', url]);
      expect((await sql(`select age from ${user} order by email`)).map((r) => Number(r.age))).toEqual([0, 0, 3]);
      // Two NULLs are no duplicate: every dialect's unique index admits them.
      await sql(`insert into ${user} (email, name, age, bio) values ('d@x', 'Dee', 5, null)`);
      const unique = '20260702130000_unique_bio';
      p.write(`migrations/${unique}.ts`, hand(unique, id, `this.createIndex('user', 'user_bio_unique', ['bio'], { unique: true });`));
      p.ok(['migrate', 'up', '--url', url]);
      expect(await versions()).toEqual([base, id, unique]);
    });

    it('an enum keeps working through a column rename, a table rename and new values', async () => {
      const { p, url, sql } = await project();
      const m = (id: string, parent: string | null, up: string) =>
        `import { TidemarkMigration } from 'tidemark';\n\nexport class S extends TidemarkMigration {\n  static override readonly id = '${id}';\n  static override readonly parents = ${parent ? `['${parent}']` : '[]'};\n\n  override up(): void {\n    ${up}\n  }\n}\n`;
      p.write('migrations/20260801000000_t.ts', m('20260801000000_t', null, `this.createTable('ticket', (t) => { t.column('id', { type: 'integer', primary: true }); t.column('state', { type: 'enum', items: ['open', 'done'], default: 'open' }); });`));
      p.write('migrations/20260802000000_r.ts', m('20260802000000_r', '20260801000000_t', `this.renameColumn('ticket', 'state', 'status'); this.renameTable('ticket', 'issue');`));
      p.write('migrations/20260803000000_v.ts', m('20260803000000_v', '20260802000000_r', `this.alterColumn('issue', 'status', { type: 'enum', items: ['open', 'done', 'archived'], default: 'open' });`));
      p.ok(['migrate', 'up', '--url', url]);
      await sql(`insert into issue (id, status) values (1, 'archived')`);
      await expect(sql(`insert into issue (id, status) values (2, 'bogus')`)).rejects.toThrow();
      expect((await sql('select status from issue')).map((r) => r.status)).toEqual(['archived']);
    });

    if (target === 'sqlite') {
      it('refuses to rebuild a table whose live columns differ from the history (changed with this.sql)', async () => {
        const { p, url } = await project();
        p.write('entities/User.ts', USER_V1);
        p.ok(['gen-migration', '-m', 'base'], at(1));
        const base = p.migrations()[0]!.replace('.ts', '');
        p.write(`migrations/20260702000000_sneaky.ts`, hand('20260702000000_sneaky', base, `this.sql('alter table user add column secret text');`));
        p.write(`migrations/20260703000000_alter.ts`, hand('20260703000000_alter', '20260702000000_sneaky', `this.alterColumn('user', 'name', { type: 'string', length: 255, nullable: true });`));
        const r = p.run(['migrate', 'up', '--url', url]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('table user has column secret that the history does not know');
      });

      it('guards every kind of rebuild (an added column with a raw default too), sees hand-made indexes, and guards down()', async () => {
        const { p, url } = await project();
        p.write('entities/User.ts', USER_V1);
        p.ok(['gen-migration', '-m', 'base'], at(1));
        const base = p.migrations()[0]!.replace('.ts', '');
        p.write(`migrations/20260702000000_index.ts`, hand('20260702000000_index', base, `this.sql('create index user_name_by_hand on user (name)');`));
        p.write(
          `migrations/20260703000000_stamp.ts`,
          hand('20260703000000_stamp', '20260702000000_index', `this.addColumn('user', 'created', { type: 'datetime', defaultRaw: 'current_timestamp' });`),
        );
        const r = p.run(['migrate', 'up', '--url', url]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('table user has index user_name_by_hand that the history does not know');
        // down(): alterColumn back is a rebuild too.
        p.remove('migrations/20260702000000_index.ts').remove('migrations/20260703000000_stamp.ts');
        p.write('entities/User.ts', USER_V1.replace('@Property()\n  name!: string;', '@Property({ nullable: true })\n  name?: string;'));
        p.ok(['gen-migration', '-m', 'optional name'], at(4));
        p.ok(['migrate', 'up', '--url', url]);
        const hand2 = p.db('trial.db');
        hand2.prepare('create index user_name_by_hand on user (name)').run();
        hand2.close();
        const down = p.run(['migrate', 'down', '--url', url]);
        expect(down.code).toBe(1);
        expect(down.stderr).toContain('(down) refused before it changed anything: table user has index user_name_by_hand');
      });

      it('a rebuild keeps the AUTOINCREMENT counter: ids of deleted rows are not handed out again', async () => {
        const { p, url } = await project();
        p.write('entities/User.ts', USER_V1);
        p.ok(['gen-migration', '-m', 'base'], at(1));
        p.ok(['migrate', 'up', '--url', url]);
        const db = p.db('trial.db');
        db.prepare(`insert into user (email, name) values ('a', 'A'), ('b', 'B'), ('c', 'C')`).run();
        db.prepare(`delete from user where id > 1`).run();
        db.close();
        p.write('entities/User.ts', USER_V1.replace('@Property()\n  name!: string;', '@Property({ nullable: true })\n  name?: string;'));
        p.ok(['gen-migration', '-m', 'optional name'], at(2));
        p.ok(['migrate', 'up', '--url', url]);
        const after = p.db('trial.db');
        after.prepare(`insert into user (email) values ('d')`).run();
        expect(after.prepare(`select id from user where email = 'd'`).get()).toEqual({ id: 4 });
        after.close();
      });
    }
  });
}
