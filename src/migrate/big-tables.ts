import type { DialectName } from '../dialect/dialect.ts';
import type { Op } from '../diff/ops.ts';
import { HistoryError, UsageError } from '../errors.ts';
import { describeOp } from '../plan/describe-op.ts';
import { classifyAll, type LockClass, type LockCode } from '../plan/locks.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { PreconditionError } from './preconditions.ts';
import { quoteName, sqlString } from '../dialect/quote.ts';

/**
 * Rows above which `migrate up` refuses a change that copies or rewrites a table while the
 * application waits. At the rates measured on a narrow table (below) 100,000 rows is about half
 * a second of blocked writes on MariaDB and a tenth on PostgreSQL; real rows are wider and carry
 * more indexes, several times slower, so this is about where a blocked write nears a second.
 */
export const DEFAULT_BIG_TABLE_ROWS = 100_000;

/**
 * Seconds per million rows of a copy or rewrite, measured on these 2-core machines on a narrow
 * table with a primary key only (PostgreSQL 15 integer → bigint: 1.2 s; MariaDB 10.11 varchar
 * widening by ALGORITHM=COPY: 23 s for 5 million rows). Only for the rough figure a refusal gives.
 */
const SECONDS_PER_MILLION_ROWS: Partial<Record<DialectName, number>> = { postgresql: 1.2, mariadb: 4.6, mysql: 4.6 };

/** What `migrate up` takes about changes that block a big table for a copy or rewrite. */
export interface BigTableOptions {
  /** Rows above which such a change is refused (the config's `bigTable`); 0 or Infinity turns the check off. */
  bigTable?: number;
  /** `migrate up --allow-blocking TM206:user` (or a bare code): changes the deploy accepts to block. */
  allowBlocking?: readonly string[];
}

const ITEM = /^(TM20[1-7])(?::(.+))?$/;

/** `--allow-blocking` items: `TM206`, `TM206:<table>` or `TM206:<table>.<column>`; a usage error names a malformed one. */
export function parseAllowBlocking(items: readonly string[] | undefined): string[] {
  const out = [...(items ?? [])].flatMap((i) => i.split(',')).map((i) => i.trim()).filter(Boolean);
  const bad = out.find((i) => !ITEM.test(i));
  if (bad !== undefined) throw new UsageError(`--allow-blocking ${bad}: expected a lock code and its table, such as TM206:user (codes TM201 to TM207)`);
  return out;
}

/** A migration's `static allowBlocking = ['TM206:user']`, checked as the run reaches it. */
export function migrationAllowBlocking(id: string, file: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !ITEM.test(v))) {
    throw new HistoryError(`migration ${id} (${file}): static allowBlocking must be a list of lock codes and tables, such as ['TM206:user']`);
  }
  return value as string[];
}

/** A change that blocks the application for a copy or rewrite of a table that exists at the migration's start. */
export interface BlockingRewrite {
  op: Op;
  /** Its table's name at the migration's start (where its rows are counted). */
  table: string;
  code: LockCode;
  lock: LockClass;
}

/**
 * The operations of a migration that `classify` says block writes (or reads and writes) for a
 * copy or rewrite of a table that already exists: PostgreSQL and MySQL/MariaDB only (SQLite
 * rebuilds are its only way to change a table, with no online form to point to).
 */
export function blockingRewrites(ops: readonly Op[], before: SchemaSnapshot, dialect: DialectName): BlockingRewrite[] {
  if (dialect === 'sqlite') return [];
  const out: BlockingRewrite[] = [];
  // The table each name stands for as it was before the migration (a rename keeps it big).
  const origins = new Map(before.tables.map((t) => [t.name, t.name]));
  for (const { op, lock } of classifyAll(ops, before, dialect)) {
    const table = op.kind === 'renameTable' ? op.from : op.kind === 'sql' || op.kind === 'createTable' ? undefined : op.table;
    const origin = table === undefined ? undefined : origins.get(table);
    if (lock?.code && lock.duration === 'rewrite' && lock.blocks !== 'nothing' && origin) out.push({ op, table: origin, code: lock.code, lock });
    if (op.kind === 'renameTable') {
      const o = origins.get(op.from);
      origins.delete(op.from);
      if (o) origins.set(op.to, o);
    }
    if (op.kind === 'dropTable') origins.delete(op.table);
  }
  return out;
}

/** `TM206`, `TM206:<table>` or `TM206:<table>.<column>` (the table by either of its names). */
function covered(b: BlockingRewrite, allowed: ReadonlySet<string>): boolean {
  const names = new Set([b.table, b.op.kind === 'renameTable' ? b.op.from : b.op.kind === 'sql' || b.op.kind === 'createTable' ? b.table : b.op.table]);
  const column = b.op.kind === 'addColumn' || b.op.kind === 'alterColumn' ? b.op.column.name : undefined;
  if (allowed.has(b.code)) return true;
  return [...names].some((t) => allowed.has(`${b.code}:${t}`) || (column !== undefined && allowed.has(`${b.code}:${t}.${column}`)));
}

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * The table's rows as the server's statistics estimate them (PostgreSQL pg_class.reltuples,
 * MySQL/MariaDB information_schema.tables.table_rows). Statistics lag behind a bulk load (until
 * autovacuum or analyze; InnoDB after 10% of the rows changed), so an estimate at or below the
 * threshold is checked by counting, at most threshold + 1 rows: cheap, and never a full scan.
 */
async function estimateRows(query: Query, dialect: DialectName, table: string, threshold: number): Promise<{ rows: number; counted: boolean }> {
  const q = quoteName(dialect, table);
  const stats =
    dialect === 'mysql' || dialect === 'mariadb'
      ? `select table_rows as n from information_schema.tables where table_schema = database() and table_name = ${sqlString(table)}`
      : `select reltuples::float8 as n from pg_class where oid = to_regclass(${sqlString(q)})`;
  const first = (rows: Record<string, unknown>[]) => Number(Object.values(rows[0] ?? {})[0] ?? -1);
  const estimate = first(await query(stats));
  if (estimate > threshold) return { rows: Math.round(estimate), counted: false };
  const counted = first(await query(`select count(*) as n from (select 1 as x from ${q} limit ${Math.floor(threshold) + 1}) s`));
  return { rows: counted, counted: true };
}

const thousands = (n: number) => n.toLocaleString('en-US');

function roughly(rows: number, dialect: DialectName): string {
  const rate = SECONDS_PER_MILLION_ROWS[dialect];
  if (!rate) return 'for as long as the copy takes';
  const s = (rows / 1e6) * rate;
  return `for roughly ${s < 0.1 ? 'under 0.1' : s < 10 ? s.toFixed(1) : Math.round(s)} s (at ${rate} s per million narrow rows; wider rows and more indexes take longer)`;
}

/**
 * Refuses, before anything runs, a migration with a change that blocks the application for a
 * copy or rewrite of a table holding more than `bigTable` rows, unless the deploy
 * (`--allow-blocking`) or the migration (`static allowBlocking`) accepts it by code and table.
 * Throws a PreconditionError naming the migration, table, rows, code, what waits and the ways out.
 */
export async function refuseBigRewrites(
  query: Query,
  migration: { id: string; direction: 'up' | 'down'; allowBlocking: readonly string[] },
  ops: readonly Op[],
  before: SchemaSnapshot,
  dialect: DialectName,
  options: BigTableOptions,
): Promise<void> {
  const threshold = options.bigTable ?? DEFAULT_BIG_TABLE_ROWS;
  if (!(threshold > 0) || threshold === Infinity) return;
  const allowed = new Set([...(options.allowBlocking ?? []), ...migration.allowBlocking]);
  const counted = new Map<string, { rows: number; counted: boolean }>();
  for (const b of blockingRewrites(ops, before, dialect)) {
    if (covered(b, allowed)) continue;
    const size = counted.get(b.table) ?? (await estimateRows(query, dialect, b.table, threshold));
    counted.set(b.table, size);
    if (size.rows <= threshold) continue;
    const rows = size.counted ? `more than ${thousands(threshold)} rows (counted)` : `about ${thousands(size.rows)} rows (server statistics)`;
    const item = `${b.code}:${b.table}`;
    const outs = [
      b.code === 'TM206' || b.code === 'TM207'
        ? `expand and contract instead (a new column, this.backfill in batches, a later migration that switches and drops; README "Big tables: changes that copy or rewrite")`
        : `its online form where it has one (README "Locks and online changes")`,
      ...(dialect === 'postgresql' ? [] : [`or make the change with pt-online-schema-change, then 'tidemark migrate resolve ${migration.id} --applied'`]),
      `or accept the wait: 'migrate up --allow-blocking ${item}', or static allowBlocking = ['${item}'] in the migration`,
    ];
    throw new PreconditionError(
      `migration ${migration.id} (${migration.direction}) refused before it changed anything: ${describeOp(b.op)} (${b.code}) ${b.lock.note}: ${b.lock.lock} blocks ${b.lock.blocks} on table ${b.table}, which has ${rows}, above bigTable ${thousands(threshold)}, ${roughly(size.rows, dialect)}; ${outs.join('; ')}`,
    );
  }
}
