import { afterAll, describe, expect, it } from 'vitest';
import { migrateUp, migrationSql } from '../../src/api.ts';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { HistoryError } from '../../src/errors.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { start, trialDatabase } from './runner-fixtures.ts';
import { unavailable, type ServerKind } from './servers.ts';

/**
 * `this.backfill`: key-order batches, each committed on its own outside a transaction, with
 * progress; a run killed halfway is taken up by the next `migrate up`, and every row ends
 * updated exactly once.
 */

const TABLE = '20260801000000_person';
const BACKFILL = '20260801000001_full_name';

const migration = (id: string, parents: string[], up: string, transactional = true) =>
  `import { TidemarkMigration } from 'tidemark';

export class M${id.slice(0, 14)} extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = ${JSON.stringify(parents)};
${transactional ? '' : '  static override readonly transactional = false;\n'}
  override up(): void {
${up}
  }

  override down(): void {}
}
`;

const createTable = `    this.createTable('person', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('first_name', { type: 'string', length: 40 });
      t.column('last_name', { type: 'string', length: 40 });
      t.column('full_name', { type: 'string', length: 100, nullable: true });
      t.column('touched', { type: 'integer', default: 0 });
    });`;

/** The full name as SQL, and (for the kill) a pause in each batch's UPDATE, per dialect. */
function fullName(target: DialectName, slow = false): string {
  if (target === 'mariadb') return `concat(first_name, ' ', last_name${slow ? `, if(sleep(0.001) = 0, '', 'x')` : ''})`;
  return `first_name || ' ' || last_name${slow && target === 'postgresql' ? ` || (select '' from pg_sleep(0.02))` : ''}`;
}

const backfill = (target: DialectName, batchSize: number, slow = false) =>
  `    this.backfill('person', { full_name: ${JSON.stringify(fullName(target, slow))}, touched: 'touched + 1' }, 'full_name is null', { batchSize: ${batchSize} });`;

function rowsSql(target: DialectName, n: number): string {
  const from = target === 'postgresql' ? `generate_series(1, ${n}) as s(seq)` : target === 'mariadb' ? `seq_1_to_${n}` : `(with recursive c(seq) as (select 1 union all select seq + 1 from c where seq < ${n}) select seq from c)`;
  const text = (s: string) => (target === 'mariadb' ? `concat('${s}', seq)` : `'${s}' || seq`);
  return `insert into person (id, first_name, last_name) select seq, ${text('first')}, ${text('last')} from ${from}`;
}

async function query(url: string, dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await db.execute(sql);
  } finally {
    await db.close();
  }
}

/** How many rows are done, how many are not, and how many were touched other than once. */
async function tally(url: string, dir: string, target: DialectName) {
  const right = target === 'mariadb' ? `concat(first_name, ' ', last_name)` : `first_name || ' ' || last_name`;
  const [r] = await query(
    url,
    dir,
    `select sum(case when full_name is null then 1 else 0 end) as todo, sum(case when full_name = ${right} and touched = 1 then 1 else 0 end) as done, sum(case when touched > 1 then 1 else 0 end) as twice from person`,
  );
  return { todo: Number(r!.todo), done: Number(r!.done), twice: Number(r!.twice) };
}

const inputs = (p: TestProject, url: string) => ({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir, url });

const CONFIG = `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: [], migrations: './migrations' });\n`;

const targets: DialectName[] = ['sqlite', 'postgresql', 'mariadb'];
for (const target of targets) {
  const skip = target === 'sqlite' ? undefined : await unavailable(target as ServerKind);
  describe.skipIf(Boolean(skip))(`backfill on ${target}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanups: (() => unknown)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    async function project() {
      const p = new TestProject(CONFIG);
      cleanups.push(() => p.dispose());
      const db = await trialDatabase(target, p);
      cleanups.push(db.drop);
      return { p, url: db.url };
    }

    it('updates the matching rows in key-order batches with progress; replay and --sql leave it out', async () => {
      const { p, url } = await project();
      p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
      p.write(`migrations/${BACKFILL}.ts`, migration(BACKFILL, [TABLE], backfill(target, 300), false));
      await migrateUp({ ...inputs(p, url), to: TABLE });
      await query(url, p.dir, rowsSql(target, 1000));
      // A row that already has a name is not the backfill's business.
      await query(url, p.dir, `update person set full_name = 'kept' where id = 500`);
      const events: { rows: number; batches: number; done: boolean }[] = [];
      const result = await migrateUp({ ...inputs(p, url), onBackfill: (e) => void events.push({ rows: e.rows, batches: e.batches, done: e.done }) });
      expect(result.ran).toEqual([BACKFILL]);
      expect(events).toEqual([
        { rows: 300, batches: 1, done: false },
        { rows: 600, batches: 2, done: false },
        { rows: 900, batches: 3, done: false },
        { rows: 999, batches: 4, done: false },
        { rows: 999, batches: 4, done: true },
      ]);
      expect(await tally(url, p.dir, target)).toEqual({ todo: 0, done: 999, twice: 0 });
      expect(await query(url, p.dir, `select full_name, touched from person where id = 500`)).toEqual([{ full_name: 'kept', touched: 0 }]);
      const script = await migrationSql({ ...inputs(p, url), direction: 'up', dialect: target });
      expect(script).toContain(`-- data step (backfill person set full_name, touched where full_name is null, in batches of 300 by id): runs only live (migrate up), not in this script`);
      expect(script).not.toMatch(/update\s+.?person/i);
    });

    if (target === 'postgresql') {
      it('is refused in a migration that runs in a transaction, before anything runs', async () => {
        const { p, url } = await project();
        p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
        p.write(`migrations/${BACKFILL}.ts`, migration(BACKFILL, [TABLE], backfill(target, 100)));
        const failure = await migrateUp(inputs(p, url)).catch((e: unknown) => e);
        expect(failure).toBeInstanceOf(HistoryError);
        expect((failure as Error).message).toContain(`migration ${BACKFILL} (`);
        expect((failure as Error).message).toContain(`this.backfill('person', …) commits batch by batch`);
        expect((failure as Error).message).toContain(`add 'static transactional = false'`);
        expect(await query(url, p.dir, `select count(*)::int as n from information_schema.tables where table_name = 'person'`)).toEqual([{ n: 0 }]);
      });
    }

    if (target === 'postgresql') {
      it('SIGINT stops it between batches (exit 130, the batches done stay), and the next migrate up finishes it', async () => {
        const { p, url } = await project();
        p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
        p.write(`migrations/${BACKFILL}.ts`, migration(BACKFILL, [TABLE], backfill(target, 200, true), false));
        await migrateUp({ ...inputs(p, url), to: TABLE });
        await query(url, p.dir, rowsSql(target, 20_000));
        const run = start(p, ['migrate', 'up', '--url', url]);
        expect(await run.seen(/backfill person: \d+ rows in \d+ batch/)).toBe(true);
        run.kill('SIGINT');
        const first = await run.done;
        expect(first.code, first.stderr).toBe(130);
        expect(first.stderr).toContain('stopped by SIGINT');
        const half = await tally(url, p.dir, target);
        expect(half.done % 200).toBe(0);
        expect(half.done).toBeGreaterThan(0);
        expect(half.todo).toBeGreaterThan(0);
        const rerun = await start(p, ['migrate', 'up', '--url', url]).done;
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(await tally(url, p.dir, target)).toEqual({ todo: 0, done: 20_000, twice: 0 });
      });
    }

    if (target !== 'sqlite') {
      it('killed (SIGKILL) halfway, it is taken up by the next migrate up: every row updated exactly once', async () => {
        const { p, url } = await project();
        p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
        // About a hundred batches of some 20 ms each (a pause per statement on PostgreSQL, per row
        // on MariaDB), so the kill lands with most of them still to do.
        const [n, batchSize] = target === 'postgresql' ? [20_000, 200] : [2_000, 20];
        p.write(`migrations/${BACKFILL}.ts`, migration(BACKFILL, [TABLE], backfill(target, batchSize, true), false));
        await migrateUp({ ...inputs(p, url), to: TABLE });
        await query(url, p.dir, rowsSql(target, n));
        const run = start(p, ['migrate', 'up', '--url', url]);
        // A synchronisation point: the first batch's progress line, then the kill.
        const reached = await run.seen(/backfill person: \d+ rows in \d+ batch/);
        run.kill('SIGKILL');
        const first = await run.done;
        expect(reached, first.stdout + first.stderr).toBe(true);
        expect(first.signal).toBe('SIGKILL');
        const half = await tally(url, p.dir, target);
        expect(half.done).toBeGreaterThan(0);
        expect(half.todo).toBeGreaterThan(0);
        expect(half.twice).toBe(0);
        expect(await query(url, p.dir, `select status from tidemark_migrations where name = '${BACKFILL}'`)).toEqual([{ status: 'running' }]);

        // Not a block: status says what up will do, and exits 0.
        const status = await start(p, ['migrate', 'status', '--url', url]).done;
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toContain(`Failed (1): migrate up runs it again from the start`);
        expect(status.stdout).toContain(`${BACKFILL}  interrupted (every step is safe to rerun: migrate up runs it again)`);

        const rerun = await start(p, ['migrate', 'up', '--url', url]).done;
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(rerun.stderr).toMatch(new RegExp(`migration ${BACKFILL} was interrupted.*safe to rerun.*runs it again from the start`));
        expect(rerun.stdout).toMatch(new RegExp(`backfill person: ${half.todo} rows in \\d+ batches, done`));
        expect(await tally(url, p.dir, target)).toEqual({ todo: 0, done: n, twice: 0 });
        expect(await query(url, p.dir, `select status from tidemark_migrations where name = '${BACKFILL}'`)).toEqual([{ status: 'applied' }]);
      });
    }
  });
}
