import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applied, columns, PROJECT, tables, TestProject, USER_V1, USER_V3 } from './project.ts';

/**
 * The seed story through the real CLI on a real SQLite file: user table, project table, then
 * user.age, each generated from edited entities and applied, with data kept throughout.
 */
describe('seed story on SQLite', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());

  let ids: string[] = [];
  beforeAll(() => {
    p.write('entities/User.ts', USER_V1);
    p.ok(['gen-migration', '-m', 'create user table']);
    p.write('entities/Project.ts', PROJECT);
    p.ok(['gen-migration', '-m', 'create project table']);
    ids = p.migrations().map((f) => f.replace(/\.ts$/, ''));
  });

  it('writes one migration per version, named by stamp and message, each following the last', () => {
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^\d{14}_create_user_table$/);
    expect(ids[1]).toMatch(/^\d{14}_create_project_table$/);
    expect(p.read(`migrations/${ids[1]}.ts`)).toContain(`static override readonly parents = ['${ids[0]}'];`);
  });

  it('says "No changes" and writes nothing when run again right away', () => {
    const before = p.files();
    const r = p.run(['gen-migration', '-m', 'again']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No changes');
    expect(p.files()).toEqual(before);
  });

  it('--check exits 0 with no changes and 1 with changes, writing nothing', () => {
    expect(p.run(['gen-migration', '--check']).code).toBe(0);
    p.write('entities/User.ts', USER_V3);
    const before = p.files();
    const r = p.run(['gen-migration', '--check']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('add column user.age');
    expect(p.files()).toEqual(before);
    p.write('entities/User.ts', USER_V1);
  });

  it('applies version 2, keeps data through version 3, down and up again', () => {
    const up = p.ok(['migrate', 'up']);
    expect(up).toContain('Applied 2 migrations');
    let db = p.db();
    db.prepare(`insert into user (email, name) values ('ada@example.com', 'Ada')`).run();
    db.prepare(`insert into project (name, owner_id, created_at) values ('engine', 1, '2026-01-01')`).run();
    db.close();

    p.write('entities/User.ts', USER_V3);
    const out = p.ok(['gen-migration', '-m', 'add user age']);
    expect(out).toMatch(/migrations\/\d{14}_add_user_age\.ts/);
    const third = p.migrations()[2]!.replace(/\.ts$/, '');
    expect(p.read(`migrations/${third}.ts`)).toContain(`this.addColumn('user', 'age', { type: 'integer', nullable: true });`);

    p.ok(['migrate', 'up']);
    db = p.db();
    expect(columns(db, 'user')).toEqual(['id', 'email', 'name', 'age']);
    expect(db.prepare('select email, name, age from user').all()).toEqual([{ email: 'ada@example.com', name: 'Ada', age: null }]);
    db.prepare(`update user set age = 36`).run();
    db.close();

    expect(p.ok(['migrate', 'down'])).toContain(`Reverted 1 migration`);
    db = p.db();
    expect(columns(db, 'user')).toEqual(['id', 'email', 'name']);
    expect(db.prepare('select count(*) as n from project').get()).toEqual({ n: 1 });
    db.close();

    p.ok(['migrate', 'up']);
    db = p.db();
    expect(db.prepare('select email, age from user').all()).toEqual([{ email: 'ada@example.com', age: null }]);
    expect(applied(db)).toEqual([...ids, third]);
    db.close();
  });

  it('is a no-op at head: exit 0, says so, runs nothing', () => {
    const r = p.run(['migrate', 'up']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Already up to date: .* is at \d{14}_add_user_age \(head\)/);
  });

  it('--step and --to land where asked, in both directions', () => {
    const all = p.migrations().map((f) => f.replace(/\.ts$/, ''));
    p.ok(['migrate', 'down', '--step', '2']);
    let db = p.db();
    expect(applied(db)).toEqual([all[0]]);
    expect(tables(db)).toEqual(['tidemark_migrations', 'user']);
    db.close();

    p.ok(['migrate', 'up', '--to', all[1]!.slice(0, 14)]);
    db = p.db();
    expect(applied(db)).toEqual(all.slice(0, 2));
    db.close();

    p.ok(['migrate', 'up']);
    p.ok(['migrate', 'down', '--to', all[0]!]);
    db = p.db();
    expect(applied(db)).toEqual([all[0]]);
    db.close();

    expect(p.ok(['migrate', 'down', '--to', 'base'])).toContain('Reverted 1 migration');
    db = p.db();
    expect(tables(db)).toEqual(['tidemark_migrations']);
    db.close();
    expect(p.ok(['migrate', 'down'])).toContain('Nothing to revert');
  });

  it('status shows current, applied and pending', () => {
    const all = p.migrations().map((f) => f.replace(/\.ts$/, ''));
    p.ok(['migrate', 'up', '--to', all[0]!]);
    const out = p.ok(['migrate', 'status']);
    expect(out).toContain(`Current:  ${all[0]}`);
    expect(out).toContain('Applied (1):');
    expect(out).toContain(`Pending (2):\n  ${all[1]}\n  ${all[2]}`);
    const json = JSON.parse(p.ok(['migrate', 'status', '--json']));
    expect(json.current).toEqual([all[0]]);
    expect(json.pending).toEqual(all.slice(1));
  });
});
