import type { CheckDef, ColumnDef, ForeignKeyDef, IndexDef, TableDef } from '../schema/types.ts';

/**
 * The one vocabulary of schema changes. `diff` produces these, `codegen` renders them as
 * method calls in a migration file, and at run time those calls record the same values,
 * which a dialect compiles to SQL. Drops name what they drop; the definition needed to
 * undo them comes from the schema the drop is applied to (see `plan`).
 */
export type Op =
  | { kind: 'createTable'; table: TableDef }
  /** `dataLoss: 'accepted'`: the migration says dropping rows is intended (checked at apply time). */
  | { kind: 'dropTable'; table: string; dataLoss?: 'accepted' }
  | { kind: 'renameTable'; from: string; to: string }
  | { kind: 'addColumn'; table: string; column: ColumnDef }
  | { kind: 'dropColumn'; table: string; column: string; dataLoss?: 'accepted' }
  /** `column` is the complete new definition, so every dialect can compile it without guessing. */
  | { kind: 'alterColumn'; table: string; column: ColumnDef }
  | { kind: 'renameColumn'; table: string; from: string; to: string }
  | { kind: 'createIndex'; table: string; index: IndexDef }
  | { kind: 'dropIndex'; table: string; index: string }
  | { kind: 'addForeignKey'; table: string; foreignKey: ForeignKeyDef }
  | { kind: 'dropForeignKey'; table: string; foreignKey: string }
  | { kind: 'addCheck'; table: string; check: CheckDef }
  | { kind: 'dropCheck'; table: string; check: string }
  /** Sets (or, without `comment`, removes) a table's comment. */
  | { kind: 'commentTable'; table: string; comment?: string }
  /** Hand-written SQL (`this.sql(...)`): run as is, invisible to schema replay. */
  | { kind: 'sql'; sql: string };

export type OpKind = Op['kind'];
export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;
