import { afterAll, describe, expect, it } from 'vitest';
import { migrateUp, resolveMigration } from '../../src/api.ts';
import { PreconditionError } from '../../src/migrate/preconditions.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * The run-time guard against a change that blocks writes while it copies or rewrites a big table
 * (src/migrate/big-tables.ts), on real servers, with the threshold lowered to 1,000 rows so a
 * 5,000-row table counts as big: refused before anything changed, run once accepted, and a change
 * that needs no copy never refused.
 */

const TABLE = '20260901000000_item';
const CHANGE = '20260901000001_change';
const ROWS = 5000;

const migration = (id: string, parents: string[], up: string, statics = '') =>
  `import { TidemarkMigration } from 'tidemark';

export class M${id.slice(0, 14)} extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = ${JSON.stringify(parents)};
${statics}
  override up(): void {
${up}
  }

  override down(): void {}
}
`;

const createTable = `    this.createTable('item', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('n', { type: 'integer' });
      t.column('name', { type: 'string', length: 50 });
    });`;

async function query(url: string, dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await db.execute(sql);
  } finally {
    await db.close();
  }
}

const BIG = 1000;
const inputs = (p: TestProject, url: string, bigTable: number = BIG) => ({ inline: { entities: [], migrations: './migrations', bigTable }, cwd: p.dir, url });

for (const kind of ['postgresql', 'mariadb'] as ServerKind[]) {
  const skip = await unavailable(kind);
  describe.skipIf(Boolean(skip))(`big tables on ${kind}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => unknown)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    /** A database with `item` holding ROWS rows, and `change` written as the next migration. */
    async function setup(change: string, statics = '') {
      const p = new TestProject(null as never);
      cleanups.push(() => p.dispose());
      const db = await freshDatabase(kind);
      cleanups.push(db.drop);
      const url = db.url;
      p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
      p.write(`migrations/${CHANGE}.ts`, migration(CHANGE, [TABLE], change, statics));
      await migrateUp({ ...inputs(p, url), to: TABLE });
      const rows = kind === 'postgresql' ? `select g, g, 'v' || g from generate_series(1, ${ROWS}) g` : `select seq, seq, concat('v', seq) from seq_1_to_${ROWS}`;
      await query(url, p.dir, `insert into item (id, n, name) ${rows}`);
      const sql = (text: string) => query(url, p.dir, text);
      const applied = async () => (await sql('select name from tidemark_migrations order by id')).map((r) => r.name);
      const column = async (name: string) =>
        (await sql(`select data_type as t, character_maximum_length as l from information_schema.columns where table_name = 'item' and column_name = '${name}'${kind === 'mariadb' ? ' and table_schema = database()' : ''}`))[0];
      return { p, url, sql, applied, column };
    }

    // The copying change of each dialect: MariaDB copies a utf8mb4 varchar widened past 255 bytes; PostgreSQL rewrites integer → bigint.
    const copying =
      kind === 'mariadb' ? `    this.alterColumn('item', 'name', { type: 'string', length: 100 });` : `    this.alterColumn('item', 'n', { type: 'bigint' });`;
    const changed = async (column: (name: string) => Promise<Record<string, unknown> | undefined>) =>
      kind === 'mariadb' ? Number((await column('name'))!.l) === 100 : (await column('n'))!.t === 'bigint';

    it('a change that copies or rewrites a table above bigTable is refused before anything runs, naming the way out; accepted by --allow-blocking it runs', async () => {
      const { p, url, applied, column, sql } = await setup(copying);
      if (kind === 'postgresql') await sql('analyze item');
      const refused = migrateUp(inputs(p, url));
      await expect(refused).rejects.toThrow(PreconditionError);
      const message = await refused.then(() => "", (e: Error) => e.message);
      expect(message).toContain(`migration ${CHANGE} (up) refused before it changed anything: alter column item.`);
      expect(message).toContain('(TM206)');
      expect(message).toMatch(kind === 'postgresql' ? /which has about 5,000 rows \(server statistics\), above bigTable 1,000/ : /which has (about [\d,]+ rows \(server statistics\)|more than 1,000 rows \(counted\)), above bigTable 1,000/);
      expect(message).toContain(`blocks ${kind === 'postgresql' ? 'reads and writes' : 'writes'} on table item`);
      expect(message).toContain(`'migrate up --allow-blocking TM206:item'`);
      expect(message).toContain(`static allowBlocking = ['TM206:item']`);
      expect(message.includes('pt-online-schema-change')).toBe(kind === 'mariadb');
      expect(message).not.toContain('\n');
      expect(await applied()).toEqual([TABLE]);
      expect(await changed(column)).toBe(false);
      // Accepting another table's change accepts nothing here.
      await expect(migrateUp({ ...inputs(p, url), allowBlocking: ['TM206:other'] })).rejects.toThrow(PreconditionError);
      expect(await applied()).toEqual([TABLE]);

      await migrateUp({ ...inputs(p, url), allowBlocking: ['TM206:item'] });
      expect(await applied()).toEqual([TABLE, CHANGE]);
      expect(await changed(column)).toBe(true);
    });

    it("a migration's static allowBlocking accepts its own change; 0 turns the check off", async () => {
      const { p, url, applied, column } = await setup(copying, `  static readonly allowBlocking = ['TM206:item'];\n`);
      await migrateUp(inputs(p, url));
      expect(await applied()).toEqual([TABLE, CHANGE]);
      expect(await changed(column)).toBe(true);

      const off = await setup(copying);
      await migrateUp(inputs(off.p, off.url, 0));
      expect(await off.applied()).toEqual([TABLE, CHANGE]);
    });

    // pt-online-schema-change is for MySQL/MariaDB: not registered on PostgreSQL.
    if (kind === 'mariadb') it('the pt-online-schema-change way: the change made outside tidemark, then the migration recorded with migrate resolve --applied', async () => {
      const { p, url, applied, column, sql } = await setup(copying);
      await expect(migrateUp(inputs(p, url))).rejects.toThrow(PreconditionError);
      // What pt-online-schema-change --alter "modify …" leaves: the table with the migration's change.
      await sql('alter table item modify name varchar(100) not null');
      await resolveMigration({ ...inputs(p, url), id: CHANGE, outcome: 'applied' });
      expect(await applied()).toEqual([TABLE, CHANGE]);
      expect(await changed(column)).toBe(true);
      // Nothing is pending, so nothing is refused any more.
      expect((await migrateUp(inputs(p, url))).ran).toEqual([]);
    });

    it("the README's expand and contract recipe (add, backfill, drop) changes the column's type on a big table without a refusal", async () => {
      const { p, url, applied, sql } = await setup(`    this.addColumn('item', 'n_big', { type: 'bigint', nullable: true });`);
      const BACKFILL = '20260901000002_backfill';
      const CONTRACT = '20260901000003_contract';
      p.write(
        `migrations/${BACKFILL}.ts`,
        migration(BACKFILL, [CHANGE], `    this.backfill('item', { n_big: 'n' }, 'n_big is null and n is not null', { batchSize: 1000 });`, '  static override readonly transactional = false;\n'),
      );
      p.write(`migrations/${CONTRACT}.ts`, migration(CONTRACT, [BACKFILL], `    this.dropColumn('item', 'n', { dataLoss: 'accepted' });`));
      await migrateUp(inputs(p, url, 1));
      expect(await applied()).toEqual([TABLE, CHANGE, BACKFILL, CONTRACT]);
      const [{ c }] = (await sql('select count(*) as c from item where n_big = id')) as [{ c: unknown }];
      expect(Number(c)).toBe(ROWS);
    });

    // The CLI's plumbing is the same on every dialect: registered once.
    if (kind === 'postgresql') it('CLI: the refusal is one line and exit 1; a malformed --allow-blocking is a usage error (exit 2); the flag runs it; config bigTable is read', async () => {
      const { p, url, applied, column } = await setup(copying);
      p.write('tidemark.config.ts', `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: [], migrations: './migrations', bigTable: ${BIG} });\n`);
      const refused = p.run(['migrate', 'up', '--url', url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain(`tidemark: migration ${CHANGE} (up) refused before it changed anything: alter column item.n (TM206)`);
      const malformed = p.run(['migrate', 'up', '--url', url, '--allow-blocking', 'item']);
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toContain('--allow-blocking item: expected a lock code and its table, such as TM206:user');
      expect(await applied()).toEqual([TABLE]);
      p.ok(['migrate', 'up', '--url', url, '--allow-blocking', 'TM206:item']);
      expect(await applied()).toEqual([TABLE, CHANGE]);
      expect(await changed(column)).toBe(true);
    });

    it('a change that neither copies nor rewrites is never refused, however big the table', async () => {
      // PostgreSQL: varchar widening is binary-coercible; MariaDB: a widening within 255 bytes, and an instant new column.
      const change =
        kind === 'postgresql'
          ? `    this.alterColumn('item', 'name', { type: 'string', length: 100 });`
          : `    this.alterColumn('item', 'name', { type: 'string', length: 60 });\n    this.addColumn('item', 'note', { type: 'string', length: 20, nullable: true });`;
      const { p, url, applied, column } = await setup(change);
      await migrateUp(inputs(p, url, 1));
      expect(await applied()).toEqual([TABLE, CHANGE]);
      expect(Number((await column('name'))!.l)).toBe(kind === 'postgresql' ? 100 : 60);
    });
  });
}

describe('bigTable in the config', () => {
  it('a negative or non-numeric bigTable is a config error naming the key, before any database is touched', async () => {
    const { resolveConfig } = await import('../../src/config.ts');
    for (const bigTable of [-1, '1000', Number.NaN]) {
      await expect(resolveConfig({ inline: { entities: [], bigTable: bigTable as number }, cwd: process.cwd() })).rejects.toThrow("config: 'bigTable' must be a number of rows (0 or Infinity turns the big-table check off)");
    }
    expect((await resolveConfig({ inline: { entities: [], bigTable: Infinity }, cwd: process.cwd() })).bigTable).toBe(Infinity);
  });
});
