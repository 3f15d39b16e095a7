import type { ResolvedConfig } from '../config.ts';
import { dialectFor } from '../dialect/index.ts';
import { ConfigError, HistoryError, MigrationFailedError, TargetError } from '../errors.ts';
import { firstLine, loadHistory, recordAll, type History } from '../history/history.ts';
import { replay } from '../history/replay.ts';
import { installTsLoader } from '../loader/ts-loader.ts';
import { setRunContext } from '../runtime/context.ts';
import { redact, type DatabaseUrl } from '../url.ts';
import { openDatabase, type Database } from './database.ts';

export interface MigrationStatus {
  /** Applied migrations in the order they ran. */
  applied: { id: string; executedAt?: string; missingFile: boolean }[];
  /** Migrations in the history that are not applied, in the order `up` would run them. */
  pending: string[];
  /** The newest applied migrations no other applied migration follows (empty at base). */
  current: string[];
  heads: string[];
}

export interface MigrateResult {
  direction: 'up' | 'down';
  /** What ran, in order. Empty when there was nothing to do. */
  ran: string[];
  status: MigrationStatus;
}

function requireUrl(config: ResolvedConfig): DatabaseUrl {
  if (!config.url) throw new ConfigError('no database URL: pass --url, set DATABASE_URL, or set url in the config');
  return config.url;
}

interface Session {
  history: History;
  db: Database;
  executed: string[];
  executedAt: Map<string, string | undefined>;
}

async function withSession<T>(config: ResolvedConfig, fn: (s: Session) => Promise<T>): Promise<T> {
  const url = requireUrl(config);
  installTsLoader({ cacheDir: config.cacheDir });
  const history = await loadHistory(config.migrationsDir, process.cwd());
  const db = await openDatabase(url, config.tableName, history.order.map((id) => history.get(id)!.migration));
  try {
    const rows = await db.migrator.getExecuted();
    const executed = rows.map((r) => r.name);
    const executedAt = new Map(rows.map((r) => [r.name, r.executed_at ? new Date(r.executed_at as unknown as string).toISOString() : undefined]));
    return await fn({ history, db, executed, executedAt });
  } finally {
    await db.close();
  }
}

function statusOf(s: Session): MigrationStatus {
  const applied = new Set(s.executed);
  const pending = s.history.order.filter((id) => !applied.has(id));
  const parentsOfApplied = new Set(s.executed.flatMap((id) => s.history.get(id)?.parents ?? []));
  return {
    applied: s.executed.map((id) => ({ id, executedAt: s.executedAt.get(id), missingFile: !s.history.get(id) })),
    pending,
    current: s.executed.filter((id) => !parentsOfApplied.has(id)),
    heads: s.history.heads(),
  };
}

async function run(s: Session, url: DatabaseUrl, direction: 'up' | 'down', ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const ops = await recordAll(s.history);
  const { before, after } = replay(s.history, ops);
  setRunContext({ dialect: dialectFor(url.dialect), direction, before, after });
  const sqlite = url.dialect === 'sqlite';
  // SQLite ignores this pragma inside a transaction, and a table rebuild with foreign keys
  // on would cascade-delete child rows: switch them off first, check before commit.
  if (sqlite) await s.db.execute('pragma foreign_keys = off');
  try {
    const conn = s.db.orm.em.getConnection();
    await conn.transactional(async (trx) => {
      const migrator = s.db.migrator;
      if (direction === 'up') await migrator.up({ migrations: ids, transaction: trx });
      else await migrator.down({ migrations: ids, transaction: trx });
      if (sqlite) {
        const violations = (await conn.execute('pragma foreign_key_check', [], 'all', trx)) as { table: string; parent: string }[];
        if (violations.length) {
          const v = violations[0]!;
          throw new MigrationFailedError(
            `foreign key check failed after ${direction}: ${violations.length} row(s) violate foreign keys (first: table ${v.table} → ${v.parent}); nothing was applied`,
          );
        }
      }
    });
  } catch (error) {
    if (error instanceof MigrationFailedError) throw error;
    const failing = failingMigration(error, ids);
    throw new MigrationFailedError(
      `migration ${failing ?? ids.join(', ')} failed (${direction}): ${redact(firstLine(error))}; ${
        dialectFor(url.dialect).transactionalDdl ? 'the whole batch was rolled back' : 'statements before the failure were committed'
      }`,
    );
  } finally {
    setRunContext(undefined);
    if (sqlite) await s.db.execute('pragma foreign_keys = on').catch(() => undefined);
  }
}

// MikroORM does not say which migration threw; the run context's last compiled id does.
let lastStarted: string | undefined;
function failingMigration(_error: unknown, ids: string[]): string | undefined {
  return lastStarted && ids.includes(lastStarted) ? lastStarted : undefined;
}

function trackStarts(db: Database) {
  db.migrator.on('migrating', (e) => void (lastStarted = e.name));
  db.migrator.on('reverting', (e) => void (lastStarted = e.name));
}

export interface UpOptions {
  /** Stop after this migration (id or unique prefix). */
  to?: string;
}

export async function migrateUp(config: ResolvedConfig, options: UpOptions = {}): Promise<MigrateResult> {
  return withSession(config, async (s) => {
    trackStarts(s.db);
    const applied = new Set(s.executed);
    let target: string | undefined;
    if (options.to) {
      target = s.history.resolve(options.to);
      if (!target) throw new TargetError(`--to ${options.to}: no such migration (or the prefix is ambiguous); see 'tidemark migrate status'`);
    } else {
      const heads = s.history.heads();
      if (heads.length > 1) {
        throw new HistoryError(`the history has ${heads.length} heads (${heads.join(', ')}): merge them before migrating, or pass --to <id>`);
      }
      target = heads[0];
    }
    const ids = target ? s.history.lineage(target).filter((id) => !applied.has(id)) : [];
    await run(s, requireUrl(config), 'up', ids);
    s.executed.push(...ids);
    return { direction: 'up', ran: ids, status: statusOf(s) };
  });
}

export interface DownOptions {
  /** Revert until this migration is the newest applied; `base` reverts everything. */
  to?: string;
  /** How many migrations to revert (default 1 when no `to`). */
  step?: number;
}

export async function migrateDown(config: ResolvedConfig, options: DownOptions = {}): Promise<MigrateResult> {
  return withSession(config, async (s) => {
    trackStarts(s.db);
    const newestFirst = [...s.executed].reverse();
    let ids: string[];
    if (options.to !== undefined && options.step !== undefined) throw new TargetError('give either --to or --step, not both');
    if (options.to === 'base') {
      ids = newestFirst;
    } else if (options.to !== undefined) {
      const target = s.history.resolve(options.to);
      if (!target) throw new TargetError(`--to ${options.to}: no such migration (or the prefix is ambiguous); see 'tidemark migrate status'`);
      if (!s.executed.includes(target)) throw new TargetError(`--to ${target}: that migration is not applied, so down cannot stop at it`);
      const keep = new Set(s.history.lineage(target));
      ids = newestFirst.filter((id) => !keep.has(id));
    } else {
      const step = options.step ?? 1;
      if (!Number.isInteger(step) || step < 1) throw new TargetError(`--step ${options.step}: must be a whole number of at least 1`);
      ids = newestFirst.slice(0, step);
    }
    const missing = ids.filter((id) => !s.history.get(id));
    if (missing.length) throw new HistoryError(`cannot revert ${missing.join(', ')}: applied, but no migration file has that id`);
    await run(s, requireUrl(config), 'down', ids);
    const reverted = new Set(ids);
    s.executed = s.executed.filter((id) => !reverted.has(id));
    return { direction: 'down', ran: ids, status: statusOf(s) };
  });
}

export async function migrationStatus(config: ResolvedConfig): Promise<MigrationStatus> {
  return withSession(config, async (s) => statusOf(s));
}
