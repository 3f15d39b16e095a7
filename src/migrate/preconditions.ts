import type { DialectName } from '../dialect/dialect.ts';
import type { Op } from '../diff/ops.ts';
import { TidemarkError } from '../errors.ts';
import { sqliteRebuilds } from '../dialect/sqlite.ts';
import { applyOp, findTable } from '../schema/apply.ts';
import type { SchemaSnapshot, TableDef } from '../schema/types.ts';
import { misfitCondition, narrowing } from '../plan/narrowing.ts';
import { quoteName, sqlString } from '../dialect/quote.ts';

/** A migration was refused before any of its statements ran; the database is unchanged by it. */
export class PreconditionError extends TidemarkError {
  override name = 'PreconditionError';
}

/** A query to run before a migration, and what its rows mean. */
export interface Precondition {
  sql: string;
  /** A sentence saying what is wrong, or undefined when the rows are fine. */
  problem(rows: Record<string, unknown>[]): string | undefined;
  /** A line to print as the migration runs, whatever `problem` says (the rows a drop deletes). */
  report?(rows: Record<string, unknown>[]): string | undefined;
}

/** What `migrate up`/`down` take about drops that delete data. */
export interface DataLossOptions {
  /** `migrate up --allow-data-loss`: the deploy accepts that drops delete rows. */
  allowDataLoss?: boolean;
  /** Told, as each migration starts, what each of its drops deletes (`drops table user: 3 rows`). */
  onDataLoss?: (line: string) => void;
}

export interface PreconditionOptions {
  /**
   * Refuse a drop that deletes rows (or non-null values) unless the migration acknowledges it
   * (`{ dataLoss: 'accepted' }`) or `allowDataLoss` is set. `down` reports and does not refuse:
   * reverting is itself the request to undo what the migration made.
   */
  refuseDataLoss?: boolean;
  /** `migrate up --allow-data-loss`: the deploy accepts every loss. */
  allowDataLoss?: boolean;
}

const count = (rows: Record<string, unknown>[]) => Number(Object.values(rows[0] ?? {})[0] ?? 0);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What the data must allow before `ops` run against `before` (the schema at the migration's
 * start): NOT NULL on a column with NULLs, a unique index over duplicates, a narrowing that
 * would truncate, a NOT NULL column added to a table with rows, and, on SQLite, a rebuild of a
 * table whose live columns are not what the history says (it would drop the difference).
 * Only tables and columns that exist at the migration's start are checked.
 */
export function preconditions(ops: readonly Op[], before: SchemaSnapshot, dialect: DialectName, options: PreconditionOptions = {}): Precondition[] {
  const q = (n: string) => quoteName(dialect, n);
  const lit = sqlString;
  const existing = (table: string, columns: string[]) => {
    const t = findTable(before, table);
    return t && columns.every((c) => t.columns.some((x) => x.name === c)) ? t : undefined;
  };
  const out: Precondition[] = [];
  const guarded = new Set<string>();
  // Which table, by its name at the migration's start, each current name is.
  const origins = new Map(before.tables.map((t) => [t.name, t.name]));
  let schema = before;
  for (const op of ops) {
    switch (op.kind) {
      case 'addColumn': {
        const c = op.column;
        if (existing(op.table, []) && !c.nullable && c.default === undefined && c.defaultRaw === undefined && !c.autoincrement) {
          out.push({
            sql: `select count(*) as n from ${q(op.table)}`,
            problem: (rows) => (count(rows) ? `${op.table} has ${plural(count(rows), 'row')}: a NOT NULL column ${c.name} without a default cannot be added (TM104)` : undefined),
          });
        }
        break;
      }
      case 'alterColumn': {
        const t = existing(op.table, [op.column.name]);
        const from = t?.columns.find((c) => c.name === op.column.name);
        if (!t || !from) break;
        const to = op.column;
        if (from.nullable && !to.nullable && to.default === undefined && to.defaultRaw === undefined) {
          out.push({
            sql: `select count(*) as n from ${q(op.table)} where ${q(to.name)} is null`,
            problem: (rows) => (count(rows) ? `${plural(count(rows), 'row')} of ${op.table} ${count(rows) === 1 ? 'has' : 'have'} NULL in ${to.name}: it cannot become NOT NULL without a default or a backfill (TM104)` : undefined),
          });
        }
        const narrowed = narrowing(from, to);
        const where = narrowed && misfitCondition(narrowed, q(to.name), dialect);
        if (narrowed && where) {
          out.push({
            sql: `select count(*) as n from ${q(op.table)} where ${where}`,
            problem: (rows) =>
              count(rows) ? `${plural(count(rows), 'row')} of ${op.table} ${count(rows) === 1 ? 'has' : 'have'} a ${to.name} that does not fit ${narrowed.describe} (TM103)` : undefined,
          });
        }
        break;
      }
      case 'dropTable':
      case 'dropColumn': {
        const origin = origins.get(op.table);
        const column = op.kind === 'dropColumn' ? op.column : undefined;
        if (!origin || !existing(origin, column ? [column] : [])) break;
        const code = op.kind === 'dropTable' ? `TM101:${op.table}` : `TM102:${op.table}.${column}`;
        const what = op.kind === 'dropTable' ? `table ${op.table}` : `column ${op.table}.${column}`;
        const unit = (n: number) => (column ? plural(n, 'non-null value') : plural(n, 'row'));
        const acknowledged = op.dataLoss === 'accepted';
        const call = op.kind === 'dropTable' ? `this.dropTable('${op.table}', { dataLoss: 'accepted' })` : `this.dropColumn('${op.table}', '${column}', { dataLoss: 'accepted' })`;
        out.push({
          sql: column ? `select count(${q(column)}) as n from ${q(origin)}` : `select count(*) as n from ${q(origin)}`,
          problem: (rows) =>
            count(rows) && options.refuseDataLoss && !acknowledged && !options.allowDataLoss
              ? `dropping ${what} would delete ${unit(count(rows))} (${code.split(':')[0]}): accept the loss in the migration (${call}, or gen-migration --allow-data-loss ${code}), or at deploy with 'migrate up --allow-data-loss'`
              : undefined,
          report: (rows) => `drops ${what}: ${unit(count(rows))}${count(rows) && acknowledged ? ' (accepted in the migration)' : ''}`,
        });
        break;
      }
      case 'createIndex': {
        if (!op.index.unique || !existing(op.table, op.index.columns)) break;
        const cols = op.index.columns.map(q).join(', ');
        // A unique index lets any number of rows hold NULL in one of its columns, on every dialect.
        const present = op.index.columns.map((c) => `${q(c)} is not null`).join(' and ');
        out.push({
          sql: `select count(*) as n from (select 1 as x from ${q(op.table)} where ${present} group by ${cols} having count(*) > 1) d`,
          problem: (rows) =>
            count(rows) ? `${plural(count(rows), 'value')} of (${op.index.columns.join(', ')}) in ${op.table} ${count(rows) === 1 ? 'occurs' : 'occur'} more than once: unique index ${op.index.name} cannot be built` : undefined,
        });
        break;
      }
      default:
        break;
    }
    // A SQLite rebuild recreates the table from the history's definition: anything the
    // history does not know (a column, index or trigger made with this.sql) would be lost.
    const rebuilt = dialect === 'sqlite' ? sqliteRebuilds(op, schema) : undefined;
    const origin = rebuilt ? origins.get(rebuilt) : undefined;
    const known = origin ? findTable(before, origin) : undefined;
    if (known && !guarded.has(known.name)) {
      guarded.add(known.name);
      out.push(liveTableGuard(known, lit));
    }
    if (op.kind === 'renameTable') {
      origins.set(op.to, origins.get(op.from) ?? op.from);
      origins.delete(op.from);
    }
    if (op.kind === 'dropTable') origins.delete(op.table);
    schema = applyOp(schema, op);
  }
  return out;
}

function liveTableGuard(table: TableDef, lit: (s: string) => string): Precondition {
  const expected = [...table.columns.map((c) => `column ${c.name}`), ...table.indexes.map((i) => `index ${i.name}`)].sort();
  return {
    sql: `select 'column ' || name as o from pragma_table_info(${lit(table.name)})
          union all select type || ' ' || name from sqlite_master
           where tbl_name = ${lit(table.name)} and type in ('index', 'trigger') and name not like 'sqlite_autoindex_%'`,
    problem: (rows) => {
      const live = rows.map((r) => String(r.o)).sort();
      const extra = live.filter((x) => !expected.includes(x));
      const missing = expected.filter((x) => !live.includes(x));
      if (!extra.length && !missing.length) return undefined;
      const what = [...extra.map((x) => `${x} that the history does not know`), ...missing.map((x) => `no ${x}`)].join(', ');
      return `table ${table.name} has ${what}: it was changed outside the typed operations (this.sql?), and rebuilding it would lose the difference; make the history match (a migration with the typed operations) first`;
    },
  };
}
