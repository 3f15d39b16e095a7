import type { ColumnDef } from '../schema/types.ts';

/**
 * Logical column type → the native type MikroORM 7's platform for each dialect declares for
 * the same property, so a database tidemark builds is one MikroORM's schema diff agrees with.
 * The oracle suite (test/db/oracle.test.ts) holds these tables to MikroORM's own output.
 */
export function sqliteType(c: ColumnDef): string {
  if (c.columnType) return c.columnType;
  switch (c.type) {
    case 'string':
    case 'char':
    case 'text':
    case 'uuid':
    case 'enum':
    case 'array':
      return 'text';
    case 'json':
      return 'json';
    case 'integer':
    case 'tinyint':
    case 'smallint':
    case 'boolean':
      return 'integer';
    // An autoincrement key must be spelled `integer` to be SQLite's rowid.
    case 'bigint':
      return c.autoincrement ? 'integer' : 'bigint';
    case 'float':
      return 'real';
    case 'double':
      return 'double';
    case 'decimal':
      return `numeric(${c.precision ?? 10}, ${c.scale ?? 0})`;
    case 'datetime':
      return 'datetime';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'blob':
      return 'blob';
  }
}

export function postgresType(c: ColumnDef): string {
  if (c.columnType) return c.columnType;
  switch (c.type) {
    case 'string':
      return `varchar(${c.length ?? 255})`;
    case 'char':
      return `char(${c.length ?? 1})`;
    case 'text':
    case 'enum':
      return 'text';
    case 'array':
      return 'text[]';
    case 'uuid':
      return 'uuid';
    case 'json':
      return 'jsonb';
    case 'integer':
      return c.autoincrement ? 'serial' : 'int';
    case 'tinyint':
    case 'smallint':
      return 'smallint';
    case 'bigint':
      return c.autoincrement ? 'bigserial' : 'bigint';
    case 'boolean':
      return 'boolean';
    case 'float':
      return 'real';
    case 'double':
      return 'double precision';
    case 'decimal':
      return `numeric(${c.precision ?? 10}, ${c.scale ?? 0})`;
    case 'datetime':
      return c.length ? `timestamptz(${c.length})` : 'timestamptz';
    case 'date':
      return 'date';
    case 'time':
      return `time(${c.length ?? 0})`;
    case 'blob':
      return 'bytea';
  }
}

/**
 * A string literal as `platform` reads it: the one quoting path for every literal tidemark
 * writes by hand (defaults in copies and backfills, comments, enum items). MySQL/MariaDB treat
 * a backslash as an escape (unless NO_BACKSLASH_ESCAPES), so it is doubled there, as Kysely's
 * MySQL compiler does for the literals it builds.
 */
export function stringLiteral(platform: 'sqlite' | 'postgresql' | 'mysql', s: string): string {
  const body = platform === 'mysql' ? s.replace(/\\/g, '\\\\').replace(/'/g, "''") : s.replace(/'/g, "''");
  return `'${body}'`;
}


export function mysqlType(c: ColumnDef): string {
  if (c.columnType) return c.columnType;
  const unsigned = c.unsigned ? ' unsigned' : '';
  switch (c.type) {
    case 'string':
      return `varchar(${c.length ?? 255})`;
    case 'char':
      return `char(${c.length ?? 1})`;
    case 'text':
    case 'array':
      return 'text';
    case 'enum':
      return `enum(${(c.items ?? []).map((s) => stringLiteral('mysql', s)).join(', ')})`;
    case 'uuid':
      return 'varchar(36)';
    case 'json':
      return 'json';
    case 'integer':
      return `int${unsigned}`;
    case 'tinyint':
      return `tinyint${unsigned}`;
    case 'smallint':
      return `smallint${unsigned}`;
    case 'bigint':
      return `bigint${unsigned}`;
    case 'boolean':
      return 'tinyint(1)';
    case 'float':
      return `float${unsigned}`;
    case 'double':
      return `double${unsigned}`;
    case 'decimal':
      return `decimal(${c.precision ?? 10}, ${c.scale ?? 0})${unsigned}`;
    case 'datetime':
      return c.length ? `datetime(${c.length})` : 'datetime';
    case 'date':
      return 'date';
    case 'time':
      return c.length ? `time(${c.length})` : 'time';
    case 'blob':
      return 'blob';
  }
}

/** "Now" as each platform's MikroORM writes it for a column of `length` fractional digits. */
export function currentTimestamp(dialect: 'sqlite' | 'postgresql' | 'mysql', length: number | undefined): string {
  if (dialect === 'sqlite') return "(strftime('%s', 'now') * 1000)";
  return length ? `current_timestamp(${length})` : 'current_timestamp';
}
