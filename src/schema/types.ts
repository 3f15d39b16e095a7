/**
 * tidemark's own picture of a database schema: plain, dialect-neutral, JSON-safe data.
 * Tables are sorted by name; columns keep their declared order (it is the order a
 * `create table` shows them in); indexes and foreign keys are sorted by name.
 */

/** Logical column types; each dialect maps them to its own native type at run time. */
export type ColumnType =
  | 'string'
  /** Fixed length (`char(n)`). */
  | 'char'
  | 'text'
  | 'integer'
  /** MikroORM's `tinyint`, also what it stores a numeric enum in: smallint on PostgreSQL. */
  | 'tinyint'
  | 'smallint'
  | 'bigint'
  | 'float'
  | 'double'
  | 'decimal'
  | 'boolean'
  | 'datetime'
  | 'date'
  | 'time'
  | 'json'
  | 'uuid'
  | 'enum'
  /** A list: `text[]` on PostgreSQL, text elsewhere (MikroORM's ArrayType); with `items`, an enum array. */
  | 'array'
  | 'blob';

export const COLUMN_TYPES: readonly ColumnType[] = [
  'string', 'char', 'text', 'integer', 'tinyint', 'smallint', 'bigint', 'float', 'double', 'decimal',
  'boolean', 'datetime', 'date', 'time', 'json', 'uuid', 'enum', 'array', 'blob',
];

/** A literal default value; `defaultRaw` carries an SQL expression instead. */
export type DefaultValue = string | number | boolean;

export type ReferentialAction = 'cascade' | 'set null' | 'restrict' | 'no action' | 'set default';

/** What a migration file says about one column (everything but its name). */
export interface ColumnSpec {
  type: ColumnType;
  nullable?: boolean;
  /** Character length for `string` and `char`; fractional-second digits for `datetime` and `time`. */
  length?: number;
  /** Precision and scale for `decimal`. */
  precision?: number;
  scale?: number;
  /** Allowed values for `enum` (and an enum `array`). */
  items?: string[];
  primary?: boolean;
  autoincrement?: boolean;
  /** Unsigned integer (MySQL/MariaDB; MikroORM makes numeric keys and the columns pointing at them unsigned). */
  unsigned?: boolean;
  /** The current time as each dialect's MikroORM platform writes it (a `version` date's default). */
  defaultNow?: boolean;
  comment?: string;
  /**
   * The SQL type the entity wrote (`columnType: 'varchar(40)'`), declared verbatim on every
   * dialect as MikroORM does; `type` says what it is. Only spellings all three dialects accept.
   */
  columnType?: string;
  default?: DefaultValue;
  /** An SQL expression used verbatim as the default, e.g. `current_timestamp`. */
  defaultRaw?: string;
}

export interface ColumnDef extends ColumnSpec {
  name: string;
}

export interface IndexDef {
  name: string;
  columns: string[];
  unique?: boolean;
  /** A full-text index: `gin(to_tsvector(...))` on PostgreSQL, `FULLTEXT` on MySQL/MariaDB, plain on SQLite. */
  type?: 'fulltext';
  /**
   * The index MikroORM adds to a foreign key's columns where its platform indexes foreign keys
   * (SQLite, MySQL, MariaDB); PostgreSQL gets none, as MikroORM creates none there.
   */
  foreignKey?: boolean;
}

export interface ForeignKeyDef {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete?: ReferentialAction;
  onUpdate?: ReferentialAction;
}

/** A check constraint the entity declares (`@Check`); its expression is SQL, used as written. */
export interface CheckDef {
  name: string;
  expression: string;
}

export interface TableDef {
  name: string;
  columns: ColumnDef[];
  indexes: IndexDef[];
  foreignKeys: ForeignKeyDef[];
  /** Sorted by name; absent when the table has none. */
  checks?: CheckDef[];
  comment?: string;
}

export const SNAPSHOT_FORMAT = 1;

export interface SchemaSnapshot {
  /** Format version of this file; bumped when the shape changes. */
  format: typeof SNAPSHOT_FORMAT;
  /** The migration this snapshot is the schema after (null before the first one). */
  head: string | null;
  tables: TableDef[];
  /**
   * Stored snapshots only: a hash over the migration files it was computed from and its own
   * content. While it holds, the snapshot is what replaying those files gives.
   */
  seal?: string;
}

export function emptySchema(): SchemaSnapshot {
  return { format: SNAPSHOT_FORMAT, head: null, tables: [] };
}

export function primaryKeyOf(table: TableDef): string[] {
  return table.columns.filter((c) => c.primary).map((c) => c.name);
}
