import type { Op } from '../../src/diff/ops.ts';
import { normalizeSchema, normalizeTable, normalizeColumn } from '../../src/schema/normalize.ts';
import { applyOp } from '../../src/schema/apply.ts';
import type { SchemaSnapshot } from '../../src/schema/types.ts';

/** The canonical form of a schema without its `head`, for comparisons. */
export function canonical(s: SchemaSnapshot): Omit<SchemaSnapshot, 'head'> {
  const { head: _head, ...rest } = normalizeSchema(s);
  return rest;
}

/** An op with every column, table, index and FK in canonical form. */
export function canonicalOp(op: Op): Op {
  switch (op.kind) {
    case 'createTable':
      return { ...op, table: normalizeTable(op.table) };
    case 'addColumn':
    case 'alterColumn':
      return { ...op, column: normalizeColumn(op.column) };
    case 'createIndex':
      return { ...op, index: normalizeTable({ name: op.table, columns: [], indexes: [op.index], foreignKeys: [] }).indexes[0]! };
    case 'addForeignKey':
      return { ...op, foreignKey: normalizeTable({ name: op.table, columns: [], indexes: [], foreignKeys: [op.foreignKey] }).foreignKeys[0]! };
    default:
      return op;
  }
}

/**
 * Every way `s` can be inconsistent as a database schema: duplicate names, a key, index or FK
 * on a column that is not there, a FK to a table or column that is not there.
 */
export function problems(s: SchemaSnapshot): string[] {
  const out: string[] = [];
  const tables = new Map(s.tables.map((t) => [t.name, t]));
  if (tables.size !== s.tables.length) out.push('duplicate table names');
  for (const t of s.tables) {
    const cols = new Set(t.columns.map((c) => c.name));
    if (cols.size !== t.columns.length) out.push(`${t.name}: duplicate column names`);
    for (const i of t.indexes) {
      for (const c of i.columns) if (!cols.has(c)) out.push(`${t.name}: index ${i.name} on missing column ${c}`);
    }
    for (const f of t.foreignKeys) {
      for (const c of f.columns) if (!cols.has(c)) out.push(`${t.name}: FK ${f.name} on missing column ${c}`);
      const target = tables.get(f.referencedTable);
      if (!target) {
        out.push(`${t.name}: FK ${f.name} references missing table ${f.referencedTable}`);
        continue;
      }
      for (const c of f.referencedColumns) {
        if (!target.columns.some((x) => x.name === c)) out.push(`${t.name}: FK ${f.name} references missing column ${f.referencedTable}.${c}`);
      }
    }
  }
  return out;
}

/** The problems of the schema after each op, labelled with the op that left them. */
export function problemsAlong(start: SchemaSnapshot, ops: readonly Op[]): string[] {
  const out: string[] = [];
  let s = start;
  ops.forEach((op, i) => {
    s = applyOp(s, op);
    for (const p of problems(s)) out.push(`after op #${i} ${op.kind}: ${p}`);
  });
  return out;
}

/** A deep copy that throws on any write, to prove a function does not mutate its input. */
export function frozen<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown) => {
    if (v && typeof v === 'object') {
      Object.freeze(v);
      for (const x of Object.values(v)) freeze(x);
    }
  };
  freeze(copy);
  return copy;
}
