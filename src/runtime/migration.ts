import { Migration } from '@mikro-orm/migrations';
import type { Op } from '../diff/ops.ts';
import { compileOps } from './compile.ts';
import type { ColumnSpec, ReferentialAction } from '../schema/types.ts';
import { runContext } from './context.ts';
import { indexDef, TableBuilder, type IndexOptions } from './table-builder.ts';

/** How a drop treats the data it deletes. */
export interface DropOptions {
  /** The rows (or values) the drop deletes are meant to go; reviewed in the migration. */
  dataLoss?: 'accepted';
}

/** A migration class as found in a file: its id and parents are readable without a database. */
export interface MigrationClass {
  readonly id: string;
  readonly parents: readonly string[];
  readonly transactional: boolean;
  readonly name: string;
  new (...args: never[]): TidemarkMigration;
}

/**
 * The base of every tidemark migration. `up()` and `down()` call typed operations; each
 * records an `Op`, and only when MikroORM's runner asks for the queries are they compiled
 * for the connected dialect. The same file therefore runs on SQLite, PostgreSQL and MySQL.
 */
export abstract class TidemarkMigration extends Migration {
  /** `<stamp>_<slug>`: unique, sortable, and the name recorded in the version table. */
  static readonly id: string;
  /** The migration(s) this one follows; empty for the first. Two parents make a merge. */
  static readonly parents: readonly string[] = [];
  /**
   * `false` runs this migration outside any transaction, on its own (e.g. for PostgreSQL's
   * `CREATE INDEX CONCURRENTLY`); migrations before it are committed first.
   */
  static readonly transactional: boolean = true;

  readonly #ops: Op[] = [];

  // MikroORM constructs migrations with (driver, config); replay constructs them with nothing.
  constructor(...args: ConstructorParameters<typeof Migration>) {
    super(...args);
    this.name = (this.constructor as unknown as MigrationClass).id;
  }

  abstract override up(): void | Promise<void>;

  createTable(name: string, build: (t: TableBuilder) => void): void {
    const t = new TableBuilder(name);
    build(t);
    this.#ops.push({ kind: 'createTable', table: t.build() });
  }

  /**
   * `{ dataLoss: 'accepted' }` says the rows are meant to go: without it, `migrate up` refuses
   * to drop a table that holds rows (unless run with `--allow-data-loss`).
   */
  dropTable(name: string, options: DropOptions = {}): void {
    this.#ops.push({ kind: 'dropTable', table: name, ...(options.dataLoss === 'accepted' ? { dataLoss: 'accepted' as const } : {}) });
  }

  renameTable(from: string, to: string): void {
    this.#ops.push({ kind: 'renameTable', from, to });
  }

  addColumn(table: string, column: string, spec: ColumnSpec): void {
    this.#ops.push({ kind: 'addColumn', table, column: { name: column, ...spec } });
  }

  /** As `dropTable`: without `{ dataLoss: 'accepted' }`, a column holding non-null values is not dropped by `migrate up`. */
  dropColumn(table: string, column: string, options: DropOptions = {}): void {
    this.#ops.push({ kind: 'dropColumn', table, column, ...(options.dataLoss === 'accepted' ? { dataLoss: 'accepted' as const } : {}) });
  }

  /** `spec` is the column's complete new definition. */
  alterColumn(table: string, column: string, spec: ColumnSpec): void {
    this.#ops.push({ kind: 'alterColumn', table, column: { name: column, ...spec } });
  }

  renameColumn(table: string, from: string, to: string): void {
    this.#ops.push({ kind: 'renameColumn', table, from, to });
  }

  createIndex(table: string, name: string, columns: string[], options: IndexOptions & { unique?: boolean } = {}): void {
    this.#ops.push({ kind: 'createIndex', table, index: indexDef(name, columns, options) });
  }

  /** A check constraint; `expression` is SQL, used as written on every dialect. */
  addCheck(table: string, name: string, expression: string): void {
    this.#ops.push({ kind: 'addCheck', table, check: { name, expression } });
  }

  dropCheck(table: string, name: string): void {
    this.#ops.push({ kind: 'dropCheck', table, check: name });
  }

  /** Sets a table's comment; `null` removes it. */
  commentTable(table: string, comment: string | null): void {
    this.#ops.push({ kind: 'commentTable', table, ...(comment ? { comment } : {}) });
  }

  dropIndex(table: string, name: string): void {
    this.#ops.push({ kind: 'dropIndex', table, index: name });
  }

  addForeignKey(
    table: string,
    name: string,
    columns: string[],
    referencedTable: string,
    referencedColumns: string[],
    actions: { onDelete?: ReferentialAction; onUpdate?: ReferentialAction } = {},
  ): void {
    this.#ops.push({ kind: 'addForeignKey', table, foreignKey: { name, columns, referencedTable, referencedColumns, ...actions } });
  }

  dropForeignKey(table: string, name: string): void {
    this.#ops.push({ kind: 'dropForeignKey', table, foreignKey: name });
  }

  /** Hand-written SQL, run as is on every dialect (for data changes; schema replay does not see it). */
  sql(statement: string): void {
    this.#ops.push({ kind: 'sql', sql: statement });
  }

  /** The operations recorded since the last reset. */
  operations(): readonly Op[] {
    return this.#ops;
  }

  override isTransactional(): boolean {
    return (this.constructor as unknown as MigrationClass).transactional !== false;
  }

  override reset(): void {
    super.reset();
    this.#ops.length = 0;
  }

  override getQueries(): ReturnType<Migration['getQueries']> {
    const ctx = runContext();
    if (!ctx) throw new Error(`migration ${this.name}: tidemark migrations run through tidemark (migrateUp/migrateDown), not MikroORM's migrator alone`);
    const schema = (ctx.direction === 'up' ? ctx.before : ctx.after).get(this.name!);
    if (!schema) throw new Error(`migration ${this.name}: not part of the loaded history`);
    const statements = compileOps(this.#ops, schema, ctx.dialect);
    const out = [...super.getQueries()];
    statements.forEach((sql, i) => {
      out.push(sql);
      const progress = ctx.progress?.(this.name!, i + 1, statements.length);
      if (progress) out.push(progress);
    });
    return out;
  }

  /** The operations `method` records, without a database. */
  static async record(this: MigrationClass, method: 'up' | 'down'): Promise<Op[]> {
    const instance = new (this as unknown as new () => TidemarkMigration)();
    await instance[method]();
    return [...instance.operations()];
  }
}
