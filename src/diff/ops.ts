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
  /**
   * `column` is the complete new definition, so every dialect can compile it without guessing.
   * `online`: a nullable → NOT NULL change made without a long exclusive lock where the dialect
   * can (PostgreSQL: through a validated check, so SET NOT NULL needs no scan).
   */
  | { kind: 'alterColumn'; table: string; column: ColumnDef; online?: true }
  | { kind: 'renameColumn'; table: string; from: string; to: string }
  /**
   * `online`: built without blocking writes (PostgreSQL CONCURRENTLY, which cannot run in a
   * transaction; MySQL/MariaDB ALGORITHM=INPLACE, LOCK=NONE, refused rather than copied).
   */
  | { kind: 'createIndex'; table: string; index: IndexDef; online?: true }
  | { kind: 'dropIndex'; table: string; index: string; online?: true }
  /** `validate: 'later'`: added NOT VALID on PostgreSQL; a `validateConstraint` checks the rows. */
  | { kind: 'addForeignKey'; table: string; foreignKey: ForeignKeyDef; validate?: 'later' }
  | { kind: 'dropForeignKey'; table: string; foreignKey: string }
  | { kind: 'addCheck'; table: string; check: CheckDef; validate?: 'later' }
  /**
   * Checks the existing rows against a constraint added with `validate: 'later'` (PostgreSQL
   * VALIDATE CONSTRAINT, which lets writes go on). Elsewhere the constraint was validated when
   * it was added: nothing to run. The schema does not change.
   */
  | { kind: 'validateConstraint'; table: string; name: string }
  | { kind: 'dropCheck'; table: string; check: string }
  /** Sets (or, without `comment`, removes) a table's comment. */
  | { kind: 'commentTable'; table: string; comment?: string }
  /** Hand-written SQL (`this.sql(...)`): run as is, invisible to schema replay. */
  | { kind: 'sql'; sql: string };

export type OpKind = Op['kind'];
export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;
