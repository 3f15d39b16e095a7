import type { DialectName } from '../dialect/dialect.ts';
import { mysqlType, postgresType, sqliteType } from '../dialect/types.ts';
import type { SchemaSnapshot } from '../schema/types.ts';

/**
 * A schema as a database stores it: native types, and only what every dialect can report
 * back (SQLite, for one, keeps no foreign key names). Used to check that what a history
 * built on a real database is what the snapshot says it should be.
 */
export interface PhysicalColumn {
  name: string;
  type: string;
  nullable: boolean;
}

export interface PhysicalTable {
  name: string;
  columns: PhysicalColumn[];
  primaryKey: string[];
  indexes: { name: string; columns: string[]; unique: boolean }[];
  foreignKeys: { name?: string; columns: string[]; referencedTable: string; referencedColumns: string[]; onDelete?: string }[];
}

export interface PhysicalSchema {
  tables: PhysicalTable[];
}

/** One spelling per native type, so the server's own spelling and ours compare equal. */
export function canonicalType(dialect: DialectName, type: string): string {
  let t = type.toLowerCase().trim().replace(/\s*,\s*/g, ',').replace(/\s*\(\s*/g, '(').replace(/\s*\)/g, ')');
  if (dialect === 'mysql' || dialect === 'mariadb') {
    t = t.replace(/^integer\b/, 'int').replace(/^numeric\b/, 'decimal');
    // Display widths are noise (MariaDB reports int(10) unsigned); tinyint(1) is the boolean.
    t = t.replace(/^(tinyint|smallint|mediumint|int|bigint)\((\d+)\)/, (_m, base, width) => (base === 'tinyint' && width === '1' ? 'tinyint(1)' : base));
    if (dialect === 'mariadb' && t === 'json') t = 'longtext';
  }
  if (dialect === 'postgresql') {
    const aliases: Record<string, string> = {
      int4: 'integer', int: 'integer', serial: 'integer', int2: 'smallint', int8: 'bigint', bigserial: 'bigint', bool: 'boolean', float4: 'real', float8: 'double precision',
      'timestamp with time zone': 'timestamptz', 'time without time zone': 'time', 'character varying': 'varchar', bpchar: 'char', character: 'char', _text: 'text[]',
    };
    t = t.replace(/^[a-z0-9_ ]+/, (base) => aliases[base.trim()] ?? base.trim());
    // Fractional-second precision is not read back; the type is.
    t = t.replace(/^(timestamptz|time)\(\d+\)$/, '$1');
  }
  return t;
}

const nativeType = { sqlite: sqliteType, postgresql: postgresType, mysql: mysqlType, mariadb: mysqlType };

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The physical schema a dialect should hold for `snapshot`. */
export function expectedPhysical(snapshot: SchemaSnapshot, dialect: DialectName): PhysicalSchema {
  return normalizePhysical(
    {
      tables: snapshot.tables.map((t) => ({
        name: t.name,
        columns: t.columns.map((c) => ({ name: c.name, type: canonicalType(dialect, nativeType[dialect](c)), nullable: Boolean(c.nullable) })),
        primaryKey: t.columns.filter((c) => c.primary).map((c) => c.name),
        indexes: t.indexes
          // PostgreSQL gets no index for a foreign key (as MikroORM makes it), and its full-text
          // index is on an expression, which reads back without columns.
          .filter((i) => !(dialect === 'postgresql' && i.foreignKey))
          .map((i) => ({ name: i.name, columns: dialect === 'postgresql' && i.type === 'fulltext' ? [] : i.columns, unique: Boolean(i.unique) })),
        foreignKeys: t.foreignKeys.map((f) => ({
          name: f.name,
          columns: f.columns,
          referencedTable: f.referencedTable,
          referencedColumns: f.referencedColumns,
          onDelete: f.onDelete,
        })),
      })),
    },
    dialect,
  );
}

export function normalizePhysical(s: PhysicalSchema, dialect: DialectName): PhysicalSchema {
  return {
    tables: s.tables
      .map((t) => ({
        name: t.name,
        columns: [...t.columns].sort(byName),
        primaryKey: t.primaryKey,
        indexes: [...t.indexes].sort(byName),
        foreignKeys: t.foreignKeys
          .map((f) => {
            const onDelete = f.onDelete && !/^(no action|restrict)$/i.test(f.onDelete) ? f.onDelete.toLowerCase() : undefined;
            // SQLite does not keep constraint names.
            const name = dialect === 'sqlite' ? undefined : f.name;
            return { ...(name ? { name } : {}), columns: f.columns, referencedTable: f.referencedTable, referencedColumns: f.referencedColumns, ...(onDelete ? { onDelete } : {}) };
          })
          .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
      }))
      .sort(byName),
  };
}
