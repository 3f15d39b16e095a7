import {
  DummyDriver,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Expression,
  type OnModifyForeignAction,
} from 'kysely';
import { fitIdentifier, primaryKeyName } from '../schema/naming.ts';
import type { ColumnDef, ForeignKeyDef, IndexDef, TableDef } from '../schema/types.ts';
import { currentTimestamp, stringLiteral } from './types.ts';

export { stringLiteral };

/**
 * Kysely's schema builder, compile-only: it quotes identifiers and literals correctly for
 * each dialect, and tidemark never writes a query string by concatenation where Kysely can
 * build it. The DummyDriver means no connection is ever opened from here.
 */
export type Flavor = 'sqlite' | 'postgres' | 'mysql';

export function schemaBuilder(flavor: Flavor) {
  const dialects = {
    sqlite: { adapter: SqliteAdapter, compiler: SqliteQueryCompiler, introspector: SqliteIntrospector },
    postgres: { adapter: PostgresAdapter, compiler: PostgresQueryCompiler, introspector: PostgresIntrospector },
    mysql: { adapter: MysqlAdapter, compiler: MysqlQueryCompiler, introspector: MysqlIntrospector },
  } as const;
  const d = dialects[flavor];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({
    dialect: {
      createAdapter: () => new d.adapter(),
      createDriver: () => new DummyDriver(),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      createIntrospector: (k: Kysely<any>) => new d.introspector(k),
      createQueryCompiler: () => new d.compiler(),
    },
  });
  return db.schema;
}

export type SchemaModule = ReturnType<typeof schemaBuilder>;

/**
 * One `create [unique] index` statement per index of `table`. A foreign key's implicit index
 * is left out where MikroORM's platform creates none (PostgreSQL); a full-text index is
 * spelled by the dialect, else it is a plain index (SQLite).
 */
export function indexStatements(schema: SchemaModule, table: TableDef, opts: { foreignKeyIndexes: boolean; fulltext?: (table: string, index: IndexDef) => string }): string[] {
  return table.indexes.flatMap((i) => {
    if (i.foreignKey && !opts.foreignKeyIndexes) return [];
    if (i.type === 'fulltext' && opts.fulltext) return [opts.fulltext(table.name, i)];
    let q = schema.createIndex(i.name).on(table.name).columns(i.columns);
    if (i.unique) q = q.unique();
    return [q.compile().sql];
  });
}

export const text = (q: { compile(): { sql: string } }) => q.compile().sql;

export interface TypeMapper {
  (column: ColumnDef): string;
}

export type Platform = 'sqlite' | 'postgresql' | 'mysql';

/** Literal default → SQL literal; raw defaults go through untouched; "now" as the platform writes it. */
export function defaultExpression(column: ColumnDef, booleanAsInt: boolean, platform?: Platform): Expression<unknown> | undefined {
  if (column.defaultNow && platform) return sql.raw(currentTimestamp(platform, column.length));
  if (column.defaultRaw !== undefined) return sql.raw(column.defaultRaw);
  const v = column.default;
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return booleanAsInt ? sql.lit(v ? 1 : 0) : sql.lit(v);
  if (typeof v === 'number') return sql.lit(v);
  return sql.lit(v);
}

/** A column's default as SQL text, for statements Kysely does not build (copies, backfills). */
export function defaultSql(c: ColumnDef, booleanAsInt: boolean, platform?: Platform): string {
  if (c.defaultNow && platform) return currentTimestamp(platform, c.length);
  if (c.defaultRaw !== undefined) return c.defaultRaw;
  if (typeof c.default === 'boolean') return booleanAsInt ? (c.default ? '1' : '0') : String(c.default);
  if (typeof c.default === 'number') return String(c.default);
  return stringLiteral(platform ?? 'sqlite', String(c.default));
}

/**
 * When a nullable column becomes NOT NULL and has a default, rows that hold NULL get the
 * default first, so the change does not fail on them (SQLite does the same during its copy).
 */
export function backfill(quote: (n: string) => string, table: string, from: ColumnDef, to: ColumnDef, booleanAsInt: boolean, platform?: Platform): string[] {
  if (!from.nullable || to.nullable || (to.default === undefined && to.defaultRaw === undefined && !to.defaultNow)) return [];
  return [`update ${quote(table)} set ${quote(to.name)} = ${defaultSql(to, booleanAsInt, platform)} where ${quote(to.name)} is null`];
}

/** The name of an enum column's check constraint: deterministic, within the identifier limit. */
export function enumCheckName(table: string, column: string): string {
  return fitIdentifier(`${table}_${column}_check`);
}

export function enumCheck(column: ColumnDef): Expression<unknown> {
  const items = (column.items ?? []).map((i) => sql.lit(i));
  return sql`${sql.ref(column.name)} in (${sql.join(items)})`;
}

export function applyForeignKeyActions<T extends { onDelete(a: OnModifyForeignAction): T; onUpdate(a: OnModifyForeignAction): T }>(
  b: T,
  fk: ForeignKeyDef,
): T {
  let out = b;
  if (fk.onDelete) out = out.onDelete(fk.onDelete);
  if (fk.onUpdate) out = out.onUpdate(fk.onUpdate);
  return out;
}

export interface ColumnOptions {
  platform: Platform;
  type: TypeMapper;
  /** How a single-column autoincrement primary key is spelled. */
  autoincrement: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
  booleanAsInt: boolean;
  /**
   * How an enum's allowed values are enforced without a native enum type: `inline` on the
   * column (SQLite, whose rebuilds carry it), `named` as a table constraint whose name follows
   * renames (PostgreSQL), `none` where the type itself is the enum (MySQL).
   */
  enumCheck: 'inline' | 'named' | 'none';
  /** Rewrites a raw default for this dialect (e.g. MySQL's timestamp precision). */
  rawDefault?: (raw: string, column: ColumnDef) => string;
  /** Column comments written on the column itself (MySQL); elsewhere they are separate statements or none. */
  inlineComment?: boolean;
}

/** A string literal for SQLite and PostgreSQL, where a backslash is an ordinary character. */
export const sqlString = (s: string) => stringLiteral('postgresql', s);

export function columnModifiers(column: ColumnDef, inlinePrimary: boolean, opts: ColumnOptions) {
  return (c: ColumnDefinitionBuilder) => {
    let b = c;
    if (inlinePrimary) b = b.primaryKey();
    if (inlinePrimary && column.autoincrement) b = opts.autoincrement(b);
    if (!column.nullable) b = b.notNull();
    const d = defaultExpression(opts.rawDefault && column.defaultRaw !== undefined ? { ...column, defaultRaw: opts.rawDefault(column.defaultRaw, column) } : column, opts.booleanAsInt, opts.platform);
    if (d) b = b.defaultTo(d);
    if (column.type === 'enum' && opts.enumCheck === 'inline' && column.items?.length) b = b.check(enumCheck(column));
    if (column.comment && opts.inlineComment) b = b.modifyEnd(sql.raw(`comment ${stringLiteral(opts.platform, column.comment)}`));
    return b;
  };
}

/** `create table` with columns, primary key, foreign keys; indexes are separate statements. */
export function createTable(schema: SchemaModule, table: TableDef, opts: ColumnOptions, name = table.name) {
  const pk = table.columns.filter((c) => c.primary);
  const inline = pk.length === 1;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let q: CreateTableBuilder<any, any> = schema.createTable(name);
  for (const column of table.columns) {
    q = q.addColumn(column.name, sql.raw(opts.type(column)), columnModifiers(column, inline && column.primary === true, opts));
  }
  if (pk.length > 1) q = q.addPrimaryKeyConstraint(primaryKeyName(table.name), pk.map((c) => c.name) as never);
  if (opts.enumCheck === 'named') {
    for (const c of table.columns) if (c.type === 'enum' && c.items?.length) q = q.addCheckConstraint(enumCheckName(table.name, c.name), enumCheck(c));
  }
  for (const c of table.checks ?? []) q = q.addCheckConstraint(c.name, sql.raw(c.expression));
  for (const fk of table.foreignKeys) {
    q = q.addForeignKeyConstraint(fk.name, fk.columns as never, fk.referencedTable, fk.referencedColumns, (cb) => applyForeignKeyActions(cb, fk));
  }
  return q;
}
