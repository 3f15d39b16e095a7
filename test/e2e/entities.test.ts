import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tables, TestProject } from './project.ts';

/**
 * What real apps declare, in both decorator styles: legacy decorators with types inferred
 * from TypeScript, and TC39 decorators with explicit types. Generated file snapshotted,
 * applied to a real SQLite file, reverted to an empty schema.
 */
describe.each(['legacy', 'es'])('entities with %s decorators', (style) => {
  const p = new TestProject();
  afterAll(() => p.dispose());
  const dir = join(ROOT, 'test/fixtures', `rich-${style}`);
  for (const f of readdirSync(dir)) cpSync(join(dir, f), join(p.dir, 'entities', f));

  it('generates a migration that reads like hand-written code', async () => {
    p.ok(['gen-migration', '-m', `rich ${style} entities`], { TIDEMARK_NOW: '2026-01-02T03:04:05Z' });
    const [file] = p.migrations();
    expect(file).toBe(`20260102030405_rich_${style}_entities.ts`);
    await expect(p.read(`migrations/${file}`)).toMatchFileSnapshot(`../snapshots/e2e-rich-${style}.ts`);
  });

  it('applies on SQLite, is then in sync, and reverts to an empty schema', () => {
    p.ok(['migrate', 'up']);
    let db = p.db();
    expect(tables(db)).toEqual(['accounts', 'post', 'post_tags', 'tag', 'tidemark_migrations']);
    const fks = db.prepare(`select "table", "from", "to", on_delete from pragma_foreign_key_list('post_tags') order by "from"`).all();
    expect(fks).toEqual([
      { table: 'post', from: 'post_id', to: 'id', on_delete: 'CASCADE' },
      { table: 'tag', from: 'tag_id', to: 'id', on_delete: 'CASCADE' },
    ]);
    db.close();
    expect(p.run(['gen-migration', '--check']).code).toBe(0);
    p.ok(['migrate', 'down', '--to', 'base']);
    db = p.db();
    expect(tables(db)).toEqual(['tidemark_migrations']);
    db.close();
  });
});
