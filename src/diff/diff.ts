import { applyOp } from '../schema/apply.ts';
import { sameColumn, sameJson } from '../schema/normalize.ts';
import type { SchemaSnapshot, TableDef } from '../schema/types.ts';
import type { Op } from './ops.ts';

/** Renames stated by the user: a rename is never guessed from a drop and an add. */
export interface RenameHints {
  /** old table name → new table name */
  tables?: Record<string, string>;
  /** `table.oldColumn` → new column name (table as named after table renames) */
  columns?: Record<string, string>;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The operations that turn `prev` into `next`, in an order that can be applied as is:
 * renames; then what goes away (foreign keys, tables, indexes, columns); then what arrives
 * (columns, column changes, indexes, tables, foreign keys). An empty list means the schemas
 * are the same.
 */
export function diff(prev: SchemaSnapshot, next: SchemaSnapshot, hints: RenameHints = {}): Op[] {
  const renames: Op[] = [];
  let from = prev;
  const record = (op: Op) => {
    renames.push(op);
    from = applyOp(from, op);
  };
  for (const [oldName, newName] of Object.entries(hints.tables ?? {}).sort()) {
    record({ kind: 'renameTable', from: oldName, to: newName });
  }
  for (const [key, newName] of Object.entries(hints.columns ?? {}).sort()) {
    const dot = key.lastIndexOf('.');
    record({ kind: 'renameColumn', table: key.slice(0, dot), from: key.slice(dot + 1), to: newName });
  }

  const prevTables = new Map(from.tables.map((t) => [t.name, t]));
  const nextTables = new Map(next.tables.map((t) => [t.name, t]));
  const created = next.tables.filter((t) => !prevTables.has(t.name));
  const dropped = from.tables.filter((t) => !nextTables.has(t.name));
  const common = next.tables.filter((t) => prevTables.has(t.name)).map((t) => [prevTables.get(t.name)!, t] as const);

  const dropFks: Op[] = [];
  const dropIndexes: Op[] = [];
  const addColumns: Op[] = [];
  const alterColumns: Op[] = [];
  const dropColumns: Op[] = [];
  const createIndexes: Op[] = [];
  const addFks: Op[] = [];

  const comments: Op[] = [];
  const dropChecks: Op[] = [];
  const addChecks: Op[] = [];
  for (const [a, b] of common) {
    if ((a.comment ?? '') !== (b.comment ?? '')) comments.push({ kind: 'commentTable', table: b.name, ...(b.comment ? { comment: b.comment } : {}) });
    const aFks = new Map(a.foreignKeys.map((f) => [f.name, f]));
    const bFks = new Map(b.foreignKeys.map((f) => [f.name, f]));
    for (const f of a.foreignKeys) {
      if (!sameJson(f, bFks.get(f.name))) dropFks.push({ kind: 'dropForeignKey', table: a.name, foreignKey: f.name });
    }
    for (const f of b.foreignKeys) {
      if (!sameJson(f, aFks.get(f.name))) addFks.push({ kind: 'addForeignKey', table: b.name, foreignKey: f });
    }
    const aChecks = new Map((a.checks ?? []).map((c) => [c.name, c]));
    const bChecks = new Map((b.checks ?? []).map((c) => [c.name, c]));
    for (const c of a.checks ?? []) if (!sameJson(c, bChecks.get(c.name))) dropChecks.push({ kind: 'dropCheck', table: a.name, check: c.name });
    for (const c of b.checks ?? []) if (!sameJson(c, aChecks.get(c.name))) addChecks.push({ kind: 'addCheck', table: b.name, check: c });
    const aIdx = new Map(a.indexes.map((i) => [i.name, i]));
    const bIdx = new Map(b.indexes.map((i) => [i.name, i]));
    for (const i of a.indexes) {
      if (!sameJson(i, bIdx.get(i.name))) dropIndexes.push({ kind: 'dropIndex', table: a.name, index: i.name });
    }
    for (const i of b.indexes) {
      if (!sameJson(i, aIdx.get(i.name))) createIndexes.push({ kind: 'createIndex', table: b.name, index: i });
    }
    const aCols = new Map(a.columns.map((c) => [c.name, c]));
    const bCols = new Map(b.columns.map((c) => [c.name, c]));
    for (const c of b.columns) {
      const old = aCols.get(c.name);
      if (!old) addColumns.push({ kind: 'addColumn', table: b.name, column: c });
      else if (!sameColumn(old, c)) alterColumns.push({ kind: 'alterColumn', table: b.name, column: c });
    }
    for (const c of a.columns) {
      if (!bCols.has(c.name)) dropColumns.push({ kind: 'dropColumn', table: a.name, column: c.name });
    }
  }

  const { ordered, cyclicFks } = orderByForeignKeys(created);
  const createTables: Op[] = ordered.map((t) => ({ kind: 'createTable', table: t }));
  for (const [table, fk] of cyclicFks) addFks.push({ kind: 'addForeignKey', table, foreignKey: fk });
  const dropOrder = orderByForeignKeys(dropped);
  // Tables that reference each other: break the cycle before dropping either.
  for (const [table, fk] of dropOrder.cyclicFks) dropFks.push({ kind: 'dropForeignKey', table, foreignKey: fk.name });
  const dropTables: Op[] = dropOrder.ordered.reverse().map((t) => ({ kind: 'dropTable', table: t.name }));

  // Removals first, from what references to what is referenced; then additions the other
  // way round, so a new table's foreign key finds the column and index it points at.
  return [
    ...renames,
    ...dropChecks,
    ...dropFks,
    ...dropTables,
    ...dropIndexes,
    ...dropColumns,
    ...addColumns,
    ...alterColumns,
    ...createIndexes,
    ...createTables,
    ...addFks,
    ...addChecks,
    ...comments,
  ];
}

/**
 * Parents before children among `tables`. Foreign keys that close a cycle are taken out
 * of their table and returned, to be added once every table exists.
 */
function orderByForeignKeys(tables: TableDef[]): { ordered: TableDef[]; cyclicFks: [string, TableDef['foreignKeys'][number]][] } {
  const names = new Set(tables.map((t) => t.name));
  const byTable = new Map(tables.map((t) => [t.name, t]));
  const state = new Map<string, 'visiting' | 'done'>();
  const ordered: TableDef[] = [];
  const cyclicFks: [string, TableDef['foreignKeys'][number]][] = [];
  const visit = (t: TableDef) => {
    state.set(t.name, 'visiting');
    const kept = [];
    for (const fk of t.foreignKeys) {
      const target = fk.referencedTable;
      if (target === t.name || !names.has(target)) {
        kept.push(fk);
        continue;
      }
      const s = state.get(target);
      if (s === 'visiting') {
        cyclicFks.push([t.name, fk]);
        continue;
      }
      if (!s) visit(byTable.get(target)!);
      kept.push(fk);
    }
    state.set(t.name, 'done');
    ordered.push(kept.length === t.foreignKeys.length ? t : { ...t, foreignKeys: kept });
  };
  for (const t of [...tables].sort(byName)) if (!state.has(t.name)) visit(t);
  return { ordered, cyclicFks };
}
