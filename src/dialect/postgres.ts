import { sql } from 'kysely';
import type { Op } from '../diff/ops.ts';
import { findTable } from '../schema/apply.ts';
import { fitIdentifier } from '../schema/naming.ts';
import type { ColumnDef, IndexDef, SchemaSnapshot, TableDef } from '../schema/types.ts';
import { applyForeignKeyActions, backfill, columnModifiers, createTable, defaultExpression, enumCheck, enumCheckName, schemaBuilder, sqlString, text, indexStatements, type ColumnOptions } from './builder.ts';
import type { Dialect } from './dialect.ts';
import { postgresType } from './types.ts';

const schema = schemaBuilder('postgres');
/** `identity`: autoincrement keys as identity columns (config `postgresql.identity`); else `serial`, as MikroORM declares them. */
function columnOptions(identity: boolean): ColumnOptions {
  return {
    platform: 'postgresql',
    type: identity ? (c) => postgresType({ ...c, autoincrement: false }) : postgresType,
    autoincrement: identity ? (c) => c.generatedByDefaultAsIdentity() : (c) => c,
    booleanAsInt: false,
    enumCheck: 'named',
  };
}

const ident = (n: string) => `"${n.replace(/"/g, '""')}"`;

const fulltext = (table: string, i: IndexDef) =>
  `create index ${ident(i.name)} on ${ident(table)} using gin(to_tsvector('simple', ${i.columns.map(ident).join(` || ' ' || `)}))`;

const createIndexes = (table: TableDef) => indexStatements(schema, table, { foreignKeyIndexes: false, fulltext });

/** An enum array's values are checked as MikroORM checks them: the array is contained in the allowed ones. */
function arrayCheck(table: string, c: ColumnDef): string {
  const allowed = (c.items ?? []).map((i) => `${sqlString(i)}::text`).join(', ');
  return `alter table ${ident(table)} add constraint ${ident(enumCheckName(table, c.name))} check (${ident(c.name)} <@ array[${allowed}])`;
}

const hasCheck = (c: ColumnDef) => (c.type === 'enum' || c.type === 'array') && Boolean(c.items?.length);

function columnComment(table: string, c: ColumnDef): string {
  return `comment on column ${ident(table)}.${ident(c.name)} is ${c.comment ? sqlString(c.comment) : 'null'}`;
}

function tableComment(table: string, comment: string | undefined): string {
  return `comment on table ${ident(table)} is ${comment ? sqlString(comment) : 'null'}`;
}

/** What follows a `create table`: comments, indexes, enum-array checks. */
function afterCreate(table: TableDef): string[] {
  return [
    ...(table.comment ? [tableComment(table.name, table.comment)] : []),
    ...table.columns.filter((c) => c.comment).map((c) => columnComment(table.name, c)),
    ...createIndexes(table),
    ...table.columns.filter((c) => c.type === 'array' && hasCheck(c)).map((c) => arrayCheck(table.name, c)),
  ];
}

/** PostgreSQL's online index build: no write lock, no transaction; IF NOT EXISTS so a rerun after a crash goes on. */
function concurrently(statement: string): string {
  return statement.replace(/^create (unique )?index (if not exists )?/, 'create $1index concurrently if not exists ');
}

/**
 * NOT NULL without holding ACCESS EXCLUSIVE for a full scan: a NOT VALID check takes a brief
 * lock, VALIDATE scans while writes go on, and SET NOT NULL (PostgreSQL 12+) trusts the
 * validated check instead of scanning again. The check is dropped first too, so a rerun of a
 * half-done sequence starts clean.
 */
function notNullOnline(table: string, column: string): string[] {
  const check = ident(fitIdentifier(`${table}_${column}_not_null`));
  const t = ident(table);
  return [
    `alter table ${t} drop constraint if exists ${check}`,
    `alter table ${t} add constraint ${check} check (${ident(column)} is not null) not valid`,
    `alter table ${t} validate constraint ${check}`,
    `alter table ${t} alter column ${ident(column)} set not null`,
    `alter table ${t} drop constraint ${check}`,
  ];
}

/** A constraint added without checking existing rows (a brief lock); `validateConstraint` checks them later. */
const notValid = (op: { validate?: 'later' }) => (op.validate === 'later' ? ' not valid' : '');

function renameConstraint(table: string, from: string, to: string): string {
  return `alter table ${ident(table)} rename constraint ${ident(from)} to ${ident(to)}`;
}

function alterColumn(table: string, from: ColumnDef, to: ColumnDef, online = false): string[] {
  const out: string[] = [];
  const alter = () => schema.alterTable(table);
  if (Boolean(from.primary) !== Boolean(to.primary) || Boolean(from.autoincrement) !== Boolean(to.autoincrement)) {
    throw new Error(`alterColumn cannot change the primary key or identity of ${table}.${to.name} on PostgreSQL; write that change with this.sql(...)`);
  }
  // A serial key keeps its sequence: only the declared type underneath changes.
  const declared = (c: ColumnDef) => postgresType({ ...c, autoincrement: false });
  const checkName = enumCheckName(table, to.name);
  const checkChanged = hasCheck(from) !== hasCheck(to) || from.type !== to.type || JSON.stringify(from.items) !== JSON.stringify(to.items);
  const retyped = declared(from) !== declared(to);
  const hadDefault = from.default !== undefined || from.defaultRaw !== undefined || Boolean(from.defaultNow);
  const defaultChanged = JSON.stringify([from.default, from.defaultRaw, from.defaultNow, from.defaultNow && from.length]) !== JSON.stringify([to.default, to.defaultRaw, to.defaultNow, to.defaultNow && to.length]);
  const d = defaultExpression(to, false, 'postgresql');
  // The old default and check are written for the old type (`default false` cannot become an
  // integer): both go before the type changes, the new ones come after it.
  if (hasCheck(from) && (checkChanged || retyped)) out.push(text(alter().dropConstraint(checkName)));
  if (retyped && hadDefault) out.push(text(alter().alterColumn(to.name, (c) => c.dropDefault())));
  if (retyped) {
    out.push(text(alter().alterColumn(to.name, (c) => c.setDataType(sql.raw(declared(to))))) + ` using ${ident(to.name)}::${declared(to)}`);
  }
  if (hasCheck(to) && (checkChanged || retyped)) out.push(to.type === 'array' ? arrayCheck(table, to) : text(alter().addCheckConstraint(checkName, enumCheck(to))));
  if (d && (defaultChanged || (retyped && hadDefault))) out.push(text(alter().alterColumn(to.name, (c) => c.setDefault(d))));
  else if (!d && defaultChanged && !(retyped && hadDefault)) out.push(text(alter().alterColumn(to.name, (c) => c.dropDefault())));
  if (Boolean(from.nullable) !== Boolean(to.nullable)) {
    out.push(...backfill(ident, table, from, to, false, 'postgresql'));
    if (online && !to.nullable) out.push(...notNullOnline(table, to.name));
    else out.push(text(alter().alterColumn(to.name, (c) => (to.nullable ? c.dropNotNull() : c.setNotNull()))));
  }
  if ((from.comment ?? '') !== (to.comment ?? '')) out.push(columnComment(table, to));
  return out;
}

function postgresDialect(identity: boolean): Dialect {
  const options = columnOptions(identity);
  return {
  name: 'postgresql',
  transactionalDdl: true,
  compile(op: Op, before: SchemaSnapshot): string[] {
    switch (op.kind) {
      case 'sql':
        return [op.sql];
      case 'createTable':
        return [text(createTable(schema, op.table, options)), ...afterCreate(op.table)];
      case 'dropTable':
        return [text(schema.dropTable(op.table))];
      case 'renameTable': {
        // The enum checks' names follow the table's, so later changes find them.
        const enums = findTable(before, op.from)!.columns.filter(hasCheck);
        return [
          text(schema.alterTable(op.from).renameTo(op.to)),
          ...enums.map((c) => renameConstraint(op.to, enumCheckName(op.from, c.name), enumCheckName(op.to, c.name))),
        ];
      }
      case 'addColumn': {
        const c = op.column;
        const add = text(schema.alterTable(op.table).addColumn(c.name, sql.raw(options.type(c)), columnModifiers(c, false, options)));
        const check = !hasCheck(c) ? [] : c.type === 'array' ? [arrayCheck(op.table, c)] : [text(schema.alterTable(op.table).addCheckConstraint(enumCheckName(op.table, c.name), enumCheck(c)))];
        return [add, ...check, ...(c.comment ? [columnComment(op.table, c)] : [])];
      }
      case 'dropColumn':
        return [text(schema.alterTable(op.table).dropColumn(op.column))];
      case 'alterColumn': {
        const from = findTable(before, op.table)!.columns.find((c) => c.name === op.column.name)!;
        return alterColumn(op.table, from, op.column, op.online === true);
      }
      case 'renameColumn': {
        const column = findTable(before, op.table)!.columns.find((c) => c.name === op.from)!;
        const rename = text(schema.alterTable(op.table).renameColumn(op.from, op.to));
        return hasCheck(column) ? [rename, renameConstraint(op.table, enumCheckName(op.table, op.from), enumCheckName(op.table, op.to))] : [rename];
      }
      case 'createIndex': {
        const statements = createIndexes({ ...findTable(before, op.table)!, indexes: [op.index] });
        return op.online ? statements.map(concurrently) : statements;
      }
      case 'dropIndex': {
        const index = findTable(before, op.table)?.indexes.find((i) => i.name === op.index);
        if (index?.foreignKey) return [];
        return [op.online ? `drop index concurrently if exists ${ident(op.index)}` : text(schema.dropIndex(op.index))];
      }
      case 'addForeignKey': {
        const fk = op.foreignKey;
        return [text(applyForeignKeyActions(schema.alterTable(op.table).addForeignKeyConstraint(fk.name, fk.columns, fk.referencedTable, fk.referencedColumns), fk)) + notValid(op)];
      }
      case 'validateConstraint':
        return [`alter table ${ident(op.table)} validate constraint ${ident(op.name)}`];
      case 'dropForeignKey':
        return [text(schema.alterTable(op.table).dropConstraint(op.foreignKey))];
      case 'addCheck':
        return [text(schema.alterTable(op.table).addCheckConstraint(op.check.name, sql.raw(op.check.expression))) + notValid(op)];
      case 'dropCheck':
        return [text(schema.alterTable(op.table).dropConstraint(op.check))];
      case 'commentTable':
        return [tableComment(op.table, op.comment)];
    }
  },
};
}

export const postgres = postgresDialect(false);
export const postgresIdentity = postgresDialect(true);
