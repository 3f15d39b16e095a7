import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateUp, migrationSql, replayHistory } from '../../src/api.ts';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { HistoryError, MigrationFailedError } from '../../src/errors.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { ROOT, TestProject } from '../e2e/project.ts';
import { trialDatabase } from './runner-fixtures.ts';
import { unavailable, type ServerKind } from './servers.ts';

/** Hand-written SQL in its place, and run-time-only data steps, on every dialect, in-process through src/api.ts. */

const migration = (id: string, parents: string[], up: string, down = '') =>
  `import { TidemarkMigration } from 'tidemark';

export class M${id.slice(0, 14)} extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = ${JSON.stringify(parents)};

  override up(): void {
${up}
  }

  override down(): void {
${down}
  }
}
`;

/** The README's table split example, as printed there. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- example: table split -->\n```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no table split example');
  return block[1]!;
}

const CUSTOMER = '20260501000000_customer';
const SPLIT = '20260501000001_split_address';

async function query(url: string, dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await db.execute(sql);
  } finally {
    await db.close();
  }
}

const inputs = (p: TestProject, url: string) => ({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir, url });

const targets: DialectName[] = ['sqlite', 'postgresql', 'mariadb'];
for (const target of targets) {
  const skip = target === 'sqlite' ? undefined : await unavailable(target as ServerKind);
  describe.skipIf(Boolean(skip))(`data migrations on ${target}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => unknown)[] = [];
    afterAll(async () => {
      for (const c of cleanups) await c();
    });
    async function project() {
      const p = new TestProject(null as never);
      cleanups.push(() => p.dispose());
      const db = await trialDatabase(target, p);
      cleanups.push(db.drop);
      return { p, url: db.url };
    }

    it('addSql and this.sql run in their place among the typed operations, live and in --sql', async () => {
      const { p, url } = await project();
      const id = '20260601000000_ordered';
      p.write(
        `migrations/${id}.ts`,
        migration(
          id,
          [],
          `    this.createTable('t', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('label', { type: 'string', length: 20, nullable: true });
    });
    this.addSql("insert into t (id, label) values (1, 'first')");
    this.addColumn('t', 'extra', { type: 'integer', nullable: true });
    this.sql('update t set extra = 7 where id = 1');
    this.addSql("insert into t (id, label, extra) values (2, 'second', 8)");`,
          `    this.dropTable('t');`,
        ),
      );
      const result = await migrateUp(inputs(p, url));
      expect(result.ran).toEqual([id]);
      const rows = await query(url, p.dir, 'select id, label, extra from t order by id');
      expect(rows.map((r) => [Number(r.id), r.label, Number(r.extra)])).toEqual([
        [1, 'first', 7],
        [2, 'second', 8],
      ]);

      const script = await migrationSql({ ...inputs(p, url), direction: 'up', dialect: target });
      const at = (pattern: RegExp) => {
        const i = script.search(pattern);
        expect(i, `${pattern} in\n${script}`).toBeGreaterThan(-1);
        return i;
      };
      const order = [/create table [`"]?t[`"]?/i, /insert into t \(id, label\) values \(1, 'first'\);/, /[`"]extra[`"]/, /update t set extra = 7 where id = 1;/, /insert into t \(id, label, extra\) values \(2, 'second', 8\);/];
      const positions = order.map(at);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    });

    it("the README's table split runs: rows copied in batches in its place, replay and --sql skip it, down copies them back", async () => {
      const { p, url } = await project();
      p.write(
        `migrations/${CUSTOMER}.ts`,
        migration(
          CUSTOMER,
          [],
          `    this.createTable('customer', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('name', { type: 'string', length: 100 });
      t.column('street', { type: 'string', length: 200, nullable: true });
      t.column('city', { type: 'string', length: 100, nullable: true });
    });`,
          `    this.dropTable('customer');`,
        ),
      );
      p.write(`migrations/${SPLIT}.ts`, readmeExample());
      expect((await migrateUp({ ...inputs(p, url), to: CUSTOMER })).ran).toEqual([CUSTOMER]);
      // 1234 customers: three batches of 500 at the example's size, every seventh without an address.
      const n = 1234;
      const values = (i: number) => `(${i}, 'c${i}', ${i % 7 === 0 ? 'null' : `'${i} Main St'`}, ${i % 5 === 0 ? 'null' : `'Town ${i % 13}'`})`;
      for (let from = 1; from <= n; from += 200) {
        const batch = Array.from({ length: Math.min(200, n - from + 1) }, (_, k) => values(from + k)).join(', ');
        await query(url, p.dir, `insert into customer (id, name, street, city) values ${batch}`);
      }
      const before = await query(url, p.dir, 'select id, street, city from customer where street is not null order by id');
      expect(before.length).toBe(n - Math.floor(n / 7));

      // Replay (what check and gen-migration compute) has the split schema without running the step.
      const replayed = await replayHistory(inputs(p, url));
      const schema = replayed.schemas[SPLIT]!;
      expect(schema.tables.map((t) => t.name).sort()).toEqual(['address', 'customer']);
      expect(schema.tables.find((t) => t.name === 'customer')!.columns.map((c) => c.name)).toEqual(['id', 'name']);

      const script = await migrationSql({ ...inputs(p, url), direction: 'up', dialect: target, from: CUSTOMER });
      const note = script.indexOf('-- data step (copy each address into the new table): runs only live (migrate up), not in this script');
      expect(note, script).toBeGreaterThan(script.search(/create table [`"]?address/i));
      // The columns are dropped after it, before the version row is written.
      const rest = script.slice(note);
      expect(rest.search(/[`"]customer[`"]/)).toBeGreaterThan(-1);
      expect(rest.search(/[`"]customer[`"]/)).toBeLessThan(rest.search(/insert into [`"]tidemark_migrations[`"]/));

      const up = await migrateUp(inputs(p, url));
      expect(up.ran).toEqual([SPLIT]);
      const moved = await query(url, p.dir, 'select customer_id, street, city from address order by customer_id');
      expect(moved.map((r) => [Number(r.customer_id), r.street, r.city])).toEqual(before.map((r) => [Number(r.id), r.street, r.city]));
      await expect(query(url, p.dir, 'select street from customer')).rejects.toThrow();

      const down = await migrateDown(inputs(p, url));
      expect(down.ran).toEqual([SPLIT]);
      const back = await query(url, p.dir, 'select id, street, city from customer where street is not null order by id');
      expect(back).toEqual(before);
      expect(Number((await query(url, p.dir, 'select count(*) as n from customer where street is null'))[0]!.n)).toBe(Math.floor(n / 7));
      await expect(query(url, p.dir, 'select 1 from address')).rejects.toThrow();
    });

    if (target === 'sqlite') {
      it("MikroORM's this.execute() in up() is refused by replay and by up, pointing at this.data", async () => {
        const { p, url } = await project();
        const id = '20260801000000_execute';
        p.write(`migrations/${id}.ts`, migration(id, [], `    void this.execute('select 1');`));
        for (const call of [() => replayHistory(inputs(p, url)), () => migrateUp(inputs(p, url))]) {
          const error = await call().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(HistoryError);
          expect((error as Error).message).toContain(`migration ${id}: this.execute() cannot run in up()/down(); put it in a data step: this.data(async (db) =>`);
        }
        expect(Number((await query(url, p.dir, 'select count(*) as n from tidemark_migrations'))[0]!.n)).toBe(0);
      });
    }

    if (target !== 'mariadb') {
      it("a data step's writes roll back with its migration when a later statement fails", async () => {
        const { p, url } = await project();
        const first = '20260701000000_items';
        const failing = '20260701000001_fill_then_fail';
        p.write(`migrations/${first}.ts`, migration(first, [], `    this.createTable('item', (t) => {\n      t.column('id', { type: 'integer', primary: true });\n    });`, `    this.dropTable('item');`));
        p.write(
          `migrations/${failing}.ts`,
          migration(
            failing,
            [first],
            `    this.data(async (db) => {
      await db.execute(\`insert into \${db.q('item')} (\${db.q('id')}) values (?), (?)\`, [1, 2]);
      const rows = await db.execute<{ n: number }>(\`select count(*) as n from \${db.q('item')}\`);
      if (Number(rows[0]!.n) !== 2) throw new Error('the step does not see its own writes');
    });
    this.sql('select * from no_such_table_at_all');`,
          ),
        );
        await migrateUp({ ...inputs(p, url), to: first });
        const error = await migrateUp(inputs(p, url)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MigrationFailedError);
        expect((error as Error).message).toContain(`migration ${failing} failed (up)`);
        expect(Number((await query(url, p.dir, 'select count(*) as n from item'))[0]!.n)).toBe(0);
      });
    }
  });
}
