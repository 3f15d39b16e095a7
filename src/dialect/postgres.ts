import { sql } from 'kysely';
import type { Op } from '../diff/ops.ts';
import { findTable } from '../schema/apply.ts';
import type { ColumnDef, SchemaSnapshot, TableDef } from '../schema/types.ts';
import { applyForeignKeyActions, backfill, columnModifiers, createTable, defaultExpression, enumCheck, enumCheckName, schemaBuilder, text, indexStatements, type ColumnOptions } from './builder.ts';
import type { Dialect } from './dialect.ts';
import { postgresType } from './types.ts';

const schema = schemaBuilder('postgres');
const options: ColumnOptions = {
  type: postgresType,
  autoincrement: (c) => c.generatedByDefaultAsIdentity(),
  booleanAsInt: false,
  enumCheck: 'named',
};

const createIndexes = (table: TableDef) => indexStatements(schema, table);

const ident = (n: string) => `"${n.replace(/"/g, '""')}"`;

function renameConstraint(table: string, from: string, to: string): string {
  return `alter table ${ident(table)} rename constraint ${ident(from)} to ${ident(to)}`;
}

function alterColumn(table: string, from: ColumnDef, to: ColumnDef): string[] {
  const out: string[] = [];
  const alter = () => schema.alterTable(table);
  if (postgresType(from) !== postgresType(to)) {
    out.push(text(alter().alterColumn(to.name, (c) => c.setDataType(sql.raw(postgresType(to))))) + ` using "${to.name.replace(/"/g, '""')}"::${postgresType(to)}`);
  }
  if (Boolean(from.primary) !== Boolean(to.primary) || Boolean(from.autoincrement) !== Boolean(to.autoincrement)) {
    throw new Error(`alterColumn cannot change the primary key or identity of ${table}.${to.name} on PostgreSQL; write that change with this.sql(...)`);
  }
  const checkName = enumCheckName(table, to.name);
  if (from.type === 'enum' && (to.type !== 'enum' || JSON.stringify(from.items) !== JSON.stringify(to.items))) {
    out.push(text(alter().dropConstraint(checkName)));
  }
  if (to.type === 'enum' && (from.type !== 'enum' || JSON.stringify(from.items) !== JSON.stringify(to.items))) {
    out.push(text(alter().addCheckConstraint(checkName, enumCheck(to))));
  }
  const d = defaultExpression(to, false);
  if (JSON.stringify([from.default, from.defaultRaw]) !== JSON.stringify([to.default, to.defaultRaw])) {
    out.push(text(d ? alter().alterColumn(to.name, (c) => c.setDefault(d)) : alter().alterColumn(to.name, (c) => c.dropDefault())));
  }
  if (Boolean(from.nullable) !== Boolean(to.nullable)) {
    out.push(...backfill((n) => `"${n.replace(/"/g, '""')}"`, table, from, to, false));
    out.push(text(alter().alterColumn(to.name, (c) => (to.nullable ? c.dropNotNull() : c.setNotNull()))));
  }
  return out;
}

export const postgres: Dialect = {
  name: 'postgresql',
  transactionalDdl: true,
  compile(op: Op, before: SchemaSnapshot): string[] {
    switch (op.kind) {
      case 'sql':
        return [op.sql];
      case 'createTable':
        return [text(createTable(schema, op.table, options)), ...createIndexes(op.table)];
      case 'dropTable':
        return [text(schema.dropTable(op.table))];
      case 'renameTable': {
        // The enum checks' names follow the table's, so later changes find them.
        const enums = findTable(before, op.from)!.columns.filter((c) => c.type === 'enum');
        return [
          text(schema.alterTable(op.from).renameTo(op.to)),
          ...enums.map((c) => renameConstraint(op.to, enumCheckName(op.from, c.name), enumCheckName(op.to, c.name))),
        ];
      }
      case 'addColumn': {
        const add = text(schema.alterTable(op.table).addColumn(op.column.name, sql.raw(postgresType(op.column)), columnModifiers(op.column, false, options)));
        if (op.column.type !== 'enum') return [add];
        return [add, text(schema.alterTable(op.table).addCheckConstraint(enumCheckName(op.table, op.column.name), enumCheck(op.column)))];
      }
      case 'dropColumn':
        return [text(schema.alterTable(op.table).dropColumn(op.column))];
      case 'alterColumn': {
        const from = findTable(before, op.table)!.columns.find((c) => c.name === op.column.name)!;
        return alterColumn(op.table, from, op.column);
      }
      case 'renameColumn': {
        const column = findTable(before, op.table)!.columns.find((c) => c.name === op.from)!;
        const rename = text(schema.alterTable(op.table).renameColumn(op.from, op.to));
        return column.type === 'enum' ? [rename, renameConstraint(op.table, enumCheckName(op.table, op.from), enumCheckName(op.table, op.to))] : [rename];
      }
      case 'createIndex':
        return createIndexes({ ...findTable(before, op.table)!, indexes: [op.index] });
      case 'dropIndex':
        return [text(schema.dropIndex(op.index))];
      case 'addForeignKey': {
        const fk = op.foreignKey;
        return [text(applyForeignKeyActions(schema.alterTable(op.table).addForeignKeyConstraint(fk.name, fk.columns, fk.referencedTable, fk.referencedColumns), fk))];
      }
      case 'dropForeignKey':
        return [text(schema.alterTable(op.table).dropConstraint(op.foreignKey))];
    }
  },
};
