import type { Op } from '../diff/ops.ts';
import { findTable } from '../schema/apply.ts';
import type { ColumnDef, SchemaSnapshot } from '../schema/types.ts';

/** A risk in a planned change, with a stable code for docs, allow-lists and CI. */
export interface Warning {
  code: 'TM101' | 'TM102' | 'TM103' | 'TM104';
  /** The table or `table.column` it is about: what a per-change allowance names. */
  target: string;
  message: string;
}

/** Codes whose change loses data that `down` cannot bring back. */
export const DESTRUCTIVE: ReadonlySet<Warning['code']> = new Set(['TM101', 'TM102', 'TM103']);

const WIDTH: Partial<Record<ColumnDef['type'], number>> = { smallint: 1, integer: 2, bigint: 3, float: 1, double: 2 };

function narrows(from: ColumnDef, to: ColumnDef): boolean {
  if (from.type !== to.type) {
    if (to.type === 'text' && (from.type === 'string' || from.type === 'enum' || from.type === 'uuid')) return false;
    if (to.type === 'string' && (from.type === 'enum' || from.type === 'uuid') && !to.length) return false;
    const a = WIDTH[from.type];
    const b = WIDTH[to.type];
    const sameFamily = (from.type === 'float' || from.type === 'double') === (to.type === 'float' || to.type === 'double');
    return !(a !== undefined && b !== undefined && sameFamily && b >= a);
  }
  if (from.type === 'string') return (to.length ?? 255) < (from.length ?? 255);
  if (from.type === 'decimal') {
    const [fp, fs, tp, ts] = [from.precision ?? 10, from.scale ?? 0, to.precision ?? 10, to.scale ?? 0];
    // Fewer digits after the point, or fewer before it (precision minus scale).
    return ts < fs || tp - ts < fp - fs;
  }
  if (from.type === 'enum') return (from.items ?? []).some((i) => !(to.items ?? []).includes(i));
  return false;
}

/** The data-loss risks of applying `op` to `before`. */
export function lint(op: Op, before: SchemaSnapshot): Warning[] {
  switch (op.kind) {
    case 'dropTable':
      return [{ code: 'TM101', target: op.table, message: `drop table ${op.table}` }];
    case 'dropColumn':
      return [{ code: 'TM102', target: `${op.table}.${op.column}`, message: `drop column ${op.table}.${op.column}` }];
    case 'alterColumn': {
      const from = findTable(before, op.table)?.columns.find((c) => c.name === op.column.name);
      const out: Warning[] = [];
      if (from && narrows(from, op.column)) {
        out.push({ code: 'TM103', target: `${op.table}.${op.column.name}`, message: `narrow column ${op.table}.${op.column.name} (${describe(from)} → ${describe(op.column)})` });
      }
      if (from?.nullable && !op.column.nullable && op.column.default === undefined && op.column.defaultRaw === undefined) {
        out.push({ code: 'TM104', target: `${op.table}.${op.column.name}`, message: `make ${op.table}.${op.column.name} NOT NULL without a default` });
      }
      return out;
    }
    case 'addColumn':
      if (!op.column.nullable && op.column.default === undefined && op.column.defaultRaw === undefined && !op.column.autoincrement) {
        return [{ code: 'TM104', target: `${op.table}.${op.column.name}`, message: `add NOT NULL column ${op.table}.${op.column.name} without a default` }];
      }
      return [];
    default:
      return [];
  }
}

function describe(c: ColumnDef): string {
  if (c.type === 'string') return `string(${c.length ?? 255})`;
  if (c.type === 'decimal') return `decimal(${c.precision ?? 10},${c.scale ?? 0})`;
  if (c.type === 'enum') return `enum(${(c.items ?? []).join('|')})`;
  return c.type;
}
