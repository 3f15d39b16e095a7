import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedSchema, columns, ROOT, tables, TestProject } from './project.ts';

/**
 * Every way MikroORM 7 defines an entity, side by side in one project: legacy decorators, ES
 * decorators, defineEntity (with and without a class), EntitySchema, and single-table
 * inheritance under an abstract root. Then the ways entity files go wrong, each one line.
 */

const NOW = { TIDEMARK_NOW: '2026-04-01T00:00:00Z' };
const projects: TestProject[] = [];
afterAll(() => projects.forEach((p) => p.dispose()));

function project(config?: string): TestProject {
  const p = new TestProject(config);
  projects.push(p);
  return p;
}

function copyFixture(p: TestProject, from: string, to = ''): void {
  cpSync(join(ROOT, 'test/fixtures', from), join(p.dir, to), { recursive: true });
}

const oneLine = (s: string) => s.trim().split('\n').length === 1;

describe('entities in every style', () => {
  const p = project();
  copyFixture(p, 'apps/styles/entities', 'entities');

  it('each style yields its table', () => {
    p.ok(['gen-migration', '-m', 'styles'], NOW);
    p.ok(['migrate', 'up']);
    const db = p.db();
    expect(tables(db)).toEqual(['animal', 'customer', 'invoice', 'member', 'orders', 'product', 'shipment', 'tidemark_migrations']);
    expect(columns(db, 'member')).toEqual(['id', 'email', 'nickname', 'tier', 'locale']);
    expect(columns(db, 'product')).toEqual(['id', 'title', 'weight']);
    expect(columns(db, 'orders')).toEqual(['id', 'placed_at', 'customer_id', 'product_id', 'quantity']);
    expect(columns(db, 'customer')).toEqual(['id', 'name', 'note']);
    expect(columns(db, 'invoice')).toEqual(['id', 'total', 'paid']);
    expect(columns(db, 'shipment')).toEqual(['id', 'carrier', 'weight', 'tracking_code']);
    // The abstract root holds every child's columns, nullable, as MikroORM's generator makes it.
    expect(columns(db, 'animal')).toEqual(['id', 'kind', 'name', 'lives', 'good_boy']);
    const notNull = (table: string) => (db.prepare(`select name from pragma_table_info(?) where "notnull" = 1 order by cid`).all(table) as { name: string }[]).map((r) => r.name);
    expect(notNull('animal')).toEqual(['id', 'kind', 'name']);
    db.close();
  });

  it('written column types are honoured', () => {
    const file = p.read(`migrations/${p.migrations()[0]}`);
    expect(file).toContain(`t.column('locale', { type: 'string', length: 12, columnType: 'varchar(12)' });`);
    expect(file).toContain(`t.column('weight', { type: 'decimal', precision: 10, scale: 3, columnType: 'numeric(10,3)' });`);
    expect(file).toContain(`t.column('total', { type: 'decimal', precision: 14, scale: 2 });`);
    // custom types: by the MikroORM type they extend, or by their own column type
    expect(file).toContain(`t.column('weight', { type: 'integer' });`);
    expect(file).toContain(`t.column('tracking_code', { type: 'string', length: 24, nullable: true });`);
  });

  it('is then in sync', () => {
    expect(p.ok(['gen-migration', '--check'])).toMatch(/^No changes/);
  });
});

describe('single-table inheritance under an abstract root (defineEntity)', () => {
  const p = project('');
  copyFixture(p, 'apps/sti');

  it("gives the one table MikroORM's own schema generator gives", () => {
    p.ok(['gen-migration', '-m', 'vehicles'], NOW);
    p.ok(['migrate', 'up']);
    const db = p.db();
    expect(tables(db)).toEqual(['tidemark_migrations', 'vehicle']);
    expect(columns(db, 'vehicle')).toEqual(['id', 'type', 'wheels', 'electric', 'doors']);
    db.close();
    const config = pathToFileURL(join(p.dir, 'src/mikro-orm.config.ts')).href;
    const code = `const { MikroORM } = await import('@mikro-orm/sqlite');
      const orm = await MikroORM.init({ ...(await import(${JSON.stringify(config)})).default, preferTs: true });
      const sql = await orm.schema.getUpdateSchemaSQL({ wrap: false });
      await orm.close();
      process.stdout.write(JSON.stringify(sql.split('\\n').filter((l) => l.trim() && !l.includes('tidemark_migrations'))));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: p.dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});

describe('the snapshot does not depend on the driver that read the metadata', () => {
  // gen-migration never connects: the URL only picks the driver whose platform reads the entities.
  const urls = { sqlite: 'sqlite:./app.db', postgresql: 'postgres://nobody@127.0.0.1:1/none', mysql: 'mysql://nobody@127.0.0.1:1/none' };

  it.each([
    ['rich-legacy', 4],
    ['apps/styles/entities', 7],
  ])('test/fixtures/%s gives the same snapshot and migration through sqlite, postgresql and mysql', (fixture, count) => {
    const out = Object.entries(urls).map(([dialect, url]) => {
      const p = project();
      copyFixture(p, fixture, 'entities');
      p.ok(['gen-migration', '-m', 'rich', '--url', url], NOW);
      const migration = p.migrations()[0]!;
      return { dialect, snapshot: cachedSchema(p)!, migration: p.read(`migrations/${migration}`) };
    });
    expect(out[0]!.snapshot.tables.length).toBe(count);
    for (const o of out.slice(1)) {
      expect(o.snapshot, o.dialect).toEqual(out[0]!.snapshot);
      expect(o.migration, o.dialect).toBe(out[0]!.migration);
    }
  });
});

describe('entity files that go wrong: one line naming file and entity, exit 1, nothing written', () => {
  const USER = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';\n\n@Entity()\nexport class User {\n  @PrimaryKey()\n  id!: number;\n\n  @Property()\n  name!: string;\n}\n`;

  function failing(files: Record<string, string>): { stderr: string } {
    const p = project();
    p.write('entities/User.ts', USER);
    for (const [name, text] of Object.entries(files)) p.write(`entities/${name}`, text);
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).not.toContain('unexpected error');
    expect(p.files()).toEqual(before);
    return r;
  }

  it('a file the globs match that exports no entity', () => {
    const r = failing({ 'helpers.ts': `export enum Color {\n  Red = 'red',\n}\n\nexport function shout(s: string): string {\n  return s.toUpperCase();\n}\n` });
    expect(r.stderr.trim()).toBe(
      `tidemark: entity file entities/helpers.ts (matched by './entities/*.ts' in tidemark.config.ts) exports no entity: export an entity class or defineEntity/EntitySchema from it, or leave it out of the globs ('!entities/helpers.ts')`,
    );
  });

  it('an entity tidemark cannot express (a generated column)', () => {
    const r = failing({
      'Person.ts': `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class Person {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;

  @Property({ type: 'string', generated: 'upper(name) stored' })
  shout!: string;
}
`,
    });
    expect(r.stderr.trim()).toBe('tidemark: entities/Person.ts: Person.shout: generated columns are not supported yet');
  });

  it('a relation to a class that is not an entity', () => {
    const r = failing({
      'Post.ts': `import { Entity, ManyToOne, PrimaryKey } from '@mikro-orm/decorators/legacy';

export class Helper {
  x = 1;
}

@Entity()
export class Post {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => Helper)
  helper!: Helper;
}
`,
    });
    expect(r.stderr.trim()).toBe('tidemark: Post.helper (entities/Post.ts) points at Helper, which is not an entity: add @Entity() to Helper');
  });

  it('a relation whose target import is undefined', () => {
    const r = failing({
      'Comment.ts': `import { defineEntity, p } from '@mikro-orm/core';
import * as models from './User.ts';

export const Comment = defineEntity({
  name: 'Comment',
  properties: {
    id: p.integer().primary(),
    // a typo: the module has no 'Usr'
    author: () => p.manyToOne((models as Record<string, any>).Usr),
  },
});
`,
    });
    expect(r.stderr).toMatch(/^tidemark: MikroORM cannot discover entity Comment \(entities\/Comment\.ts\): /);
  });

  it('a module cycle that reads an import before it is initialised', () => {
    const r = failing({
      'Author.ts': `import { defineEntity, p } from '@mikro-orm/core';\nimport { Book } from './Book.ts';\n\nexport const Author = defineEntity({ name: 'Author', properties: { id: p.integer().primary(), books: p.oneToMany(Book).mappedBy('author') } });\n`,
      'Book.ts': `import { defineEntity, p } from '@mikro-orm/core';\nimport { Author } from './Author.ts';\n\nexport const Book = defineEntity({ name: 'Book', properties: { id: p.integer().primary(), author: p.manyToOne(Author) } });\n`,
    });
    expect(r.stderr).toMatch(/^tidemark: cannot load entity file entities\/(Author|Book)\.ts( \(in entities\/(Author|Book)\.ts\))?: Cannot access '(Author|Book)' before initialization/);
  });
});
