import { sql } from 'kysely';
import type { Op } from '../diff/ops.ts';
import { applyOp, findTable } from '../schema/apply.ts';
import type { ColumnDef, SchemaSnapshot, TableDef } from '../schema/types.ts';
import { columnModifiers, createTable, defaultExpression, defaultSql, schemaBuilder, text, indexStatements, type ColumnOptions } from './builder.ts';
import type { Dialect } from './dialect.ts';
import { sqliteType } from './types.ts';

const schema = schemaBuilder('sqlite');
// Boolean defaults as MikroORM writes them on SQLite (`default false`): stored as written, compared as written.
const options: ColumnOptions = { platform: 'sqlite', type: sqliteType, autoincrement: (c) => c.autoIncrement(), booleanAsInt: false, enumCheck: 'inline' };

/** Prefix of the table a rebuild copies into; never a user table. */
export const REBUILD_PREFIX = '__tidemark_new_';

const createIndexes = (table: TableDef) => indexStatements(schema, table, { foreignKeyIndexes: true });

/** `create table`, with the table's comment where MikroORM keeps it on SQLite: in the statement SQLite stores. */
function createTableSql(table: TableDef, name = table.name): string {
  const q = text(createTable(schema, table, options, name));
  return table.comment ? `${q} /* ${table.comment.replace(/\*\//g, '* /')} */` : q;
}

/**
 * SQLite cannot alter a column or add/drop a foreign key in place. The documented procedure
 * is to create the new table, copy the rows, drop the old one and rename. It is only safe
 * with foreign keys off, which SQLite ignores inside a transaction: the runner turns them off
 * before it begins and runs `pragma foreign_key_check` before it commits.
 */
function rebuild(before: TableDef, after: TableDef, sourceOf: (c: ColumnDef) => string | undefined): string[] {
  const temp = `${REBUILD_PREFIX}${after.name}`;
  const targets: string[] = [];
  const sources: string[] = [];
  for (const c of after.columns) {
    const from = sourceOf(c);
    if (from === undefined || !before.columns.some((b) => b.name === from)) continue;
    targets.push(c.name);
    const d = !c.nullable ? defaultExpression(c, true, 'sqlite') : undefined;
    // Rows that were NULL get the new default instead of failing the copy.
    sources.push(d ? `coalesce(${ident(from)}, ${defaultSql(c, true, 'sqlite')})` : ident(from));
  }
  // Dropping the old table drops its AUTOINCREMENT counter: carry it over, so ids of deleted
  // rows are not handed out again.
  const counter = after.columns.some((c) => c.primary && c.autoincrement) && before.columns.some((c) => c.primary && c.autoincrement)
    ? [
        `delete from sqlite_sequence where name = ${lit(temp)}`,
        `insert into sqlite_sequence (name, seq) select ${lit(temp)}, seq from sqlite_sequence where name = ${lit(before.name)}`,
      ]
    : [];
  return [
    createTableSql(after, temp),
    `insert into ${ident(temp)} (${targets.map(ident).join(', ')}) select ${sources.join(', ')} from ${ident(before.name)}`,
    ...counter,
    `drop table ${ident(before.name)}`,
    // Views that select from the table would make the rename fail ("error in view v: no such
    // table"): SQLite >= 3.26 re-parses every view as it renames. The legacy rename leaves
    // their stored SQL as written, which names the table as it is called again afterwards.
    'pragma legacy_alter_table = on',
    `alter table ${ident(temp)} rename to ${ident(after.name)}`,
    'pragma legacy_alter_table = off',
    ...createIndexes(after),
    // A view the rebuild broke (it selects a dropped column) fails here, inside the
    // migration's transaction, instead of at its first query: a rename re-parses every view.
    `create table ${ident(VIEW_CHECK)} (x)`,
    `alter table ${ident(VIEW_CHECK)} rename to ${ident(`${VIEW_CHECK}_done`)}`,
    `drop table ${ident(`${VIEW_CHECK}_done`)}`,
  ];
}

/** A scratch table whose rename makes SQLite re-check every view after a rebuild. */
const VIEW_CHECK = '__tidemark_view_check';

function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function needsRebuildForAdd(c: ColumnDef): boolean {
  // ALTER TABLE ADD COLUMN refuses these (SQLite docs, "ALTER TABLE ADD COLUMN").
  return Boolean(c.primary || (!c.nullable && c.default === undefined && c.defaultRaw === undefined) || (c.defaultRaw && /\(|current_/i.test(c.defaultRaw)));
}

/**
 * The table `op` makes SQLite rebuild, if any. The compiler and the check that runs before a
 * migration (preconditions.ts) both ask this, so they cannot disagree.
 */
export function sqliteRebuilds(op: Op, before: SchemaSnapshot): string | undefined {
  switch (op.kind) {
    case 'alterColumn':
    case 'addForeignKey':
    case 'dropForeignKey':
      return op.table;
    case 'addColumn':
      return needsRebuildForAdd(op.column) ? op.table : undefined;
    case 'dropColumn': {
      const c = findTable(before, op.table)?.columns.find((x) => x.name === op.column);
      return c?.primary || c?.type === 'enum' ? op.table : undefined;
    }
    default:
      return undefined;
  }
}

export const sqlite: Dialect = {
  name: 'sqlite',
  transactionalDdl: true,
  compile(op: Op, before: SchemaSnapshot): string[] {
    const tableOf = (name: string) => findTable(before, name)!;
    const sameColumns = (c: ColumnDef) => c.name;
    const afterOf = (name: string) => findTable(applyOp(before, op), name)!;
    switch (op.kind) {
      case 'sql':
        return [op.sql];
      case 'createTable':
        return [createTableSql(op.table), ...createIndexes(op.table)];
      case 'dropTable':
        return [text(schema.dropTable(op.table))];
      case 'renameTable':
        return [text(schema.alterTable(op.from).renameTo(op.to))];
      case 'addColumn':
        if (sqliteRebuilds(op, before)) return rebuild(tableOf(op.table), afterOf(op.table), sameColumns);
        return [text(schema.alterTable(op.table).addColumn(op.column.name, sql.raw(sqliteType(op.column)), columnModifiers(op.column, false, options)))];
      case 'dropColumn':
        if (sqliteRebuilds(op, before)) return rebuild(tableOf(op.table), afterOf(op.table), sameColumns);
        return [text(schema.alterTable(op.table).dropColumn(op.column))];
      // SQLite keeps a table's comment in the statement that created it.
      case 'addCheck':
      case 'dropCheck':
      case 'commentTable':
      case 'alterColumn':
      case 'addForeignKey':
      case 'dropForeignKey':
        return rebuild(tableOf(op.table), afterOf(op.table), sameColumns);
      case 'renameColumn':
        return [text(schema.alterTable(op.table).renameColumn(op.from, op.to))];
      case 'createIndex':
        return createIndexes({ ...tableOf(op.table), indexes: [op.index] });
      case 'dropIndex':
        return [text(schema.dropIndex(op.index))];
      // A constraint is part of the table SQLite rebuilt, checked then; online forms are the plain ones here.
      case 'validateConstraint':
        return [];
    }
  },
};
