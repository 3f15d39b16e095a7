import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject, USER_V1 } from '../e2e/project.ts';
import { start, trialDatabase } from './runner-fixtures.ts';
import { unavailable, type ServerKind } from './servers.ts';

/**
 * The runner never runs a migration twice and never skips one silently: a lost version row or
 * version table, a database tidemark did not build, two relative `down`s at once, a drop that
 * deletes rows, a narrowing the data does not fit.
 */

const M1 = '20260901000000_note';
const M2 = '20260902000000_tag';
const M3 = '20260903000000_third';

/** A hand-written migration; `down` may be omitted. */
const migration = (id: string, parent: string | null, up: string, down = '') => `import { existsSync, writeFileSync } from 'node:fs';
import { TidemarkMigration } from 'tidemark';

export class M extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = ${parent ? `['${parent}']` : '[]'};

  override async up(): Promise<void> {
    ${up}
  }

  override async down(): Promise<void> {
    ${down}
  }
}
void existsSync;
void writeFileSync;
`;

const NOTE = `this.createTable('note', (t) => { t.column('id', { type: 'integer', primary: true }); t.column('body', { type: 'string', length: 40, nullable: true }); });`;

const targets: DialectName[] = ['sqlite', 'postgresql', 'mariadb'];
for (const target of targets) {
  const skip = target === 'sqlite' ? undefined : await unavailable(target as ServerKind);
  describe.skipIf(Boolean(skip))(`never re-run or skip silently on ${target}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => unknown)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
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
      const versions = async () => (await sql("select name from tidemark_migrations where status = 'applied' order by id")).map((r) => String(r.name));
      const q = (name: string) => (target === 'mariadb' ? `\`${name}\`` : `"${name}"`);
      return { p, url: db.url, sql, versions, q };
    }

    /** m1 makes `note`; m2 makes `tag` and seeds a note: run twice, the seed would be there twice. */
    async function seeded() {
      const x = await project();
      x.p.write(`migrations/${M1}.ts`, migration(M1, null, NOTE, `this.dropTable('note');`));
      x.p.write(
        `migrations/${M2}.ts`,
        migration(M2, M1, `this.createTable('tag', (t) => { t.column('id', { type: 'integer', primary: true }); });\n    this.sql("insert into note (id, body) values (1, 'seed')");`, `this.dropTable('tag');`),
      );
      x.p.ok(['migrate', 'up', '--url', x.url]);
      return x;
    }

    it('a deleted newest version row: up refuses (nothing re-runs), names migrate resolve; after it, up is at head', async () => {
      const { p, url, sql, versions } = await seeded();
      await sql(`delete from tidemark_migrations where name = '${M2}'`);
      const r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`migration ${M2} is not recorded as applied in tidemark_migrations, but`);
      expect(r.stderr).toContain('already has table tag it creates');
      expect(r.stderr).toContain(`the live schema is the history's at ${M2}`);
      expect(r.stderr).toContain(`'tidemark migrate resolve <id> --applied' (${M2} first)`);
      expect(await sql('select count(*) as n from note')).toEqual([{ n: expect.anything() }]);
      expect(Number((await sql('select count(*) as n from note'))[0]!.n)).toBe(1);
      expect(await versions()).toEqual([M1]);
      p.ok(['migrate', 'resolve', M2, '--applied', '--url', url]);
      expect(p.ok(['migrate', 'up', '--url', url])).toContain('Already up to date');
      expect(await versions()).toEqual([M1, M2]);
    });

    it('a hand-dropped version table: up refuses ("database not empty: baseline it first", names the revision); baseline, then up is at head', async () => {
      const { p, url, sql, versions } = await seeded();
      await sql('drop table tidemark_migrations');
      const r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain('database not empty: baseline it first');
      expect(r.stderr).toContain(`its schema is the history's at ${M2}: run 'tidemark baseline ${M2}'`);
      expect(r.stderr).not.toContain('already exists');
      expect(Number((await sql('select count(*) as n from note'))[0]!.n)).toBe(1);
      p.ok(['baseline', M2, '--url', url]);
      expect(p.ok(['migrate', 'up', '--url', url])).toContain('Already up to date');
      expect(await versions()).toEqual([M1, M2]);
    });

    it('a non-empty database without a version table whose schema is no revision: refused, says so; an empty one migrates', async () => {
      const { p, url, sql } = await project();
      p.write(`migrations/${M1}.ts`, migration(M1, null, NOTE));
      await sql(`create table other (id integer primary key)`);
      const r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain('database not empty: baseline it first');
      expect(r.stderr).toContain('1 table(s) (other)');
      expect(r.stderr).toContain('its schema is the history\'s at no revision');
      await sql('drop table other');
      expect(p.ok(['migrate', 'up', '--url', url])).toContain('Applied 1 migration');
    });

    it('a table made by hand that no pending migration makes does not stop up', async () => {
      const { p, url, sql } = await project();
      p.write(`migrations/${M1}.ts`, migration(M1, null, NOTE));
      p.ok(['migrate', 'up', '--url', url]);
      await sql('create table audit_by_hand (id integer primary key)');
      p.write(`migrations/${M2}.ts`, migration(M2, M1, `this.addColumn('note', 'title', { type: 'string', nullable: true });`));
      expect(p.ok(['migrate', 'up', '--url', url])).toContain('Applied 1 migration');
    });

    it('two relative migrate down at once revert one migration: the second says it is already there', async () => {
      const { p, url, versions } = await project();
      p.write(`migrations/${M1}.ts`, migration(M1, null, NOTE, `this.dropTable('note');`));
      p.write(`migrations/${M2}.ts`, migration(M2, M1, `this.createTable('tag', (t) => { t.column('id', { type: 'integer', primary: true }); });`, `this.dropTable('tag');`));
      // down() of M3 holds the first run inside its lock until the test lets it go.
      const hold = `const hold = process.env.TM_HOLD;
    if (hold && !existsSync(hold + '.go')) {
      writeFileSync(hold + '.in', '');
      process.stderr.write('holding in down()\\n');
      while (!existsSync(hold + '.go')) await new Promise((r) => setTimeout(r, 20));
    }
    this.dropTable('third');`;
      p.write(`migrations/${M3}.ts`, migration(M3, M2, `this.createTable('third', (t) => { t.column('id', { type: 'integer', primary: true }); });`, hold));
      p.ok(['migrate', 'up', '--url', url]);
      const flag = join(p.dir, 'hold');
      const first = start(p, ['migrate', 'down', '--url', url], { TM_HOLD: flag });
      expect(await first.seen(/holding in down\(\)/)).toBe(true);
      const second = start(p, ['migrate', 'down', '--url', url, '--lock-timeout', '120']);
      expect(await second.seen(/waiting for the migration lock/)).toBe(true);
      writeFileSync(`${flag}.go`, '');
      const [a, b] = await Promise.all([first.done, second.done]);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).toContain(`Reverted 1 migration`);
      expect(a.stdout).toContain(M3);
      expect(b.code, b.stderr).toBe(0);
      expect(b.stdout).toContain(`Already at ${M2}: nothing reverted`);
      expect(await versions()).toEqual([M1, M2]);
      expect(existsSync(`${flag}.in`)).toBe(true);
    });

    it('drops that delete data: refused with the count unless accepted (in the migration or at deploy); every drop says its count', async () => {
      const { p, url, sql, versions } = await project();
      p.write(`migrations/${M1}.ts`, migration(M1, null, NOTE));
      p.ok(['migrate', 'up', '--url', url]);
      await sql(`insert into note (id, body) values (1, 'a'), (2, 'b'), (3, null)`);
      p.write(`migrations/${M2}.ts`, migration(M2, M1, `this.dropColumn('note', 'body');`));
      let r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain(`migration ${M2} (up) refused before it changed anything: dropping column note.body would delete 2 non-null values (TM102)`);
      expect(r.stderr).toContain(`this.dropColumn('note', 'body', { dataLoss: 'accepted' })`);
      expect(r.stderr).toContain('gen-migration --allow-data-loss TM102:note.body');
      expect(r.stderr).toContain("'migrate up --allow-data-loss'");
      expect(await versions()).toEqual([M1]);
      expect((await sql('select body from note order by id')).map((x) => x.body)).toEqual(['a', 'b', null]);

      r = p.run(['migrate', 'up', '--url', url, '--allow-data-loss']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`tidemark: ${M2} (up) drops column note.body: 2 non-null values`);

      p.write(`migrations/${M3}.ts`, migration(M3, M2, `this.dropTable('note');`));
      r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('dropping table note would delete 3 rows (TM101)');
      expect(Number((await sql('select count(*) as n from note'))[0]!.n)).toBe(3);
      p.write(`migrations/${M3}.ts`, migration(M3, M2, `this.dropTable('note', { dataLoss: 'accepted' });`));
      r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`tidemark: ${M3} (up) drops table note: 3 rows (accepted in the migration)`);
      expect(await versions()).toEqual([M1, M2, M3]);
    });

    it('an empty table drops without a word of refusal, and says 0 rows', async () => {
      const { p, url } = await project();
      p.write(`migrations/${M1}.ts`, migration(M1, null, NOTE));
      p.write(`migrations/${M2}.ts`, migration(M2, M1, `this.dropTable('note');`));
      const r = p.run(['migrate', 'up', '--url', url]);
      expect(r.code, r.stderr).toBe(0);
      // Made and dropped in one run: at M2's start the table exists and is empty.
      expect(r.stderr).toContain(`tidemark: ${M2} (up) drops table note: 0 rows`);
    });

    it('every narrowing is checked against the data: decimal scale and precision, enum items, string to integer', async () => {
      const { p, url, sql, versions, q } = await project();
      p.write(
        `migrations/${M1}.ts`,
        migration(
          M1,
          null,
          `this.createTable('item', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('price', { type: 'decimal', precision: 10, scale: 2, nullable: true });
      t.column('state', { type: 'enum', items: ['a', 'b', 'c'], nullable: true });
      t.column('code', { type: 'string', length: 20, nullable: true });
    });`,
        ),
      );
      p.ok(['migrate', 'up', '--url', url]);
      await sql(`insert into item (id, price, ${q('state')}, code) values (1, 12.34, 'a', '12'), (2, 5.5, 'c', 'abc'), (3, 123.45, null, null)`);
      const cases: [string, string][] = [
        [`this.alterColumn('item', 'price', { type: 'decimal', precision: 10, scale: 1, nullable: true });`, '2 rows of item have a price that does not fit decimal(10,1) (TM103)'],
        [`this.alterColumn('item', 'price', { type: 'decimal', precision: 4, scale: 2, nullable: true });`, '1 row of item has a price that does not fit decimal(4,2) (TM103)'],
        [`this.alterColumn('item', 'state', { type: 'enum', items: ['a', 'b'], nullable: true });`, '1 row of item has a state that does not fit enum(a|b) (TM103)'],
        [`this.alterColumn('item', 'code', { type: 'integer', nullable: true });`, '1 row of item has a code that does not fit integer (TM103)'],
      ];
      for (const [op, says] of cases) {
        p.write(`migrations/${M2}.ts`, migration(M2, M1, op));
        const r = p.run(['migrate', 'up', '--url', url]);
        expect(r.code, `${op}\n${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(`migration ${M2} (up) refused before it changed anything: ${says}`);
        expect(await versions()).toEqual([M1]);
      }
      // What fits goes through: the values are whole numbers once 'abc' is gone.
      await sql(`update item set code = null where id = 2`);
      p.write(`migrations/${M2}.ts`, migration(M2, M1, `this.alterColumn('item', 'code', { type: 'integer', nullable: true });`));
      p.ok(['migrate', 'up', '--url', url]);
      expect((await sql('select code from item order by id')).map((x) => (x.code === null ? null : Number(x.code)))).toEqual([12, null, null]);
    });

    if (target === 'sqlite') {
      it("gen-migration --allow-data-loss TM101:<table> writes { dataLoss: 'accepted' } (and allows the drop); an unknown item writes nothing", () => {
        const p = new TestProject();
        cleanups.push(() => p.dispose());
        const project = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n\n@Entity()\nexport class Project {\n  @PrimaryKey()\n  id!: number;\n\n  @Property()\n  name!: string;\n}\n`;
        p.write('entities/User.ts', USER_V1).write('entities/Project.ts', project);
        p.ok(['gen-migration', '-m', 'base'], { TIDEMARK_NOW: '2026-09-01T00:00:00Z' });
        p.remove('entities/Project.ts');
        const before = p.files();
        let r = p.run(['gen-migration', '-m', 'drop project'], { TIDEMARK_NOW: '2026-09-02T00:00:00Z' });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('TM101 drop table project');
        r = p.run(['gen-migration', '-m', 'drop project', '--allow-data-loss', 'TM101:nope'], { TIDEMARK_NOW: '2026-09-02T00:00:00Z' });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('--allow-data-loss TM101:nope: this migration has no such drop (it has TM101:project); nothing was written');
        expect(p.files()).toEqual(before);
        r = p.run(['gen-migration', '-m', 'drop project', '--allow-data-loss', 'TM101:project'], { TIDEMARK_NOW: '2026-09-02T00:00:00Z' });
        expect(r.code, r.stderr).toBe(0);
        const file = p.read(`migrations/${p.migrations()[1]}`);
        expect(file).toContain(`this.dropTable('project', { dataLoss: 'accepted' });`);
        // The file runs: the table has a row and the migration accepts its loss.
        p.ok(['migrate', 'up', '--to', p.migrations()[0]!.slice(0, 14)]);
        const db = p.db();
        db.prepare(`insert into project (name) values ('x')`).run();
        db.close();
        r = p.run(['migrate', 'up']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain('drops table project: 1 row (accepted in the migration)');
      });
    }

    if (target === 'mariadb') {
      it("tidemark's session is strict whatever the server's sql_mode: a value that does not convert fails the ALTER instead of becoming zero", async () => {
        const { p, url, sql, versions } = await project();
        const admin = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
        const [{ mode }] = (await admin.execute('select @@global.sql_mode as mode')) as [{ mode: string }];
        await admin.execute(`set global sql_mode = ''`);
        try {
          const own = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
          expect(String((await own.execute('select @@session.sql_mode as m'))[0]!.m)).toContain('STRICT_ALL_TABLES');
          await own.close();
          p.write(`migrations/${M1}.ts`, migration(M1, null, `this.createTable('event', (t) => { t.column('id', { type: 'integer', primary: true }); t.column('day', { type: 'string', length: 20, nullable: true }); });`));
          p.ok(['migrate', 'up', '--url', url]);
          await sql(`insert into event (id, day) values (1, '2026-01-02'), (2, 'someday')`);
          // string → date is a narrowing no query can vet: the server's strictness is what stops it.
          p.write(`migrations/${M2}.ts`, migration(M2, M1, `this.alterColumn('event', 'day', { type: 'date', nullable: true });`));
          const r = p.run(['migrate', 'up', '--url', url]);
          expect(r.code, r.stdout + r.stderr).toBe(1);
          expect(r.stderr).toMatch(/Incorrect date(time)? value: .someday./i);
          expect((await sql('select day from event order by id')).map((x) => String(x.day))).toEqual(['2026-01-02', 'someday']);
          expect(await versions()).toEqual([M1]);
        } finally {
          await admin.execute(`set global sql_mode = '${mode}'`);
          await admin.close();
        }
      });
    }
  });
}
