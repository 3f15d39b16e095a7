import type { Op } from '../diff/ops.ts';
import { normalizeColumn, normalizeTable } from './normalize.ts';
import type { ForeignKeyDef, SchemaSnapshot, TableDef } from './types.ts';

/** A migration's operations do not fit the schema they are replayed on. */
export class ReplayError extends Error {
  override name = 'ReplayError';
}

const sortByName = <T extends { name: string }>(xs: T[]) => xs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export function findTable(schema: SchemaSnapshot, name: string): TableDef | undefined {
  return schema.tables.find((t) => t.name === name);
}

function requireColumns(table: TableDef, columns: string[], op: Op, what: string): void {
  const missing = columns.filter((c) => !table.columns.some((x) => x.name === c));
  if (missing.length) throw new ReplayError(`${op.kind}: ${what} names column(s) ${missing.map((c) => `'${table.name}.${c}'`).join(', ')} that do not exist`);
}

/** Foreign keys of other tables that point at `table` (and, if given, at `column`). */
function referencesTo(schema: SchemaSnapshot, table: string, column?: string): string[] {
  return schema.tables
    .filter((t) => t.name !== table)
    .flatMap((t) => t.foreignKeys.filter((f) => f.referencedTable === table && (!column || f.referencedColumns.includes(column))).map((f) => `${t.name}.${f.name}`));
}

function checkForeignKey(schema: SchemaSnapshot, table: TableDef, fk: ForeignKeyDef, op: Op): void {
  requireColumns(table, fk.columns, op, `foreign key '${fk.name}'`);
  const target = fk.referencedTable === table.name ? table : findTable(schema, fk.referencedTable);
  if (!target) throw new ReplayError(`${op.kind}: foreign key '${fk.name}' references table '${fk.referencedTable}', which does not exist`);
  requireColumns(target, fk.referencedColumns, op, `foreign key '${fk.name}'`);
}

function requireTable(schema: SchemaSnapshot, name: string, op: Op): TableDef {
  const t = findTable(schema, name);
  if (!t) throw new ReplayError(`${op.kind}: table '${name}' does not exist`);
  return t;
}

/**
 * The schema after `op`: pure, never mutates its input. This is how the schema at any
 * revision is recomputed from the history, how `down` is checked against `up`, and what
 * SQLite's table rebuilds are built from.
 */
export function applyOp(schema: SchemaSnapshot, op: Op): SchemaSnapshot {
  const tables = schema.tables.map((t) => t);
  const replace = (name: string, next: TableDef) => {
    const i = tables.findIndex((t) => t.name === name);
    tables[i] = next;
  };
  switch (op.kind) {
    case 'sql':
      return schema;
    case 'createTable':
      if (findTable(schema, op.table.name)) throw new ReplayError(`createTable: table '${op.table.name}' already exists`);
      for (const i of op.table.indexes) requireColumns(op.table, i.columns, op, `index '${i.name}'`);
      for (const f of op.table.foreignKeys) checkForeignKey(schema, op.table, f, op);
      tables.push(normalizeTable(op.table));
      break;
    case 'dropTable':
      requireTable(schema, op.table, op);
      const refs = referencesTo(schema, op.table);
      if (refs.length) throw new ReplayError(`dropTable: table '${op.table}' is still referenced by ${refs.join(', ')}`);
      tables.splice(tables.findIndex((t) => t.name === op.table), 1);
      break;
    case 'renameTable': {
      const t = requireTable(schema, op.from, op);
      if (findTable(schema, op.to)) throw new ReplayError(`renameTable: table '${op.to}' already exists`);
      replace(op.from, { ...t, name: op.to });
      for (let i = 0; i < tables.length; i++) {
        const fks = tables[i]!.foreignKeys;
        if (fks.some((f) => f.referencedTable === op.from)) {
          tables[i] = { ...tables[i]!, foreignKeys: fks.map((f) => (f.referencedTable === op.from ? { ...f, referencedTable: op.to } : f)) };
        }
      }
      break;
    }
    case 'addColumn': {
      const t = requireTable(schema, op.table, op);
      if (t.columns.some((c) => c.name === op.column.name)) throw new ReplayError(`addColumn: column '${op.table}.${op.column.name}' already exists`);
      replace(op.table, { ...t, columns: [...t.columns, normalizeColumn(op.column)] });
      break;
    }
    case 'dropColumn': {
      const t = requireTable(schema, op.table, op);
      if (!t.columns.some((c) => c.name === op.column)) throw new ReplayError(`dropColumn: column '${op.table}.${op.column}' does not exist`);
      const uses = [...t.indexes, ...t.foreignKeys].find((x) => x.columns.includes(op.column));
      if (uses) throw new ReplayError(`dropColumn: column '${op.table}.${op.column}' is still used by '${uses.name}'`);
      const refs = referencesTo(schema, op.table, op.column);
      if (refs.length) throw new ReplayError(`dropColumn: column '${op.table}.${op.column}' is still referenced by ${refs.join(', ')}`);
      replace(op.table, { ...t, columns: t.columns.filter((c) => c.name !== op.column) });
      break;
    }
    case 'alterColumn': {
      const t = requireTable(schema, op.table, op);
      if (!t.columns.some((c) => c.name === op.column.name)) throw new ReplayError(`alterColumn: column '${op.table}.${op.column.name}' does not exist`);
      replace(op.table, { ...t, columns: t.columns.map((c) => (c.name === op.column.name ? normalizeColumn(op.column) : c)) });
      break;
    }
    case 'renameColumn': {
      const t = requireTable(schema, op.table, op);
      if (!t.columns.some((c) => c.name === op.from)) throw new ReplayError(`renameColumn: column '${op.table}.${op.from}' does not exist`);
      if (t.columns.some((c) => c.name === op.to)) throw new ReplayError(`renameColumn: column '${op.table}.${op.to}' already exists`);
      const rename = (cols: string[]) => cols.map((c) => (c === op.from ? op.to : c));
      replace(op.table, {
        ...t,
        columns: t.columns.map((c) => (c.name === op.from ? { ...c, name: op.to } : c)),
        indexes: t.indexes.map((i) => ({ ...i, columns: rename(i.columns) })),
        foreignKeys: t.foreignKeys.map((f) => ({ ...f, columns: rename(f.columns) })),
      });
      for (let i = 0; i < tables.length; i++) {
        const fks = tables[i]!.foreignKeys;
        if (fks.some((f) => f.referencedTable === op.table)) {
          tables[i] = {
            ...tables[i]!,
            foreignKeys: fks.map((f) => (f.referencedTable === op.table ? { ...f, referencedColumns: rename(f.referencedColumns) } : f)),
          };
        }
      }
      break;
    }
    case 'createIndex': {
      const t = requireTable(schema, op.table, op);
      if (t.indexes.some((i) => i.name === op.index.name)) throw new ReplayError(`createIndex: index '${op.index.name}' already exists on '${op.table}'`);
      requireColumns(t, op.index.columns, op, `index '${op.index.name}'`);
      replace(op.table, normalizeTable({ ...t, indexes: [...t.indexes, op.index] }));
      break;
    }
    case 'dropIndex': {
      const t = requireTable(schema, op.table, op);
      if (!t.indexes.some((i) => i.name === op.index)) throw new ReplayError(`dropIndex: index '${op.index}' does not exist on '${op.table}'`);
      replace(op.table, { ...t, indexes: t.indexes.filter((i) => i.name !== op.index) });
      break;
    }
    case 'addForeignKey': {
      const t = requireTable(schema, op.table, op);
      if (t.foreignKeys.some((f) => f.name === op.foreignKey.name)) throw new ReplayError(`addForeignKey: '${op.foreignKey.name}' already exists on '${op.table}'`);
      checkForeignKey(schema, t, op.foreignKey, op);
      replace(op.table, normalizeTable({ ...t, foreignKeys: [...t.foreignKeys, op.foreignKey] }));
      break;
    }
    case 'dropForeignKey': {
      const t = requireTable(schema, op.table, op);
      if (!t.foreignKeys.some((f) => f.name === op.foreignKey)) throw new ReplayError(`dropForeignKey: '${op.foreignKey}' does not exist on '${op.table}'`);
      replace(op.table, { ...t, foreignKeys: t.foreignKeys.filter((f) => f.name !== op.foreignKey) });
      break;
    }
    case 'addCheck': {
      const t = requireTable(schema, op.table, op);
      if ((t.checks ?? []).some((c) => c.name === op.check.name)) throw new ReplayError(`addCheck: check '${op.check.name}' already exists on '${op.table}'`);
      replace(op.table, normalizeTable({ ...t, checks: [...(t.checks ?? []), op.check] }));
      break;
    }
    case 'dropCheck': {
      const t = requireTable(schema, op.table, op);
      if (!(t.checks ?? []).some((c) => c.name === op.check)) throw new ReplayError(`dropCheck: check '${op.check}' does not exist on '${op.table}'`);
      replace(op.table, normalizeTable({ ...t, checks: (t.checks ?? []).filter((c) => c.name !== op.check) }));
      break;
    }
    case 'validateConstraint': {
      // Checks rows only; the constraint is already in the schema since it was added.
      const t = requireTable(schema, op.table, op);
      const known = t.foreignKeys.some((f) => f.name === op.name) || (t.checks ?? []).some((c) => c.name === op.name);
      if (!known) throw new ReplayError(`validateConstraint: no foreign key or check '${op.name}' on '${op.table}'`);
      break;
    }
    case 'commentTable': {
      const t = requireTable(schema, op.table, op);
      const { comment: _old, ...rest } = t;
      replace(op.table, op.comment ? { ...rest, comment: op.comment } : rest);
      break;
    }
    default: {
      const never: never = op;
      throw new ReplayError(`unknown operation ${JSON.stringify(never)}`);
    }
  }
  return { ...schema, tables: sortByName(tables) };
}

export function applyOps(schema: SchemaSnapshot, ops: readonly Op[]): SchemaSnapshot {
  return ops.reduce(applyOp, schema);
}
