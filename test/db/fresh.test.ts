import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject, USER_V3 } from '../e2e/project.ts';
import { freshDatabase, unavailable, type TestDatabase } from './servers.ts';

/**
 * `tidemark fresh` on PostgreSQL: refused without --force (one line, exit 1, the database as
 * it was); with --force the tables the history made and the version table are dropped, across
 * a foreign key, and everything is applied again; a table the history does not know stays.
 */
const POST = `import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from './User.ts';

@Entity()
export class Post {
  @PrimaryKey()
  id!: number;

  @ManyToOne(() => User)
  author!: User;

  @Property()
  title!: string;
}
`;

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDatabase(parseDatabaseUrl(url, process.cwd(), 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await db.execute(sql);
  } finally {
    await db.close();
  }
}

const tablesOf = async (url: string) =>
  (await query(url, `select table_name as name from information_schema.tables where table_schema = 'public' order by table_name`)).map((r) => r.name);

const skip = await unavailable('postgresql');
describe.skipIf(Boolean(skip))(`fresh on postgresql${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let p: TestProject;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await freshDatabase('postgresql');
    p = new TestProject();
    p.write('entities/User.ts', USER_V3).write('entities/Post.ts', POST);
    p.ok(['gen-migration', '-m', 'init'], { TIDEMARK_NOW: '2026-01-01T00:00:00Z' });
    p.ok(['migrate', 'up', '--url', db.url]);
    await query(db.url, `insert into "user" (email, name) values ('a@example.com', 'A')`);
    await query(db.url, `insert into post (author_id, title) values (1, 'hello')`);
    await query(db.url, 'create table keep_me (x integer)');
  });

  afterAll(async () => {
    p?.dispose();
    await db?.drop();
  });

  it('is refused without --force: one line, exit 1, nothing changed', async () => {
    const before = await query(db.url, 'select count(*)::int as n from post');
    const r = p.run(['fresh', '--url', db.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tidemark: fresh drops every table tidemark manages on postgres.*refused without --force/);
    expect(await query(db.url, 'select count(*)::int as n from post')).toEqual(before);
    expect(before).toEqual([{ n: 1 }]);
  });

  it('with --force drops what the history made (foreign keys and all) and applies everything again', async () => {
    const out = p.ok(['fresh', '--force', '--url', db.url]);
    expect(out).toContain('Dropped 2 tables');
    expect(out).toContain('20260101000000_init');
    expect(await query(db.url, 'select count(*)::int as n from post')).toEqual([{ n: 0 }]);
    expect(await query(db.url, 'select count(*)::int as n from "user"')).toEqual([{ n: 0 }]);
    expect(await tablesOf(db.url)).toEqual(['keep_me', 'post', 'tidemark_migrations', 'user']);
    expect((await query(db.url, 'select name from tidemark_migrations')).map((r) => r.name)).toEqual(['20260101000000_init']);
    expect(p.ok(['migrate', 'status', '--url', db.url])).toContain('20260101000000_init');
  });
});
