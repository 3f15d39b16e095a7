import type { Op } from '../diff/ops.ts';
import { findTable } from '../schema/apply.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { describeColumnType, narrowing } from './narrowing.ts';

/** A risk in a planned change, with a stable code for docs, allow-lists and CI (TM1xx; the lock codes, TM2xx, are in locks.ts and never gate). */
export interface Warning {
  code: 'TM101' | 'TM102' | 'TM103' | 'TM104';
  /** The table or `table.column` it is about: what a per-change allowance names. */
  target: string;
  message: string;
}

/** Codes whose change loses data that `down` cannot bring back. */
export const DESTRUCTIVE: ReadonlySet<Warning['code']> = new Set(['TM101', 'TM102', 'TM103']);

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
      if (from && narrowing(from, op.column)) {
        out.push({ code: 'TM103', target: `${op.table}.${op.column.name}`, message: `narrow column ${op.table}.${op.column.name} (${describeColumnType(from)} → ${describeColumnType(op.column)})` });
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
