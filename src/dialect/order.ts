import type { Op } from '../diff/ops.ts';
import { applyOp, findTable } from '../schema/apply.ts';
import type { ForeignKeyDef, SchemaSnapshot, TableDef } from '../schema/types.ts';
import { mysqlType } from './types.ts';

/**
 * MySQL/MariaDB's own ordering of a migration's operations, so that every statement is valid
 * when it runs. The operations' effect on the schema is unchanged (each move or added pair
 * commutes with what it passes), so replay and `--sql` see the same schema as before.
 *
 * - An index a foreign key needs cannot be dropped while nothing else serves it (error 1553):
 *   the drop moves after the operation that provides another index, or drops the key
 *   (a many-to-one becoming a one-to-one swaps its index for a unique one).
 * - A column used by a foreign key, on either side, cannot change type (error 1832, or 150
 *   when the two sides differ): the keys are dropped before the first such change and added
 *   back after the last one.
 */
export function orderForMysql(ops: readonly Op[], start: SchemaSnapshot): Op[] {
  return wrapTypeChanges(moveIndexDrops(ops, start), start);
}

const isPrefix = (cols: string[], of: string[]) => cols.length <= of.length && cols.every((c, i) => of[i] === c);

/** The foreign keys of `table` that would have no index left if `index` went. */
function keysNeeding(table: TableDef, index: string): ForeignKeyDef[] {
  const idx = table.indexes.find((i) => i.name === index);
  if (!idx) return [];
  return table.foreignKeys.filter(
    (fk) => isPrefix(fk.columns, idx.columns) && !table.indexes.some((i) => i.name !== index && isPrefix(fk.columns, i.columns)),
  );
}

function moveIndexDrops(ops: readonly Op[], start: SchemaSnapshot): Op[] {
  const list = [...ops];
  let schema = start;
  for (let i = 0; i < list.length; i++) {
    const op = list[i]!;
    if (op.kind === 'dropIndex') {
      const table = findTable(schema, op.table);
      if (table && keysNeeding(table, op.index).length) {
        const to = whereFree(list, i, schema, op.table, op.index);
        if (to !== undefined) {
          list.splice(i, 1);
          list.splice(to, 0, op);
          i--;
          continue;
        }
      }
    }
    schema = applyOp(schema, op);
  }
  return list;
}

/** The position right after the first later operation once which `index` is no longer needed. */
function whereFree(list: Op[], at: number, schema: SchemaSnapshot, tableName: string, index: string): number | undefined {
  let s = schema;
  let table = tableName;
  for (let j = at + 1; j < list.length; j++) {
    const op = list[j]!;
    // Another operation on the same index name: moving past it would change what it meets.
    if ((op.kind === 'createIndex' && op.table === table && op.index.name === index) || (op.kind === 'dropIndex' && op.table === table && op.index === index)) return undefined;
    try {
      s = applyOp(s, op);
    } catch {
      return undefined;
    }
    if (op.kind === 'renameTable' && op.from === table) table = op.to;
    const t = findTable(s, table);
    if (!t || !t.indexes.some((i) => i.name === index)) return undefined;
    if (keysNeeding(t, index).length === 0) return j;
  }
  return undefined;
}

interface KeyRef {
  table: string;
  fk: ForeignKeyDef;
}

/** Foreign keys in `schema` that use `table.column`, as the referencing or the referenced column. */
function keysUsing(schema: SchemaSnapshot, table: string, column: string): KeyRef[] {
  return schema.tables.flatMap((t) =>
    t.foreignKeys
      .filter((fk) => (t.name === table && fk.columns.includes(column)) || (fk.referencedTable === table && fk.referencedColumns.includes(column)))
      .map((fk) => ({ table: t.name, fk })),
  );
}

const usesColumnOf = (ref: KeyRef, op: Op) =>
  op.kind === 'alterColumn' &&
  ((op.table === ref.table && ref.fk.columns.includes(op.column.name)) || (op.table === ref.fk.referencedTable && ref.fk.referencedColumns.includes(op.column.name)));

/** Whether a later operation already drops, adds or moves this key (or its tables): then it is left alone. */
function touchedLater(list: readonly Op[], from: number, ref: KeyRef): boolean {
  return list.slice(from).some(
    (op) =>
      ((op.kind === 'dropForeignKey' || op.kind === 'addForeignKey') && op.table === ref.table && (op.kind === 'dropForeignKey' ? op.foreignKey : op.foreignKey.name) === ref.fk.name) ||
      (op.kind === 'dropTable' && (op.table === ref.table || op.table === ref.fk.referencedTable)) ||
      (op.kind === 'renameTable' && (op.from === ref.table || op.from === ref.fk.referencedTable)) ||
      (op.kind === 'renameColumn' && (op.table === ref.table || op.table === ref.fk.referencedTable)),
  );
}

function wrapTypeChanges(ops: readonly Op[], start: SchemaSnapshot): Op[] {
  const out: Op[] = [];
  // Keys taken down, and the index of the last operation after which each goes back up.
  const pending = new Map<string, { ref: KeyRef; last: number }>();
  let schema = start;
  ops.forEach((op, i) => {
    if (op.kind === 'alterColumn') {
      const was = findTable(schema, op.table)?.columns.find((c) => c.name === op.column.name);
      if (was && mysqlType(was) !== mysqlType(op.column)) {
        for (const ref of keysUsing(schema, op.table, op.column.name)) {
          const key = `${ref.table}\0${ref.fk.name}`;
          if (pending.has(key) || touchedLater(ops, i + 1, ref)) continue;
          let last = i;
          ops.forEach((later, j) => {
            if (j > i && usesColumnOf(ref, later)) last = j;
          });
          pending.set(key, { ref, last });
          const drop: Op = { kind: 'dropForeignKey', table: ref.table, foreignKey: ref.fk.name };
          out.push(drop);
          schema = applyOp(schema, drop);
        }
      }
    }
    out.push(op);
    schema = applyOp(schema, op);
    for (const [key, p] of pending) {
      if (p.last !== i) continue;
      const add: Op = { kind: 'addForeignKey', table: p.ref.table, foreignKey: p.ref.fk };
      out.push(add);
      schema = applyOp(schema, add);
      pending.delete(key);
    }
  });
  return out;
}
