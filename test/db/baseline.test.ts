import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { introspect } from '../../src/introspect/introspect.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { ROOT, TestProject } from '../e2e/project.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * `tidemark baseline` adopts a database tidemark did not build: here MikroORM's own
 * `schema.create()` from the entities the history was generated from. Accepted when the live
 * schema is the history's; refused (nothing written) after a hand-made change; `--force`
 * accepts and lists what differs. Afterwards `migrate status`/`up` treat it as migrated.
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

const BOOK = `import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Author } from './Author.js';

@Entity()
export class Book {
  @PrimaryKey()
  id!: number;

  @Property()
  title!: string;

  @ManyToOne(() => Author)
  author!: Author;
}
`;

const CREATE = join(ROOT, 'test/db/mikro-orm-create.ts');

/** MikroORM creates the schema of the project's current entities on `url`. */
function mikroOrmCreate(p: TestProject, url: string): void {
  const r = spawnSync(process.execPath, [CREATE, p.dir, url], { cwd: p.dir, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`MikroORM schema.create() failed on ${url}: ${r.stderr}`);
}

async function withDb<T>(p: TestProject, url: string, fn: (execute: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const db = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await fn((sql, params) => db.execute(sql, params));
  } finally {
    await db.close();
  }
}

/** Every table with its columns, indexes and keys, the version table included: to prove a refusal changed nothing. */
async function everything(p: TestProject, url: string, dialect: DialectName) {
  return withDb(p, url, async (execute) => introspect(execute, dialect, []));
}

const targets: { name: DialectName; server?: ServerKind }[] = [{ name: 'sqlite' }, { name: 'postgresql', server: 'postgresql' }, { name: 'mariadb', server: 'mariadb' }];

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`baseline on ${target.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanup) await c();
    });

    /** A project whose history was generated from the simple entity set, and an empty database. */
    async function setup(name: string): Promise<{ p: TestProject; url: string }> {
      const p = new TestProject();
      cleanup.push(() => p.dispose());
      p.write('entities/Author.ts', AUTHOR).write('entities/Book.ts', BOOK);
      p.ok(['gen-migration', '-m', 'init'], { TIDEMARK_NOW: '2026-03-01T10:00:00Z' });
      if (!target.server) return { p, url: `sqlite:${join(p.dir, `${name}.db`)}` };
      const d = await freshDatabase(target.server);
      cleanup.push(() => d.drop());
      return { p, url: d.url };
    }

    const addColumn = (dialect: DialectName) => `alter table ${dialect === 'postgresql' ? '"author"' : '`author`'} add column nickname varchar(40) null`;

    it("a database MikroORM created from the same entities: accepted; then status shows it applied and up has nothing to do", async () => {
      const { p, url } = await setup('created');
      mikroOrmCreate(p, url);
      const r = p.run(['baseline', '--url', url]);
      // The differences, if any, are what tidemark and MikroORM still build differently.
      expect(r.stdout + r.stderr).toContain(`Baselined ${parseDatabaseUrl(url, p.dir, 'test').display} at ${p.migrations()[0]!.replace('.ts', '')}`);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('Forced');
      const status = JSON.parse(p.ok(['migrate', 'status', '--url', url, '--json']));
      expect(status.applied.map((a: { id: string }) => a.id)).toEqual(p.migrations().map((f) => f.replace('.ts', '')));
      expect(status.pending).toEqual([]);
      expect(status.drift).toEqual([]);
      expect(p.ok(['migrate', 'up', '--url', url])).toMatch(/^Already up to date: .* \(head\)\.\n$/);
      expect(p.ok(['check', '--url', url])).toMatch(/^ok: .*holds the schema its 1 applied migration\(s\) make\.\n$/);
      // The rows are those migrate up writes: applied, with the file's checksum.
      const rows = await withDb(p, url, (execute) => execute('select name, status, checksum, started_at, finished_at from tidemark_migrations'));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ name: p.migrations()[0]!.replace('.ts', ''), status: 'applied', checksum: expect.stringMatching(/^sha256-lf:[0-9a-f]{64}$/) });
      expect(rows[0]!.started_at).not.toBeNull();
      expect(rows[0]!.finished_at).not.toBeNull();
      // down works from there like on a database tidemark migrated.
      p.ok(['migrate', 'down', '--url', url]);
      expect((await everything(p, url, target.name)).tables.map((t) => t.name)).toEqual(['tidemark_migrations']);
    });

    it('after a hand-made change: refused with the difference, nothing written; --force accepts and says so', async () => {
      const { p, url } = await setup('changed');
      mikroOrmCreate(p, url);
      await withDb(p, url, (execute) => execute(addColumn(target.name)));
      const before = await everything(p, url, target.name);
      const r = p.run(['baseline', '--url', url]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^Refused: .* differs from the history at \S+ in \d+ way\(s\):\n/);
      expect(r.stdout).toContain('  extra column author.nickname: varchar(40) null\n');
      expect(r.stdout).toContain("Nothing was recorded.");
      // Not even the version table was created.
      expect(await everything(p, url, target.name)).toEqual(before);
      expect(before.tables.map((t) => t.name)).not.toContain('tidemark_migrations');

      const json = p.run(['baseline', '--url', url, '--json']);
      expect(json.code).toBe(1);
      const refused = JSON.parse(json.stdout);
      expect(refused).toMatchObject({ accepted: false, recorded: [], forced: false });
      expect(refused.drift).toContainEqual({ kind: 'extra', object: 'column', table: 'author', name: 'nickname', detail: 'varchar(40) null' });

      const forced = p.run(['baseline', '--url', url, '--force']);
      expect(forced.code).toBe(0);
      expect(forced.stdout).toMatch(/^Forced: .* differs from the history at \S+ in \d+ way\(s\), accepted with --force:\n/);
      expect(forced.stdout).toContain('  extra column author.nickname: varchar(40) null\n');
      expect(forced.stdout).toContain('recorded 1 migration as applied');
      const status = p.ok(['migrate', 'status', '--url', url]);
      expect(status).toContain('Pending (0): none');
      expect(status).toContain('  extra column author.nickname: varchar(40) null\n');
      expect(p.ok(['migrate', 'up', '--url', url])).toMatch(/^Already up to date/);

      // A second baseline is refused: the database is tidemark's now.
      const again = p.run(['baseline', '--url', url]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^tidemark: .* already records 1 applied migration\(s\), the newest \S+ in tidemark_migrations: tidemark manages it, so there is nothing to baseline; see 'tidemark migrate status'.*\n$/);
    });

    it('at an older revision (by prefix): the head is refused with what is missing, the older one accepted, up applies the rest', async () => {
      const { p, url } = await setup('older');
      // The schema as MikroORM makes it from the first version of the entities (no book table).
      p.remove('entities/Book.ts');
      p.remove('migrations');
      p.ok(['gen-migration', '-m', 'authors'], { TIDEMARK_NOW: '2026-03-01T10:00:00Z' });
      mikroOrmCreate(p, url);
      p.write('entities/Book.ts', BOOK);
      p.ok(['gen-migration', '-m', 'books'], { TIDEMARK_NOW: '2026-03-02T10:00:00Z' });
      const [first, second] = p.migrations().map((f) => f.replace('.ts', ''));

      const atHead = p.run(['baseline', '--url', url]);
      expect(atHead.code).toBe(1);
      expect(atHead.stdout).toContain(`differs from the history at ${second}`);
      expect(atHead.stdout).toContain('  missing table book: in the history (3 column(s)), not in the database\n');

      const r = p.run(['baseline', '20260301', '--url', url]);
      expect(r.stdout + r.stderr).toContain(`at ${first}: recorded 1 migration as applied:\n  ${first}\n`);
      expect(r.code).toBe(0);
      expect(p.ok(['migrate', 'up', '--url', url])).toContain(`Applied 1 migration on`);
      expect(p.ok(['check', '--url', url])).toMatch(/^ok: /);
    });
  });
}

describe('baseline: bad input', () => {
  it('an unknown revision, a SQLite file that is not there, a database tidemark already migrated: one line each, exit 1, nothing changed', () => {
    const p = new TestProject();
    try {
      p.write('entities/Author.ts', AUTHOR);
      p.ok(['gen-migration', '-m', 'init'], { TIDEMARK_NOW: '2026-03-01T10:00:00Z' });
      const missing = p.run(['baseline', '--url', 'sqlite:./nothing.db']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe("tidemark: sqlite:./nothing.db does not exist: baseline adopts an existing database; 'tidemark migrate up' builds a new one\n");
      expect(p.files()['nothing.db']).toBeUndefined();

      mikroOrmCreate(p, `sqlite:${join(p.dir, 'app.db')}`);
      const unknown = p.run(['baseline', '2027']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe("tidemark: baseline 2027: no such migration (or the prefix is ambiguous); see 'tidemark history --offline'\n");

      p.remove('app.db');
      p.ok(['migrate', 'up']);
      const before = p.files();
      const managed = p.run(['baseline']);
      expect(managed.code).toBe(1);
      expect(managed.stderr.split('\n')).toHaveLength(2);
      expect(managed.stderr).toContain('already records 1 applied migration(s)');
      expect(p.files()).toEqual(before);
    } finally {
      p.dispose();
    }
  });
});
