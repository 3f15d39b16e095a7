import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../../src/api.ts';
import { MigrationFailedError } from '../../src/errors.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import type { RetryEvent } from '../../src/migrate/run.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { start } from './runner-fixtures.ts';
import { freshDatabase, unavailable } from './servers.ts';

/**
 * The runner's side of online changes, against real servers: the DDL lock timeout and its
 * retries against a session that holds a conflicting lock, and what a CONCURRENTLY index build
 * that fails leaves behind (nothing).
 */

const migration = (id: string, parents: string[], up: string, options: { transactional?: false } = {}) =>
  `import { TidemarkMigration } from 'tidemark';

export class M${id.slice(0, 14)} extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = ${JSON.stringify(parents)};
${options.transactional === false ? '  static override readonly transactional = false;\n' : ''}
  override up(): void {
${up}
  }

  override down(): void {}
}
`;

const TABLE = '20260701000000_table';
const COLUMN = '20260701000001_column';
const INDEX = '20260701000002_index';

const createTable = `    this.createTable('item', (t) => {
      t.column('id', { type: 'integer', primary: true });
      t.column('code', { type: 'string', length: 20, nullable: true });
    });`;

async function query(url: string, dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    return await db.execute(sql);
  } finally {
    await db.close();
  }
}

const CONFIG = `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: [], migrations: './migrations' });\n`;

const inputs = (p: TestProject, url: string) => ({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir, url });

/** A second session, as the app would have: a transaction holding a lock the migration needs. */
async function holder(url: string): Promise<pg.Client & { pid: number }> {
  const client = new pg.Client({ connectionString: url.replace(/^postgresql:/, 'postgres:') });
  await client.connect();
  const pid = Number((await client.query('select pg_backend_pid() as pid')).rows[0].pid);
  return Object.assign(client, { pid });
}

const pgSkip = await unavailable('postgresql');
describe.skipIf(Boolean(pgSkip))(`online runtime on postgresql${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  async function project() {
    const p = new TestProject(null as never);
    cleanups.push(() => p.dispose());
    const db = await freshDatabase('postgresql');
    cleanups.push(db.drop);
    return { p, url: db.url };
  }

  it('a batch that times out on a lock held by another session is retried, and applies once the lock is released', async () => {
    const { p, url } = await project();
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
    p.write(`migrations/${COLUMN}.ts`, migration(COLUMN, [TABLE], `    this.addColumn('item', 'label', { type: 'string', length: 40, nullable: true });`));
    await migrateUp({ ...inputs(p, url), to: TABLE });
    const app = await holder(url);
    cleanups.push(() => app.end());
    await app.query('begin');
    await app.query('lock table item in access exclusive mode');
    // The holder's statements are the app's, and may hold a secret: never shown.
    await app.query(`select 'hunter2' as password`);
    const retries: RetryEvent[] = [];
    const waits: number[] = [];
    const result = await migrateUp({
      ...inputs(p, url),
      ddlLockTimeoutMs: 300,
      // No real sleeping: the delay is recorded, the retry goes at once.
      sleep: async (ms) => void waits.push(ms),
      // The synchronisation point: the app's transaction ends once the first retry is announced.
      onRetry: async (e) => {
        retries.push(e);
        if (retries.length === 1) await app.query('commit');
      },
    });
    expect(result.ran).toEqual([COLUMN]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ id: COLUMN, direction: 'up', attempt: 2, attempts: 3, timeoutMs: 300, table: 'item' });
    expect(retries[0]!.holder).toContain(`pid ${app.pid}`);
    expect(retries[0]!.holder).not.toContain('hunter2');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBe(retries[0]!.delayMs);
    const columns = await query(url, p.dir, `select column_name from information_schema.columns where table_name = 'item' order by column_name`);
    expect(columns.map((c) => c.column_name)).toEqual(['code', 'id', 'label']);
  });

  it('a statement of a transactional = false migration waits no longer either (a transaction of its own sets the timeout) and is retried while nothing of it ran', async () => {
    const { p, url } = await project();
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
    p.write(`migrations/${COLUMN}.ts`, migration(COLUMN, [TABLE], `    this.addColumn('item', 'label', { type: 'string', length: 40, nullable: true });`, { transactional: false }));
    await migrateUp({ ...inputs(p, url), to: TABLE });
    const app = await holder(url);
    cleanups.push(() => app.end());
    await app.query('begin');
    await app.query('lock table item in access exclusive mode');
    const retries: RetryEvent[] = [];
    const result = await migrateUp({
      ...inputs(p, url),
      ddlLockTimeoutMs: 300,
      sleep: async () => {},
      onRetry: async (e) => {
        retries.push(e);
        if (retries.length === 1) await app.query('commit');
      },
    });
    expect(result.ran).toEqual([COLUMN]);
    expect(retries.map((r) => [r.id, r.attempt, r.table])).toEqual([[COLUMN, 2, 'item']]);
    expect(await query(url, p.dir, `select status, error from tidemark_migrations where name = '${COLUMN}'`)).toEqual([{ status: 'applied', error: null }]);
  });

  it('a transactional = false migration runs a CALL of a procedure that commits, and a REINDEX SCHEMA, as written (no transaction of its own around them)', async () => {
    const { p, url } = await project();
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
    p.write(
      `migrations/${COLUMN}.ts`,
      migration(COLUMN, [TABLE], `    this.sql('call fill_items()');\n    this.sql('reindex schema public');`, { transactional: false }),
    );
    await migrateUp({ ...inputs(p, url), to: TABLE });
    await query(url, p.dir, `create procedure fill_items() language plpgsql as $$ begin insert into item (id) values (1); commit; insert into item (id) values (2); end $$`);
    const result = await migrateUp({ ...inputs(p, url), ddlLockTimeoutMs: 300 });
    expect(result.ran).toEqual([COLUMN]);
    expect(await query(url, p.dir, `select id from item order by id`)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('a step of several statements whose later statement times out after its first committed is not run again: it fails, recorded, for repair', async () => {
    const { p, url } = await project();
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable.replace(`nullable: true`, `nullable: true, default: 'none'`)));
    // One step, two statements: the backfill of the NULLs commits, then SET NOT NULL waits for item.
    p.write(`migrations/${COLUMN}.ts`, migration(COLUMN, [TABLE], `    this.alterColumn('item', 'code', { type: 'string', length: 20, default: 'none' });`, { transactional: false }));
    await migrateUp({ ...inputs(p, url), to: TABLE });
    await query(url, p.dir, `insert into item (id, code) values (1, null)`);
    const app = await holder(url);
    cleanups.push(() => app.end());
    // A reader's transaction: the UPDATE does not wait for it, the ALTER does.
    await app.query('begin');
    await app.query('select * from item');
    const retries: RetryEvent[] = [];
    const failure = await migrateUp({ ...inputs(p, url), ddlLockTimeoutMs: 200, sleep: async () => {}, onRetry: (e) => void retries.push(e) }).catch((e: unknown) => e);
    await app.query('rollback');
    expect(failure).toBeInstanceOf(MigrationFailedError);
    expect((failure as Error).message).toContain('SQLSTATE 55P03');
    expect((failure as Error).message).toContain('once');
    expect((failure as Error).message).toContain(`migrate resolve ${COLUMN}`);
    expect(retries).toEqual([]);
    expect(await query(url, p.dir, `select code from item`)).toEqual([{ code: 'none' }]);
    expect(await query(url, p.dir, `select status from tidemark_migrations where name = '${COLUMN}'`)).toEqual([{ status: 'failed' }]);
  });

  it('gives up after the last attempt with an error naming the migration, the table and the session holding the lock; nothing applied', async () => {
    const { p, url } = await project();
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
    p.write(`migrations/${COLUMN}.ts`, migration(COLUMN, [TABLE], `    this.addColumn('item', 'label', { type: 'string', length: 40, nullable: true });`));
    await migrateUp({ ...inputs(p, url), to: TABLE });
    const app = await holder(url);
    cleanups.push(() => app.end());
    await app.query('begin');
    await app.query('lock table item in access exclusive mode');
    const retries: RetryEvent[] = [];
    const failure = await migrateUp({ ...inputs(p, url), ddlLockTimeoutMs: 200, sleep: async () => {}, random: () => 0.5, onRetry: (e) => void retries.push(e) }).catch((e: unknown) => e);
    await app.query('rollback');
    expect(failure).toBeInstanceOf(MigrationFailedError);
    const message = (failure as Error).message;
    expect(message).toContain(`migration ${COLUMN} failed (up)`);
    expect(message).toContain('SQLSTATE 55P03');
    expect(message).toContain(`waited 200 ms for a lock on table item held by pid ${app.pid}`);
    expect(message).toContain('3 times');
    expect(message).toContain('nothing of its batch remains');
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [2, 500],
      [3, 1000],
    ]);
    const rows = await query(url, p.dir, `select name, status from tidemark_migrations order by id`);
    expect(rows).toEqual([{ name: TABLE, status: 'applied' }]);
    const label = await query(url, p.dir, `select 1 from information_schema.columns where table_name = 'item' and column_name = 'label'`);
    expect(label).toEqual([]);
  });

  it('a CONCURRENTLY unique index build that fails on duplicate rows leaves no invalid index; after the data is fixed migrate up runs it again by itself', async () => {
    const { p, url } = await project();
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
    // Hand-written: the typed createIndex is refused before it starts when the rows hold
    // duplicates (a precondition), so the build would never begin.
    p.write(`migrations/${INDEX}.ts`, migration(INDEX, [TABLE], `    this.sql('create unique index concurrently if not exists item_code_unique on item (code)');`, { transactional: false }));
    await migrateUp({ ...inputs(p, url), to: TABLE });
    // Enough rows that the build is well under way when it meets the duplicate near the end.
    await query(url, p.dir, `insert into item (id, code) select g, 'c' || g from generate_series(1, 50000) g`);
    await query(url, p.dir, `insert into item (id, code) values (50001, 'c49999')`);
    const failure = await migrateUp(inputs(p, url)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MigrationFailedError);
    const message = (failure as Error).message;
    expect(message).toContain(`migration ${INDEX} failed (up)`);
    expect(message).toContain('SQLSTATE 23505');
    expect(message).toContain('the invalid index item_code_unique it left was dropped');
    expect(message).toContain(`'tidemark migrate up' runs it again`);
    expect(await query(url, p.dir, `select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid where not i.indisvalid`)).toEqual([]);
    expect(await query(url, p.dir, `select 1 from pg_class where relname = 'item_code_unique'`)).toEqual([]);
    expect(await query(url, p.dir, `select status from tidemark_migrations where name = '${INDEX}'`)).toEqual([{ status: 'failed' }]);

    await query(url, p.dir, `delete from item where id = 50001`);
    const rerun = await migrateUp(inputs(p, url));
    expect(rerun.ran).toEqual([INDEX]);
    expect(rerun.status.notices.join('\n')).toMatch(new RegExp(`migration ${INDEX} failed.*safe to rerun.*runs it again from the start`));
    expect(await query(url, p.dir, `select i.indisvalid, i.indisunique from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'item_code_unique'`)).toEqual([{ indisvalid: true, indisunique: true }]);
    expect(await query(url, p.dir, `select name, status from tidemark_migrations order by id`)).toEqual([
      { name: TABLE, status: 'applied' },
      { name: INDEX, status: 'applied' },
    ]);
  });

  it('an invalid index of the same name left by an earlier build is dropped before the build, which then makes a valid one', async () => {
    const { p, url } = await project();
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
    p.write(`migrations/${INDEX}.ts`, migration(INDEX, [TABLE], `    this.createIndex('item', 'item_code_unique', ['code'], { unique: true, online: true });`, { transactional: false }));
    await migrateUp({ ...inputs(p, url), to: TABLE });
    await query(url, p.dir, `insert into item (id, code) values (1, 'a'), (2, 'a')`);
    // What a build killed halfway (or failed outside tidemark) leaves: an INVALID index.
    await query(url, p.dir, `create unique index concurrently item_code_unique on item (code)`).catch(() => undefined);
    expect(await query(url, p.dir, `select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'item_code_unique'`)).toEqual([{ indisvalid: false }]);
    await query(url, p.dir, `update item set code = 'b' where id = 2`);
    const result = await migrateUp(inputs(p, url));
    expect(result.ran).toEqual([INDEX]);
    expect(result.status.notices.join('\n')).toContain(`migration ${INDEX}: dropped invalid index item_code_unique left by an earlier build`);
    expect(await query(url, p.dir, `select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'item_code_unique'`)).toEqual([{ indisvalid: true }]);
  });

  it('through the CLI: --ddl-lock-timeout, a line per retry, then exit 1 naming the migration, the table and the holder; a bad duration is a usage error', async () => {
    const { p, url } = await project();
    p.write('tidemark.config.ts', CONFIG);
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
    p.write(`migrations/${COLUMN}.ts`, migration(COLUMN, [TABLE], `    this.addColumn('item', 'label', { type: 'string', length: 40, nullable: true });`));
    await migrateUp({ ...inputs(p, url), to: TABLE });
    const bad = await start(p, ['migrate', 'up', '--url', url, '--ddl-lock-timeout', 'soon']).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`tidemark: --ddl-lock-timeout soon: expected a duration such as 5s or 500ms, or a number of seconds, at most 24 days`);
    const app = await holder(url);
    cleanups.push(() => app.end());
    await app.query('begin');
    await app.query('lock table item in access exclusive mode');
    const run = await start(p, ['migrate', 'up', '--url', url, '--ddl-lock-timeout', '200ms']).done;
    await app.query('rollback');
    expect(run.code, run.stderr).toBe(1);
    const retries = run.stdout.split('\n').filter((l) => l.startsWith('lock timeout in'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(new RegExp(`^lock timeout in ${COLUMN}: waited 200 ms for a lock on table item held by pid ${app.pid} .*; trying again in \\d+ ms \\(attempt 2 of 3\\)$`));
    expect(retries[1]).toMatch(/\(attempt 3 of 3\)$/);
    expect(run.stderr).toContain(`migration ${COLUMN} failed (up)`);
    expect(run.stderr).toContain(`held by pid ${app.pid}`);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

const mariadbSkip = await unavailable('mariadb');
describe.skipIf(Boolean(mariadbSkip))(`online runtime on mariadb${mariadbSkip ? ` (skipped: ${mariadbSkip})` : ''}`, () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('an ALTER waiting on a metadata lock held by an open transaction times out and runs again (its first statement never ran), then applies', async () => {
    const p = new TestProject(null as never);
    cleanups.push(() => p.dispose());
    const db = await freshDatabase('mariadb');
    cleanups.push(db.drop);
    const url = db.url;
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable));
    p.write(`migrations/${COLUMN}.ts`, migration(COLUMN, [TABLE], `    this.addColumn('item', 'label', { type: 'string', length: 40, nullable: true });`));
    await migrateUp({ ...inputs(p, url), to: TABLE });
    const app = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
    cleanups.push(() => app.end());
    const [[{ id }]] = (await app.query('select connection_id() as id')) as unknown as [[{ id: number }]];
    // A transaction that read the table holds its metadata lock until it ends. A locking read, so
    // InnoDB lists it in innodb_trx at once (where the holder is looked up); a plain read-only
    // transaction may not be listed, and the retry line then names no holder.
    await app.query('begin');
    await app.query('select * from item lock in share mode');
    const retries: RetryEvent[] = [];
    const result = await migrateUp({
      ...inputs(p, url),
      ddlLockTimeoutMs: 1000,
      sleep: async () => {},
      onRetry: async (e) => {
        retries.push(e);
        if (retries.length === 1) await app.query('commit');
      },
    });
    expect(result.ran).toEqual([COLUMN]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ id: COLUMN, attempt: 2, attempts: 3, timeoutMs: 1000, table: 'item' });
    expect(retries[0]!.holder).toContain(`connection ${id}`);
    expect(await query(url, p.dir, `select status from tidemark_migrations where name = '${COLUMN}'`)).toEqual([{ status: 'applied' }]);
    expect(await query(url, p.dir, `select count(*) as n from information_schema.columns where table_schema = database() and table_name = 'item' and column_name = 'label'`)).toEqual([{ n: 1 }]);
  });
  it('a migration whose first step compiles to nothing and whose data step committed a statement before one timed out is not run again: it fails, recorded, for repair', async () => {
    const p = new TestProject(null as never);
    cleanups.push(() => p.dispose());
    const db = await freshDatabase('mariadb');
    cleanups.push(db.drop);
    const url = db.url;
    p.write(`migrations/${TABLE}.ts`, migration(TABLE, [], createTable.replace(`    });`, `      t.check('item_id_positive', 'id > 0');\n    });`)));
    // On MariaDB a check's validation is no statement (it was checked as it was added): the
    // data step's UPDATE is the migration's first statement, and commits; its ALTER then waits.
    p.write(
      `migrations/${COLUMN}.ts`,
      migration(
        COLUMN,
        [TABLE],
        `    this.validateConstraint('item', 'item_id_positive');
    this.data(async (db) => {
      await db.execute("update item set code = 'seen'");
      await db.execute('alter table item add column label varchar(40)');
    });`,
      ),
    );
    await migrateUp({ ...inputs(p, url), to: TABLE });
    await query(url, p.dir, `insert into item (id) values (1)`);
    const app = await mysql.createConnection(url.replace(/^mariadb:/, 'mysql:'));
    cleanups.push(() => app.end());
    await app.query('begin');
    await app.query('select * from item');
    const retries: RetryEvent[] = [];
    const failure = await migrateUp({ ...inputs(p, url), ddlLockTimeoutMs: 1000, sleep: async () => {}, onRetry: (e) => void retries.push(e) }).catch((e: unknown) => e);
    await app.query('commit');
    expect(failure).toBeInstanceOf(MigrationFailedError);
    expect((failure as Error).message).toContain('errno 1205');
    expect((failure as Error).message).toContain(`migrate resolve ${COLUMN}`);
    expect(retries).toEqual([]);
    expect(await query(url, p.dir, `select code from item`)).toEqual([{ code: 'seen' }]);
    expect(await query(url, p.dir, `select status from tidemark_migrations where name = '${COLUMN}'`)).toEqual([{ status: 'failed' }]);
  });
});
