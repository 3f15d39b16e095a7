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

/** The full name as SQL, per dialect. */
function fullName(target: DialectName): string {
  return target === 'mariadb' ? `concat(first_name, ' ', last_name)` : `first_name || ' ' || last_name`;
}

const backfill = (target: DialectName, batchSize: number) =>
  `    this.backfill('person', { full_name: ${JSON.stringify(fullName(target))}, touched: 'touched + 1' }, 'full_name is null', { batchSize: ${batchSize} });`;

/**
 * The kill tests' synchronisation point: the test holds the rows of the second batch on, so a run
 * commits the first batch, says so, and then waits on the test until `release`. The row after
 * the first batch stays free: MariaDB's range scan of that batch locks it.
 */
async function holdRows(url: string, target: 'postgresql' | 'mariadb', from: number) {
  type Session = { query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>; end(): Promise<void> };
  let connect: () => Promise<Session>;
  let waiting: string;
  let sessions: string;
  let self: string;
  let stop: string;
  if (target === 'postgresql') {
    const { default: pg } = await import('pg');
    connect = async () => {
      const client = new pg.Client(url);
      await client.connect();
      return {
        query: async (sql, params) => {
          let n = 0;
          return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
        },
        end: () => client.end(),
      };
    };
    waiting = `select pid as id from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'update%person%'`;
    sessions = `select pid as id from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`;
    self = 'select pg_backend_pid() as id';
    stop = `select pg_terminate_backend(?)`;
  } else {
    const { default: mysql } = await import('mysql2/promise');
    const u = new URL(url);
    connect = async () => {
      const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) || undefined, database: u.pathname.slice(1) });
      return { query: async (sql, params) => (await conn.query(sql, params))[0] as Record<string, unknown>[], end: () => conn.end() };
    };
    // innodb_trx does not always show the wait; the statement cannot end while the rows are held.
    waiting = `select id from information_schema.processlist where db = database() and command = 'Query' and info like 'update%person%'`;
    sessions = `select id from information_schema.processlist where db = database()`;
    self = 'select connection_id() as id';
    stop = `kill ?`;
  }
  const session = await connect();
  // Another session watches: PostgreSQL shows a transaction one snapshot of pg_stat_activity.
  const observer = await connect();
  const ours = new Set([Number((await session.query(self))[0]!.id), Number((await observer.query(self))[0]!.id)]);
  await session.query('begin');
  await session.query('select id from person where id >= ? for update', [from]);
  /** Polls the server until `probe` finds a row (a condition, not a guessed delay). */
  const until = async (what: string, probe: () => Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  let held = true;
  return {
    /** The session of the run's UPDATE, once the server has it (it then waits for the held rows). */
    async blocked(): Promise<number> {
      let id = 0;
      await until(`the second batch to wait for the held rows`, async () => Boolean((id = Number((await observer.query(waiting))[0]?.id ?? 0))));
      return id;
    },
    /**
     * After the runner is killed: ends the session of its UPDATE, which would otherwise commit once
     * the rows are free, and waits for the server to drop every other session of the dead runner
     * (its run lock among them, which `migrate status` would take for a live owner).
     */
    async killed(update: number): Promise<void> {
      await observer.query(stop, [update]);
      await until('the killed runner\'s sessions to end', async () => (await observer.query(sessions)).every((r) => ours.has(Number(r.id))));
    },
    async release(): Promise<void> {
      if (!held) return;
      held = false;
      await session.query('rollback');
      await session.end();
      await observer.end();
    },
  };
}

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

    it('updates the matching rows in key-order batches with progress; replay leaves it out, --sql has it as one UPDATE', async () => {
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
      // A script cannot batch: the backfill is one UPDATE there, so the version row it writes is true.
      expect(script).toContain(`-- backfill person set full_name, touched where full_name is null, in batches of 300 by id: a live run commits batch by batch; this script has it as one statement`);
      const update = script.split('\n').filter((l) => /^update\s+.person/i.test(l));
      expect(update).toHaveLength(1);
      expect(update[0]).toMatch(/ where \(full_name is null\);$/);
      // ... and it runs as written.
      await query(url, p.dir, `update person set full_name = null, touched = 0 where id <= 10`);
      await query(url, p.dir, update[0]!.replace(/;$/, ''));
      expect(await tally(url, p.dir, target)).toEqual({ todo: 0, done: 999, twice: 0 });
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
        p.write(`migrations/${BACKFILL}.ts`, migration(BACKFILL, [TABLE], backfill(target, 200), false));
        await migrateUp({ ...inputs(p, url), to: TABLE });
        await query(url, p.dir, rowsSql(target, 20_000));
        const gate = await holdRows(url, target, 202);
        cleanups.push(gate.release);
        // The batch waits on the test, not on a lock timeout and a retry.
        const run = start(p, ['migrate', 'up', '--url', url, '--ddl-lock-timeout', '0']);
        // The first batch is committed and the second waits on the test's rows: the signal lands
        // in the middle of a batch, which finishes once the rows are free; no third one starts.
        expect(await run.seen(/backfill person: 200 rows in 1 batch\b/)).toBe(true);
        await gate.blocked();
        run.kill('SIGINT');
        expect(await run.seen(/SIGINT: stopping after/)).toBe(true);
        await gate.release();
        const first = await run.done;
        expect(first.code, first.stderr).toBe(130);
        expect(first.stderr).toContain('stopped by SIGINT');
        const half = await tally(url, p.dir, target);
        expect(half).toEqual({ todo: 19_600, done: 400, twice: 0 });
        const rerun = await start(p, ['migrate', 'up', '--url', url]).done;
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(await tally(url, p.dir, target)).toEqual({ todo: 0, done: 20_000, twice: 0 });
      });
    }

    if (target !== 'sqlite') {
      it('killed (SIGKILL) halfway, it is taken up by the next migrate up: every row updated exactly once', async () => {
        const { p, url } = await project();
        p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
        const [n, batchSize] = [2_000, 20];
        p.write(`migrations/${BACKFILL}.ts`, migration(BACKFILL, [TABLE], backfill(target, batchSize), false));
        await migrateUp({ ...inputs(p, url), to: TABLE });
        await query(url, p.dir, rowsSql(target, n));
        const gate = await holdRows(url, target as 'postgresql' | 'mariadb', batchSize + 2);
        cleanups.push(gate.release);
        const run = start(p, ['migrate', 'up', '--url', url, '--ddl-lock-timeout', '0']);
        // The first batch is committed and the second waits on the test's rows: the kill lands
        // mid-batch. The server session of that batch outlives its client; it is ended before
        // the rows are freed, as a crashed runner's connection would be.
        const reached = await run.seen(new RegExp(`backfill person: ${batchSize} rows in 1 batch\\b`));
        const orphan = reached ? await gate.blocked() : 0;
        run.kill('SIGKILL');
        const first = await run.done;
        expect(reached, first.stdout + first.stderr).toBe(true);
        expect(first.signal).toBe('SIGKILL');
        await gate.killed(orphan);
        await gate.release();
        const half = await tally(url, p.dir, target);
        expect(half).toEqual({ todo: n - batchSize, done: batchSize, twice: 0 });
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
