import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DatabaseError, TidemarkError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import type { DatabaseUrl } from '../url.ts';
import { importClient } from '../project/packages.ts';

/** Another run holds the migration lock and did not let go within `--lock-timeout`. */
export class LockTimeoutError extends TidemarkError {
  override name = 'LockTimeoutError';
  // EX_TEMPFAIL: try again later. Deploy scripts can tell it from a failed migration.
  override readonly exitCode = 75;
}

/** The run lock was lost while the run held it (its connection ended or was killed). */
export class LockLostError extends TidemarkError {
  override name = 'LockLostError';
}

/** Who runs a migration: recorded with it, so another run can tell a live owner from a dead one. */
export interface LockOwner {
  host: string;
  pid: number;
  /** The lock session's id on the server (MariaDB connection id, PostgreSQL backend pid). */
  connection?: string;
}

/** Held for the whole of read-history → apply → record; released on every exit path. */
export interface RunLock {
  readonly owner: LockOwner;
  /** Throws `LockLostError` unless this run still holds the lock, asking the server now. */
  verify(): Promise<void>;
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
/**
 * How often an idle lock session is asked whether it still holds the lock: it keeps the
 * connection from idling out (wait_timeout, NAT and firewall timeouts) during a long migration,
 * and notices a lost lock before the runner's next check.
 */
const KEEPALIVE_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const whoAmI = () => `tidemark migrate (pid ${process.pid} on ${hostname()})`;
const me = (connection?: string): LockOwner => ({ host: hostname(), pid: process.pid, ...(connection ? { connection } : {}) });

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
  if (url.dialect === 'sqlite' && (url.file === ':memory:' || !existsSync(sqliteLockFile(url.file!)))) return undefined;
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

/**
 * The lock file of a SQLite database, beside its real path: a symlink, `./x/../app.db` or
 * a relative spelling of the same file all lock the same file. (Hard links are not unified.)
 */
export function sqliteLockFile(file: string): string {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    // Not created yet: its folder may still be reached through a link.
    try {
      real = join(realpathSync(dirname(file)), basename(file));
    } catch {
      real = file;
    }
  }
  return `${real}.tidemark-lock`;
}

async function sqliteLock(url: DatabaseUrl, options: LockOptions): Promise<RunLock> {
  if (url.file === ':memory:') return { owner: me(), verify: async () => {}, release: async () => {} };
  const { default: Database } = await importClient<{ default: typeof import('better-sqlite3') }>(url.dialect, 'better-sqlite3', options.baseDir, url.display);
  const file = sqliteLockFile(url.file!);
  const db = new Database(file, { timeout: POLL_MS });
  const deadline = Date.now() + options.timeoutMs;
  let warned = false;
  for (;;) {
    try {
      db.prepare('begin immediate').run();
      return {
        // The lock lives in this process's own handle: it ends only with the process.
        owner: me(),
        verify: async () => {},
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

interface LockSession {
  tryOnce(): Promise<boolean>;
  holder(): Promise<string>;
  /** Whether this session holds the lock now (asked on the session itself). */
  held(): Promise<boolean>;
  /** Releases the lock; false when the server says it was not held. */
  unlock(): Promise<boolean>;
  close(): Promise<unknown>;
  /** The session's id on the server. */
  id(): Promise<string>;
  /** Registers what to do when the connection fails (an error event, the socket closing). */
  onError(listener: (error: Error) => void): void;
}

/**
 * Polls `tryOnce` on a dedicated session until it takes the lock or `timeoutMs` passes,
 * telling `onWait` who holds it the first time it is busy. The session is closed on failure;
 * on success it is kept, checked every KEEPALIVE_MS, and closed by `release`.
 */
async function poll(url: DatabaseUrl, options: LockOptions, session: LockSession): Promise<RunLock> {
  const deadline = Date.now() + options.timeoutMs;
  let warned = false;
  // Why the lock is gone, once it is: the connection failed, or the server says it is not held.
  let lost: string | undefined;
  let released = false;
  session.onError((error) => {
    if (!released) lost ??= `its connection failed (${firstLine(error)})`;
  });
  try {
    for (;;) {
      if (lost) throw new DatabaseError(`cannot take the migration lock on ${url.display}: ${lost}`);
      if (await session.tryOnce()) break;
      const holder = await session.holder();
      if (!warned) options.onWait?.(holder);
      warned = true;
      if (Date.now() >= deadline) throw timedOut(url, holder, options);
      await sleep(POLL_MS);
    }
  } catch (error) {
    released = true;
    await session.close().catch(() => undefined);
    throw error;
  }
  const owner = me(await session.id().catch(() => undefined));
  const check = async () => {
    if (lost) return;
    try {
      if (!(await session.held())) lost ??= 'the server no longer shows it held by this run';
    } catch (error) {
      lost ??= `its connection failed (${firstLine(error)})`;
    }
  };
  let checking: Promise<void> | undefined;
  const timer = setInterval(() => {
    checking ??= check().finally(() => (checking = undefined));
  }, KEEPALIVE_MS);
  timer.unref();
  return {
    owner,
    verify: async () => {
      await checking;
      await check();
      if (lost) throw new LockLostError(`lost the migration lock on ${url.display}: ${lost}`);
    },
    release: async () => {
      released = true;
      clearInterval(timer);
      await checking;
      try {
        if (!lost && !(await session.unlock())) lost = 'the server says it was not held at release';
      } finally {
        await session.close().catch(() => undefined);
      }
      if (lost) throw new LockLostError(`lost the migration lock on ${url.display}: ${lost}`);
    },
  };
}

/**
 * PostgreSQL: the lock is a transaction-level advisory lock inside a transaction the lock
 * session keeps open for the whole run. A session-level lock would not survive a transaction
 * pooler (PgBouncer `pool_mode = transaction`): the pooler hands the backend that holds it to
 * other clients between statements, so they get in too, and it outlives every tidemark process.
 * An open transaction pins the backend to this client in any pooler, and ends (releasing the
 * lock) when the client goes. It takes no snapshot between statements, so it holds back neither
 * VACUUM nor `CREATE INDEX CONCURRENTLY`.
 */
async function postgresLock(url: DatabaseUrl, options: LockOptions): Promise<RunLock> {
  const { default: pg } = await importClient<{ default: typeof import('pg') }>(url.dialect, 'pg', options.baseDir, url.display);
  const client = new pg.Client({
    host: url.host,
    port: url.port,
    user: url.user,
    password: url.password,
    database: url.database,
    application_name: whoAmI().slice(0, 63),
    keepAlive: true,
  });
  const listeners: ((error: Error) => void)[] = [];
  // Without a listener, a lock connection that dies while idle would crash the process.
  client.on('error', (error) => listeners.forEach((l) => l(error)));
  client.on('end', () => listeners.forEach((l) => l(new Error('the connection was closed'))));
  try {
    await client.connect();
    await client.query('begin');
    // Only this session, only this transaction: the run may be idle here for as long as it lasts.
    await client.query('set local idle_in_transaction_session_timeout = 0');
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  // Inlined (a number we made), never a bound parameter: an extended-protocol query leaves its
  // snapshot's xmin on the idle transaction until the next query, and `CREATE INDEX
  // CONCURRENTLY` (in this run or another) waits for every such transaction to end.
  const key = advisoryKey(url.database!, url.schema ?? 'public', options.table);
  const held = async () =>
    (
      await client.query(
        `select count(*)::int as n from pg_locks
          where locktype = 'advisory' and granted and pid = pg_backend_pid()
            and ((classid::bigint << 32) | objid::bigint) = (${BigInt(key)})::bigint`,
      )
    ).rows[0].n > 0;
  return poll(url, options, {
    tryOnce: async () => (await client.query(`select pg_try_advisory_xact_lock((${BigInt(key)})::bigint) as ok`)).rows[0].ok === true,
    holder: () => postgresHolder(client, key),
    held,
    unlock: async () => {
      const ok = await held();
      await client.query('rollback');
      return ok;
    },
    close: () => client.end(),
    id: async () => String((await client.query('select pg_backend_pid() as pid')).rows[0].pid),
    onError: (l) => listeners.push(l),
  });
}

async function postgresHolder(client: import('pg').Client, key: string): Promise<string> {
  try {
    const { rows } = await client.query(
      `select a.pid, a.application_name, a.client_addr, a.backend_start
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted
          and ((l.classid::bigint << 32) | l.objid::bigint) = (${BigInt(key)})::bigint`,
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
  const conn = await mysql.createConnection({ host: url.host, port: url.port, user: url.user, password: url.password, database: url.database, enableKeepAlive: true });
  const listeners: ((error: Error) => void)[] = [];
  // Without a listener, a lock connection killed while idle would crash the process.
  conn.on('error', (error: Error) => listeners.forEach((l) => l(error)));
  // GET_LOCK ends with its connection: one idle past wait_timeout during a long migration
  // would take the lock with it (the keep-alive queries also keep it busy).
  await conn.query('set session wait_timeout = 31536000').catch(() => undefined);
  const raw = `tidemark:${url.database}:${options.table}`;
  // Lock names are limited to 64 characters.
  const name = raw.length <= 64 ? raw : `tidemark:${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`;
  const one = async (sql: string) => Number(((await conn.query(sql, [name])) as unknown as [{ ok: number | null }[]])[0][0]?.ok) === 1;
  return poll(url, options, {
    // Anything but 1 (0: taken, NULL: an error) is a failure to get it.
    tryOnce: () => one('select get_lock(?, 0) as ok'),
    holder: () => mysqlHolder(conn, name),
    held: () => one('select is_used_lock(?) = connection_id() as ok'),
    unlock: () => one('select release_lock(?) as ok'),
    close: () => conn.end(),
    id: async () => String(((await conn.query('select connection_id() as id')) as unknown as [{ id: number }[]])[0][0]!.id),
    onError: (l) => listeners.push(l),
  });
}

/** Linux: whether process `pid` started after `since` (so it is a reused pid, not the owner). */
function startedAfter(pid: number, since?: Date | null): boolean {
  if (!since) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the parenthesised command name (which may hold spaces).
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(boot)) return false;
    // Clock ticks are 1/100 s on Linux; a few seconds of slack cover clock skew and rounding.
    return boot * 1000 + ticks * 10 > since.getTime() + 5000;
  } catch {
    return false;
  }
}

/**
 * Whether the owner recorded with a `running` migration may still be at work: on this host,
 * its process exists; on any host, its lock session is still connected. Returns how to name
 * it ("pid N on host H") when it may be alive, undefined when it is gone or not known.
 */
export async function ownerAlive(
  dialect: DatabaseUrl['dialect'],
  owner: { host?: string | null; pid?: number | null; connection?: string | null; since?: Date | null },
  execute: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>,
): Promise<string | undefined> {
  if (!owner.host || !owner.pid) return undefined;
  const named = `pid ${owner.pid} on host ${owner.host}`;
  if (owner.host === hostname()) {
    let exists = false;
    try {
      process.kill(owner.pid, 0);
      exists = true;
    } catch (error) {
      // EPERM: it exists, under another user.
      exists = (error as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (exists && !startedAfter(owner.pid, owner.since)) return named;
  }
  if (owner.connection && /^\d+$/.test(owner.connection)) {
    const sql =
      dialect === 'postgresql'
        ? 'select 1 as ok from pg_stat_activity where pid = ?'
        : dialect === 'sqlite'
          ? undefined
          : 'select 1 as ok from information_schema.processlist where id = ?';
    if (sql) {
      const rows = await execute(sql, [Number(owner.connection)]).catch(() => []);
      if (rows.length) return `${named}, lock session ${owner.connection} still connected`;
    }
  }
  return undefined;
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
