import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { ROOT, TestProject } from '../e2e/project.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * The online forms gen-migration writes by default, on real servers: a change to tables that
 * already hold rows (an index, a foreign key, a check, a NOT NULL) is written as a main
 * migration and a non-transactional one after it; both apply on PostgreSQL and MariaDB, MikroORM
 * (the referee) then wants nothing it would not want on a database it built itself, and
 * `migrate down` reverts both.
 */

const AUTHOR_V1 = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class Author {
  @PrimaryKey()
  id!: number;

  @Property({ length: 100 })
  name!: string;

  @Property({ length: 100, nullable: true })
  city?: string;
}
`;

const BOOK_V1 = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class Book {
  @PrimaryKey()
  id!: number;

  @Property({ length: 200 })
  title!: string;

  @Property({ nullable: true })
  pages?: number;
}
`;

/** An index on an existing column, a check, and a NOT NULL (with a default for the rows holding NULL). */
const AUTHOR_V2 = `import { Check, Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
@Check({ name: 'author_name_check', expression: "name <> ''" })
export class Author {
  @PrimaryKey()
  id!: number;

  @Index()
  @Property({ length: 100 })
  name!: string;

  @Property({ length: 100, default: 'nowhere' })
  city!: string;
}
`;

/** A many-to-one added to an existing table (column, index, foreign key) and a unique index. */
const BOOK_V2 = `import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Author } from './Author.js';

@Entity()
export class Book {
  @PrimaryKey()
  id!: number;

  @Unique()
  @Property({ length: 200 })
  title!: string;

  @Property({ nullable: true })
  pages?: number;

  @ManyToOne(() => Author, { nullable: true })
  author?: Author;
}
`;

const NODE = join(ROOT, 'node_modules/.bin/node');
const REFEREE = join(ROOT, 'test/db/oracle/referee.ts');

function referee(p: TestProject, url: string, mode: 'update' | 'create' | 'indexes'): unknown {
  const r = spawnSync(NODE, [REFEREE, p.dir, url, mode], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`referee ${mode} on ${url} failed:\n${r.stderr}`);
  return mode === 'create' ? undefined : JSON.parse(r.stdout);
}

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDatabase(parseDatabaseUrl(url, process.cwd(), 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await db.execute(sql);
  } finally {
    await db.close();
  }
}

/** No URL in the config: the project is not tied to SQLite, whose migrations stay in one file. */
const CONFIG = `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: ['./entities/*.ts'],\n  migrations: './migrations',\n});\n`;

const projects: TestProject[] = [];
afterAll(() => projects.forEach((p) => p.dispose()));

/** A project whose history is v1, then v2 written with the online forms (three files). */
function generated(): { p: TestProject; v1: string; v2: string; online: string } {
  const p = new TestProject(CONFIG);
  projects.push(p);
  p.write('entities/Author.ts', AUTHOR_V1).write('entities/Book.ts', BOOK_V1);
  p.ok(['gen-migration', '-m', 'authors and books'], { TIDEMARK_NOW: '2026-05-01T10:00:00Z' });
  p.write('entities/Author.ts', AUTHOR_V2).write('entities/Book.ts', BOOK_V2);
  const out = p.ok(['gen-migration', '-m', 'book authors'], { TIDEMARK_NOW: '2026-05-02T10:00:00Z' });
  const files = p.migrations();
  expect(files).toEqual(['20260501100000_authors_and_books.ts', '20260502100000_book_authors.ts', '20260502100001_book_authors_online.ts']);
  expect(out).toContain('migrations/20260502100001_book_authors_online.ts (online steps, outside a transaction)');
  return { p, v1: files[0]!.replace(/\.ts$/, ''), v2: files[1]!.replace(/\.ts$/, ''), online: files[2]!.replace(/\.ts$/, '') };
}

describe('gen-migration writes the online forms by default', () => {
  it('the main migration stays transactional with the keys and checks NOT VALID; the online one validates them and builds the indexes', () => {
    const { p, v2, online } = generated();
    const main = p.read(`migrations/${v2}.ts`);
    const second = p.read(`migrations/${online}.ts`);
    expect(main).not.toContain('static override readonly transactional');
    expect(main).toContain(`follow in ${online}`);
    expect(main).toMatch(/this\.addForeignKey\('book', 'book_author_id_foreign', \['author_id'\], 'author', \['id'\], \{ [^}]*validate: 'later' \}\);/);
    expect(main).toContain(`this.addCheck('author', 'author_name_check', 'name <> \\'\\'', { validate: 'later' });`);
    // The default goes in with the main migration; the NOT NULL follows online.
    expect(main).toContain(`this.alterColumn('author', 'city', { type: 'string', length: 100, nullable: true, default: 'nowhere' });`);
    expect(second).toContain(`static override readonly parents = ['${v2}'];`);
    expect(second).toContain('static override readonly transactional = false;');
    expect(second).toContain(`this.createIndex('author', 'author_name_index', ['name'], { online: true });`);
    expect(second).toContain(`this.createIndex('book', 'book_title_unique', ['title'], { unique: true, online: true });`);
    expect(second).toContain(`this.validateConstraint('book', 'book_author_id_foreign');`);
    expect(second).toContain(`this.validateConstraint('author', 'author_name_check');`);
    expect(second).toContain(`this.alterColumn('author', 'city', { type: 'string', length: 100, default: 'nowhere' }, { online: true });`);
    expect(p.ok(['gen-migration', '--check'])).toContain('No changes');
  });

  it('--no-online writes one plain migration', () => {
    const p = new TestProject(CONFIG);
    projects.push(p);
    p.write('entities/Author.ts', AUTHOR_V1).write('entities/Book.ts', BOOK_V1);
    p.ok(['gen-migration', '-m', 'authors and books'], { TIDEMARK_NOW: '2026-05-01T10:00:00Z' });
    p.write('entities/Author.ts', AUTHOR_V2).write('entities/Book.ts', BOOK_V2);
    p.ok(['gen-migration', '-m', 'book authors', '--no-online'], { TIDEMARK_NOW: '2026-05-02T10:00:00Z' });
    expect(p.migrations()).toEqual(['20260501100000_authors_and_books.ts', '20260502100000_book_authors.ts']);
    const main = p.read('migrations/20260502100000_book_authors.ts');
    // (The header may name the online forms as the safe alternative; the calls are plain.)
    expect(main).not.toMatch(/^\s+this\..*(online: true|validate: 'later'|validateConstraint)|static override readonly transactional/m);
    expect(main).toContain(`this.createIndex('author', 'author_name_index', ['name']);`);
  });

  it("the config's onlineForms: false does the same", () => {
    const p = new TestProject(`import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: ['./entities/*.ts'],\n  migrations: './migrations',\n  onlineForms: false,\n});\n`);
    projects.push(p);
    p.write('entities/Author.ts', AUTHOR_V1).write('entities/Book.ts', BOOK_V1);
    p.ok(['gen-migration', '-m', 'authors and books'], { TIDEMARK_NOW: '2026-05-01T10:00:00Z' });
    p.write('entities/Author.ts', AUTHOR_V2).write('entities/Book.ts', BOOK_V2);
    p.ok(['gen-migration', '-m', 'book authors'], { TIDEMARK_NOW: '2026-05-02T10:00:00Z' });
    expect(p.migrations()).toHaveLength(2);
  });

  it('a project on SQLite, which has no online forms, gets one migration as before', () => {
    const p = new TestProject();
    projects.push(p);
    p.write('entities/Author.ts', AUTHOR_V1).write('entities/Book.ts', BOOK_V1);
    p.ok(['gen-migration', '-m', 'authors and books'], { TIDEMARK_NOW: '2026-05-01T10:00:00Z' });
    p.write('entities/Author.ts', AUTHOR_V2).write('entities/Book.ts', BOOK_V2);
    p.ok(['gen-migration', '-m', 'book authors'], { TIDEMARK_NOW: '2026-05-02T10:00:00Z' });
    expect(p.migrations()).toHaveLength(2);
    expect(p.read('migrations/20260502100000_book_authors.ts')).not.toMatch(/^\s+this\..*(online: true|validate: 'later'|validateConstraint)|static override readonly transactional/m);
  });

  it("a config whose onlineForms is not a boolean is refused in one line", () => {
    const p = new TestProject(`import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: ['./entities/*.ts'],\n  migrations: './migrations',\n  onlineForms: 'no' as never,\n});\n`);
    projects.push(p);
    p.write('entities/Author.ts', AUTHOR_V1);
    const r = p.run(['gen-migration', '-m', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("'onlineForms' must be true or false");
    expect(p.migrations()).toEqual([]);
  });
});

for (const kind of ['postgresql', 'mariadb'] as ServerKind[]) {
  const skip = await unavailable(kind);
  describe.skipIf(Boolean(skip))(`online forms applied on ${kind}`, () => {
    it('--sql shows the online statements, outside a transaction', () => {
      const { p, online } = generated();
      const script = p.ok(['migrate', 'up', '--sql', '--dialect', kind]);
      const part = script.slice(script.indexOf(`-- apply ${online} (outside a transaction)`));
      expect(part.length).toBeLessThan(script.length);
      if (kind === 'postgresql') {
        expect(part).toContain('create index concurrently if not exists "author_name_index" on "author" ("name");');
        expect(part).toContain('create unique index concurrently if not exists "book_title_unique" on "book" ("title");');
        expect(part).toContain('alter table "book" validate constraint "book_author_id_foreign";');
        expect(part).toContain(`alter table "author" add constraint "author_city_not_null" check ("city" is not null) not valid;`);
        expect(part).toContain('alter table "author" alter column "city" set not null;');
        expect(part.split('\n').filter((l) => /^begin;$/.test(l))).toEqual([]);
        expect(script).toMatch(/foreign key \("author_id"\) references "author" \("id"\)[^;]* not valid;/);
      } else {
        expect(part).toContain('alter table `author` add index if not exists `author_name_index` (`name`), algorithm=inplace, lock=none;');
        expect(part).toContain('alter table `author` modify column `city` varchar(100) default \'nowhere\' not null, algorithm=inplace, lock=none;');
      }
    });

    it('both migrations apply on a table with rows; MikroORM wants nothing more; down reverts both; up again', async () => {
      const { p, v1, online } = generated();
      const ours = await freshDatabase(kind);
      const theirs = await freshDatabase(kind);
      try {
        p.ok(['migrate', 'up', '--to', v1, '--url', ours.url]);
        // Rows the validation and the NOT NULL meet: a NULL city gets the default.
        await query(ours.url, `insert into author (name, city) values ('Ann', null), ('Bo', 'Oslo')`);
        await query(ours.url, `insert into book (title, pages) values ('One', 10), ('Two', null)`);
        p.ok(['migrate', 'up', '--url', ours.url]);
        expect((await query(ours.url, 'select city from author order by id')).map((r) => r.city)).toEqual(['nowhere', 'Oslo']);
        if (kind === 'postgresql') {
          const constraints = await query(ours.url, `select conname, convalidated from pg_constraint where conrelid in ('author'::regclass, 'book'::regclass) and contype in ('f', 'c') order by conname`);
          expect(constraints).toEqual([
            { conname: 'author_name_check', convalidated: true },
            { conname: 'book_author_id_foreign', convalidated: true },
          ]);
          expect(await query(ours.url, `select indexrelid::regclass::text as name from pg_index where not indisvalid`)).toEqual([]);
        }
        referee(p, theirs.url, 'create');
        const wanted = referee(p, ours.url, 'update') as string[];
        const selfWanted = referee(p, theirs.url, 'update') as string[];
        expect(wanted.filter((s) => !selfWanted.includes(s)), `MikroORM's getUpdateSchemaSQL() on ${kind}`).toEqual([]);
        expect(referee(p, ours.url, 'indexes')).toEqual(referee(p, theirs.url, 'indexes'));

        p.ok(['migrate', 'down', '--to', v1, '--url', ours.url]);
        const indexes = await query(
          ours.url,
          kind === 'postgresql'
            ? `select indexname as name from pg_indexes where tablename in ('author', 'book') and indexname not like '%pkey' order by 1`
            : `select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name in ('author', 'book') and index_name <> 'PRIMARY' order by 1`,
        );
        expect(indexes).toEqual([]);
        const columns = await query(
          ours.url,
          kind === 'postgresql'
            ? `select column_name as name, is_nullable as nullable from information_schema.columns where table_name = 'author' and column_name = 'city'`
            : `select column_name as name, is_nullable as nullable from information_schema.columns where table_schema = database() and table_name = 'author' and column_name = 'city'`,
        );
        expect(columns.map((c) => ({ name: c.name ?? c.NAME, nullable: c.nullable ?? c.NULLABLE }))).toEqual([{ name: 'city', nullable: 'YES' }]);

        p.ok(['migrate', 'up', '--url', ours.url]);
        const again = referee(p, ours.url, 'update') as string[];
        expect(again.filter((s) => !selfWanted.includes(s))).toEqual([]);
      } finally {
        await ours.drop();
        await theirs.drop();
      }
    });

    it('a row the key added NOT VALID does not match fails the validation, naming the key', async () => {
      const { p, v2, online } = generated();
      const db = await freshDatabase(kind);
      try {
        p.ok(['migrate', 'up', '--to', v2, '--url', db.url]);
        if (kind === 'postgresql') {
          const fk = await query(db.url, `select convalidated from pg_constraint where conname = 'book_author_id_foreign'`);
          expect(fk).toEqual([{ convalidated: false }]);
        }
        // A row the key does not allow, slipped in past it (as one written before it was added).
        if (kind === 'postgresql') {
          await query(db.url, 'alter table book disable trigger all');
          await query(db.url, `insert into book (title, author_id) values ('Orphan', 999)`);
          await query(db.url, 'alter table book enable trigger all');
        } else {
          await query(db.url, `set statement foreign_key_checks = 0 for insert into book (title, author_id) values ('Orphan', 999)`);
        }
        const r = p.run(['migrate', 'up', '--url', db.url]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toContain(online);
        expect(r.stderr).toContain('book_author_id_foreign');
      } finally {
        await db.drop();
      }
    });
  });
}
