import type { Op } from '../diff/ops.ts';

/** One operation in words, for lists a person reads (gen-migration, check, show) and for lock warnings. */
export function describeOp(op: Op): string {
  switch (op.kind) {
    case 'createTable':
      return `create table ${op.table.name}`;
    case 'dropTable':
      return `drop table ${op.table}`;
    case 'renameTable':
      return `rename table ${op.from} → ${op.to}`;
    case 'addColumn':
      return `add column ${op.table}.${op.column.name}`;
    case 'dropColumn':
      return `drop column ${op.table}.${op.column}`;
    case 'alterColumn':
      return `alter column ${op.table}.${op.column.name}`;
    case 'renameColumn':
      return `rename column ${op.table}.${op.from} → ${op.to}`;
    case 'createIndex':
      return `create ${op.index.unique ? 'unique ' : ''}index ${op.index.name} on ${op.table}`;
    case 'dropIndex':
      return `drop index ${op.index} on ${op.table}`;
    case 'addForeignKey':
      return `add foreign key ${op.foreignKey.name} on ${op.table}`;
    case 'dropForeignKey':
      return `drop foreign key ${op.foreignKey} on ${op.table}`;
    case 'addCheck':
      return `add check ${op.check.name} on ${op.table}`;
    case 'dropCheck':
      return `drop check ${op.check} on ${op.table}`;
    case 'validateConstraint':
      return `validate constraint ${op.name} on ${op.table}`;
    case 'commentTable':
      return op.comment ? `comment on table ${op.table}` : `remove the comment of table ${op.table}`;
    case 'sql':
      return `sql`;
  }
}
