import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { TidemarkError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import type { DatabaseUrl } from '../url.ts';
import { importClient } from '../project/packages.ts';

/** Another run holds the migration lock and did not let go within `--lock-timeout`. */
export class LockTimeoutError extends TidemarkError {
  override name = 'LockTimeoutError';
  // EX_TEMPFAIL: try again later. Deploy scripts can tell it from a failed migration.
  override readonly exitCode = 75;
}

/** Held for the whole of read-history → apply → record; released on every exit path. */
export interface RunLock {
  release(): Promise<void>;
}

export interface LockOptions {
  timeoutMs: number;
  /** The version table's name: two tables in one database are two histories. */
  table: string;
  /** Called once when the lock is busy, with who holds it (as far as the database can tell). */
  onWait?: (holder: string) => void;
  /** The app's root: the database client is the one its MikroORM driver uses. */
  baseDir: string;
}

const POLL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const whoAmI = () => `tidemark migrate (pid ${process.pid} on ${hostname()})`;

/**
 * Takes the run lock for `url`. PostgreSQL: `pg_try_advisory_lock`, polled on a dedicated
 * connection (never a blocking lock, which could deadlock with `CREATE INDEX CONCURRENTLY`).
 * MySQL/MariaDB: `GET_LOCK` on a dedicated connection; anything but 1 is a failure. SQLite:
 * `BEGIN IMMEDIATE` with a busy timeout on a lock database beside the file, so the run's own
 * connection stays free to write. Each lock dies with its holder's process or connection.
 */
export async function acquireLock(url: DatabaseUrl, options: LockOptions): Promise<RunLock> {
  switch (url.dialect) {
    case 'sqlite':
      return sqliteLock(url, options);
    case 'postgresql':
      return postgresLock(url, options);
    case 'mysql':
    case 'mariadb':
      return mysqlLock(url, options);
  }
}

/** Who holds the lock now, or undefined when nobody does (for `status`). */
export async function lockHolder(url: DatabaseUrl, table: string, baseDir: string): Promise<string | undefined> {
  // Asking must not create the lock file.
  if (url.dialect === 'sqlite' && (url.file === ':memory:' || !existsSync(`${url.file}.tidemark-lock`))) return undefined;
  try {
    const lock = await acquireLock(url, { timeoutMs: 0, table, baseDir });
    await lock.release();
    return undefined;
  } catch (error) {
    if (error instanceof LockTimeoutError) return error.message.replace(/^.*held by /, '').replace(/; .*$/, '');
    throw error;
  }
}

function timedOut(url: DatabaseUrl, holder: string, options: LockOptions): LockTimeoutError {
  return new LockTimeoutError(
    `could not take the migration lock on ${url.display} within ${options.timeoutMs / 1000} s: it is held by ${holder}; wait for that run to finish, or raise --lock-timeout`,
  );
}

async function sqliteLock(url: DatabaseUrl, options: LockOptions): Promise<RunLock> {
  if (url.file === ':memory:') return { release: async () => {} };
  const { default: Database } = await importClient<{ default: typeof import('better-sqlite3') }>(url.dialect, 'better-sqlite3', options.baseDir, url.display);
  const file = `${url.file}.tidemark-lock`;
  const db = new Database(file, { timeout: POLL_MS });
  const deadline = Date.now() + options.timeoutMs;
  let warned = false;
  for (;;) {
    try {
      db.prepare('begin immediate').run();
      return {
        release: async () => {
          try {
            db.prepare('rollback').run();
          } finally {
            db.close();
          }
        },
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') {
        db.close();
        throw error;
      }
      const holder = `another process (lock file ${file})`;
      if (!warned) options.onWait?.(holder);
      warned = true;
      if (Date.now() >= deadline) {
        db.close();
        throw timedOut(url, holder, options);
      }
      await sleep(POLL_MS / 2);
    }
  }
}

/** A signed 64-bit key from what identifies one history: database, schema, version table. */
export function advisoryKey(database: string, schema: string, table: string): string {
  const digest = createHash('sha256').update(`tidemark\0${database}\0${schema}\0${table}`).digest();
  return BigInt.asIntN(64, digest.readBigUInt64BE(0)).toString();
}

/**
 * Polls `tryOnce` on a dedicated session until it takes the lock or `timeoutMs` passes,
 * telling `onWait` who holds it the first time it is busy. The session is closed on failure;
 * on success it is kept and closed by `release`.
 */
async function poll(url: DatabaseUrl, options: LockOptions, session: { tryOnce(): Promise<boolean>; holder(): Promise<string>; unlock(): Promise<unknown>; close(): Promise<unknown> }): Promise<RunLock> {
  const deadline = Date.now() + options.timeoutMs;
  let warned = false;
  try {
    for (;;) {
      if (await session.tryOnce()) {
        return {
          release: async () => {
            try {
              await session.unlock();
            } finally {
              await session.close();
            }
          },
        };
      }
      const holder = await session.holder();
      if (!warned) options.onWait?.(holder);
      warned = true;
      if (Date.now() >= deadline) throw timedOut(url, holder, options);
      await sleep(POLL_MS);
    }
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
}

async function postgresLock(url: DatabaseUrl, options: LockOptions): Promise<RunLock> {
  const { default: pg } = await importClient<{ default: typeof import('pg') }>(url.dialect, 'pg', options.baseDir, url.display);
  const client = new pg.Client({
    host: url.host,
    port: url.port,
    user: url.user,
    password: url.password,
    database: url.database,
    application_name: whoAmI().slice(0, 63),
  });
  await client.connect();
  const key = advisoryKey(url.database!, url.schema ?? 'public', options.table);
  return poll(url, options, {
    tryOnce: async () => (await client.query('select pg_try_advisory_lock($1::bigint) as ok', [key])).rows[0].ok === true,
    holder: () => postgresHolder(client, key),
    unlock: () => client.query('select pg_advisory_unlock($1::bigint)', [key]),
    close: () => client.end(),
  });
}

async function postgresHolder(client: import('pg').Client, key: string): Promise<string> {
  try {
    const { rows } = await client.query(
      `select a.pid, a.application_name, a.client_addr, a.backend_start
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted
          and ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
      [key],
    );
    const r = rows[0];
    if (!r) return 'another session';
    return `${r.application_name || 'a session'} (backend pid ${r.pid}${r.client_addr ? ` from ${r.client_addr}` : ''}, since ${new Date(r.backend_start).toISOString()})`;
  } catch (error) {
    return `another session (${firstLine(error)})`;
  }
}

async function mysqlLock(url: DatabaseUrl, options: LockOptions): Promise<RunLock> {
  const mysql = (await importClient<{ default: typeof import('mysql2/promise') }>(url.dialect, 'mysql2/promise', options.baseDir, url.display)).default;
  const conn = await mysql.createConnection({ host: url.host, port: url.port, user: url.user, password: url.password, database: url.database });
  const raw = `tidemark:${url.database}:${options.table}`;
  // Lock names are limited to 64 characters.
  const name = raw.length <= 64 ? raw : `tidemark:${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`;
  return poll(url, options, {
    // Anything but 1 (0: taken, NULL: an error) is a failure to get it.
    tryOnce: async () => Number(((await conn.query('select get_lock(?, 0) as ok', [name])) as unknown as [{ ok: number | null }[]])[0][0]?.ok) === 1,
    holder: () => mysqlHolder(conn, name),
    unlock: () => conn.query('select release_lock(?)', [name]),
    close: () => conn.end(),
  });
}

async function mysqlHolder(conn: import('mysql2/promise').Connection, name: string): Promise<string> {
  try {
    const [rows] = (await conn.query(
      'select p.id, p.user, p.host, p.time from information_schema.processlist p where p.id = is_used_lock(?)',
      [name],
    )) as unknown as [{ id: number; user: string; host: string; time: number }[]];
    const r = rows[0];
    return r ? `connection ${r.id} (${r.user}@${r.host}, ${r.time} s)` : 'another connection';
  } catch (error) {
    return `another connection (${firstLine(error)})`;
  }
}
