import type { Op } from '../diff/ops.ts';
import type { SchemaSnapshot } from '../schema/types.ts';

export type DialectName = 'sqlite' | 'postgresql' | 'mysql' | 'mariadb';

/** Everything the rest of tidemark asks of a database dialect. */
export interface Dialect {
  readonly name: DialectName;
  /** DDL runs inside transactions and rolls back with them. */
  readonly transactionalDdl: boolean;
  /** The SQL statements for `op`, applied to a database whose schema is `before`. */
  compile(op: Op, before: SchemaSnapshot): string[];
  /**
   * A migration's operations in the order this dialect can run them, each statement valid when
   * it runs (same resulting schema); absent where the given order always is.
   */
  order?(ops: readonly Op[], before: SchemaSnapshot): Op[];
}
