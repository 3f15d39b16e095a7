import { existsSync, symlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database as Db } from '../../src/migrate/database.ts';
import { acquireLock } from '../../src/migrate/lock.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { observe, start, trialDatabase, WAIT_M1, WAIT_M2, writeChain, writeWaiting } from './runner-fixtures.ts';
import { freshDatabase, SERVERS, unavailable } from './servers.ts';

/**
 * The run lock is real for the whole run: a lost lock stops the run before anything new starts
 * or is recorded, a live owner is never called "interrupted", a lost connection ends in a
 * one-line error naming the migration, and the SQLite lock follows the file, not its spelling.
 */

const M1 = WAIT_M1;
const M2 = WAIT_M2;

/** A lock the test holds and the migration waits for: released, the migration goes on. */
async function mariadbGate(name: string) {
  const { default: mysql } = await import('mysql2/promise');
  const conn = await mysql.createConnection(parse(SERVERS.mariadb));
  const gate = `tm_gate_${name}`;
  await conn.query('select get_lock(?, 0)', [gate]);
  return { sql: `select get_lock('${gate}', 60) as tm_wait`, open: () => conn.query('select release_lock(?)', [gate]), close: () => conn.end() };
}

async function postgresGate(url: string) {
  const { default: pg } = await import('pg');
  const client = new pg.Client(url);
  await client.connect();
  const key = Math.floor(Math.random() * 2 ** 40);
  await client.query('select pg_advisory_lock($1::bigint)', [key]);
  const pid = (await client.query('select pg_backend_pid() as pid')).rows[0].pid as number;
  return { pid, sql: `select pg_advisory_xact_lock(${key}) as tm_wait`, open: () => client.query('select pg_advisory_unlock($1::bigint)', [key]), close: () => client.end() };
}

function parse(url: string) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) || undefined };
}

const open = (url: string, dir: string) => openDatabase(parseDatabaseUrl(url, dir, 'test'), 'tidemark_migrations', [], process.cwd());

/** Polls a condition on the server (a synchronisation point, not a guessed delay). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, done: Promise<unknown>, ms = 60_000): Promise<T> {
  let ended = false;
  void done.then(() => (ended = true));
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (ended) throw new Error(`the run ended before ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const oneLine = (stderr: string) => stderr.trim().split('\n');

const mariadbSkip = await unavailable('mariadb');
describe.skipIf(Boolean(mariadbSkip))(`MariaDB: a lost lock connection${mariadbSkip ? ` (skipped: ${mariadbSkip})` : ''}`, () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('KILL of the lock connection mid-migration: a second run is told the owner is alive, the first stops before recording or starting anything', async () => {
    const p = new TestProject();
    cleanups.push(() => p.dispose());
    const db = await freshDatabase('mariadb');
    cleanups.push(db.drop);
    const name = new URL(db.url).pathname.slice(1);
    const gate = await mariadbGate(name);
    cleanups.push(gate.close);
    writeWaiting(p, gate.sql);
    const admin = await open(db.url, p.dir);
    cleanups.push(() => admin.close());

    const first = start(p, ['migrate', 'up', '--url', db.url]);
    await until(
      'the migration to wait at the gate',
      async () => (await admin.execute(`select id from information_schema.processlist where db = ? and info like 'select get_lock(%tm_wait'`, [name]))[0]?.id,
      first.done,
    );
    const lockId = (await admin.execute('select is_used_lock(?) as id', [`tidemark:${name}:tidemark_migrations`]))[0]?.id;
    expect(lockId, 'the run holds the lock on a connection of its own').toBeTruthy();
    const [row] = await admin.execute(`select * from tidemark_migrations where name = ?`, [M1]);
    await admin.execute(`kill ${Number(lockId)}`);

    // The lock is free now: a second run takes it, but must not call the live run's migration interrupted.
    const second = await start(p, ['migrate', 'up', '--url', db.url, '--lock-timeout', '5']).done;
    expect(second.stderr).not.toMatch(/interrupted|repair/);
    expect(second.code, second.stderr).toBe(75);
    expect(second.stderr).toMatch(new RegExp(`migration ${M1} is still running in pid \\d+ on host ${hostname()}`));
    expect(oneLine(second.stderr)).toHaveLength(1);
    // The run record names its owner: this host, the run's process, its lock connection.
    expect(row).toMatchObject({ status: 'running', owner_host: hostname(), owner_connection: String(lockId) });
    expect(second.stderr).toContain(`pid ${row!.owner_pid} on host`);

    // Let the migration finish: the first run must notice the lost lock and record nothing more.
    await gate.open();
    const r = await first.done;
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`lost the migration lock on .*; no further migration started; migration ${M1} \\(up\\) ran but stays recorded as running`));
    const seen = await admin.execute(`select table_name as t from information_schema.tables where table_schema = ? and table_name in ('t1', 't2')`, [name]);
    expect(seen.map((x) => x.t)).toEqual(['t1']);
    expect(await admin.execute('select name, status from tidemark_migrations order by id')).toEqual([{ name: M1, status: 'running' }]);

    // Its owner is gone now: the migration really was interrupted.
    const third = await start(p, ['migrate', 'up', '--url', db.url, '--lock-timeout', '5']).done;
    expect(third.code).toBe(1);
    expect(third.stderr).toContain(`migration ${M1} was interrupted`);
  });

  it('KILL of the run connection mid-migration: a one-line error naming the migration, exit 1, the lock released', async () => {
    const p = new TestProject();
    cleanups.push(() => p.dispose());
    writeWaiting(p, 'select sleep(60) as tm_wait');
    const db = await freshDatabase('mariadb');
    cleanups.push(db.drop);
    const admin = await open(db.url, p.dir);
    cleanups.push(() => admin.close());
    const name = new URL(db.url).pathname.slice(1);
    const first = start(p, ['migrate', 'up', '--url', db.url]);
    const sleeper = await until(
      'the migration to wait in sleep()',
      async () => (await admin.execute(`select id from information_schema.processlist where db = ? and info like 'select sleep(60) as tm_wait%'`, [name]))[0]?.id,
      first.done,
    );
    await admin.execute(`kill ${Number(sleeper)}`);
    const r = await first.done;
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`migration ${M1} failed (up)`);
    expect((await admin.execute('select is_used_lock(?) as id', [`tidemark:${name}:tidemark_migrations`]))[0]?.id).toBeNull();
  });
});

const pgSkip = await unavailable('postgresql');
describe.skipIf(Boolean(pgSkip))(`PostgreSQL: lost connections${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  const waiting = async (admin: Db, name: string, done: Promise<unknown>) =>
    until(
      'the migration to wait in pg_sleep()',
      async () => (await admin.execute(`select pid from pg_stat_activity where datname = ? and query like 'select pg_sleep(60) as tm_wait%'`, [name]))[0]?.pid as number | undefined,
      done,
    );

  it("pg_terminate_backend of the run's backend mid-migration: a one-line error naming the migration, exit 1 (not Node's exit 13)", async () => {
    const p = new TestProject();
    cleanups.push(() => p.dispose());
    writeWaiting(p, 'select pg_sleep(60) as tm_wait');
    const db = await freshDatabase('postgresql');
    cleanups.push(db.drop);
    const admin = await open(db.url, p.dir);
    cleanups.push(() => admin.close());
    const name = new URL(db.url).pathname.slice(1);
    const first = start(p, ['migrate', 'up', '--url', db.url]);
    const pid = await waiting(admin, name, first.done);
    await admin.execute('select pg_terminate_backend(?)', [pid]);
    const r = await first.done;
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`migration ${M1} failed (up)`);
    expect((await observe(db.url, 'postgresql', p.dir)).tables).toEqual([]);
    expect(p.ok(['migrate', 'status', '--url', db.url])).toContain('Lock:     free');
  });

  it('pg_terminate_backend of the lock session mid-migration: no crash, the batch rolls back, a one-line error naming the migration', async () => {
    const p = new TestProject();
    cleanups.push(() => p.dispose());
    const db = await freshDatabase('postgresql');
    cleanups.push(db.drop);
    const gate = await postgresGate(db.url);
    cleanups.push(gate.close);
    writeWaiting(p, gate.sql);
    const admin = await open(db.url, p.dir);
    cleanups.push(() => admin.close());
    const name = new URL(db.url).pathname.slice(1);
    const first = start(p, ['migrate', 'up', '--url', db.url]);
    await until(
      'the migration to wait at the gate',
      async () => (await admin.execute(`select pid from pg_stat_activity where datname = ? and query like 'select pg_advisory_xact_lock(%tm_wait' and wait_event_type = 'Lock'`, [name]))[0]?.pid,
      first.done,
    );
    const [lock] = await admin.execute(
      `select l.pid from pg_locks l join pg_database d on d.datname = ? where l.locktype = 'advisory' and l.granted and l.database = d.oid and l.pid <> ?`,
      [name, gate.pid],
    );
    expect(lock?.pid, 'the run holds an advisory lock').toBeTruthy();
    await admin.execute('select pg_terminate_backend(?)', [lock!.pid]);
    await gate.open();
    const r = await first.done;
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`lost the migration lock on .*; no further migration started; migration ${M1} \\(up\\) and its batch rolled back`));
    expect(await observe(db.url, 'postgresql', p.dir)).toEqual({ rows: [], tables: [] });
  });
});

describe.skipIf(Boolean(pgSkip))(`PostgreSQL: the lock session holds nothing back${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('a run waiting for the lock does not make the running one\'s CREATE INDEX CONCURRENTLY wait', async () => {
    const p = new TestProject();
    cleanups.push(() => p.dispose());
    const db = await freshDatabase('postgresql');
    cleanups.push(db.drop);
    const gate = await postgresGate(db.url);
    cleanups.push(gate.close);
    writeWaiting(p, gate.sql);
    p.write(
      `migrations/${M2}.ts`,
      `import { TidemarkMigration } from 'tidemark';

export class After extends TidemarkMigration {
  static override readonly id = '${M2}';
  static override readonly parents = ['${M1}'];
  static override readonly transactional = false;

  override up(): void {
    this.sql('create index concurrently t1_id_concurrent on t1 (id)');
  }

  override down(): void {
    this.sql('drop index t1_id_concurrent');
  }
}
`,
    );
    const admin = await open(db.url, p.dir);
    cleanups.push(() => admin.close());
    const name = new URL(db.url).pathname.slice(1);
    const first = start(p, ['migrate', 'up', '--url', db.url]);
    await until(
      'the first migration to wait at the gate',
      async () => (await admin.execute(`select pid from pg_stat_activity where datname = ? and query like 'select pg_advisory_xact_lock(%tm_wait' and wait_event_type = 'Lock'`, [name]))[0]?.pid,
      first.done,
    );
    // A second run polls for the lock the whole time (its timeout outlasts the first run).
    const second = start(p, ['migrate', 'up', '--url', db.url, '--lock-timeout', '120']);
    expect(await second.seen(/waiting for the migration lock/), 'the second run waits for the lock').toBe(true);
    await gate.open();
    // The index is built while the second run still waits: it must not wait for it.
    const r = await first.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(M2);
    const s2 = await second.done;
    expect(s2.code, s2.stderr).toBe(0);
    expect(s2.stdout).toContain('Already up to date');
  });
});

describe('SQLite: the lock follows the file, however it is spelled', () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('a run through a symlink (or ./x/../) waits for the lock held through the real path', async () => {
    const p = new TestProject();
    cleanups.push(() => p.dispose());
    writeChain(p, 'sqlite', 1);
    const real = join(p.dir, 'app.db');
    new Database(real).close();
    symlinkSync(real, join(p.dir, 'link.db'));
    p.write('x/.keep', '');
    const lock = await acquireLock(parseDatabaseUrl(`sqlite:${real}`, p.dir, 'test'), { timeoutMs: 1000, table: 'tidemark_migrations', baseDir: process.cwd() });
    try {
      for (const spelling of ['sqlite:./link.db', 'sqlite:./x/../app.db']) {
        const r = await start(p, ['migrate', 'up', '--url', spelling, '--lock-timeout', '1']).done;
        expect(r.code, `${spelling}: ${r.stderr}`).toBe(75);
        expect(r.stderr).toContain('could not take the migration lock');
      }
      expect(existsSync(join(p.dir, 'link.db.tidemark-lock'))).toBe(false);
    } finally {
      await lock.release();
    }
    const r = await start(p, ['migrate', 'up', '--url', 'sqlite:./link.db', '--lock-timeout', '5']).done;
    expect(r.code, r.stderr).toBe(0);
  });
});

/** A version table an older tidemark made, without the owner columns, keeps working. */
for (const target of ['sqlite', 'postgresql', 'mariadb'] as const) {
  const skip = target === 'sqlite' ? undefined : target === 'postgresql' ? pgSkip : mariadbSkip;
  describe.skipIf(Boolean(skip))(`${target}: a version table without the owner columns`, () => {
    const cleanups: (() => unknown)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });

    it('status reads it as it is; the next up adds the columns and records owners', async () => {
      const p = new TestProject();
      cleanups.push(() => p.dispose());
      const chain = writeChain(p, target, 2);
      p.remove(`migrations/${chain[1]}.ts`);
      const db = await trialDatabase(target, p);
      cleanups.push(db.drop);
      p.ok(['migrate', 'up', '--url', db.url]);
      const conn = await open(db.url, p.dir);
      cleanups.push(() => conn.close());
      const columns = async () =>
        (target === 'sqlite'
          ? await conn.execute(`select name from pragma_table_info('tidemark_migrations')`)
          : await conn.execute(`select column_name as name from information_schema.columns where table_name = 'tidemark_migrations' and table_schema = ${target === 'mariadb' ? 'database()' : 'current_schema()'}`)
        )
          .map((r) => String(r.name))
          .filter((n) => n.startsWith('owner_'))
          .sort();
      expect(await columns()).toEqual(['owner_connection', 'owner_host', 'owner_pid']);
      for (const c of ['owner_host', 'owner_pid', 'owner_connection']) await conn.execute(`alter table tidemark_migrations drop column ${c}`);
      expect(await columns()).toEqual([]);
      expect(p.ok(['migrate', 'status', '--url', db.url])).toContain(chain[0]);
      expect(await columns(), 'status writes nothing').toEqual([]);
      writeChain(p, target, 2);
      p.ok(['migrate', 'up', '--url', db.url]);
      expect(await columns()).toEqual(['owner_connection', 'owner_host', 'owner_pid']);
      expect((await observe(db.url, target, p.dir)).rows).toEqual(chain.map((name) => ({ name, status: 'applied' })));
    });
  });
}
