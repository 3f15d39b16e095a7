import type { ResolvedConfig } from '../config.ts';
import { DatabaseError, HistoryError, TargetError } from '../errors.ts';
import { firstLine, type History } from '../history/history.ts';
import type { Drift } from '../introspect/drift.ts';
import { redact } from '../url.ts';
import { initMigrator } from './database.ts';
import { requireExistingDatabase, sessionDrift } from './drift.ts';
import { acquireLock } from './lock.ts';
import { DEFAULT_LOCK_TIMEOUT_MS, withSession, type SessionOptions } from './run.ts';

export interface BaselineOptions extends SessionOptions {
  /** The revision the database is at: an id or a unique prefix. Default: the single head. */
  target?: string;
  /** Record it even though the live schema differs from the history's. */
  force?: boolean;
}

export interface BaselineResult {
  /** The database, as printed (password shown as ****). */
  database: string;
  target: string;
  /** True when the migrations were recorded as applied. */
  accepted: boolean;
  /** What was recorded, in history order; empty when refused. */
  recorded: string[];
  /** How the live schema differs from the history's at `target`; accepted anyway when `forced`. */
  drift: Drift[];
  forced: boolean;
}

function baselineTarget(history: History, target: string | undefined): string {
  if (target !== undefined) {
    const id = history.resolve(target);
    if (!id) throw new TargetError(`baseline ${target}: no such migration (or the prefix is ambiguous); see 'tidemark history --offline'`);
    return id;
  }
  const heads = history.heads();
  if (heads.length === 0) throw new HistoryError('the migration history is empty: there is no revision to record; write one with \'tidemark gen-migration -m "init"\'');
  if (heads.length > 1) {
    throw new HistoryError(`the history has ${heads.length} heads (${heads.join(', ')}): name the one the database is at, 'tidemark baseline <id>'`);
  }
  return heads[0]!;
}

/**
 * Adopts a database tidemark did not build (MikroORM's `schema:create`, its migrations,
 * another tool): records `target` and everything it descends from as applied, exactly as
 * `migrate up` records them, once the live schema is shown to be the history's at `target`.
 * Under the run lock, so a concurrent `migrate up` cannot interleave; nothing is written when
 * it refuses (not even the version table).
 */
export async function baselineDatabase(config: ResolvedConfig, options: BaselineOptions = {}): Promise<BaselineResult> {
  const url = requireExistingDatabase(config.url, "baseline adopts an existing database; 'tidemark migrate up' builds a new one");
  if (url.dialect === 'sqlite' && url.file === ':memory:') throw new DatabaseError(`${url.display} is empty and ends with the process: there is nothing to baseline`);
  const lock = await acquireLock(url, {
    timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    table: config.tableName,
    onWait: options.onWait,
    baseDir: config.projectRoot,
  });
  try {
    // Read-only until the schema is proven: a refusal leaves no version table behind.
    return await withSession(config, 'read-only', async (s) => {
      if (s.rows.length) {
        const applied = s.rows.filter((r) => r.status === 'applied');
        const parts = applied.length ? [`${applied.length} applied migration(s), the newest ${applied.at(-1)!.name}`] : [];
        for (const r of s.rows.filter((x) => x.status !== 'applied')) parts.push(`${r.name} ${r.status === 'running' ? 'interrupted' : 'failed'}`);
        throw new TargetError(
          `${s.url.display} already records ${parts.join(' and ')} in ${config.tableName}: tidemark manages it, so there is nothing to baseline; see 'tidemark migrate status' (and 'tidemark migrate resolve' for a failed one), apply the rest with 'tidemark migrate up', compare the schema with 'tidemark check --url'`,
        );
      }
      const target = baselineTarget(s.history, options.target);
      const ids = s.history.lineage(target);
      const drift = await sessionDrift(s, config, ids);
      const forced = drift.length > 0 && Boolean(options.force);
      if (drift.length && !forced) return { database: s.url.display, target, accepted: false, recorded: [], drift, forced };
      try {
        await initMigrator(s.db);
        // Read after init, which may have replaced the storage; the checksums make the rows
        // those `migrate up` writes, so `up`'s integrity checks accept them.
        const storage = s.db.migrator.versionTable;
        for (const id of s.history.order) storage.checksums.set(id, s.history.get(id)!.checksum);
        await s.db.orm.em.getConnection().transactional(async (trx) => {
          for (const id of ids) await storage.logMigration({ name: id }, trx);
        });
      } catch (error) {
        throw new DatabaseError(`${s.url.display}: recording the baseline failed: ${redact(firstLine(error))}`);
      }
      return { database: s.url.display, target, accepted: true, recorded: ids, drift, forced };
    });
  } finally {
    await lock.release().catch(() => undefined);
  }
}
