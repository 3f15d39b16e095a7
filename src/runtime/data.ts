import type { DialectName } from '../dialect/dialect.ts';
import type { Op } from '../diff/ops.ts';

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
}

/** What `up()`/`down()` records, in order: schema operations and data steps. */
export type Step = Op | DataStep;

export const isDataStep = (s: Step | string): s is DataStep => typeof s === 'object' && s.kind === 'data';

export function dataContext(dialect: DialectName, execute: (sql: string, params: readonly unknown[]) => Promise<unknown[]>): DataContext {
  const mysql = dialect === 'mysql' || dialect === 'mariadb';
  const q = (name: string) => (mysql ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`);
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
