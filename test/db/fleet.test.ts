import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/config.ts';
import { fleetStatus, migrateFleet } from '../../src/fleet/fleet.ts';
import { runPool, TargetBusy } from '../../src/fleet/pool.ts';
import { likePattern, resolveTargets, splitTargetList } from '../../src/fleet/targets.ts';
import { acquireLock, advisoryKey } from '../../src/migrate/lock.ts';
import type { RetryEvent } from '../../src/migrate/run.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { TestProject } from '../e2e/project.ts';
import { ids, writeChain } from './runner-fixtures.ts';
import { fleetStamp, skipped, sql } from './fleet-fixtures.ts';
import { freshDatabase, SERVERS, unavailable } from './servers.ts';

/**
 * One history on many targets, through the library in this process: PostgreSQL schemas of one
 * database and MariaDB databases, each under its own lock, a failure in one leaving the others
 * done, a rerun finishing only what is behind.
 */
const skipPg = await unavailable('postgresql');
const skipMy = await unavailable('mariadb');
const stamp = fleetStamp();
const HISTORY = ids(3);

/** The version rows of one target, read in its own schema (PostgreSQL) or database. */
async function versions(url: string): Promise<string[]> {
  const u = parseDatabaseUrl(url, process.cwd(), 'test');
  const where = u.dialect === 'postgresql' ? `table_schema = '${u.schema}'` : 'table_schema = database()';
  const has = await sql(url, [`select count(*) as n from information_schema.tables where ${where} and table_name = 'tidemark_migrations'`]);
  if (Number(has[0]!.n ?? has[0]!.N) === 0) return [];
  return (await sql(url, [`select name from tidemark_migrations where status = 'applied' order by id`])).map((r) => String(r.name));
}

describe('migrateFleet', () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  let exit: ReturnType<typeof vi.spyOn>;
  const listeners = () => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
  let before = 0;
  beforeEach(() => {
    before = listeners();
    exit = vi.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Error(`process.exit(${code}) called by the library`);
    }) as never);
  });
  afterEach(() => {
    expect(exit).not.toHaveBeenCalled();
    exit.mockRestore();
    expect(listeners()).toBe(before);
  });

  /** The history: three migrations, each pausing on the server between its statements. */
  async function project(dialect: 'postgresql' | 'mariadb' = 'postgresql') {
    const p = new TestProject(null as never);
    cleanups.push(() => p.dispose());
    writeChain(p, dialect, 3);
    return { p, config: await resolveConfig({ inline: { entities: [], migrations: './migrations' }, cwd: p.dir }) };
  }

  /** `n` schemas `<stamp>_<prefix>_<i>` in a fresh PostgreSQL database; the pattern that names them all. */
  async function pgSchemas(prefix: string, n: number) {
    const db = await freshDatabase('postgresql');
    cleanups.push(db.drop);
    const names = Array.from({ length: n }, (_, i) => `${stamp}_${prefix}_${i + 1}`);
    await sql(db.url, names.map((s) => `create schema "${s}"`));
    return { db, names, url: (s: string) => `${db.url}?schema=${s}`, pattern: `${db.url}?schema=${stamp}_${prefix}_*` };
  }

  it('splits lists on the commas that start a URL, and turns globs into LIKE patterns', () => {
    expect(splitTargetList('postgres://a:p,w@h/db?schema=x, mysql://h/db2,sqlite:./a.db')).toEqual(['postgres://a:p,w@h/db?schema=x', 'mysql://h/db2', 'sqlite:./a.db']);
    expect(likePattern('tm_1_tenant_*')).toBe('tm\\_1\\_tenant\\_%');
    expect(likePattern('a?%')).toBe('a_\\%');
    // Each schema target is a history of its own: its own lock key.
    expect(new Set(['t1', 't2', 'public'].map((s) => advisoryKey('db', s, 'tidemark_migrations'))).size).toBe(3);
  });

  it.skipIf(Boolean(skipPg))(`PostgreSQL schemas: one with a conflicting table fails, the other five complete in their own schema; after the fix a rerun finishes it and does nothing to the others${skipped(skipPg)}`, async () => {
    const { config } = await project();
    const t = await pgSchemas('tenant', 6);
    const bad = t.names[3]!;
    await sql(t.url(bad), ['create table t1 (id integer primary key)']);
    const events: string[] = [];
    const first = await migrateFleet(config, t.pattern, { concurrency: 3, continueOnError: true, onTarget: (e) => events.push(`${e.phase} ${e.index}`) });
    expect(first.targets.map((o) => o.target)).toEqual(t.names.map((s) => `${parseDatabaseUrl(t.db.url, '.', 'test').display}?schema=${s}`));
    expect(first.counts).toEqual({ done: 5, failed: 1, interrupted: 0, skipped: 0 });
    expect(first.ok).toBe(false);
    const failed = first.targets[3]!;
    expect(failed.state).toBe('failed');
    expect(failed.error!.message).toMatch(new RegExp(`schema=${bad}.*t1`));
    for (const [i, s] of t.names.entries()) {
      expect(await versions(t.url(s))).toEqual(i === 3 ? [] : HISTORY);
      if (i !== 3) expect(first.targets[i]!.result!.ran.map((r) => r.id)).toEqual(HISTORY);
    }
    expect(events.filter((e) => e.startsWith('end'))).toHaveLength(6);

    await sql(t.url(bad), ['drop table t1']);
    const again = await migrateFleet(config, t.pattern, { concurrency: 3 });
    expect(again.ok).toBe(true);
    expect(again.targets.map((o) => o.result!.ran.length)).toEqual([0, 0, 0, 3, 0, 0]);
    for (const s of t.names) expect(await versions(t.url(s))).toEqual(HISTORY);
    const status = await fleetStatus(config, t.pattern);
    expect(status.targets.map((o) => [o.result!.applied.length, o.result!.pending.length])).toEqual(t.names.map(() => [3, 0]));
  });

  it.skipIf(Boolean(skipPg))(`fail-fast by default: no target starts after one failed, and those left untouched say why${skipped(skipPg)}`, async () => {
    const { config } = await project();
    const t = await pgSchemas('ff', 4);
    await sql(t.url(t.names[1]!), ['create table t2 (id integer primary key)']);
    const r = await migrateFleet(config, t.pattern, { concurrency: 1 });
    expect(r.targets.map((o) => o.state)).toEqual(['done', 'failed', 'skipped', 'skipped']);
    expect(r.targets[2]!.error!.message).toMatch(/not started: an earlier target failed/);
    expect(await versions(t.url(t.names[2]!))).toEqual([]);
    expect(await versions(t.url(t.names[0]!))).toEqual(HISTORY);
  });

  it.skipIf(Boolean(skipPg))(`a target whose lock another run holds is come back to, never waited on while others remain; held past the lock timeout, it fails alone${skipped(skipPg)}`, async () => {
    const { config } = await project();
    const t = await pgSchemas('busy', 3);
    const held = parseDatabaseUrl(t.url(t.names[1]!), '.', 'test');
    // Another runner, as far as the fleet can tell: the target's own lock, taken first.
    const lock = await acquireLock(held, { timeoutMs: 0, table: 'tidemark_migrations', baseDir: process.cwd() });
    let timedOut;
    try {
      timedOut = await migrateFleet(config, t.pattern, { concurrency: 2, continueOnError: true, lockTimeoutMs: 800 });
    } finally {
      await lock.release();
    }
    expect(timedOut.targets.map((o) => o.state)).toEqual(['done', 'failed', 'done']);
    expect(timedOut.targets[1]!.error).toMatchObject({ name: 'LockTimeoutError', exitCode: 75 });
    expect(timedOut.targets[1]!.busy).toBeGreaterThan(1);
    expect(await versions(t.url(t.names[1]!))).toEqual([]);

    // Held once more, and let go as soon as the fleet finds it busy: it comes back and applies it.
    const again = await acquireLock(held, { timeoutMs: 0, table: 'tidemark_migrations', baseDir: process.cwd() });
    let released: Promise<void> | undefined;
    const r = await migrateFleet(config, t.pattern, {
      concurrency: 2,
      onTarget: (e) => {
        if (e.phase === 'busy') released ??= again.release();
      },
    });
    await released;
    expect(released).toBeDefined();
    expect(r.ok).toBe(true);
    expect(r.targets.map((o) => o.result!.ran.length)).toEqual([0, 3, 0]);
    expect(r.targets[1]!.busy).toBeGreaterThanOrEqual(1);
    expect(await versions(t.url(t.names[1]!))).toEqual(HISTORY);
  });

  it('a runner that finds a target busy goes on from a random place in the targets not yet tried, so runners given one list stop trailing each other', async () => {
    const urls = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => parseDatabaseUrl(`sqlite:./${n}.db`, process.cwd(), 'test'));
    const order: string[] = [];
    let busy = true;
    const outcomes = await runPool(
      urls,
      async (url) => {
        order.push(url.display);
        if (url.display.endsWith('a.db') && busy) {
          busy = false;
          throw new TargetBusy('another run');
        }
        return url.display;
      },
      { concurrency: 1, random: () => 0.5 },
    );
    expect(order.map((t) => t.replace(/^sqlite:\.\/|\.db$/g, ''))).toEqual(['a', 'd', 'e', 'f', 'b', 'c', 'a']);
    expect(outcomes.map((o) => [o.state, o.busy])).toEqual([['done', 1], ...Array(5).fill(['done', 0])]);
  });

  it.skipIf(Boolean(skipPg))(`ddlLockTimeoutMs reaches every target: a migration waiting on a table lock the app holds times out, is retried (onRetry names the target), then applies${skipped(skipPg)}`, async () => {
    const { p, config } = await project();
    // A fourth migration that alters t1, which the app will hold locked on one target.
    const LABEL = '20260401000003_t1_note';
    p.write(
      `migrations/${LABEL}.ts`,
      `import { TidemarkMigration } from 'tidemark';\n\nexport class Note extends TidemarkMigration {\n  static override readonly id = '${LABEL}';\n  static override readonly parents = ['${HISTORY[2]}'];\n\n  override up(): void {\n    this.addColumn('t1', 'note', { type: 'string', length: 40, nullable: true });\n  }\n\n  override down(): void {}\n}\n`,
    );
    const t = await pgSchemas('ddl', 2);
    await migrateFleet(config, t.pattern, { to: HISTORY[2] });
    const app = new pg.Client({ connectionString: t.db.url.replace(/^postgresql:/, 'postgres:') });
    await app.connect();
    cleanups.push(() => app.end());
    await app.query('begin');
    await app.query(`lock table "${t.names[1]}".t1 in access exclusive mode`);
    const retries: [string, RetryEvent][] = [];
    const r = await migrateFleet(config, t.pattern, {
      concurrency: 1,
      ddlLockTimeoutMs: 300,
      // The synchronisation point: the app's transaction ends once the first retry is announced.
      onRetry: async (target, e) => {
        retries.push([target, e]);
        if (retries.length === 1) await app.query('commit');
      },
    });
    expect(r.ok).toBe(true);
    expect(retries.map(([target, e]) => [target, e.id, e.attempt, e.timeoutMs, e.table])).toEqual([[r.targets[1]!.target, LABEL, 2, 300, 't1']]);
    for (const s of t.names) expect(await versions(t.url(s))).toEqual([...HISTORY, LABEL]);
  });

  it.skipIf(Boolean(skipPg))(`an abort starts no new target; the one under way stops after its current migration${skipped(skipPg)}`, async () => {
    const { config } = await project();
    const t = await pgSchemas('abort', 3);
    const controller = new AbortController();
    const r = await migrateFleet(config, t.pattern, {
      concurrency: 1,
      signal: controller.signal,
      onTarget: (e) => {
        if (e.phase === 'end') controller.abort('SIGTERM');
      },
    });
    expect(r.stoppedBy).toBe('SIGTERM');
    expect(r.targets.map((o) => o.state)).toEqual(['done', 'skipped', 'skipped']);
    expect(r.targets[1]!.error!.message).toMatch(/stopped by SIGTERM/);
    expect(await versions(t.url(t.names[1]!))).toEqual([]);
  });

  it.skipIf(Boolean(skipMy))(`MariaDB databases by pattern: one fails, the others complete; a rerun finishes it alone${skipped(skipMy)}`, async () => {
    const { config } = await project('mariadb');
    const names = [1, 2, 3].map((i) => `${stamp}_db_${i}`);
    const server = new URL(SERVERS.mariadb);
    const at = (name: string) => Object.assign(new URL(server), { pathname: `/${name}` }).toString();
    await sql(SERVERS.mariadb, names.map((n) => `create database ${n}`));
    cleanups.push(() => sql(SERVERS.mariadb, names.map((n) => `drop database if exists ${n}`)));
    await sql(at(names[0]!), ['create table t3 (id integer primary key)']);
    const pattern = at(`${stamp}_db_*`);
    const resolved = await resolveTargets(pattern, config);
    expect(resolved.map((u) => u.database)).toEqual(names);
    const first = await migrateFleet(config, pattern, { concurrency: 2, continueOnError: true });
    expect(first.targets.map((o) => o.state)).toEqual(['failed', 'done', 'done']);
    expect(first.targets[0]!.error!.message).toContain(names[0]);
    expect(await versions(at(names[1]!))).toEqual(HISTORY);
    await sql(at(names[0]!), ['drop table t3']);
    const again = await migrateFleet(config, pattern, { concurrency: 2 });
    expect(again.targets.map((o) => o.result!.ran.length)).toEqual([3, 0, 0]);
    for (const n of names) expect(await versions(at(n))).toEqual(HISTORY);
  });

  it.skipIf(Boolean(skipPg))(`a pattern that matches nothing is refused before any target is touched${skipped(skipPg)}`, async () => {
    const { config } = await project();
    const t = await pgSchemas('none', 1);
    await expect(migrateFleet(config, `${t.db.url}?schema=${stamp}_nomatch_*`)).rejects.toThrow(/matches no schema on the server/);
  });
});
