import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import type { Drift } from '../../src/introspect/drift.ts';
import { introspect } from '../../src/introspect/introspect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * `check --url` and `migrate status` compare the live schema with the one the applied
 * migrations make and list every difference, on real databases: clean after `migrate up`;
 * after hand-made DDL (a column added, an index dropped, a column's type changed) each change
 * is one line, readable and in `--json`.
 */
const AUTHOR = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class Author {
  @PrimaryKey()
  id!: number;

  @Property()
  name!: string;

  @Property({ nullable: true })
  bio?: string;
}
`;

const BOOK = `import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Author } from './Author.js';

@Entity()
export class Book {
  @PrimaryKey()
  id!: number;

  @Index({ name: 'book_title_idx' })
  @Property()
  title!: string;

  @ManyToOne(() => Author)
  author!: Author;
}
`;

type Execute = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

async function withDb<T>(p: TestProject, url: string, fn: (execute: Execute) => Promise<T>): Promise<T> {
  const db = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await fn((sql, params) => db.execute(sql, params));
  } finally {
    await db.close();
  }
}

/** The hand-made DDL: `author.nickname` added, `book_title_idx` dropped, `author.name` retyped. Returns the new type as the database reports it. */
async function handMadeChanges(dialect: DialectName, execute: Execute): Promise<string> {
  await execute('alter table author add column nickname varchar(40) null');
  if (dialect === 'sqlite') {
    await execute('drop index book_title_idx');
    // SQLite cannot retype a column in place: the usual rebuild, by hand, foreign keys off.
    const [{ sql }] = (await execute(`select sql from sqlite_master where type = 'table' and name = 'author'`)) as [{ sql: string }];
    const rebuilt = sql.replace(/^create table [`"]?author[`"]?/i, 'create table author__new').replace(/([`"]name[`"]\s+)[a-z]+(\(\d+\))?/i, '$1integer');
    expect(rebuilt).not.toBe(sql);
    await execute('pragma foreign_keys = off');
    await execute(rebuilt);
    await execute('insert into author__new select * from author');
    await execute('drop table author');
    await execute('alter table author__new rename to author');
    await execute('pragma foreign_keys = on');
    return 'integer';
  }
  if (dialect === 'postgresql') {
    await execute('drop index book_title_idx');
    await execute('alter table author alter column name type text');
  } else {
    await execute('drop index book_title_idx on book');
    await execute('alter table author modify name text not null');
  }
  return 'text';
}

const targets: { name: DialectName; server?: ServerKind }[] = [{ name: 'sqlite' }, { name: 'postgresql', server: 'postgresql' }, { name: 'mariadb', server: 'mariadb' }];

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`live drift on ${target.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanup) await c();
    });

    it('check --url: ok after migrate up; after hand-made DDL every difference, readable and --json; status lists them too; plain check opens no database', async () => {
      const p = new TestProject();
      cleanup.push(() => p.dispose());
      p.write('entities/Author.ts', AUTHOR).write('entities/Book.ts', BOOK);
      p.ok(['gen-migration', '-m', 'init'], { TIDEMARK_NOW: '2026-03-01T10:00:00Z' });
      let url = `sqlite:${join(p.dir, 'drift.db')}`;
      if (target.server) {
        const d = await freshDatabase(target.server);
        cleanup.push(() => d.drop());
        url = d.url;
      }
      const shown = parseDatabaseUrl(url, p.dir, 'test').display;
      p.ok(['migrate', 'up', '--url', url]);

      const clean = p.run(['check', '--url', url]);
      expect(clean.stdout).toBe(`ok: the entities, the snapshot and the migration history agree, and ${shown} holds the schema its 1 applied migration(s) make.\n`);
      expect(clean.code).toBe(0);
      expect(JSON.parse(p.ok(['migrate', 'status', '--url', url, '--json'])).drift).toEqual([]);
      expect(p.ok(['migrate', 'status', '--url', url])).toContain('\nDrift (0): none\n');

      const { newType, nameType } = await withDb(p, url, async (execute) => {
        const before = await introspect(execute, target.name, ['tidemark_migrations']);
        const nameType = before.tables.find((t) => t.name === 'author')!.columns.find((c) => c.name === 'name')!.type;
        return { nameType, newType: await handMadeChanges(target.name, execute) };
      });
      const expected: Drift[] = [
        { kind: 'extra', object: 'column', table: 'author', name: 'nickname', detail: 'varchar(40) null' },
        { kind: 'different', object: 'column', table: 'author', name: 'name', detail: `type ${newType}, should be ${nameType}` },
        { kind: 'missing', object: 'index', table: 'book', name: 'book_title_idx', detail: '(title)' },
      ];
      const lines = [
        '    extra column author.nickname: varchar(40) null',
        `    different column author.name: type ${newType}, should be ${nameType}`,
        '    missing index book.book_title_idx: (title)',
      ];

      const r = p.run(['check', '--url', url]);
      expect(r.code).toBe(1);
      const out = r.stdout.split('\n');
      const at = out.indexOf(
        `✗ drift: ${shown} differs from the schema its 1 applied migration(s) make in 3 way(s); change the database back, or capture the change in a migration ('tidemark gen-migration')`,
      );
      expect(at).toBeGreaterThanOrEqual(0);
      expect(out.slice(at + 1, at + 4)).toEqual(lines);

      const json = p.run(['check', '--url', url, '--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout);
      expect(report.problems.find((x: { code: string }) => x.code === 'drift').drift).toEqual(expected);
      expect(report.database).toEqual({ url: shown, applied: p.migrations().map((f) => f.replace('.ts', '')) });

      const status = p.ok(['migrate', 'status', '--url', url]);
      expect(status).toContain(`\nDrift (3): the live schema differs from the one the applied migrations make (see 'tidemark check --url')\n${lines.map((l) => l.slice(2)).join('\n')}\n`);
      expect(JSON.parse(p.ok(['migrate', 'status', '--url', url, '--json'])).drift).toEqual(expected);

      // Without --url, check stays about files: the configured database is not opened.
      const plain = p.run(['check', '--json'], { DATABASE_URL: url });
      const plainReport = JSON.parse(plain.stdout);
      expect(plainReport.database).toBeUndefined();
      expect(plainReport.problems.map((x: { code: string }) => x.code)).not.toContain('drift');
    });
  });
}

describe('check --url: databases it cannot compare', () => {
  it('a SQLite file that does not exist is a database problem, and is not created', () => {
    const p = new TestProject();
    try {
      p.write('entities/Author.ts', AUTHOR);
      p.ok(['gen-migration', '-m', 'init'], { TIDEMARK_NOW: '2026-03-01T10:00:00Z' });
      const r = p.run(['check', '--url', 'sqlite:./nope.db', '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).problems).toContainEqual({ code: 'database', message: 'sqlite:./nope.db does not exist: there is no schema to compare' });
      expect(p.files()['nope.db']).toBeUndefined();
    } finally {
      p.dispose();
    }
  });

  it('a database with tables but no tidemark history: every table is extra, and baseline is named as the way in', async () => {
    const p = new TestProject();
    try {
      p.write('entities/Author.ts', AUTHOR);
      p.ok(['gen-migration', '-m', 'init'], { TIDEMARK_NOW: '2026-03-01T10:00:00Z' });
      await withDb(p, `sqlite:${join(p.dir, 'app.db')}`, (execute) => execute('create table legacy (id integer primary key)'));
      const r = p.run(['check', '--url', 'sqlite:./app.db']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        "✗ drift: sqlite:./app.db differs from the history (it records no migrations as applied) in 1 way(s); if its schema is the history's at some revision, 'tidemark baseline [<id>]' adopts it\n    extra table legacy: not in the history (1 column(s))\n",
      );
    } finally {
      p.dispose();
    }
  });
});
