import { existsSync } from 'node:fs';
import type { ResolvedConfig } from '../config.ts';
import type { Dialect } from '../dialect/dialect.ts';
import { dialectFor, type DialectOptions } from '../dialect/index.ts';
import { ConfigError, DatabaseError, HistoryError, InterruptedError, MigrationFailedError, TargetError, TidemarkError, UsageError } from '../errors.ts';
import { firstLine, loadHistory, recordAll, type History } from '../history/history.ts';
import { runSchemas } from '../history/replay.ts';
import { relativeStep, resolveId } from '../history/resolve-id.ts';
import { refuseInTransaction } from '../dialect/transaction-rules.ts';
import { describeDatabaseError, migrationFrame, watchStatements } from './statement-error.ts';
import { installTsLoader } from '../loader/ts-loader.ts';
import { redact, type DatabaseUrl } from '../url.ts';
import { initMigrator, openDatabase, type Database } from './database.ts';
import { PreconditionError, preconditions, type DataLossOptions } from './preconditions.ts';
import { migrationAllowBlocking, refuseBigRewrites, type BigTableOptions } from './big-tables.ts';
import { checkIntegrity } from './integrity.ts';
import { recheckRelativeDown, resolveRelativeDown } from './down-target.ts';
import { refuseUnrecordedSchema } from './unrecorded.ts';
import { withinLockLimit } from './lock-budget.ts';
import { acquireLock, LockLostError, LockTimeoutError, lockHolder, ownerAlive, type RunLock } from './lock.ts';
import type { VersionRow } from './storage.ts';
import { applyDdlLockTimeout, DEFAULT_DDL_LOCK_ATTEMPTS, DEFAULT_DDL_LOCK_TIMEOUT_MS, isLockTimeout, lockedStatement, lockHolderOf, retryDelay, sleep } from './ddl-lock.ts';
import { concurrentIndexNames, dropInvalidIndexes, rerunnable } from './online-steps.ts';
import { isDataStep, type BackfillProgress, type Step } from '../runtime/data.ts';

export interface FailedRun {
  id: string;
  status: 'running' | 'failed';
  statementsDone?: number;
  statementsTotal?: number;
  error?: string;
  startedAt?: string;
  /** Every step of it is safe to rerun (online index, validation, backfill): `migrate up` runs it again instead of refusing. */
  rerunnable?: boolean;
}

export interface MigrationStatus {
  /** The database, as printed (password shown as ****). */
  database: string;
  /** Applied migrations in the order they ran. */
  applied: { id: string; executedAt?: string; missingFile: boolean }[];
  /** Migrations in the history that are not applied, in the order `up` would run them. */
  pending: string[];
  /** The newest applied migrations no other applied migration follows (empty at base). */
  current: string[];
  heads: string[];
  /** Migrations that started and did not finish (only where DDL is not transactional). */
  failed: FailedRun[];
  /** Who holds the run lock now, if anyone (status only). */
  lockHolder?: string;
  /** Things worth knowing that do not stop a run. */
  notices: string[];
}

export interface MigrateResult {
  direction: 'up' | 'down';
  /** What ran, in order. Empty when there was nothing to do. */
  ran: string[];
  /** How long each migration in `ran` took, in milliseconds, in order. */
  timings: { id: string; ms: number }[];
  status: MigrationStatus;
}

/**
 * `all`: each batch of migrations runs in one transaction, all or nothing (the default).
 * `each`: every migration commits on its own. Migrations that opt out of transactions run
 * alone either way; on MySQL/MariaDB DDL commits itself and progress is recorded instead.
 */
export type TransactionMode = 'all' | 'each';

function requireUrl(config: ResolvedConfig): DatabaseUrl {
  if (!config.url) throw new ConfigError('no database URL: pass --url, set DATABASE_URL, or set url in the config');
  return config.url;
}

export interface Session {
  history: History;
  db: Database;
  url: DatabaseUrl;
  rows: VersionRow[];
  executed: string[];
  notices: string[];
  dialectOptions: DialectOptions;
  /** The run lock, when this session writes. */
  lock?: RunLock;
}

export interface SessionOptions {
  /** Take the run lock (every command that writes); how long to wait for it. */
  lockTimeoutMs?: number;
  /** Told when the lock is busy and this run waits. */
  onWait?: (holder: string) => void;
  /** Create the database (PostgreSQL, MySQL/MariaDB) when it does not exist; otherwise that is an error. */
  createDatabase?: boolean;
}

/** Default `--lock-timeout`: long enough for another instance's migrations to finish. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5 * 60_000;

export async function withSession<T>(config: ResolvedConfig, options: SessionOptions | 'read-only', fn: (s: Session) => Promise<T>): Promise<T> {
  const url = requireUrl(config);
  installTsLoader({ cacheDir: config.cacheDir });
  // Every file loads (and every id and parent checks out) before the database is touched.
  const history = config.loadedHistory ?? (await loadHistory(config.migrationsDir, process.cwd()));
  const db = await openDatabase(url, config.tableName, history.runOrder(), config.projectRoot, {
    createDatabase: options !== 'read-only' && options.createDatabase === true,
  });
  let lock: RunLock | undefined;
  try {
    let rows: VersionRow[];
    try {
      if (options !== 'read-only') {
        lock = await acquireLock(url, { timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, table: config.tableName, onWait: options.onWait, baseDir: config.projectRoot });
        // Under the lock: create the version table if it is missing, then read the history
        // as it is now, not as it was before another run finished.
        await initMigrator(db);
      }
      // After init: creating a database makes MikroORM build a new storage.
      const storage = db.migrator.versionTable;
      for (const n of history.loaded) storage.checksums.set(n.id, n.checksum);
      storage.squashes = new Map(history.loaded.filter((n) => n.replaces?.length).map((n) => [n.id, n.replaces!]));
      if (lock) {
        const held = lock;
        storage.owner = held.owner;
        // Nothing is recorded once the lock is gone: another run may be at work.
        storage.guard = () => held.verify();
      }
      rows = options === 'read-only' ? await storage.rowsIfExists() : await storage.rows();
    } catch (error) {
      if (error instanceof TidemarkError) throw error;
      throw new DatabaseError(`${url.display}: ${redact(firstLine(error))}`);
    }
    const recorded = rows.filter((r) => r.status === 'applied').map((r) => r.name);
    // Squashes (history.ts): this database's spelling of the history, its records in those terms.
    const seen = history.forDatabase(recorded);
    return await fn({ history: seen, db, url, rows, executed: seen.appliedIds(recorded), notices: [], dialectOptions: config.dialectOptions, lock });
  } finally {
    await lock?.release().catch(() => undefined);
    await db.close();
  }
}

const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : undefined);

export function statusOf(s: Session): MigrationStatus {
  const applied = new Set(s.executed);
  const parentsOfApplied = new Set(s.executed.flatMap((id) => s.history.get(id)?.parents ?? []));
  const appliedRows = new Map(s.rows.filter((r) => r.status === 'applied').map((r) => [r.name, r]));
  return {
    database: s.url.display,
    applied: s.executed.map((id) => ({ id, executedAt: iso(appliedRows.get(id)?.finished_at ?? appliedRows.get(id)?.executed_at), missingFile: !s.history.get(id) })),
    pending: s.history.order.filter((id) => !applied.has(id)),
    current: s.executed.filter((id) => !parentsOfApplied.has(id)),
    heads: s.history.heads(),
    failed: s.rows
      .filter((r) => r.status !== 'applied')
      .map((r) => ({
        id: r.name,
        status: r.status as 'running' | 'failed',
        statementsDone: r.statements_done ?? undefined,
        statementsTotal: r.statements_total ?? undefined,
        error: r.error ?? undefined,
        startedAt: iso(r.started_at),
      })),
    notices: s.notices,
  };
}

function describeFailure(f: FailedRun): string {
  const progress = f.statementsTotal !== undefined ? ` after ${f.statementsDone ?? 0} of ${f.statementsTotal} statements` : '';
  return `migration ${f.id} ${f.status === 'running' ? 'was interrupted' : 'failed'}${progress}${f.error ? ` (${f.error})` : ''}`;
}

/** What `method` of migration `id` records, data steps included. */
async function stepsOf(s: Session, id: string, method: 'up' | 'down'): Promise<Step[]> {
  const cls = s.history.get(id)!.migration as unknown as { recordSteps(m: 'up' | 'down'): Promise<Step[]> };
  return cls.recordSteps(method);
}

/**
 * A half-applied migration blocks every run until a person has looked at the database, unless
 * (`up` only) it ran outside a transaction and every step of it is safe to rerun: then `up`
 * runs it again from the start, and says so.
 */
async function refuseAfterFailure(s: Session, direction: 'up' | 'down' = 'down'): Promise<void> {
  for (const failed of statusOf(s).failed) await refuseOneFailure(s, failed, direction);
}

async function refuseOneFailure(s: Session, failed: FailedRun, direction: 'up' | 'down'): Promise<void> {
  const row = s.rows.find((r) => r.name === failed.id)!;
  // Its run may have lost the lock and still be at work: not interrupted, and not to be repaired.
  const owner = failed.status === 'running' ? await ownerAlive(s.url.dialect, { host: row.owner_host, pid: row.owner_pid, connection: row.owner_connection, since: row.started_at ? new Date(row.started_at) : null }, s.db.execute) : undefined;
  if (owner) {
    throw new LockTimeoutError(`migration ${failed.id} is still running in ${owner}, whose run lost the migration lock; wait for it to end, then run the command again`);
  }
  const node = s.history.get(failed.id);
  if (direction === 'up' && node && rerunnable(node.migration, await stepsOf(s, failed.id, 'up'), s.url.dialect)) {
    s.notices.push(`${describeFailure(failed)}; every step of it is safe to rerun (online index, validation, backfill), so migrate up runs it again from the start`);
    return;
  }
  throw new MigrationFailedError(
    `${describeFailure(failed)}; repair the schema by hand, then run 'tidemark migrate resolve ${failed.id} --applied' or '--rolled-back'`,
  );
}

/** Splits `ids` into runs that share one transaction (true) or run alone without one (false). */
function segments(s: Session, dialect: Dialect, ids: string[], mode: TransactionMode): { ids: string[]; transactional: boolean }[] {
  if (!dialect.transactionalDdl) return ids.map((id) => ({ ids: [id], transactional: false }));
  const out: { ids: string[]; transactional: boolean }[] = [];
  for (const id of ids) {
    // On SQLite a migration outside a transaction gains nothing and could stop halfway through
    // a table rebuild: `transactional = false` is for PostgreSQL's CONCURRENTLY, and ignored here.
    const transactional = dialect.name === 'sqlite' || s.history.get(id)!.migration.transactional !== false;
    const last = out.at(-1);
    if (transactional && mode === 'all' && last?.transactional) last.ids.push(id);
    else out.push({ ids: [id], transactional });
  }
  return out;
}

/** How a caller follows and stops a run (the CLI maps SIGINT/SIGTERM to `signal`). */
export interface RunControl {
  /**
   * Aborting it stops the run: no new migration starts, the one running finishes (or its batch
   * rolls back), and the call rejects with an InterruptedError listing what stayed applied.
   * A reason of 'SIGINT' or 'SIGTERM' is named in the message and sets the exit code (130/143).
   */
  signal?: AbortSignal;
  /**
   * Told as each migration starts and as it finishes (with its duration); the run waits for a
   * returned promise (a 'done' inside the migration's transaction, before it commits).
   */
  onMigration?: (event: {
    id: string;
    direction: 'up' | 'down';
    phase: 'start' | 'done';
    ms?: number;
    /** On 'done': SQL on the migration's own connection, inside its transaction where it has one (what verify reads the schema with). */
    query?: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
  }) => void | Promise<void>;
  /** Told when a migration's batch timed out waiting for a lock and runs again after `delayMs`. */
  onRetry?: (event: RetryEvent) => void | Promise<void>;
  /** Told after each batch of a backfill (`this.backfill`), and once when it ends (`done`). */
  onBackfill?: (event: BackfillProgress & { id: string; direction: 'up' | 'down' }) => void;
}

export interface RetryEvent {
  id: string;
  direction: 'up' | 'down';
  /** The attempt about to start (2 for the first retry), of `attempts`. */
  attempt: number;
  attempts: number;
  delayMs: number;
  /** How long a statement waited for its lock before giving up. */
  timeoutMs: number;
  /** The table it waited for, when the statement names one. */
  table?: string;
  /** Who holds the lock, when the server says. */
  holder?: string;
}

/**
 * The wait for a table lock of each migration statement (PostgreSQL lock_timeout, MySQL/MariaDB
 * lock_wait_timeout) and what happens when it runs out.
 */
export interface DdlLockOptions {
  /** Milliseconds (default 5000); 0 leaves the server's own setting. */
  ddlLockTimeoutMs?: number;
  /** Attempts of a batch that timed out on a lock, the first included (default 3). */
  ddlLockAttempts?: number;
  /** Waits between attempts; default a timer that an abort cuts short (tests inject their own). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

/** Runs `ids` in `direction` through MikroORM's migrator; returns what ran. */
export async function run(s: Session, direction: 'up' | 'down', ids: string[], mode: TransactionMode, control: RunControl & DataLossOptions & DdlLockOptions & BigTableOptions & { timings?: { id: string; ms: number }[] } = {}): Promise<string[]> {
  if (ids.length === 0) return [];
  const dialect = dialectFor(s.url.dialect, s.dialectOptions);
  const storage = s.db.migrator.versionTable;
  const { before, after, ops: running } = await runSchemas(s.history, await recordAll(s.history), s.executed, direction, ids);
  const steps = new Map<string, Step[]>();
  const accepted = new Map<string, string[]>();
  for (const id of ids) {
    const node = s.history.get(id)!;
    accepted.set(id, migrationAllowBlocking(id, node.file, (node.migration as { allowBlocking?: unknown }).allowBlocking));
    steps.set(id, await stepsOf(s, id, direction));
    refuseInTransaction(id, node, steps.get(id)!, dialect.name, direction);
  }
  // Migrations that may run again over a half-done first attempt (see online-steps.ts).
  const rerun = new Set(ids.filter((id) => rerunnable(s.history.get(id)!.migration, steps.get(id)!, dialect.name)));
  const timeoutMs = control.ddlLockTimeoutMs ?? DEFAULT_DDL_LOCK_TIMEOUT_MS;
  const attempts = Math.max(1, control.ddlLockAttempts ?? DEFAULT_DDL_LOCK_ATTEMPTS);
  let lockWait: { id: string; table?: string; holder?: string; attempts: number } | undefined;
  // Statements of the migration under way that ran (outside a transaction: committed), counted
  // one by one: a step may compile to several, and its first may have committed when a later
  // one times out. Session settings and the run's own progress rows change nothing of it.
  let ranOfCurrent = 0;
  const progressSql = new Set<string>();
  const nothingCommitted = (id: string) => !isDataStep(steps.get(id)?.[0] ?? 'x') && ranOfCurrent === 0;
  const unwatch = watchStatements(s.db.orm.em.getDriver() as never, (sql) => {
    if (!/^\s*set\s+(?!statement\b)/i.test(sql) && !progressSql.has(sql)) ranOfCurrent++;
  });
  const ddlLock = await applyDdlLockTimeout(s.db, dialect.name, timeoutMs);
  // Bound to this database's migration instances, never module-wide: runs on other databases in
  // the same process have their own.
  s.db.run.current = {
    dialect,
    direction,
    before,
    after,
    progress: (id, done, total) => {
      const sql = tracked ? storage.progressSql(id, done, total) : undefined;
      if (sql) progressSql.add(sql);
      return sql;
    },
    onBackfill: (id, p) => control.onBackfill?.({ id, direction, ...p }),
    signal: control.signal,
  };
  let current: string | undefined;
  // Outside a transaction (always on MySQL/MariaDB; a PostgreSQL migration with
  // transactional = false) statements commit as they run: the run is recorded as it goes,
  // so a failure or a kill leaves a visible state instead of a silent half.
  let tracked = false;
  // An abort: no new migration starts; the one running finishes (or its batch rolls back) and
  // the session releases the lock. Signals and exit codes are the caller's (the CLI's) business.
  const signal = control.signal;
  const reason = () => (typeof signal?.reason === 'string' && /^SIG[A-Z]+$/.test(signal.reason) ? signal.reason : undefined);
  let stopped = false;
  const interrupted = () =>
    new InterruptedError(
      reason(),
      `stopped by ${reason() ?? 'its AbortSignal'}: ${done.length ? `${done.join(', ')} ${direction === 'up' ? 'applied' : 'reverted'}` : 'nothing changed'}; run the command again to continue`,
      [...done],
    );
  const started = new Map<string, number>();
  const onDone = async (e: { name: string }) => {
    const ms = performance.now() - (started.get(e.name) ?? performance.now());
    control.timings?.push({ id: e.name, ms });
    const conn = s.db.orm.em.getConnection();
    const query = async (sql: string, params: unknown[] = []) => (await conn.execute(sql, params, 'all', currentTrx as never)) as Record<string, unknown>[];
    await control.onMigration?.({ id: e.name, direction, phase: 'done', ms, query });
  };
  let currentTrx: unknown;
  const onStart = async (e: { name: string }) => {
    // better-sqlite3 runs a whole batch without giving the event loop a turn, so a signal
    // would only be seen after the last migration: let it in before each one starts.
    await new Promise((resolve) => setImmediate(resolve));
    if ((stopped ||= Boolean(signal?.aborted))) throw interrupted();
    await s.lock?.verify();
    current = e.name;
    started.set(e.name, performance.now());
    await control.onMigration?.({ id: e.name, direction, phase: 'start' });
    // Data checks before the migration's first statement (down() too): a refusal changes nothing.
    const conn = s.db.orm.em.getConnection();
    const start = (direction === 'up' ? before : after).get(e.name)!;
    for (const pre of preconditions(running.get(e.name) ?? [], start, dialect.name, { refuseDataLoss: direction === 'up', allowDataLoss: control.allowDataLoss })) {
      const rows = (await conn.execute(pre.sql, [], 'all', currentTrx as never)) as Record<string, unknown>[];
      const problem = pre.problem(rows);
      if (problem) throw new PreconditionError(`migration ${e.name} (${direction}) refused before it changed anything: ${problem}`);
      const said = pre.report?.(rows);
      if (said) control.onDataLoss?.(`${e.name} (${direction}) ${said}`);
    }
    if (direction === 'up') {
      // A copy or rewrite of a big table, unless accepted by code and table (big-tables.ts).
      const query = async (sql: string) => (await conn.execute(sql, [], 'all', currentTrx as never)) as Record<string, unknown>[];
      await refuseBigRewrites(query, { id: e.name, direction, allowBlocking: accepted.get(e.name) ?? [] }, running.get(e.name) ?? [], start, dialect.name, control);
    }
    if (tracked && dialect.name === 'postgresql') {
      // A build of one of its indexes that failed or was killed before left it INVALID, and
      // IF NOT EXISTS would keep it so: drop it, and build it again.
      const dropped = await dropInvalidIndexes(s.db, concurrentIndexNames(running.get(e.name) ?? []));
      if (dropped.length) s.notices.push(`migration ${e.name}: dropped invalid index ${dropped.join(', ')} left by an earlier build that did not finish, before building it again`);
    }
    if (tracked) await storage.markStarted(e.name);
    ranOfCurrent = 0;
  };
  s.db.migrator.on(direction === 'up' ? 'migrating' : 'reverting', onStart);
  s.db.migrator.on(direction === 'up' ? 'migrated' : 'reverted', onDone);
  const done: string[] = [];
  const options = s.db.orm.config.get('migrations');
  const sqlite = dialect.name === 'sqlite';
  // SQLite ignores this pragma inside a transaction, and a table rebuild with foreign keys
  // on would cascade-delete child rows: switch them off first, check before commit.
  if (sqlite) await s.db.execute('pragma foreign_keys = off');
  // Violations already in the data are not this run's doing: only new ones fail it.
  const known = sqlite ? new Set((await foreignKeyViolations(s)).map(violationKey)) : new Set<string>();
  try {
    for (const segment of await withinLockLimit(s, segments(s, dialect, ids, mode), running, direction === 'up' ? before : after)) {
      const conn = s.db.orm.em.getConnection();
      options.transactional = segment.transactional;
      s.db.run.current.transactional = segment.transactional;
      tracked = !segment.transactional;
      const go = async (trx?: Parameters<Parameters<typeof conn.transactional>[0]>[0]) => {
        const opts = { migrations: segment.ids, ...(trx ? { transaction: trx } : {}) };
        if (direction === 'up') await s.db.migrator.up(opts);
        else await s.db.migrator.down(opts);
        if (sqlite) await foreignKeyCheck(s, direction, trx, known);
      };
      for (let attempt = 1; ; attempt++) {
        if ((stopped ||= Boolean(signal?.aborted))) throw interrupted();
        lockWait = undefined;
        try {
          if (segment.transactional) {
            await conn.transactional(async (trx) => {
              currentTrx = trx;
              await ddlLock.begin(trx);
              return go(trx);
            });
          } else {
            currentTrx = undefined;
            await go();
          }
          break;
        } catch (error) {
          if (!isLockTimeout(error) || !current) throw error;
          const { table } = lockedStatement(error);
          lockWait = { id: current, table, holder: await lockHolderOf(s.db, dialect.name, table), attempts: attempt };
          // Again from the start only where nothing of it stays: a rolled-back batch, steps safe
          // to rerun, or (DDL that commits as it goes) the migration's first statement that never ran.
          const again = segment.transactional || rerun.has(current) || nothingCommitted(current);
          if (!again || attempt >= attempts) throw error;
          const delayMs = retryDelay(attempt, control.random);
          await control.onRetry?.({ id: current, direction, attempt: attempt + 1, attempts, delayMs, timeoutMs, ...(table ? { table } : {}), ...(lockWait.holder ? { holder: lockWait.holder } : {}) });
          await (control.sleep ?? sleep)(delayMs, signal);
        }
      }
      done.push(...segment.ids);
      current = undefined;
    }
    // An aborted run always rejects, even when the abort came during its last migration.
    if ((stopped ||= Boolean(signal?.aborted))) throw interrupted();
  } catch (error) {
    if (error instanceof MigrationFailedError) throw error;
    if (error instanceof InterruptedError) throw interrupted();
    if (error instanceof LockLostError) {
      // Nothing is written without the lock: a migration that ran stays recorded as running.
      const state = !current
        ? ''
        : tracked
          ? `; migration ${current} (${direction}) ran but stays recorded as running: check the database, then 'tidemark migrate resolve ${current} --applied' or '--rolled-back'`
          : `; migration ${current} (${direction}) and its batch rolled back`;
      const kept = done.length ? `; ${done.join(', ')} stay ${direction === 'up' ? 'applied' : 'reverted'}` : '';
      throw new MigrationFailedError(`${error.message}; no further migration started${state}${kept}`);
    }
    if (error instanceof PreconditionError) {
      const kept = done.length ? `; ${done.join(', ')} before it stay applied` : '';
      throw new PreconditionError(`${error.message}${kept}`);
    }
    // The failing statement and its SQLSTATE/errno; an error the migration's own code threw, its file:line.
    const where = current && s.history.get(current) ? migrationFrame(error, s.history.get(current)!.file) : undefined;
    let message = redact(describeDatabaseError(error, firstLine)) + (where ? ` (at ${where})` : '');
    if (isLockTimeout(error) && lockWait) {
      const on = lockWait.table ? ` on table ${lockWait.table}` : '';
      const times = lockWait.attempts === 1 ? 'once' : `${lockWait.attempts} times`;
      message += `; it waited ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${timeoutMs / 1000} s`} for a lock${on}${lockWait.holder ? ` held by ${redact(lockWait.holder)}` : ''}, ${times}, and gave up rather than queue the app's queries behind it: end that transaction or run again at a quieter time (--ddl-lock-timeout sets the wait)`;
    }
    if (tracked && current && dialect.name === 'postgresql') {
      // A failed CONCURRENTLY build leaves its index INVALID: gone before the run ends.
      const dropped = await dropInvalidIndexes(s.db, concurrentIndexNames(running.get(current) ?? [])).catch(() => []);
      if (dropped.length) message += `; the invalid index ${dropped.join(', ')} it left was dropped`;
    }
    if (tracked && current) {
      const recorded = await storage.markFailed(current, message).catch(() => 0);
      const row = (await storage.rows().catch(() => [])).find((r) => r.name === current);
      const progress = row?.statements_total != null ? ` after ${row.statements_done ?? 0} of ${row.statements_total} statements` : '';
      const why = dialect.transactionalDdl ? 'it ran outside a transaction (transactional = false)' : `DDL on ${dialect.name} commits as it runs`;
      const state = recorded ? 'so it is recorded as failed' : 'and recording it as failed did not succeed either';
      const next =
        direction === 'up' && rerun.has(current)
          ? `every step of it is safe to rerun: fix the cause, then 'tidemark migrate up' runs it again from the start`
          : `repair by hand, then 'tidemark migrate resolve ${current} --applied' or '--rolled-back'`;
      throw new MigrationFailedError(`migration ${current} failed (${direction})${progress}: ${message}; ${why}, ${state}: ${next}`);
    }
    const rolledBack = done.length ? `migrations before it (${done.join(', ')}) stay applied; ` : '';
    throw new MigrationFailedError(`migration ${current ?? ids[0]} failed (${direction}): ${message}; ${rolledBack}nothing of its batch remains`);
  } finally {
    // In the reverse order of their wrapping of the driver's execute.
    ddlLock.undo();
    unwatch();
    options.transactional = true;
    s.db.migrator.off(direction === 'up' ? 'migrating' : 'reverting', onStart);
    s.db.migrator.off(direction === 'up' ? 'migrated' : 'reverted', onDone);
    s.db.run.current = undefined;
    if (sqlite) await s.db.execute('pragma foreign_keys = on').catch(() => undefined);
  }
  return done;
}

interface Violation {
  table: string;
  rowid: number;
  parent: string;
  fkid: number;
}

const violationKey = (v: Violation) => `${v.table}\0${v.rowid}\0${v.parent}\0${v.fkid}`;

async function foreignKeyViolations(s: Session, trx?: unknown): Promise<Violation[]> {
  return (await s.db.orm.em.getConnection().execute('pragma foreign_key_check', [], 'all', trx as never)) as Violation[];
}

async function foreignKeyCheck(s: Session, direction: string, trx: unknown, known: ReadonlySet<string>): Promise<void> {
  const violations = (await foreignKeyViolations(s, trx)).filter((v) => !known.has(violationKey(v)));
  if (violations.length) {
    const v = violations[0]!;
    throw new MigrationFailedError(
      `foreign key check failed after ${direction}: ${violations.length} row(s) violate foreign keys (first: table ${v.table} → ${v.parent}); nothing was applied`,
    );
  }
}

export interface UpOptions extends SessionOptions, RunControl, DataLossOptions, DdlLockOptions, BigTableOptions {
  /** Stop after this migration: an id, a unique prefix, its slug, `head`, or `+N` (as `step`). */
  to?: string;
  /** Apply only the next N pending migrations, counted once the lock is held. */
  step?: number;
  transaction?: TransactionMode;
}

/** The lock-wait settings and the callbacks that report on them, `options` before the config. */
function ddlLock(config: ResolvedConfig, options: DdlLockOptions & RunControl): DdlLockOptions & Pick<RunControl, 'onRetry' | 'onBackfill'> {
  return {
    ddlLockTimeoutMs: options.ddlLockTimeoutMs ?? config.ddlLockTimeoutMs,
    ddlLockAttempts: options.ddlLockAttempts,
    sleep: options.sleep,
    random: options.random,
    onRetry: options.onRetry,
    onBackfill: options.onBackfill,
  };
}

/** Checks that must pass before any DDL: a failed run, and the files against the version table. */
async function preflight(s: Session, direction: 'up' | 'down'): Promise<void> {
  await refuseAfterFailure(s, direction);
  s.notices.push(...checkIntegrity(s.history, s.rows));
}

export async function migrateUp(config: ResolvedConfig, options: UpOptions = {}): Promise<MigrateResult> {
  return withSession(config, options, async (s) => {
    await preflight(s, 'up');
    const ids = upIds(s.history, s.executed, options);
    const timings: MigrateResult['timings'] = [];
    await refuseUnrecordedSchema(s, config, ids);
    const ran = await run(s, 'up', ids, options.transaction ?? 'all', { ...ddlLock(config, options), signal: options.signal, onMigration: options.onMigration, timings, allowDataLoss: options.allowDataLoss, onDataLoss: options.onDataLoss, allowBlocking: options.allowBlocking, bigTable: options.bigTable ?? config.bigTable });
    s.executed.push(...ran);
    return { direction: 'up', ran, timings, status: statusOf(s) };
  });
}

/**
 * What `up` applies, in order: everything pending up to `--to` (or the single head), or only
 * the next `--step N` / `--to +N` of those.
 */
export function upIds(history: History, executed: readonly string[], options: { to?: string; step?: number }): string[] {
  const relative = relativeStep(options.to);
  if (options.step !== undefined && options.to !== undefined) throw new UsageError('give either --to or --step, not both');
  if (relative !== undefined && relative < 0) throw new UsageError(`--to ${options.to}: up only moves forward; 'tidemark migrate down --to ${options.to}' reverts`);
  const step = options.step ?? relative;
  if (step !== undefined && (!Number.isSafeInteger(step) || step < 1)) throw new UsageError(`--step ${options.step}: must be a whole number of at least 1`);
  const applied = new Set(executed);
  const needed = new Set(history.closure(upTargets(history, relative === undefined ? options.to : undefined), true));
  const pending = history.order.filter((id) => needed.has(id) && !applied.has(id));
  // A prefix of an order that puts parents first: every migration's parents are applied or in it.
  return step === undefined ? pending : pending.slice(0, step);
}

/**
 * Where `up` ends: `--to <label>@head` (that branch's head); `--to heads` (every head: branches
 * apply side by side, in history order); no `--to`: the single head, or every head when each
 * carries a branch label of its own (unlabelled heads are branches waiting for a merge); else `upTarget`.
 */
export function upTargets(history: History, to?: string): string[] {
  const branch = to ? /^(.+)@head$/.exec(to) : null;
  if (branch && !history.get(to!)) {
    const head = history.branchHead(branch[1]!);
    if (!head) throw new TargetError(`--to ${to}: no migration carries the branch label '${branch[1]}'`);
    return [head];
  }
  if (to === 'heads' && !history.get(to)) return history.heads();
  if (!to) {
    const heads = history.heads();
    if (heads.length <= 1 || history.labelledApart(heads)) return heads;
    throw new HistoryError(
      `the history has ${heads.length} heads (${heads.join(', ')}), branches waiting for a merge: run 'tidemark merge -m "<message>"' to join them, pass --to heads to apply every branch as it is, or --to <id> to apply one`,
    );
  }
  const one = upTarget(history, to);
  return one ? [one] : [];
}

/** The migration `up` should end at: `--to` (an id, prefix, slug or `head`), or the single head. */
export function upTarget(history: History, to?: string): string | undefined {
  if (to === 'base' && !history.get(to)) throw new UsageError(`--to base: up cannot end at base; 'tidemark migrate down --to base' reverts everything`);
  if (to && to !== 'head') return resolveId(history.order, to, `--to ${to}`, undefined, history.squashNames);
  const heads = history.heads();
  if (heads.length > 1) {
    throw new HistoryError(
      `the history has ${heads.length} heads (${heads.join(', ')}), two branches that both follow the same migration: run 'tidemark merge -m "<message>"' to join them, or pass --to <id> to apply one branch`,
    );
  }
  return heads[0];
}

export interface DownOptions extends SessionOptions, RunControl, DataLossOptions, DdlLockOptions {
  /** Revert until this migration is the newest applied; `base` reverts everything; `-N` is `step: N`. */
  to?: string;
  /** How many migrations to revert (default 1 when no `to`). */
  step?: number;
  transaction?: TransactionMode;
}

/** Which applied migrations `down` reverts, newest first. */
export function downTargets(history: History, executed: string[], given: DownOptions): string[] {
  const options = relativeDown(given);
  const newestFirst = [...executed].reverse();
  if (options.to !== undefined && options.step !== undefined) throw new UsageError('give either --to or --step, not both');
  if (options.to === 'base' && !history.get('base')) return newestFirst;
  if (options.to !== undefined) {
    const target = resolveId(history.order, options.to, `--to ${options.to}`, history.heads(), history.squashNames);
    if (!executed.includes(target)) throw new TargetError(`--to ${target}: that migration is not applied, so down cannot stop at it`);
    const keep = new Set(history.lineage(target));
    return newestFirst.filter((id) => !keep.has(id));
  }
  const step = options.step ?? 1;
  if (!Number.isInteger(step) || step < 1) throw new UsageError(`--step ${options.step}: must be a whole number of at least 1`);
  return newestFirst.slice(0, step);
}

/** Alembic's `--to -N` is `--step N`; `+N` cannot go down. */
function relativeDown(options: DownOptions): DownOptions {
  const relative = relativeStep(options.to);
  if (relative === undefined) return options;
  if (relative > 0) throw new UsageError(`--to ${options.to}: down only moves back; 'tidemark migrate up --to ${options.to}' applies`);
  if (options.step !== undefined) throw new UsageError('give either --to or --step, not both');
  return { ...options, to: undefined, step: -relative };
}

export async function migrateDown(config: ResolvedConfig, given: DownOptions = {}): Promise<MigrateResult> {
  const options = relativeDown(given);
  // A relative step (`--step`, or one) names its target before the lock, and is checked again
  // under it: two runs at once aim at the same place, and the second finds itself there.
  const relative = await resolveRelativeDown(config, options);
  return withSession(config, options, async (s) => {
    await preflight(s, 'down');
    const ids = relative ? recheckRelativeDown(s, relative) : downTargets(s.history, s.executed, options);
    const missing = ids.filter((id) => !s.history.get(id));
    if (missing.length) throw new HistoryError(`cannot revert ${missing.join(', ')}: applied, but no migration file has that id`);
    const timings: MigrateResult['timings'] = [];
    const ran = await run(s, 'down', ids, options.transaction ?? 'all', { ...ddlLock(config, options), signal: options.signal, onMigration: options.onMigration, timings, onDataLoss: options.onDataLoss });
    const reverted = new Set(ran);
    s.executed = s.executed.filter((id) => !reverted.has(id));
    return { direction: 'down', ran, timings, status: statusOf(s) };
  });
}

export async function migrationStatus(config: ResolvedConfig): Promise<MigrationStatus> {
  const url = requireUrl(config);
  if (url.dialect === 'sqlite' && url.file !== ':memory:' && !existsSync(url.file!)) {
    // Reading the status must not create the database file.
    installTsLoader({ cacheDir: config.cacheDir });
    const history = await loadHistory(config.migrationsDir, process.cwd());
    return statusOf({ history, url, rows: [], executed: [], notices: [`${url.display} does not exist yet: migrate up creates it`] } as unknown as Session);
  }
  return withSession(config, 'read-only', async (s) => {
    try {
      s.notices.push(...checkIntegrity(s.history, s.rows));
    } catch (error) {
      // status reports what is wrong instead of refusing to report.
      s.notices.push(`problem: ${(error as Error).message}`);
    }
    const status = statusOf(s);
    for (const f of status.failed) {
      const node = s.history.get(f.id);
      if (node && rerunnable(node.migration, await stepsOf(s, f.id, 'up'), s.url.dialect)) f.rerunnable = true;
    }
    return { ...status, lockHolder: await lockHolder(s.url, config.tableName, config.projectRoot) };
  });
}

/**
 * After a person looked at the database: a failed migration is recorded as applied or
 * forgotten (rolled back, so `up` runs it again); an applied migration whose file was edited
 * gets the new checksum (`applied`); one whose file is gone is forgotten (`rolled-back`).
 */
export async function resolveMigration(
  config: ResolvedConfig,
  given: string,
  outcome: 'applied' | 'rolled-back',
  options: SessionOptions = {},
): Promise<MigrationStatus & { id: string }> {
  return withSession(config, options, async (s) => {
    // A recorded migration whose file is gone is named by its recorded id (or a prefix of it).
    const id = resolveId([...new Set([...s.history.order, ...s.rows.map((r) => r.name)])], given, `migrate resolve ${given}`);
    const row = s.rows.find((r) => r.name === id);
    const storage = s.db.migrator.versionTable;
    if (!row && outcome === 'rolled-back') throw new TargetError(`migration ${id} has no record in the database: there is nothing to resolve`);
    const node = s.history.get(id);
    if (outcome === 'applied') {
      if (!node) throw new TargetError(`migration ${id} has no file, so it cannot be recorded as applied`);
      // A lost record (see unrecorded.ts) is recorded again only in order: its parents first.
      const unapplied = node.parents.filter((p) => !s.executed.includes(p));
      if (!row && unapplied.length) throw new TargetError(`migration ${id} follows ${unapplied.join(', ')}, which ${unapplied.length === 1 ? 'is' : 'are'} not recorded as applied: resolve ${unapplied.length === 1 ? 'it' : 'them'} first`);
      await storage.logMigration({ name: id });
    } else {
      if (row!.status === 'applied' && node) {
        throw new TargetError(`migration ${id} is applied and its file exists: revert it with 'tidemark migrate down --to …' instead`);
      }
      await storage.forget(id);
    }
    s.rows = await storage.rows();
    s.executed = s.rows.filter((r) => r.status === 'applied').map((r) => r.name);
    return { ...statusOf(s), id };
  });
}
