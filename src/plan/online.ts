import type { Op } from '../diff/ops.ts';
import { applyOp, applyOps, findTable } from '../schema/apply.ts';
import { sameColumn, sameJson } from '../schema/normalize.ts';
import type { SchemaSnapshot } from '../schema/types.ts';

/**
 * A migration's operations split as strong_migrations' `disable_ddl_transaction!` splits them:
 * `main` stays one atomic migration; `online` runs after it, outside a transaction, and holds
 * only steps that are safe to run again after a crash (index builds CONCURRENTLY IF NOT EXISTS,
 * constraint validation, the NOT NULL sequence).
 */
export interface OnlineSplit {
  main: Op[];
  online: Op[];
}

/** Where an operation reaches: a table, and the columns of it whose change it cannot pass. */
interface Reach {
  table: string;
  columns: string[];
  /** Another table whose columns it depends on (a foreign key's referenced side). */
  referenced?: { table: string; columns: string[] };
}

/**
 * True when `later` cannot simply run before the operation that reaches `reach` (so that
 * operation cannot move behind it into the online migration). Conservative: a table dropped or
 * renamed, a column of it changed, or hand-written SQL, whose effect nobody knows.
 */
function blocks(later: Op, reach: Reach): boolean {
  const touches = (table: string, columns: string[]) => {
    switch (later.kind) {
      case 'sql':
        return true;
      case 'dropTable':
        return later.table === table;
      case 'renameTable':
        return later.from === table;
      case 'dropColumn':
        return later.table === table && columns.includes(later.column);
      case 'alterColumn':
        return later.table === table && columns.includes(later.column.name);
      case 'renameColumn':
        return later.table === table && columns.includes(later.from);
      default:
        return false;
    }
  };
  return touches(reach.table, reach.columns) || (reach.referenced !== undefined && touches(reach.referenced.table, reach.referenced.columns));
}

/**
 * Splits `up` (a migration from `before`) into the atomic part and the online part. Only
 * tables that exist before the migration get online forms: a table created in the same
 * migration is empty and nobody uses it yet. Returns everything in `main` when nothing has
 * an online form, or when the split would not reach the same schema (it always should).
 */
export function splitOnline(up: readonly Op[], before: SchemaSnapshot): OnlineSplit {
  // Tables that held rows before this migration, by their current name.
  const existing = new Set(before.tables.map((t) => t.name));
  // Columns that existed before this migration, `table.column` by current names.
  const oldColumns = new Set(before.tables.flatMap((t) => t.columns.map((c) => `${t.name}.${c.name}`)));
  let schema = before;
  const rest = (i: number) => up.slice(i + 1);
  const free = (i: number, reach: Reach) => !rest(i).some((later) => blocks(later, reach));

  // Where each operation goes, decided in order; an index moved online may come back (below).
  const placed: { main: Op[]; online: Op[] }[] = [];
  const names: string[][] = [];
  for (const [i, op] of up.entries()) {
    const main: Op[] = [];
    const online: Op[] = [];
    placed.push({ main, online });
    names.push(relationNames(op, schema));
    switch (op.kind) {
      case 'createIndex': {
        const i0 = op.index;
        // A unique index a new foreign key references must be there before the key. An index on
        // the key's own columns may follow it: MySQL/MariaDB then make one for the key and drop
        // it when this one is built; PostgreSQL needs none. An index flagged `foreignKey` (the
        // one MikroORM makes for a key where the platform wants it) stays with its key.
        const needed = () =>
          rest(i).some(
            (l) => l.kind === 'addForeignKey' && l.foreignKey.referencedTable === op.table && i0.unique === true && sameJson([...l.foreignKey.referencedColumns].sort(), [...i0.columns].sort()),
          );
        if (existing.has(op.table) && !i0.foreignKey && !needed() && free(i, { table: op.table, columns: i0.columns })) online.push({ ...op, online: true });
        else main.push(op);
        break;
      }
      case 'dropIndex': {
        const index = findTable(schema, op.table)?.indexes.find((x) => x.name === op.index);
        if (existing.has(op.table) && index && !index.foreignKey && free(i, { table: op.table, columns: index.columns })) {
          online.push({ ...op, online: true });
        } else main.push(op);
        break;
      }
      case 'addForeignKey':
      case 'addCheck': {
        const name = op.kind === 'addForeignKey' ? op.foreignKey.name : op.check.name;
        const reach: Reach =
          op.kind === 'addForeignKey'
            ? { table: op.table, columns: op.foreignKey.columns, referenced: { table: op.foreignKey.referencedTable, columns: op.foreignKey.referencedColumns } }
            : // A check's expression is SQL: any later change to the table's columns may touch it.
              { table: op.table, columns: findTable(schema, op.table)?.columns.map((c) => c.name) ?? [] };
        if (existing.has(op.table) && free(i, reach)) {
          main.push({ ...op, validate: 'later' });
          online.push({ kind: 'validateConstraint', table: op.table, name });
        } else main.push(op);
        break;
      }
      case 'alterColumn': {
        const from = findTable(schema, op.table)?.columns.find((c) => c.name === op.column.name);
        const toNotNull = from && from.nullable && !op.column.nullable && !op.column.primary;
        if (toNotNull && existing.has(op.table) && oldColumns.has(`${op.table}.${from.name}`) && free(i, { table: op.table, columns: [from.name] })) {
          // Everything but the NOT NULL stays atomic; the NOT NULL follows, online.
          const others = { ...op.column, nullable: true };
          if (!sameColumn(from, others)) main.push({ kind: 'alterColumn', table: op.table, column: others });
          online.push({ ...op, online: true });
        } else main.push(op);
        break;
      }
      default:
        main.push(op);
    }
    track(op, existing, oldColumns);
    schema = applyOp(schema, op);
  }
  // An index created or dropped online runs after the whole main migration: it must not pass an
  // operation there that takes or frees its name (on PostgreSQL, across all the schema's tables).
  const mainNames = new Set<string>();
  for (let i = up.length - 1; i >= 0; i--) {
    const p = placed[i]!;
    const op = up[i]!;
    if ((op.kind === 'createIndex' || op.kind === 'dropIndex') && p.online.length && names[i]!.some((n) => mainNames.has(n))) {
      p.main = [op];
      p.online = [];
    }
    if (p.main.length) for (const n of names[i]!) mainNames.add(n);
  }
  const main = placed.flatMap((p) => p.main);
  const online = placed.flatMap((p) => p.online);
  if (online.length === 0) return { main: [...up], online: [] };
  // The split reorders; it must reach exactly the schema the diff asked for.
  try {
    if (!sameJson(applyOps(applyOps(before, main), online), schema)) return { main: [...up], online: [] };
  } catch {
    return { main: [...up], online: [] };
  }
  return { main, online };
}

/**
 * The names an operation takes or frees in the namespace PostgreSQL shares among a schema's
 * tables and indexes (a primary key's index included). A foreign key's name counts too: MySQL
 * and MariaDB name the index they make for a key after it, on the key's table.
 */
function relationNames(op: Op, schema: SchemaSnapshot): string[] {
  switch (op.kind) {
    case 'createTable':
      return [op.table.name, `${op.table.name}_pkey`, ...op.table.indexes.map((i) => i.name)];
    case 'dropTable':
      return [op.table, `${op.table}_pkey`, ...(findTable(schema, op.table)?.indexes.map((i) => i.name) ?? [])];
    case 'renameTable':
      return [op.from, op.to];
    case 'createIndex':
      return [op.index.name];
    case 'dropIndex':
      return [op.index];
    case 'addForeignKey':
      return [op.foreignKey.name];
    default:
      return [];
  }
}

/** Keeps the names of pre-existing tables and columns current as the migration renames and drops. */
function track(op: Op, existing: Set<string>, oldColumns: Set<string>): void {
  const moveColumns = (from: string, to: string) => {
    for (const key of [...oldColumns]) {
      if (!key.startsWith(`${from}.`)) continue;
      oldColumns.delete(key);
      oldColumns.add(`${to}.${key.slice(from.length + 1)}`);
    }
  };
  switch (op.kind) {
    case 'dropTable':
      existing.delete(op.table);
      moveColumns(op.table, '\0dropped');
      break;
    case 'renameTable':
      if (existing.delete(op.from)) existing.add(op.to);
      moveColumns(op.from, op.to);
      break;
    case 'dropColumn':
      oldColumns.delete(`${op.table}.${op.column}`);
      break;
    case 'renameColumn':
      if (oldColumns.delete(`${op.table}.${op.from}`)) oldColumns.add(`${op.table}.${op.to}`);
      break;
    default:
  }
}
