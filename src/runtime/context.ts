import type { Dialect } from '../dialect/dialect.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import type { BackfillProgress } from './data.ts';
import type { MigrationClass } from './migration.ts';

/**
 * What a running migration needs to turn its operations into SQL: the dialect, and the
 * schema it starts from (recomputed from the history, so SQLite rebuilds and `--sql`
 * output never depend on introspecting a live database).
 */
export interface RunContext {
  dialect: Dialect;
  direction: 'up' | 'down';
  /** Schema before `up` of each migration id. */
  before: ReadonlyMap<string, SchemaSnapshot>;
  /** Schema after `up` of each migration id (what `down` starts from). */
  after: ReadonlyMap<string, SchemaSnapshot>;
  /**
   * Where DDL commits statement by statement (MySQL/MariaDB), an SQL statement that records
   * how far a migration got; interleaved after each of its statements.
   */
  progress?: (id: string, done: number, total: number) => string | undefined;
  /** Told after each batch of a backfill (`this.backfill`) and once when it ends. */
  onBackfill?: (id: string, progress: BackfillProgress) => void;
  /** The run's AbortSignal: a backfill stops between batches when it aborts. */
  signal?: AbortSignal;
  /**
   * Whether the migration now running runs in the run's transaction, whatever its class says
   * (SQLite runs `transactional = false` migrations in one too): MikroORM's runner asks the
   * instance, and one that said no would wait forever for SQLite's only connection.
   */
  transactional?: boolean;
}

/**
 * One opened database's run context, filled by the runner for the length of a run. Each
 * migration instance MikroORM's migrator constructs for that database holds this slot, so two
 * runs in one process (two databases, at once) never see each other's context.
 */
export interface RunSlot {
  current?: RunContext;
}

/** The key by which a migration instance is given its run slot; shared by every copy of tidemark loaded. */
export const ATTACH_RUN = Symbol.for('tidemark.attachRun');

/**
 * The class MikroORM's migrator constructs for one opened database: each instance is `cls`,
 * given that database's run slot, so its steps compile and run under that run's context.
 */
export function liveMigrationClass(cls: MigrationClass, slot: RunSlot): MigrationClass {
  const Live = function (this: unknown, ...args: unknown[]) {
    const instance = new (cls as unknown as new (...a: unknown[]) => object)(...args);
    // By the shared symbol: the migration files may have loaded another copy of tidemark.
    const attach = (instance as unknown as Record<symbol, ((s: RunSlot) => void) | undefined>)[ATTACH_RUN];
    if (typeof attach !== 'function') throw new Error(`migration ${cls.id}: its TidemarkMigration comes from an older tidemark than the one running it; install one version`);
    attach.call(instance, slot);
    const own = (instance as { isTransactional(): boolean }).isTransactional.bind(instance);
    Object.defineProperty(instance, 'isTransactional', { configurable: true, value: () => slot.current?.transactional ?? own() });
    return instance;
  };
  Object.defineProperties(Live, { id: { value: cls.id }, parents: { value: cls.parents }, transactional: { value: cls.transactional }, name: { value: cls.name } });
  return Live as unknown as MigrationClass;
}
