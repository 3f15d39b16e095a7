import type { ColumnDef, ColumnSpec, ForeignKeyDef, IndexDef, SchemaSnapshot, TableDef } from './types.ts';

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The canonical form of a column: only meaningful keys, in a fixed order, so that two
 * equal columns serialise to the same JSON and compare equal with a plain string compare.
 */
export function normalizeColumn(c: ColumnDef): ColumnDef {
  const out: ColumnDef = { name: c.name, ...normalizeSpec(c) };
  return out;
}

export function normalizeSpec(c: ColumnSpec): ColumnSpec {
  const out: ColumnSpec = { type: c.type };
  if (c.length !== undefined && (c.type === 'string' || c.type === 'char' || ((c.type === 'datetime' || c.type === 'time') && c.length > 0))) out.length = c.length;
  if (c.type === 'decimal') {
    if (c.precision !== undefined) out.precision = c.precision;
    if (c.scale !== undefined) out.scale = c.scale;
  }
  if ((c.type === 'enum' || c.type === 'array') && c.items) out.items = [...c.items];
  if (c.nullable) out.nullable = true;
  if (c.primary) out.primary = true;
  if (c.autoincrement) out.autoincrement = true;
  if (c.unsigned) out.unsigned = true;
  if (c.default !== undefined && c.default !== null) out.default = c.default;
  if (c.defaultRaw !== undefined && c.defaultRaw !== null) out.defaultRaw = c.defaultRaw;
  if (c.defaultNow) out.defaultNow = true;
  if (c.comment) out.comment = c.comment;
  if (c.columnType) out.columnType = c.columnType;
  return out;
}

function normalizeIndex(i: IndexDef): IndexDef {
  const out: IndexDef = { name: i.name, columns: [...i.columns] };
  if (i.unique) out.unique = true;
  if (i.type) out.type = i.type;
  if (i.foreignKey) out.foreignKey = true;
  return out;
}

function normalizeForeignKey(f: ForeignKeyDef): ForeignKeyDef {
  const out: ForeignKeyDef = {
    name: f.name,
    columns: [...f.columns],
    referencedTable: f.referencedTable,
    referencedColumns: [...f.referencedColumns],
  };
  if (f.onDelete && f.onDelete !== 'no action') out.onDelete = f.onDelete;
  if (f.onUpdate && f.onUpdate !== 'no action') out.onUpdate = f.onUpdate;
  return out;
}

export function normalizeTable(t: TableDef): TableDef {
  return {
    name: t.name,
    columns: t.columns.map(normalizeColumn),
    indexes: t.indexes.map(normalizeIndex).sort(byName),
    foreignKeys: t.foreignKeys.map(normalizeForeignKey).sort(byName),
    ...(t.checks?.length ? { checks: t.checks.map((c) => ({ name: c.name, expression: c.expression })).sort(byName) } : {}),
    ...(t.comment ? { comment: t.comment } : {}),
  };
}

/** The canonical form of a schema; a stored snapshot's seal is not part of it. */
export function normalizeSchema(s: SchemaSnapshot): SchemaSnapshot {
  return { format: s.format, head: s.head, tables: s.tables.map(normalizeTable).sort(byName) };
}

export function sameColumn(a: ColumnDef | ColumnSpec, b: ColumnDef | ColumnSpec): boolean {
  return JSON.stringify(normalizeSpec(a)) === JSON.stringify(normalizeSpec(b));
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
