import type { Dialect } from '../dialect/dialect.ts';
import type { SchemaSnapshot } from '../schema/types.ts';

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
}

let current: RunContext | undefined;

export function setRunContext(ctx: RunContext | undefined): void {
  current = ctx;
}

export function runContext(): RunContext | undefined {
  return current;
}
