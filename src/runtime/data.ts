import type { DialectName } from '../dialect/dialect.ts';
import type { Op } from '../diff/ops.ts';
import { InterruptedError } from '../errors.ts';
import { quoteName } from '../dialect/quote.ts';

/**
 * What a data step (`this.data(async (db) => …)`) gets: the connected dialect, identifier
 * quoting, and SQL execution inside the migration's transaction (where the run has one).
 */
export interface DataContext {
  /** The connected database's dialect. */
  readonly dialect: DialectName;
  /** `name` quoted as an identifier for this dialect (`"name"`, or `` `name` `` on MySQL/MariaDB). */
  q(name: string): string;
  /** Runs one statement; `?` placeholders take `params` on every dialect. Returns the rows it yields. */
  execute<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Walks `table` in primary-key order, `size` keys at a time (those matching `where`), and
   * calls `step` with each batch until none are left; returns how many keys it visited.
   * Keyset paging (`key > last`), so a step that does not change what `where` selects still ends.
   */
  batch(options: BatchOptions, step: (batch: Batch) => Promise<void> | void): Promise<number>;
}

export interface BatchOptions {
  table: string;
  /** A single-column key, unique and ordered (default `id`). */
  key?: string;
  /** Keys per batch (default 1000). */
  size?: number;
  /** An SQL condition selecting the rows to visit, with `?` placeholders for `params`. */
  where?: string;
  params?: readonly unknown[];
}

export interface Batch {
  /** The batch's keys, ascending. */
  keys: unknown[];
  /** The first and last key: `where key between ? and ?` covers the batch. */
  first: unknown;
  last: unknown;
}

export type DataFunction = (db: DataContext) => Promise<void> | void;

/** A run-time-only step among a migration's operations; schema replay skips it. */
export interface DataStep {
  kind: 'data';
  description?: string;
  run: DataFunction;
  /** Set by `this.backfill`: a step made of batches that each skip rows already done, so safe to rerun. */
  backfill?: BackfillSpec;
}

/** What `up()`/`down()` records, in order: schema operations and data steps. */
export type Step = Op | DataStep;

export const isDataStep = (s: Step | string): s is DataStep => typeof s === 'object' && s.kind === 'data';

export function dataContext(dialect: DialectName, execute: (sql: string, params: readonly unknown[]) => Promise<unknown[]>): DataContext {
  const q = (name: string) => quoteName(dialect, name);
  const db: DataContext = {
    dialect,
    q,
    execute: async <T>(sql: string, params: readonly unknown[] = []) => (await execute(sql, params)) as T[],
    async batch(options, step) {
      const key = options.key ?? 'id';
      const size = options.size ?? 1000;
      if (!Number.isInteger(size) || size < 1) throw new TypeError(`db.batch on ${options.table}: size ${size} must be a whole number of at least 1`);
      const where = options.where ? ` and (${options.where})` : '';
      let last: unknown;
      let visited = 0;
      for (;;) {
        const after = last === undefined ? '' : `${q(key)} > ?`;
        const sql = `select ${q(key)} as k from ${q(options.table)} where ${after || '1 = 1'}${where} order by ${q(key)} limit ${size}`;
        const rows = await db.execute<{ k: unknown }>(sql, [...(last === undefined ? [] : [last]), ...(options.params ?? [])]);
        if (rows.length === 0) return visited;
        const keys = rows.map((r) => r.k);
        await step({ keys, first: keys[0], last: keys.at(-1) });
        visited += keys.length;
        if (keys.length < size) return visited;
        last = keys.at(-1);
      }
    },
  };
  return db;
}

/**
 * A value in a backfill's `set`: SQL text is an expression, used as written (`"upper(name)"`,
 * `"'none'"` for a string constant); a number, `null` or `{ value }` is bound as a parameter.
 */
export type BackfillValue = string | number | null | { value: string | number | null };

/** `set` of `this.backfill`: column → value, or a whole SQL SET list as written (`"a = b, c = 0"`). */
export type BackfillSet = string | Readonly<Record<string, BackfillValue>>;

export interface BackfillOptions {
  /** Rows per batch, each batch one UPDATE committed on its own (default 1000). */
  batchSize?: number;
  /** A single-column key, unique and ordered, that batches follow (default `id`). */
  key?: string;
  /** Values for `?` placeholders in `where`. */
  params?: readonly unknown[];
}

/** What `this.backfill` records: enough to run it, describe it, and know it is safe to rerun. */
export interface BackfillSpec {
  table: string;
  set: BackfillSet;
  where: string;
  batchSize: number;
  key: string;
  params: readonly unknown[];
}

/** How far a backfill got: rows updated so far, in how many batches; `done` on its last report. */
export interface BackfillProgress {
  table: string;
  rows: number;
  batches: number;
  done: boolean;
}

/** Checks `this.backfill`'s arguments where the migration file calls it (so replay refuses a bad one too). */
export function backfillSpec(migration: string | undefined, table: string, set: BackfillSet, where: string, options: BackfillOptions = {}): BackfillSpec {
  const at = `migration ${migration}: this.backfill('${table}', …)`;
  if (typeof table !== 'string' || !table) throw new TypeError(`${at}: the table must be a name`);
  const setEmpty = typeof set === 'string' ? !set.trim() : !set || typeof set !== 'object' || Object.keys(set).length === 0;
  if (setEmpty) throw new TypeError(`${at}: 'set' must name at least one column (or be an SQL SET list)`);
  // Resuming after a crash relies on it: a row already done must no longer match.
  if (typeof where !== 'string' || !where.trim()) throw new TypeError(`${at}: 'where' must be an SQL condition that the rows still to do match and done rows no longer do (say 'full_name is null')`);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError(`${at}: batchSize ${batchSize} must be a whole number of at least 1`);
  return { table, set, where, batchSize, key: options.key ?? 'id', params: [...(options.params ?? [])] };
}

/** One line for `--sql`, `show` and error messages. */
export function describeBackfill(spec: BackfillSpec): string {
  const set = typeof spec.set === 'string' ? spec.set : Object.keys(spec.set).join(', ');
  return `backfill ${spec.table} set ${set} where ${spec.where}, in batches of ${spec.batchSize} by ${spec.key}`;
}

export const isBackfill = (s: Step): s is DataStep & { backfill: BackfillSpec } => isDataStep(s) && s.backfill !== undefined;

function setClause(q: (name: string) => string, set: BackfillSet): { sql: string; params: unknown[] } {
  if (typeof set === 'string') return { sql: set, params: [] };
  const params: unknown[] = [];
  const parts = Object.entries(set).map(([column, value]) => {
    if (typeof value === 'string') return `${q(column)} = ${value}`;
    params.push(value !== null && typeof value === 'object' ? value.value : value);
    return `${q(column)} = ?`;
  });
  return { sql: parts.join(', '), params };
}

/**
 * A backfill as the one UPDATE a script can hold (`--sql`), its values written in: a script
 * cannot batch, and leaving the backfill out would record, in the same script, a migration whose
 * rows were never filled. Every `?` takes the next value, as at run time.
 */
export function backfillStatement(spec: BackfillSpec, q: (name: string) => string, literal: (value: unknown) => string): string {
  const set = setClause(q, spec.set);
  const values = [...set.params, ...spec.params];
  return `update ${q(spec.table)} set ${set.sql} where (${spec.where})`.replace(/\?/g, () => literal(values.shift()));
}

/**
 * Runs a backfill: the rows matching `where`, in key order, `batchSize` keys at a time, each batch
 * one UPDATE (committed on its own outside a transaction). The UPDATE repeats `where`, so a row
 * done by another writer (or by a run that crashed) in between is left alone, and a rerun takes
 * up only the rows still to do. Returns the rows updated.
 */
export async function runBackfill(db: DataContext, spec: BackfillSpec, control: { onProgress?: (p: BackfillProgress) => void; signal?: AbortSignal } = {}): Promise<number> {
  const set = setClause(db.q, spec.set);
  const k = db.q(spec.key);
  const update = `update ${db.q(spec.table)} set ${set.sql} where ${k} >= ? and ${k} <= ? and (${spec.where})`;
  let rows = 0;
  let batches = 0;
  await db.batch({ table: spec.table, key: spec.key, size: spec.batchSize, where: spec.where, params: spec.params }, async (batch) => {
    // Between batches, not within one: what is committed is whole batches.
    if (control.signal?.aborted) throw new InterruptedError(undefined, `${spec.table}: backfill stopped after ${rows} rows`);
    await db.execute(update, [...set.params, batch.first, batch.last, ...spec.params]);
    rows += batch.keys.length;
    batches++;
    control.onProgress?.({ table: spec.table, rows, batches, done: false });
  });
  control.onProgress?.({ table: spec.table, rows, batches, done: true });
  return rows;
}
