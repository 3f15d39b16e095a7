import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applied, PROJECT, TestProject, USER_V1 } from './project.ts';

/**
 * SQLite rebuilds a table to alter a column. MikroORM's own rebuild runs inside the
 * migration transaction, where `pragma foreign_keys = off` is ignored, so dropping the old
 * parent table cascade-deletes its children. Ours must keep every child row.
 */
describe('SQLite table rebuild keeps ON DELETE CASCADE children', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());

  beforeAll(() => {
    p.write('entities/User.ts', USER_V1).write('entities/Project.ts', PROJECT);
    p.ok(['gen-migration', '-m', 'init']);
    p.ok(['migrate', 'up']);
    const db = p.db();
    db.prepare(`insert into user (email, name) values ('a@x', 'A'), ('b@x', 'B')`).run();
    db.prepare(`insert into project (name, owner_id, created_at) values ('p1', 1, 'now'), ('p2', 1, 'now'), ('p3', 2, 'now')`).run();
    db.close();
  });

  const count = () => {
    const db = p.db();
    const n = (db.prepare('select count(*) as n from project').get() as { n: number }).n;
    const fk = db.prepare('pragma foreign_keys').get();
    db.close();
    return { n, fk };
  };

  it('altering the parent table (a rebuild) keeps the children, up and down', () => {
    p.write('entities/User.ts', USER_V1.replace(`@Property()\n  name!: string;`, `@Property({ nullable: true })\n  name?: string;`));
    p.ok(['gen-migration', '-m', 'user name optional']);
    const file = p.read(`migrations/${p.migrations().at(-1)}`);
    expect(file).toContain(`this.alterColumn('user', 'name', { type: 'string', length: 255, nullable: true });`);
    expect(file).toContain(`this.alterColumn('user', 'name', { type: 'string', length: 255 });`);

    p.ok(['migrate', 'up']);
    expect(count().n).toBe(3);
    const db = p.db();
    expect(db.prepare(`select "notnull" from pragma_table_info('user') where name = 'name'`).get()).toEqual({ notnull: 0 });
    db.prepare(`insert into user (email) values ('c@x')`).run();
    db.prepare(`delete from user where email = 'c@x'`).run();
    db.close();

    p.ok(['migrate', 'down']);
    expect(count().n).toBe(3);

    p.ok(['migrate', 'up']);
    expect(count().n).toBe(3);
    // Foreign keys still cascade after the rebuild: the constraint survived it.
    const db2 = p.db();
    db2.pragma('foreign_keys = on');
    db2.prepare(`delete from user where email = 'b@x'`).run();
    expect((db2.prepare('select count(*) as n from project').get() as { n: number }).n).toBe(2);
    db2.close();
  });

  it('foreign key violations already in the data are not blamed on a run', () => {
    const db = p.db();
    db.pragma('foreign_keys = off');
    db.prepare(`insert into project (name, owner_id, created_at) values ('old orphan', 777, 'now')`).run();
    db.close();
    p.ok(['gen-migration', '--empty', '-m', 'harmless']);
    p.ok(['migrate', 'up']);
    const db2 = p.db();
    db2.prepare(`delete from project where owner_id = 777`).run();
    db2.close();
  });

  it('a run that leaves a foreign key violation fails loudly and is rolled back', () => {
    p.ok(['gen-migration', '--empty', '-m', 'orphan row']);
    const name = p.migrations().at(-1)!;
    const text = p.read(`migrations/${name}`).replace(/override up\(\): void \{\n\s*\}/, `override up(): void {\n    this.sql("insert into project (name, owner_id, created_at) values ('orphan', 999, 'now')");\n  }`);
    p.write(`migrations/${name}`, text);
    const before = applied(p.db());
    const r = p.run(['migrate', 'up']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^tidemark: foreign key check failed after up: 1 row\(s\) violate foreign keys \(first: table project → user\); nothing was applied/);
    const db = p.db();
    expect(applied(db)).toEqual(before);
    expect(db.prepare(`select count(*) as n from project where name = 'orphan'`).get()).toEqual({ n: 0 });
    db.close();
  });
});
