import type { RenameHints } from '../diff/diff.ts';
import type { Op } from '../diff/ops.ts';
import { findTable } from '../schema/apply.ts';
import type { SchemaSnapshot } from '../schema/types.ts';

/** A dropped and an added table or column that look alike: possibly a rename nobody stated. */
export interface RenameQuestion {
  /** `old=new` for a table, `table.old=new` for a column: what `--rename` takes. */
  answer: string;
  /** What `--no-rename` takes to say it is a drop and an add. */
  denial: string;
  description: string;
}

/**
 * Rename hints stated in code (`@RenamedFrom`) that apply to this diff: the old name is in
 * `prev` and the new one is not yet. Hints whose rename already happened are dropped, so an
 * annotation can stay on an entity after its migration was generated.
 */
export function applicableHints(prev: SchemaSnapshot, hints: RenameHints): RenameHints {
  const tables: Record<string, string> = {};
  const columns: Record<string, string> = {};
  for (const [from, to] of Object.entries(hints.tables ?? {})) {
    if (findTable(prev, from) && !findTable(prev, to)) tables[from] = to;
  }
  const renamedTable = (name: string) => Object.entries(tables).find(([, to]) => to === name)?.[0] ?? name;
  for (const [key, to] of Object.entries(hints.columns ?? {})) {
    const dot = key.lastIndexOf('.');
    const table = findTable(prev, renamedTable(key.slice(0, dot)));
    const from = key.slice(dot + 1);
    if (table?.columns.some((c) => c.name === from) && !table.columns.some((c) => c.name === to)) columns[key] = to;
  }
  return { tables, columns };
}

export function mergeHints(a: RenameHints, b: RenameHints): RenameHints {
  return { tables: { ...a.tables, ...b.tables }, columns: { ...a.columns, ...b.columns } };
}

/**
 * Drops and adds in `ops` that look like renames: a dropped and a created table with the
 * same column names, or a dropped and an added column of the same type in one table. Those
 * named in `denied` (by `--no-rename`) are left out.
 */
export function renameQuestions(prev: SchemaSnapshot, ops: Op[], denied: ReadonlySet<string>): RenameQuestion[] {
  const out: RenameQuestion[] = [];
  const droppedTables = ops.filter((o): o is Extract<Op, { kind: 'dropTable' }> => o.kind === 'dropTable').map((o) => findTable(prev, o.table)!);
  const createdTables = ops.filter((o): o is Extract<Op, { kind: 'createTable' }> => o.kind === 'createTable').map((o) => o.table);
  const shape = (cols: { name: string }[]) => cols.map((c) => c.name).sort().join(',');
  for (const d of droppedTables) {
    if (denied.has(d.name)) continue;
    for (const c of createdTables) {
      if (shape(d.columns) === shape(c.columns)) {
        out.push({ answer: `${d.name}=${c.name}`, denial: d.name, description: `table ${d.name} is dropped and ${c.name} created with the same columns` });
      }
    }
  }
  const dropped = ops.filter((o): o is Extract<Op, { kind: 'dropColumn' }> => o.kind === 'dropColumn');
  const added = ops.filter((o): o is Extract<Op, { kind: 'addColumn' }> => o.kind === 'addColumn');
  for (const d of dropped) {
    if (denied.has(`${d.table}.${d.column}`)) continue;
    const old = findTable(prev, d.table)?.columns.find((c) => c.name === d.column);
    for (const a of added) {
      if (a.table !== d.table || !old || old.type !== a.column.type) continue;
      out.push({
        answer: `${d.table}.${d.column}=${a.column.name}`,
        denial: `${d.table}.${d.column}`,
        description: `column ${d.table}.${d.column} is dropped and ${d.table}.${a.column.name} (also ${old.type}) added`,
      });
    }
  }
  return out;
}
