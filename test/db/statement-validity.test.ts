import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dialectFor } from '../../src/dialect/index.ts';
import { diff } from '../../src/diff/diff.ts';
import type { Op } from '../../src/diff/ops.ts';
import { openDatabase, type Database } from '../../src/migrate/database.ts';
import { plan } from '../../src/plan/plan.ts';
import { compileOps } from '../../src/runtime/compile.ts';
import { emptySchema, type SchemaSnapshot, type TableDef } from '../../src/schema/types.ts';
import { normalizeSchema } from '../../src/schema/normalize.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * Statements that are each valid only in the right order, or only quoted the right way, run on
 * the real servers: the order a dialect picks (dialect.order) and the literals it writes.
 */
const schema = (...tables: TableDef[]): SchemaSnapshot => normalizeSchema({ ...emptySchema(), tables });

const author: TableDef = { name: 'author', columns: [{ name: 'id', type: 'integer', primary: true, autoincrement: true, unsigned: true }], indexes: [], foreignKeys: [] };
const book: TableDef = {
  name: 'book',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true, unsigned: true },
    { name: 'author_id', type: 'integer', unsigned: true },
  ],
  indexes: [{ name: 'book_author_id_index', columns: ['author_id'], foreignKey: true }],
  foreignKeys: [{ name: 'book_author_id_foreign', columns: ['author_id'], referencedTable: 'author', referencedColumns: ['id'] }],
};
const oneToOne: TableDef = { ...book, indexes: [{ name: 'book_author_id_unique', columns: ['author_id'], unique: true }] };
const bigint = (t: TableDef, col: string): TableDef => ({ ...t, columns: t.columns.map((c) => (c.name === col ? { ...c, type: 'bigint' as const } : c)) });

for (const kind of ['mariadb', 'postgresql'] as ServerKind[]) {
  const skip = await unavailable(kind);
  describe.skipIf(Boolean(skip))(`${kind}: each statement valid where it runs${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let db: Database;
    let drop = async () => {};
    const dialect = dialectFor(kind === 'postgresql' ? 'postgresql' : 'mariadb');
    const apply = async (start: SchemaSnapshot, ops: Op[]) => {
      for (const sql of compileOps(ops, start, dialect)) await db.execute(sql);
    };
    const reset = async () => {
      for (const t of ['book', 'author', 'flag', 'path']) await db.execute(`drop table if exists ${kind === 'postgresql' ? `"${t}" cascade` : `\`${t}\``}`);
    };
    beforeAll(async () => {
      const d = await freshDatabase(kind);
      drop = d.drop;
      db = await openDatabase(parseDatabaseUrl(d.url, process.cwd(), 'test'), 'tidemark_migrations', [], process.cwd());
    });
    afterAll(async () => {
      await db?.close();
      await drop();
    });

    test('ManyToOne → OneToOne and back, with rows', async () => {
      await reset();
      const before = schema(author, book);
      await apply(emptySchema(), diff(emptySchema(), before));
      await db.execute('insert into author (id) values (1)');
      await db.execute('insert into book (id, author_id) values (1, 1)');
      const p = plan(before, diff(before, schema(author, oneToOne)));
      await apply(before, p.up);
      await expect(db.execute('insert into book (id, author_id) values (2, 1)')).rejects.toThrow(/duplicate|unique/i);
      await apply(p.after, p.down);
      await db.execute('insert into book (id, author_id) values (2, 1)');
      expect((await db.execute('select count(*) as n from book'))[0]!.n).toEqual(kind === 'postgresql' ? '2' : 2);
    });

    test('int → bigint on a key a foreign key references, and back', async () => {
      await reset();
      const before = schema(author, book);
      await apply(emptySchema(), diff(emptySchema(), before));
      await db.execute('insert into author (id) values (1)');
      await db.execute('insert into book (id, author_id) values (1, 1)');
      const p = plan(before, diff(before, schema(bigint(author, 'id'), bigint(book, 'author_id'))));
      await apply(before, p.up);
      await db.execute('insert into author (id) values (5000000000)');
      await db.execute('insert into book (id, author_id) values (2, 5000000000)');
      // The foreign key is back.
      await expect(db.execute('insert into book (id, author_id) values (3, 42)')).rejects.toThrow(/foreign key/i);
      await db.execute('delete from book where id = 2');
      await db.execute('delete from author where id = 5000000000');
      await apply(p.after, p.down);
      await expect(db.execute('insert into book (id, author_id) values (3, 42)')).rejects.toThrow(/foreign key/i);
    });

    test('boolean default false → integer default 0, with rows', async () => {
      await reset();
      const flag: TableDef = { name: 'flag', columns: [{ name: 'id', type: 'integer', primary: true }, { name: 'on', type: 'boolean', default: false }], indexes: [], foreignKeys: [] };
      const after: TableDef = { ...flag, columns: [flag.columns[0]!, { name: 'on', type: 'integer', default: 0 }] };
      await apply(emptySchema(), diff(emptySchema(), schema(flag)));
      await db.execute(`insert into flag (id, ${kind === 'postgresql' ? '"on"' : '`on`'}) values (1, true), (2, false)`);
      const p = plan(schema(flag), diff(schema(flag), schema(after)));
      await apply(schema(flag), p.up);
      await db.execute('insert into flag (id) values (3)');
      const rows = await db.execute('select * from flag order by id');
      expect(rows.map((r) => Number(r.on))).toEqual([1, 0, 0]);
      await db.execute('delete from flag where id = 3');
      await apply(p.after, p.down);
    });

    test('a default with backslashes and quotes is stored as written', async () => {
      await reset();
      const value = "C:\\dir\\it's \\' done";
      const path: TableDef = { name: 'path', columns: [{ name: 'id', type: 'integer', primary: true }, { name: 'p', type: 'string', length: 80, nullable: true, comment: 'a\\b' }], indexes: [], foreignKeys: [] };
      await apply(emptySchema(), diff(emptySchema(), schema(path)));
      await db.execute('insert into path (id) values (1)');
      const after: TableDef = { ...path, columns: [path.columns[0]!, { ...path.columns[1]!, nullable: false, default: value }] };
      await apply(schema(path), diff(schema(path), schema(after)));
      await db.execute('insert into path (id) values (2)');
      expect((await db.execute('select p from path order by id')).map((r) => r.p)).toEqual([value, value]);
    });
  });
}

describe('sqlite: rebuilding a table a view selects from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-views-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const user: TableDef = {
    name: 'user',
    columns: [
      { name: 'id', type: 'integer', primary: true, autoincrement: true },
      { name: 'name', type: 'string', nullable: true },
      { name: 'age', type: 'integer', nullable: true },
      { name: 'status', type: 'enum', items: ['a', 'b'], default: 'a' },
    ],
    indexes: [],
    foreignKeys: [],
  };
  const setUp = (file: string, view: string) => {
    const db = new DatabaseSync(join(dir, file));
    db.exec('pragma foreign_keys = off');
    for (const s of compileOps(diff(emptySchema(), schema(user)), emptySchema(), dialectFor('sqlite'))) db.exec(s);
    db.exec(view);
    db.exec(`insert into "user" (name, age) values ('ann', 30)`);
    return db;
  };
  const run = (db: DatabaseSync, ops: Op[]) => {
    db.exec('begin');
    try {
      for (const s of compileOps(ops, schema(user), dialectFor('sqlite'))) db.exec(s);
      db.exec('commit');
    } catch (error) {
      db.exec('rollback');
      // A failed run closes its connection; this one lives on, so the flag is reset by hand.
      db.exec('pragma legacy_alter_table = off');
      throw error;
    }
  };

  test('the rebuild succeeds and the view still answers', () => {
    const db = setUp('ok.db', `create view adults as select id, name from "user" where age >= 18`);
    run(db, [{ kind: 'alterColumn', table: 'user', column: { name: 'name', type: 'string', default: 'x' } }]);
    expect(db.prepare('select name from adults').all().map((r) => r.name)).toEqual(['ann']);
    expect((db.prepare(`select sql from sqlite_master where name = 'adults'`).get() as { sql: string }).sql).toContain('from "user"');
    expect(db.prepare('pragma legacy_alter_table').get()).toEqual({ legacy_alter_table: 0 });
    db.close();
  });

  test('a rebuild that breaks the view fails inside the transaction, naming the view', () => {
    const db = setUp('broken.db', `create view statuses as select id, status from "user"`);
    // Dropping an enum column is a rebuild on SQLite (its check goes with the table).
    expect(() => run(db, [{ kind: 'dropColumn', table: 'user', column: 'status' }])).toThrow(/error in view statuses: no such column: status/);
    expect(db.prepare('select status from statuses').all()).toHaveLength(1);
    expect(db.prepare('pragma legacy_alter_table').get()).toEqual({ legacy_alter_table: 0 });
    db.close();
  });
});
