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

const SHOP_V1 = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class Shop {
  @PrimaryKey()
  id!: number;

  @Property({ length: 100 })
  name!: string;

  @Property({ nullable: true })
  rank?: number;
}
`;

/** An index on an existing column, and a type change no dialect makes online. */
const SHOP_V2 = `import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class Shop {
  @PrimaryKey()
  id!: number;

  @Index()
  @Property({ length: 100 })
  name!: string;

  @Property({ type: 'bigint', nullable: true })
  rank?: string;
}
`;

describe('gen-migration flags blocking locks with the safe form, and writes the migration anyway', () => {
  const projects: TestProject[] = [];
  afterAll(() => projects.forEach((p) => p.dispose()));
  const config = (url?: string) =>
    `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({\n  entities: ['./entities/*.ts'],\n  migrations: './migrations',\n${url ? `  url: '${url}',\n` : ''}});\n`;
  /** The second gen-migration's exit code and warnings, on a project whose table exists since the first. */
  const second = (url: string | undefined, args: string[] = []) => {
    const p = new TestProject(config(url));
    projects.push(p);
    p.write('entities/Shop.ts', SHOP_V1);
    const first = p.run(['gen-migration', '-m', 'shops'], { TIDEMARK_NOW: '2026-06-01T10:00:00Z' });
    expect(first.stderr).toBe('');
    p.write('entities/Shop.ts', SHOP_V2);
    const r = p.run(['gen-migration', '-m', 'shop name index', ...args], { TIDEMARK_NOW: '2026-06-02T10:00:00Z' });
    return { ...r, p, warnings: r.stderr.split('\n').filter((l) => l.startsWith('warning: TM2')) };
  };
  // The URL names the dialect; gen-migration never connects to it.
  const PG = 'postgres://postgres@127.0.0.1:1/nowhere';

  it('--no-online on PostgreSQL: the plain index is flagged, with how to get the safe form', () => {
    const r = second(PG, ['--no-online']);
    expect(r.code).toBe(0);
    expect(r.p.migrations()).toHaveLength(2);
    // The file says it too, for whoever reviews it.
    const file = r.p.read(`migrations/${r.p.migrations()[1]}`);
    expect(file).toContain(' * Blocking locks on tables that already exist (warnings; README "Locks and online changes"):\n * - TM206 (postgresql) alter column shop.rank: ACCESS EXCLUSIVE on "shop"');
    expect(file).toContain(' * - TM201 (postgresql) create index shop_name_index on shop: SHARE on "shop"; blocks writes; scans the table (time grows with its size)\n *   safe form: { online: true } on createIndex');
    expect(r.warnings).toEqual([
      'warning: TM206 (postgresql) alter column shop.rank: ACCESS EXCLUSIVE on "shop"; blocks reads and writes; rewrites the table (time grows with its size); safe form: expand and contract: add a new column, backfill it in batches, switch the application to it, then drop the old one; migrate up refuses it on a table above bigTable rows unless the migration says static allowBlocking = [\'TM206:shop\'] (or --allow-blocking TM206:shop)',
      'warning: TM201 (postgresql) create index shop_name_index on shop: SHARE on "shop"; blocks writes; scans the table (time grows with its size); safe form: { online: true } on createIndex: CREATE INDEX CONCURRENTLY, in a migration with static transactional = false (written plainly because of --no-online)',
    ]);
  });

  it('by default the index is written online and not flagged; the type change, which has no online form, still is', () => {
    const r = second(PG);
    expect(r.code).toBe(0);
    expect(r.p.migrations()).toHaveLength(3);
    expect(r.warnings.map((w) => w.slice(0, 'warning: TM206 (postgresql)'.length))).toEqual(['warning: TM206 (postgresql)']);
  });

  it('without a URL, both servers with online forms are classified; --json carries the warnings', () => {
    const r = second(undefined, ['--no-online', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { warnings: { code: string; message: string; safeAlternative?: string }[] };
    expect(doc.warnings.map((w) => w.code)).toEqual(['TM206', 'TM201', 'TM206']);
    expect(doc.warnings[2]!.message).toBe('alter column shop.rank: ALGORITHM=COPY, LOCK=SHARED on "shop" (the server\'s choice); blocks writes; rewrites the table (time grows with its size)');
    expect(doc.warnings[2]!.safeAlternative).toMatch(/pt-online-schema-change/);
  });

  it('SQLite: nothing is flagged (one writer, no online forms)', () => {
    const r = second('sqlite:./app.db');
    expect(r.code).toBe(0);
    expect(r.warnings).toEqual([]);
  });
});
