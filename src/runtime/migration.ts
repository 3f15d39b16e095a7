import { Migration } from '@mikro-orm/migrations';
import type { Op } from '../diff/ops.ts';
import { compileSteps } from './compile.ts';
import type { ColumnSpec, ReferentialAction } from '../schema/types.ts';
import { ATTACH_RUN, type RunContext, type RunSlot } from './context.ts';
import { dataContext, isDataStep, type DataFunction, type Step } from './data.ts';
import { backfillSpec, describeBackfill, runBackfill, type BackfillOptions, type BackfillSet } from './data.ts';
import { indexDef, TableBuilder, type IndexOptions } from './table-builder.ts';

/** `online: true`: the dialect's form that lets writes go on (see `Op` in diff/ops.ts). */
export interface OnlineOptions {
  online?: true;
}

/** `validate: 'later'`: add without checking existing rows (PostgreSQL NOT VALID); `validateConstraint` checks them. */
export interface ValidateOptions {
  validate?: 'later';
}

const onlineOf = (o: OnlineOptions) => (o.online === true ? { online: true as const } : {});
const validateOf = (o: ValidateOptions) => (o.validate === 'later' ? { validate: 'later' as const } : {});

/** How a drop treats the data it deletes. */
export interface DropOptions {
  /** The rows (or values) the drop deletes are meant to go; reviewed in the migration. */
  dataLoss?: 'accepted';
}

/** A migration class as found in a file: its id and parents are readable without a database. */
export interface MigrationClass {
  readonly id: string;
  readonly parents: readonly string[];
  readonly branchLabels?: readonly string[];
  readonly dependsOn?: readonly string[];
  readonly replaces?: readonly string[];
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
  /** Names for the branch this migration starts (`migrate up --to billing@head`); unique in the history. */
  static readonly branchLabels: readonly string[] = [];
  /**
   * Migrations on other branches that must be applied before this one, without merging: they
   * run first and their changes are in this one's starting schema, but the branches stay apart.
   */
  static readonly dependsOn: readonly string[] = [];
  /**
   * Written by `tidemark squash`: the migrations this one stands for. A database that applied
   * all of them has this one applied; one that applied some carries on with their files.
   */
  static readonly replaces: readonly string[] = [];
  /**
   * `false` runs this migration outside any transaction, on its own (e.g. for PostgreSQL's
   * `CREATE INDEX CONCURRENTLY`); migrations before it are committed first.
   */
  static readonly transactional: boolean = true;

  readonly #steps: Step[] = [];
  /** Set when MikroORM's migrator constructs this instance for a run (see `liveMigrationClass`). */
  #slot?: RunSlot;

  // MikroORM constructs migrations with (driver, config); replay constructs them with nothing.
  constructor(...args: ConstructorParameters<typeof Migration>) {
    super(...args);
    this.name = (this.constructor as unknown as MigrationClass).id;
  }

  abstract override up(): void | Promise<void>;

  createTable(name: string, build: (t: TableBuilder) => void): void {
    const t = new TableBuilder(name);
    build(t);
    this.#steps.push({ kind: 'createTable', table: t.build() });
  }

  /**
   * `{ dataLoss: 'accepted' }` says the rows are meant to go: without it, `migrate up` refuses
   * to drop a table that holds rows (unless run with `--allow-data-loss`).
   */
  dropTable(name: string, options: DropOptions = {}): void {
    this.#steps.push({ kind: 'dropTable', table: name, ...(options.dataLoss === 'accepted' ? { dataLoss: 'accepted' as const } : {}) });
  }

  renameTable(from: string, to: string): void {
    this.#steps.push({ kind: 'renameTable', from, to });
  }

  addColumn(table: string, column: string, spec: ColumnSpec): void {
    this.#steps.push({ kind: 'addColumn', table, column: { name: column, ...spec } });
  }

  /** As `dropTable`: without `{ dataLoss: 'accepted' }`, a column holding non-null values is not dropped by `migrate up`. */
  dropColumn(table: string, column: string, options: DropOptions = {}): void {
    this.#steps.push({ kind: 'dropColumn', table, column, ...(options.dataLoss === 'accepted' ? { dataLoss: 'accepted' as const } : {}) });
  }

  /** `spec` is the column's complete new definition. */
  alterColumn(table: string, column: string, spec: ColumnSpec, options: OnlineOptions = {}): void {
    this.#steps.push({ kind: 'alterColumn', table, column: { name: column, ...spec }, ...onlineOf(options) });
  }

  renameColumn(table: string, from: string, to: string): void {
    this.#steps.push({ kind: 'renameColumn', table, from, to });
  }

  createIndex(table: string, name: string, columns: string[], options: IndexOptions & OnlineOptions & { unique?: boolean } = {}): void {
    this.#steps.push({ kind: 'createIndex', table, index: indexDef(name, columns, options), ...onlineOf(options) });
  }

  /** A check constraint; `expression` is SQL, used as written on every dialect. */
  addCheck(table: string, name: string, expression: string, options: ValidateOptions = {}): void {
    this.#steps.push({ kind: 'addCheck', table, check: { name, expression }, ...validateOf(options) });
  }

  dropCheck(table: string, name: string): void {
    this.#steps.push({ kind: 'dropCheck', table, check: name });
  }

  /** Sets a table's comment; `null` removes it. */
  commentTable(table: string, comment: string | null): void {
    this.#steps.push({ kind: 'commentTable', table, ...(comment ? { comment } : {}) });
  }

  dropIndex(table: string, name: string, options: OnlineOptions = {}): void {
    this.#steps.push({ kind: 'dropIndex', table, index: name, ...onlineOf(options) });
  }

  addForeignKey(
    table: string,
    name: string,
    columns: string[],
    referencedTable: string,
    referencedColumns: string[],
    options: { onDelete?: ReferentialAction; onUpdate?: ReferentialAction } & ValidateOptions = {},
  ): void {
    const { validate, ...actions } = options;
    this.#steps.push({ kind: 'addForeignKey', table, foreignKey: { name, columns, referencedTable, referencedColumns, ...actions }, ...validateOf({ validate }) });
  }

  /** Checks existing rows against a constraint added with `{ validate: 'later' }` (PostgreSQL; nothing to do elsewhere). */
  validateConstraint(table: string, name: string): void {
    this.#steps.push({ kind: 'validateConstraint', table, name });
  }

  dropForeignKey(table: string, name: string): void {
    this.#steps.push({ kind: 'dropForeignKey', table, foreignKey: name });
  }

  /**
   * Hand-written SQL, run as is on every dialect, in its place among the typed operations
   * (for data changes; schema replay does not see it).
   */
  sql(statement: string): void {
    this.#steps.push({ kind: 'sql', sql: statement });
  }

  /**
   * MikroORM's `addSql`, kept in its place among the typed operations (MikroORM's own would
   * run it before all of them) and printed by `migrate --sql`: the same as `this.sql()`.
   */
  override addSql(statement: Parameters<Migration['addSql']>[0]): void {
    const raw = statement as unknown as { sql?: unknown; params?: unknown[] };
    if (typeof statement === 'string') return this.sql(statement);
    if (raw && typeof raw.sql === 'string' && !raw.params?.length) return this.sql(raw.sql);
    throw new TypeError(`migration ${this.name}: addSql takes SQL text; for a query built at run time use this.data(async (db) => …)`);
  }

  /**
   * A run-time-only data step: `migrate up`/`down` runs `step` in its place among the
   * operations, inside the migration's transaction where the run has one, with the dialect,
   * identifier quoting and a batched walk at hand. Schema replay (`check`, `gen-migration`,
   * `--sql`) skips it; `--sql` prints a comment where it would run.
   */
  data(step: DataFunction): void;
  data(description: string, step: DataFunction): void;
  data(a: string | DataFunction, b?: DataFunction): void {
    const run = typeof a === 'function' ? a : b;
    if (typeof run !== 'function') throw new TypeError(`migration ${this.name}: this.data() needs a function (db) => …`);
    this.#steps.push({ kind: 'data', run, ...(typeof a === 'string' ? { description: a } : {}) });
  }

  /**
   * Updates the rows of `table` matching `where` in batches of `batchSize` rows in `key` order,
   * each batch committed on its own (on PostgreSQL the migration needs `static transactional =
   * false`; SQLite runs it in the migration's transaction). `where` must stop matching a row once
   * it is done (`'full_name is null'`): a rerun after a crash then takes up only the rest, and
   * `migrate up` reruns an interrupted migration made of such steps by itself. `set` maps columns
   * to SQL expressions as written (`{ full_name: "first_name || ' ' || last_name" }`) or to
   * `{ value }`s bound as parameters. A run-time step, as `this.data`: replay skips it.
   */
  backfill(table: string, set: BackfillSet, where: string, options: BackfillOptions = {}): void {
    const spec = backfillSpec(this.name, table, set, where, options);
    const id = this.name!;
    this.#steps.push({
      kind: 'data',
      description: describeBackfill(spec),
      backfill: spec,
      run: (db) => runBackfill(db, spec, { onProgress: (p) => this.#slot?.current?.onBackfill?.(id, p), signal: this.#slot?.current?.signal }).then(() => undefined),
    });
  }

  /** The schema operations recorded since the last reset (data steps left out). */
  operations(): readonly Op[] {
    return this.#steps.filter((s): s is Op => !isDataStep(s));
  }

  /** Everything recorded since the last reset, data steps included, in order. */
  steps(): readonly Step[] {
    return this.#steps;
  }

  override isTransactional(): boolean {
    return (this.constructor as unknown as MigrationClass).transactional !== false;
  }

  override reset(): void {
    super.reset();
    this.#steps.length = 0;
  }

  /** @internal Called once by the class `liveMigrationClass` makes: `up`/`down` then run their steps live. */
  [ATTACH_RUN](slot: RunSlot): void {
    this.#slot = slot;
    for (const method of ['up', 'down'] as const) {
      const record = this[method];
      // MikroORM's runner calls up()/down(), then runs getQueries() as plain statements: a data
      // step cannot be one, so every step runs here, in order, on the runner's transaction.
      Object.defineProperty(this, method, {
        configurable: true,
        value: async () => {
          await record.call(this);
          await this.#runSteps(method);
        },
      });
    }
  }

  #context(): RunContext {
    const ctx = this.#slot?.current;
    if (!ctx) throw new Error(`migration ${this.name}: tidemark migrations run through tidemark (migrateUp/migrateDown), not MikroORM's migrator alone`);
    return ctx;
  }

  async #runSteps(method: 'up' | 'down'): Promise<void> {
    const ctx = this.#context();
    const schema = (method === 'up' ? ctx.before : ctx.after).get(this.name!);
    if (!schema) throw new Error(`migration ${this.name}: not part of the loaded history`);
    const steps = compileSteps(this.#steps, schema, ctx.dialect);
    const run = (sql: string, params: unknown[] = []) => super.execute(sql, params);
    const db = dataContext(ctx.dialect.name, (sql, params) => run(sql, [...params]));
    // What MikroORM's runner puts before a migration's queries (`set names …`), first here too;
    // the runner repeats it after, harmlessly.
    const beginning = this.driver.getPlatform().getSchemaHelper()?.getSchemaBeginning(this.config.get('charset'), false) ?? '';
    for (const sql of beginning.split('\n')) if (sql.trim()) await run(sql);
    for (const [i, step] of steps.entries()) {
      if (isDataStep(step)) await step.run(db);
      // As MikroORM's runner executes its statements: no parameters, so `?` stays as written.
      else await run(step);
      const progress = ctx.progress?.(this.name!, i + 1, steps.length);
      if (progress) await run(progress);
    }
  }

  /**
   * Refused: called in up()/down() it would run before every step, and not at all where the
   * file is replayed without a database (check, gen-migration, every run's schema computation).
   */
  override execute(..._args: Parameters<Migration['execute']>): ReturnType<Migration['execute']> {
    // Thrown, not rejected: a call that is not awaited must not become an unhandled rejection.
    throw new Error(`migration ${this.name}: this.execute() cannot run in up()/down(); put it in a data step: this.data(async (db) => { await db.execute(sql, params); })`);
  }

  override getQueries(): ReturnType<Migration['getQueries']> {
    this.#context();
    // Every step already ran in up()/down(); only what MikroORM itself queued is left.
    return [...super.getQueries()];
  }

  /** The operations `method` records, without a database. */
  static async record(this: MigrationClass, method: 'up' | 'down'): Promise<Op[]> {
    const instance = new (this as unknown as new () => TidemarkMigration)();
    await instance[method]();
    return [...instance.operations()];
  }

  /** The steps `method` records, data steps included, without a database (for `--sql`). */
  static async recordSteps(this: MigrationClass, method: 'up' | 'down'): Promise<Step[]> {
    const instance = new (this as unknown as new () => TidemarkMigration)();
    await instance[method]();
    return [...instance.steps()];
  }
}

