import type { DialectName } from '../dialect/dialect.ts';
import { canonicalType, normalizePhysical, type PhysicalSchema, type PhysicalTable } from './physical.ts';

export type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Reads the live schema (every table but `exclude`) as a `PhysicalSchema`. */
export async function introspect(query: Query, dialect: DialectName, exclude: string[], schema?: string): Promise<PhysicalSchema> {
  const tables =
    dialect === 'sqlite' ? await sqliteTables(query) : dialect === 'postgresql' ? await postgresTables(query, schema ?? 'public') : await mysqlTables(query, dialect);
  return normalizePhysical({ tables: tables.filter((t) => !exclude.includes(t.name)) }, dialect);
}

const str = (v: unknown) => String(v);

async function sqliteTables(q: Query): Promise<PhysicalTable[]> {
  const names = (await q(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`)).map((r) => str(r.name));
  const out: PhysicalTable[] = [];
  for (const name of names) {
    const cols = await q(`select name, type, "notnull", pk from pragma_table_info(?) order by cid`, [name]);
    const idx = await q(`select name, "unique", origin from pragma_index_list(?)`, [name]);
    const indexes = [];
    for (const i of idx) {
      if (i.origin === 'pk' || str(i.name).startsWith('sqlite_autoindex_')) continue;
      const ic = await q(`select name from pragma_index_info(?) order by seqno`, [i.name]);
      indexes.push({ name: str(i.name), columns: ic.map((c) => str(c.name)), unique: Number(i.unique) === 1 });
    }
    const fkRows = await q(`select id, "table", "from", "to", on_delete from pragma_foreign_key_list(?) order by id, seq`, [name]);
    const fks = new Map<number, PhysicalTable['foreignKeys'][number]>();
    for (const f of fkRows) {
      const fk = fks.get(Number(f.id)) ?? { columns: [], referencedTable: str(f.table), referencedColumns: [], onDelete: str(f.on_delete) };
      fk.columns.push(str(f.from));
      fk.referencedColumns.push(str(f.to));
      fks.set(Number(f.id), fk);
    }
    out.push({
      name,
      columns: cols.map((c) => ({ name: str(c.name), type: canonicalType('sqlite', str(c.type)), nullable: Number(c.notnull) === 0 && Number(c.pk) === 0 })),
      primaryKey: cols.filter((c) => Number(c.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk)).map((c) => str(c.name)),
      indexes,
      foreignKeys: [...fks.values()],
    });
  }
  return out;
}

async function postgresTables(q: Query, schema: string): Promise<PhysicalTable[]> {
  const names = (await q(`select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' order by 1`, [schema])).map((r) => str(r.table_name));
  const out: PhysicalTable[] = [];
  for (const name of names) {
    const cols = await q(
      `select column_name, udt_name, character_maximum_length as len, numeric_precision as p, numeric_scale as s, is_nullable
         from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position`,
      [schema, name],
    );
    const pk = await q(
      `select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = (? || '.' || quote_ident(?))::regclass and i.indisprimary order by array_position(i.indkey, a.attnum)`,
      [quoteIdent(schema), name],
    );
    const idx = await q(
      `select ic.relname as name, i.indisunique as uniq, array_to_json(array(select a.attname from unnest(i.indkey) with ordinality k(n, o)
              join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n order by k.o)) as cols
         from pg_index i join pg_class ic on ic.oid = i.indexrelid
        where i.indrelid = (? || '.' || quote_ident(?))::regclass and not i.indisprimary`,
      [quoteIdent(schema), name],
    );
    const fks = await q(
      `select c.conname as name, ft.relname as ref, c.confdeltype as del,
              array_to_json(array(select a.attname from unnest(c.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.o)) as cols,
              array_to_json(array(select a.attname from unnest(c.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.o)) as refcols
         from pg_constraint c join pg_class ft on ft.oid = c.confrelid
        where c.conrelid = (? || '.' || quote_ident(?))::regclass and c.contype = 'f'`,
      [quoteIdent(schema), name],
    );
    const rules: Record<string, string> = { c: 'cascade', n: 'set null', r: 'restrict', a: 'no action', d: 'set default' };
    out.push({
      name,
      columns: cols.map((c) => {
        const base = str(c.udt_name);
        const type = (base === 'varchar' || base === 'bpchar') && c.len != null ? `${base}(${c.len})` : base === 'numeric' && c.p != null ? `numeric(${c.p},${c.s ?? 0})` : base;
        return { name: str(c.column_name), type: canonicalType('postgresql', type), nullable: c.is_nullable === 'YES' };
      }),
      primaryKey: pk.map((r) => str(r.attname)),
      indexes: idx.map((i) => ({ name: str(i.name), columns: json(i.cols), unique: Boolean(i.uniq) })),
      foreignKeys: fks.map((f) => ({ name: str(f.name), columns: json(f.cols), referencedTable: str(f.ref), referencedColumns: json(f.refcols), onDelete: rules[str(f.del)] })),
    });
  }
  return out;
}

async function mysqlTables(q: Query, dialect: DialectName): Promise<PhysicalTable[]> {
  const names = (await q(`select table_name as name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE' order by 1`)).map((r) => str(r.name));
  const out: PhysicalTable[] = [];
  for (const name of names) {
    const cols = await q(
      `select column_name as name, column_type as type, is_nullable as nullable, column_key as k from information_schema.columns
        where table_schema = database() and table_name = ? order by ordinal_position`,
      [name],
    );
    const stats = await q(
      `select index_name as name, non_unique as nu, column_name as col from information_schema.statistics
        where table_schema = database() and table_name = ? order by index_name, seq_in_index`,
      [name],
    );
    const fkRows = await q(
      `select k.constraint_name as name, k.column_name as col, k.referenced_table_name as ref, k.referenced_column_name as refcol, r.delete_rule as del
         from information_schema.key_column_usage k join information_schema.referential_constraints r
           on r.constraint_schema = k.constraint_schema and r.constraint_name = k.constraint_name
        where k.table_schema = database() and k.table_name = ? and k.referenced_table_name is not null order by k.constraint_name, k.ordinal_position`,
      [name],
    );
    const fks = new Map<string, PhysicalTable['foreignKeys'][number]>();
    for (const f of fkRows) {
      const fk = fks.get(str(f.name)) ?? { name: str(f.name), columns: [], referencedTable: str(f.ref), referencedColumns: [], onDelete: str(f.del) };
      fk.columns.push(str(f.col));
      fk.referencedColumns.push(str(f.refcol));
      fks.set(str(f.name), fk);
    }
    const indexes = new Map<string, PhysicalTable['indexes'][number]>();
    for (const s of stats) {
      // InnoDB adds an index for a foreign key that has none; it bears the constraint's name.
      if (s.name === 'PRIMARY' || fks.has(str(s.name))) continue;
      const i = indexes.get(str(s.name)) ?? { name: str(s.name), columns: [], unique: Number(s.nu) === 0 };
      i.columns.push(str(s.col));
      indexes.set(str(s.name), i);
    }
    out.push({
      name,
      columns: cols.map((c) => ({ name: str(c.name), type: canonicalType(dialect, str(c.type)), nullable: c.nullable === 'YES' })),
      primaryKey: stats.filter((s) => s.name === 'PRIMARY').map((s) => str(s.col)),
      indexes: [...indexes.values()],
      foreignKeys: [...fks.values()],
    });
  }
  return out;
}

function json(v: unknown): string[] {
  return (typeof v === 'string' ? JSON.parse(v) : v) as string[];
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
