import type { ColumnDef } from '../schema/types.ts';

/** Logical column type → native type, per dialect. */
export function sqliteType(c: ColumnDef): string {
  switch (c.type) {
    case 'string':
    case 'text':
    case 'uuid':
    case 'enum':
    case 'json':
      return 'text';
    case 'integer':
    case 'smallint':
    case 'bigint':
    case 'boolean':
      return 'integer';
    case 'float':
    case 'double':
      return 'real';
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
  switch (c.type) {
    case 'string':
      return `varchar(${c.length ?? 255})`;
    case 'text':
    case 'enum':
      return 'text';
    case 'uuid':
      return 'uuid';
    case 'json':
      return 'jsonb';
    case 'integer':
      return 'integer';
    case 'smallint':
      return 'smallint';
    case 'bigint':
      return 'bigint';
    case 'boolean':
      return 'boolean';
    case 'float':
      return 'real';
    case 'double':
      return 'double precision';
    case 'decimal':
      return `numeric(${c.precision ?? 10}, ${c.scale ?? 0})`;
    case 'datetime':
      return 'timestamptz';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'blob':
      return 'bytea';
  }
}

const mysqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

export function mysqlType(c: ColumnDef): string {
  switch (c.type) {
    case 'string':
      return `varchar(${c.length ?? 255})`;
    case 'text':
      return 'text';
    case 'enum':
      return `enum(${(c.items ?? []).map(mysqlString).join(', ')})`;
    case 'uuid':
      return 'char(36)';
    case 'json':
      return 'json';
    case 'integer':
      return 'int';
    case 'smallint':
      return 'smallint';
    case 'bigint':
      return 'bigint';
    case 'boolean':
      return 'tinyint(1)';
    case 'float':
      return 'float';
    case 'double':
      return 'double';
    case 'decimal':
      return `decimal(${c.precision ?? 10}, ${c.scale ?? 0})`;
    case 'datetime':
      return 'datetime(3)';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'blob':
      return 'longblob';
  }
}
