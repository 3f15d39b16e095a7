import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TestProject } from './project.ts';

/**
 * What each operation locks, shown by `show` and `migrate up --sql`: a history whose second
 * migration uses the plain forms on tables that already exist, and whose third uses the online
 * forms (CONCURRENTLY, NOT VALID + VALIDATE, NOT NULL through a validated check).
 */
describe('lock classification in show and --sql', () => {
  const p = new TestProject();
  cpSync(join(ROOT, 'test/fixtures/locks/migrations'), join(p.dir, 'migrations'), { recursive: true });
  afterAll(() => p.dispose());

  for (const dialect of ['postgresql', 'mariadb']) {
    it(`show, plain and online forms, ${dialect}`, async () => {
      await expect(p.ok(['show', 'plain_forms', '--dialect', dialect])).toMatchFileSnapshot(`../snapshots/locks/show-plain.${dialect}.txt`);
      await expect(p.ok(['show', 'online_forms', '--dialect', dialect])).toMatchFileSnapshot(`../snapshots/locks/show-online.${dialect}.txt`);
    });

    it(`migrate up --sql, ${dialect}`, async () => {
      await expect(p.ok(['migrate', 'up', '--sql', '--dialect', dialect])).toMatchFileSnapshot(`../snapshots/locks/up.${dialect}.sql`);
    });
  }

  it('PostgreSQL: every plain form on an existing table is flagged with its safe form; tables made in the same migration and the online forms are not', () => {
    const plain = p.ok(['show', 'plain_forms', '--dialect', 'postgresql']);
    for (const code of ['TM201', 'TM203', 'TM204', 'TM205', 'TM206', 'TM202']) expect(plain).toMatch(new RegExp(`^  ${code} `, 'm'));
    expect(plain).toContain('create index refund_purchase_id_index on refund: SHARE on "refund"; blocks writes; scans the table (time grows with its size)');
    expect(plain).not.toMatch(/TM\d+ create index refund_purchase_id_index/);
    const online = p.ok(['show', 'online_forms', '--dialect', 'postgresql']);
    expect(online).not.toMatch(/TM2\d\d/);
    expect(online).toContain('create index customer_email_index on customer: SHARE UPDATE EXCLUSIVE on "customer"; blocks nothing; scans the table');
    const sql = p.ok(['migrate', 'up', '--sql', '--dialect', 'postgresql']);
    // The comment stands right above the statements it is about.
    expect(sql).toContain('-- TM201 SHARE on "purchase"; blocks writes; scans the table (time grows with its size); safe form: { online: true } on createIndex');
    expect(sql).toMatch(/-- lock: SHARE UPDATE EXCLUSIVE on "customer"; blocks nothing; scans the table \(time grows with its size\)\ncreate index concurrently/);
  });

  it('show --json carries the classification; without a dialect there is none', () => {
    const doc = JSON.parse(p.ok(['show', 'online_forms', '--dialect', 'postgresql', '--json'])) as { locks: { operation: string; code: string | null; blocks: string; duration: string }[] };
    expect(doc.locks[0]).toEqual({
      operation: 'create index customer_email_index on customer',
      code: null,
      lock: 'SHARE UPDATE EXCLUSIVE on "customer"',
      blocks: 'nothing',
      duration: 'scan',
      note: 'CREATE INDEX CONCURRENTLY: builds while writes go on (outside a transaction)',
      safeAlternative: null,
    });
    const none = p.write('tidemark.config.ts', "import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: ['./entities/*.ts'], migrations: './migrations' });\n").ok(['show', 'online_forms', '--json']);
    expect(JSON.parse(none).locks).toBeNull();
  });
});
