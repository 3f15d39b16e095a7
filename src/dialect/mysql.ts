import { sql } from 'kysely';
import type { Op } from '../diff/ops.ts';
import { findTable } from '../schema/apply.ts';
import type { ForeignKeyDef, IndexDef, SchemaSnapshot, TableDef } from '../schema/types.ts';
import { applyForeignKeyActions, backfill, columnModifiers, createTable, schemaBuilder, stringLiteral, text, indexStatements, type ColumnOptions } from './builder.ts';
import type { Dialect, DialectName } from './dialect.ts';
import { orderForMysql } from './order.ts';
import { mysqlType } from './types.ts';

const schema = schemaBuilder('mysql');
const options: ColumnOptions = {
  platform: 'mysql',
  inlineComment: true,
  type: mysqlType,
  autoincrement: (c) => c.autoIncrement(),
  booleanAsInt: true,
  enumCheck: 'none',
  // datetime(n) only accepts a default of the same precision (MySQL error 1067 otherwise).
  rawDefault: (raw, c) => (c.type === 'datetime' && c.length && /^current_timestamp(\(\))?$/i.test(raw.trim()) ? `current_timestamp(${c.length})` : raw),
};

const ident = (n: string) => `\`${n.replace(/`/g, '``')}\``;

const fulltext = (table: string, i: IndexDef) => `alter table ${ident(table)} add fulltext index ${ident(i.name)}(${i.columns.map(ident).join(',')})`;

const createIndexes = (table: TableDef) => indexStatements(schema, table, { foreignKeyIndexes: true, fulltext });

/**
 * Asks for the online form explicitly: the server then refuses a change it could only make
 * by copying the table under a lock, instead of silently doing so.
 */
const ONLINE = ', algorithm=inplace, lock=none';

const tableOptions = (table: TableDef) => ` default character set utf8mb4 engine = InnoDB${table.comment ? ` comment = ${stringLiteral('mysql', table.comment)}` : ''}`;

/**
 * VALIDATE CONSTRAINT for a MariaDB foreign key added with the checks off: a read of the rows
 * (no lock on them) that fails when one references nothing, as the server's own check would.
 * Rows with a NULL in the key are not checked (MATCH SIMPLE). One compound statement.
 */
function orphanCheck(table: string, fk: ForeignKeyDef): string {
  const child = (c: string) => `c.${ident(c)}`;
  const parent = (c: string) => `p.${ident(c)}`;
  const on = fk.columns.map((c, i) => `${child(c)} = ${parent(fk.referencedColumns[i]!)}`).join(' and ');
  const where = [...fk.columns.map((c) => `${child(c)} is not null`), `${parent(fk.referencedColumns[0]!)} is null`].join(' and ');
  const message = `foreign key ${fk.name} on ${table}: rows reference no row of ${fk.referencedTable}`.slice(0, 128);
  return (
    `begin not atomic if exists (select 1 from ${ident(table)} c left join ${ident(fk.referencedTable)} p on ${on} where ${where} limit 1) ` +
    `then signal sqlstate '23000' set message_text = ${stringLiteral('mysql', message)}; end if; end`
  );
}

function mysqlDialect(name: DialectName): Dialect {
  // MariaDB (not MySQL) takes IF [NOT] EXISTS on an index in ALTER TABLE: an online step it
  // makes can then run again after a crash.
  const ifExists = (what: 'exists' | 'not exists') => (name === 'mariadb' ? `if ${what} ` : '');
  return {
    name,
    // Every DDL statement commits implicitly; the runner records progress instead.
    transactionalDdl: false,
    order: orderForMysql,
    compile(op: Op, before: SchemaSnapshot): string[] {
      switch (op.kind) {
        case 'sql':
          return [op.sql];
        case 'createTable':
          return [`${text(createTable(schema, op.table, options))}${tableOptions(op.table)}`, ...createIndexes(op.table)];
        case 'dropTable':
          return [text(schema.dropTable(op.table))];
        case 'renameTable':
          return [text(schema.alterTable(op.from).renameTo(op.to))];
        case 'addColumn':
          return [text(schema.alterTable(op.table).addColumn(op.column.name, sql.raw(mysqlType(op.column)), columnModifiers(op.column, false, options)))];
        case 'dropColumn':
          return [text(schema.alterTable(op.table).dropColumn(op.column))];
        case 'alterColumn': {
          const was = findTable(before, op.table)!.columns.find((x) => x.name === op.column.name)!;
          if (Boolean(was.primary) !== Boolean(op.column.primary)) {
            throw new Error(`alterColumn cannot change the primary key of ${op.table}.${op.column.name} on MySQL/MariaDB; write that change with this.sql(...)`);
          }
          const inline = op.column.primary && findTable(before, op.table)!.columns.filter((c) => c.primary).length === 1;
          // MODIFY restates the whole column, so an omitted attribute is never silently dropped.
          const c = { ...op.column, primary: false };
          let q = text(schema.alterTable(op.table).modifyColumn(c.name, sql.raw(mysqlType(c)), columnModifiers(c, false, options)));
          if (inline && op.column.autoincrement) q += ' auto_increment';
          const from = findTable(before, op.table)!.columns.find((x) => x.name === op.column.name)!;
          // NULL → NOT NULL rebuilds in place with writes going on (MariaDB ≥ 10.3.7, MDEV-14168;
          // MySQL 5.6+); any other change in the same MODIFY that cannot is refused, not copied.
          if (op.online && from.nullable && !op.column.nullable) q += ONLINE;
          return [...backfill(ident, op.table, from, op.column, true, 'mysql'), q];
        }
        case 'renameColumn':
          return [text(schema.alterTable(op.table).renameColumn(op.from, op.to))];
        case 'createIndex': {
          const i = op.index;
          // A first full-text index rebuilds the table and cannot allow writes: left as it is.
          if (!op.online || i.type === 'fulltext') return createIndexes({ ...findTable(before, op.table)!, indexes: [i] });
          return [`alter table ${ident(op.table)} add ${i.unique ? 'unique ' : ''}index ${ifExists('not exists')}${ident(i.name)} (${i.columns.map(ident).join(', ')})${ONLINE}`];
        }
        case 'dropIndex':
          if (op.online) return [`alter table ${ident(op.table)} drop index ${ifExists('exists')}${ident(op.index)}${ONLINE}`];
          return [text(schema.dropIndex(op.index).on(op.table))];
        case 'validateConstraint': {
          const fk = findTable(before, op.table)?.foreignKeys.find((f) => f.name === op.name);
          // A check (and, on MySQL, a key) was checked as it was added: nothing is left to do.
          return name === 'mariadb' && fk ? [orphanCheck(op.table, fk)] : [];
        }
        case 'addForeignKey': {
          const fk = op.foreignKey;
          const add = text(applyForeignKeyActions(schema.alterTable(op.table).addForeignKeyConstraint(fk.name, fk.columns, fk.referencedTable, fk.referencedColumns), fk));
          // MariaDB's NOT VALID: with the checks off for this one statement the key is added in
          // place, without copying the table or blocking writes; validateConstraint checks the rows.
          if (op.validate === 'later' && name === 'mariadb') return [`set statement foreign_key_checks = 0 for ${add}${ONLINE}`];
          return [add];
        }
        case 'addCheck':
          return [text(schema.alterTable(op.table).addCheckConstraint(op.check.name, sql.raw(op.check.expression)))];
        case 'dropCheck':
          return [text(schema.alterTable(op.table).dropConstraint(op.check))];
        case 'commentTable':
          return [`alter table ${ident(op.table)} comment = ${stringLiteral('mysql', op.comment ?? '')}`];
        case 'dropForeignKey':
          return [`alter table \`${op.table.replace(/`/g, '``')}\` drop foreign key \`${op.foreignKey.replace(/`/g, '``')}\``];
      }
    },
  };
}

export const mysql = mysqlDialect('mysql');
export const mariadb = mysqlDialect('mariadb');
