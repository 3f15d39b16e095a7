import type { DialectName } from '../dialect/dialect.ts';
import type { Database } from './database.ts';
import { ident, literal, QUALIFIED_NAME, unquote } from './sql-text.ts';

/**
 * How long a migration's statement may wait for a table lock before it gives up (PostgreSQL
 * `lock_timeout`, MySQL/MariaDB `lock_wait_timeout`). A DDL statement queued behind a long
 * transaction would queue every app query on that table behind itself: better to give up and
 * try again a moment later.
 */
export const DEFAULT_DDL_LOCK_TIMEOUT_MS = 5000;

/** Attempts of a batch that timed out on a lock, the first included. */
export const DEFAULT_DDL_LOCK_ATTEMPTS = 3;

/**
 * The longest wait PostgreSQL's `lock_timeout` takes (an int of milliseconds, about 24 days);
 * a longer one would be refused by the server only once a migration is under way.
 */
export const MAX_DDL_LOCK_TIMEOUT_MS = 2_147_483_647;

/** `5s`, `500ms`, `2m`, or a bare number of seconds, up to about 24 days; undefined when it is none of those. */
export function parseDuration(value: string | number): number | undefined {
  const ms = (() => {
    if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
    if (!m) return undefined;
    const n = Number(m[1]);
    return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  })();
  return ms !== undefined && ms <= MAX_DDL_LOCK_TIMEOUT_MS ? ms : undefined;
}

/**
 * Statements that take a table lock that the app's queries would queue behind, where a wait
 * for it is worth cutting short. An allowlist: anything else (CALL or DO that may commit,
 * VACUUM, REINDEX, a CONCURRENTLY form, transaction control, settings) runs as written, since
 * wrapping it in a transaction of our own can make it fail.
 */
const TAKES_TABLE_LOCK =
  /^(alter\s+(table|index|sequence|view|materialized\s+view|foreign\s+table)|create\s+(unique\s+)?index|create\s+(unlogged\s+|temp(orary)?\s+)?table|create\s+(or\s+replace\s+)?(view|trigger|rule)|create\s+materialized\s+view|create\s+sequence|drop\s+(table|index|view|materialized\s+view|sequence|trigger|rule|type|domain)|truncate|lock|update|delete|insert|merge|refresh\s+materialized\s+view|comment\s+on)\b/i;

const leadingComments = /^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*\s*/;

/**
 * Whether one statement sent outside a transaction runs in a transaction of its own that sets
 * `lock_timeout` (PostgreSQL). Never a CONCURRENTLY form (it cannot run in a transaction), nor
 * text holding several statements (one of them may be what cannot).
 */
export function wrapForLockTimeout(sql: string): boolean {
  const statement = sql.replace(leadingComments, '').replace(/;\s*$/, '');
  return TAKES_TABLE_LOCK.test(statement) && !/\bconcurrently\b/i.test(statement) && !statement.includes(';');
}

export interface DdlLockScope {
  /** Sets the timeout for a transaction the run opened (a transactional batch), before its first statement. */
  begin(trx: unknown): Promise<void>;
  undo(): void;
}

/**
 * Applies the timeout to every migration statement until `undo`. 0 leaves the server's setting.
 *
 * PostgreSQL: `SET LOCAL` in each transaction, never a session setting, which a transaction
 * pooler (PgBouncer) would hand on to the app's next client. A statement run outside any
 * transaction (a `transactional = false` migration) runs in a transaction of its own that sets
 * it, which changes nothing else: it was its own transaction anyway. Only statements that take a
 * table lock are wrapped (`wrapForLockTimeout`): a CONCURRENTLY form blocks neither reads nor
 * writes, and a CALL, DO, VACUUM or REINDEX may not run inside a transaction at all.
 *
 * MySQL/MariaDB: the session's `lock_wait_timeout`, set on each connection as the run takes it
 * from the pool (a statement outside a transaction may run on any of them).
 */
export async function applyDdlLockTimeout(db: Database, dialect: DialectName, ms: number): Promise<DdlLockScope> {
  const none: DdlLockScope = { begin: async () => {}, undo: () => {} };
  if (ms <= 0 || dialect === 'sqlite') return none;
  const conn = db.orm.em.getConnection() as unknown as {
    execute(sql: string, params: unknown[], method: string, ctx?: unknown): Promise<unknown>;
    transactional<T>(fn: (trx: unknown) => Promise<T>): Promise<T>;
    getNativeClient?(): Promise<unknown>;
  };
  if (dialect === 'postgresql') {
    const setLocal = `set local lock_timeout = ${Math.max(1, Math.round(ms))}`;
    const driver = db.orm.em.getDriver() as unknown as { execute(sql: unknown, params?: unknown, method?: unknown, ctx?: unknown): Promise<unknown> };
    const own = Object.prototype.hasOwnProperty.call(driver, 'execute');
    const original = driver.execute;
    driver.execute = async function (this: unknown, sql: unknown, params?: unknown, method?: unknown, ctx?: unknown) {
      if (ctx !== undefined || typeof sql !== 'string' || !wrapForLockTimeout(sql)) return original.call(this, sql, params, method, ctx);
      return conn.transactional(async (trx) => {
        await conn.execute(setLocal, [], 'run', trx);
        return original.call(this, sql, params, method, trx);
      });
    };
    return {
      begin: async (trx) => void (await conn.execute(setLocal, [], 'run', trx)),
      undo: () => {
        if (own) driver.execute = original;
        else delete (driver as Partial<typeof driver>).execute;
      },
    };
  }
  const pool = (await conn.getNativeClient?.()) as
    | { on(event: string, listener: (c: never) => void): unknown; off(event: string, listener: (c: never) => void): unknown }
    | undefined;
  if (!pool) return none;
  // Whole seconds: MySQL takes no fraction, and 0 would mean no wait at all.
  const sql = `set session lock_wait_timeout = ${Math.max(1, Math.ceil(ms / 1000))}`;
  // Queued on the connection before the statement it was taken for, so it runs first.
  const listener = (c: { query(sql: string, cb: () => void): unknown }) => void c.query(sql, () => undefined);
  pool.on('acquire', listener);
  return { begin: async () => {}, undo: () => void pool.off('acquire', listener) };
}

/** PostgreSQL's lock_not_available (lock_timeout); MySQL/MariaDB's lock wait timeout and NOWAIT. */
export function isLockTimeout(error: unknown): boolean {
  for (let e = error as { code?: unknown; sqlState?: unknown; errno?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code === '55P03' || e.sqlState === '55P03') return true;
    if (e.errno === 1205 || e.errno === 3572) return true;
  }
  return false;
}

const STATEMENT = Symbol.for('tidemark.failedStatement');
const IDENT = QUALIFIED_NAME;
const TABLE_IN = [
  new RegExp(String.raw`\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?${IDENT}`, 'i'),
  new RegExp(String.raw`\bcreate\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?\S+\s+on\s+(?:only\s+)?${IDENT}`, 'i'),
  new RegExp(String.raw`\b(?:drop|truncate|lock)\s+table\s+(?:if\s+exists\s+)?${IDENT}`, 'i'),
  new RegExp(String.raw`\b(?:update|insert\s+into|delete\s+from|rename\s+table)\s+${IDENT}`, 'i'),
];

/** The statement that timed out (the runner remembers it on the error), and the table it names. */
export function lockedStatement(error: unknown): { statement?: string; table?: string } {
  const statement = error && typeof error === 'object' ? (error as Record<symbol, unknown>)[STATEMENT] : undefined;
  if (typeof statement !== 'string') return {};
  for (const pattern of TABLE_IN) {
    const m = pattern.exec(statement);
    if (m) return { statement, table: unquote(m[1]!) };
  }
  return { statement };
}

/**
 * Who holds a lock on `table` now, in words, if the server says: on PostgreSQL the oldest other
 * session with a lock granted on it; on MySQL/MariaDB the oldest open transaction of a session in
 * the same database (the metadata lock's holder is not listed without a plugin). Best effort: undefined when nothing is found.
 * Never the holder's statement: it is the app's, and may hold a secret (`alter role … password '…'`).
 */
export async function lockHolderOf(db: Database, dialect: DialectName, table: string | undefined): Promise<string | undefined> {
  try {
    if (dialect === 'postgresql') {
      if (!table) return undefined;
      const rows = await db.execute(
        `select a.pid, a.state, a.usename, a.application_name, floor(extract(epoch from now() - coalesce(a.xact_start, a.query_start)))::int as seconds
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.granted and l.relation = to_regclass(${literal(table.split('.').map(ident).join('.'))}) and l.pid <> pg_backend_pid()
         order by a.xact_start nulls last limit 1`,
      );
      const r = rows[0];
      if (!r) return undefined;
      return `pid ${r.pid}${r.usename ? ` (${r.usename}${r.application_name ? `, ${r.application_name}` : ''})` : ''}, ${r.state ?? 'active'} for ${r.seconds} s`;
    }
    if (dialect === 'mysql' || dialect === 'mariadb') {
      const rows = await db.execute(
        `select t.trx_mysql_thread_id as id, p.user, p.host, p.command, timestampdiff(second, t.trx_started, now()) as seconds
         from information_schema.innodb_trx t left join information_schema.processlist p on p.id = t.trx_mysql_thread_id
         where t.trx_mysql_thread_id <> connection_id() and p.db = database() order by t.trx_started limit 1`,
      );
      const r = rows[0];
      if (!r) return undefined;
      return `connection ${r.id}${r.user ? ` (${r.user}@${r.host})` : ''}, in a transaction for ${r.seconds} s${r.command ? `, ${String(r.command).toLowerCase()}` : ''}`;
    }
  } catch {
    // The holder is a courtesy: a server that does not say must not hide the real error.
  }
  return undefined;
}

/** How long to wait before attempt `attempt + 1`: doubling from `baseMs`, capped, with jitter so retrying runs spread out. */
export function retryDelay(attempt: number, random: () => number = Math.random, baseMs = 500, capMs = 10_000): number {
  const grown = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return Math.round(grown * (0.5 + random()));
}

/** Waits `ms`, or less when `signal` aborts (the caller then sees it aborted). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
