import type { Op } from '../diff/ops.ts';
import { findTable } from '../schema/apply.ts';
import type { SchemaSnapshot, TableDef } from '../schema/types.ts';

/** An operation whose effect cannot be undone from the schema alone (hand-written SQL). */
export class IrreversibleError extends Error {
  override name = 'IrreversibleError';
}

function table(schema: SchemaSnapshot, name: string): TableDef {
  const t = findTable(schema, name);
  if (!t) throw new IrreversibleError(`cannot invert: table '${name}' is not in the schema`);
  return t;
}

/** The operations that undo `op`, given the schema `op` is applied to. */
export function invert(op: Op, before: SchemaSnapshot): Op[] {
  switch (op.kind) {
    case 'createTable':
      return [{ kind: 'dropTable', table: op.table.name }];
    case 'dropTable':
      return [{ kind: 'createTable', table: table(before, op.table) }];
    case 'renameTable':
      return [{ kind: 'renameTable', from: op.to, to: op.from }];
    case 'addColumn':
      return [{ kind: 'dropColumn', table: op.table, column: op.column.name }];
    case 'dropColumn': {
      const column = table(before, op.table).columns.find((c) => c.name === op.column)!;
      return [{ kind: 'addColumn', table: op.table, column }];
    }
    case 'alterColumn': {
      const column = table(before, op.table).columns.find((c) => c.name === op.column.name)!;
      return [{ kind: 'alterColumn', table: op.table, column }];
    }
    case 'renameColumn':
      return [{ kind: 'renameColumn', table: op.table, from: op.to, to: op.from }];
    // The undo of an online change is online too: it meets the same table, as big and as busy.
    case 'createIndex':
      return [{ kind: 'dropIndex', table: op.table, index: op.index.name, ...(op.online ? { online: true as const } : {}) }];
    case 'dropIndex': {
      const index = table(before, op.table).indexes.find((i) => i.name === op.index)!;
      return [{ kind: 'createIndex', table: op.table, index, ...(op.online ? { online: true as const } : {}) }];
    }
    case 'addForeignKey':
      return [{ kind: 'dropForeignKey', table: op.table, foreignKey: op.foreignKey.name }];
    case 'dropForeignKey': {
      const foreignKey = table(before, op.table).foreignKeys.find((f) => f.name === op.foreignKey)!;
      return [{ kind: 'addForeignKey', table: op.table, foreignKey }];
    }
    case 'addCheck':
      return [{ kind: 'dropCheck', table: op.table, check: op.check.name }];
    case 'dropCheck': {
      const check = (table(before, op.table).checks ?? []).find((c) => c.name === op.check)!;
      return [{ kind: 'addCheck', table: op.table, check }];
    }
    case 'commentTable': {
      const comment = table(before, op.table).comment;
      return [{ kind: 'commentTable', table: op.table, ...(comment ? { comment } : {}) }];
    }
    // Validating changes no schema; dropping the constraint (the inverse of its add) undoes it.
    case 'validateConstraint':
      return [];
    case 'sql':
      throw new IrreversibleError('hand-written SQL cannot be inverted automatically');
  }
}
