import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../../src/dialect/dialect.ts';
import { introspect, type Query } from '../../src/introspect/introspect.ts';
import { canonicalType, normalizePhysical, type PhysicalSchema, type PhysicalTable } from '../../src/introspect/physical.ts';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import { ROOT, TestProject } from '../e2e/project.ts';
import { freshDatabase, unavailable, type ServerKind } from './servers.ts';

/**
 * `introspect()` reads the whole schema in a fixed number of queries. Its output must be the
 * one the former reader (a few queries per table, kept below as the reference) gave, on a
 * schema tidemark built (the oracle's shop fixture) plus hand-made tables with what entities
 * do not make: multi-column foreign keys in another column order, expression and mixed
 * indexes, a partial index, a table without a primary key; on PostgreSQL also a table with no
 * columns, a view, a partitioned table, and a second schema with an awkward name that holds a
 * table of the same name as one in `public`.
 */

// ---- Reference: src/introspect/introspect.ts as it was before the whole-schema queries. ----

async function referenceIntrospect(query: Query, dialect: DialectName, exclude: string[], schema?: string): Promise<PhysicalSchema> {
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

// ---- The hand-made part of the schema, per dialect. ----

const ODD_SCHEMA = 'Odd "Schema" x';
const odd = `"${ODD_SCHEMA.replace(/"/g, '""')}"`;

const HAND_MADE: Record<DialectName, string[]> = {
  sqlite: [
    'create table parent_pair (a integer not null, b varchar(10) not null, label text, primary key (b, a))',
    'create table child_pair (id integer primary key, pa integer, pb varchar(10), note text, foreign key (pb, pa) references parent_pair (b, a) on delete set null)',
    'create index child_note_lower on child_pair (lower(note))',
    'create index child_mixed on child_pair (pb, lower(note), pa)',
    'create unique index child_partial on child_pair (pa) where pa > 0',
    'create table loose (x int, y text unique)',
    'create table no_rowid (k text primary key, v blob) without rowid',
    'create view v_child as select * from child_pair',
  ],
  postgresql: [
    'create table parent_pair (a integer not null, b varchar(10) not null, label char(3), amount numeric(8,3), primary key (b, a))',
    'create table child_pair (id serial primary key, pa integer, pb varchar(10), note text, constraint child_pair_fk foreign key (pb, pa) references parent_pair (b, a) on delete set null)',
    'create index child_note_lower on child_pair (lower(note))',
    'create index child_mixed on child_pair (pb, lower(note)) include (pa)',
    'create unique index child_partial on child_pair (pa) where pa > 0',
    'create table loose (x int, y text unique)',
    // Domains read back as their base type (one level down), with its length or precision.
    'create domain short_code as varchar(20) not null',
    'create domain money2 as numeric(6,2)',
    'create domain money3 as money2',
    'create table typed (a short_code, b money2, c money3, d numeric, e varchar, f char, g bit(3), h text[], gone int, i numeric(5,-2), j timestamptz(3))',
    'alter table typed drop column gone',
    'create table bare ()',
    'create view v_child as select * from child_pair',
    'create table measure (id int, at date, primary key (id, at)) partition by range (at)',
    "create table measure_2026 partition of measure for values from ('2026-01-01') to ('2027-01-01')",
    `create schema ${odd}`,
    `create table ${odd}.orders (id integer primary key, code varchar(5) unique, other_id integer references ${odd}.orders (id) on delete cascade)`,
    `create table ${odd}."Weird ""T""" (k bigint primary key, o integer references ${odd}.orders (id))`,
    `create index "odd ""idx""" on ${odd}."Weird ""T""" (o, k)`,
  ],
  mariadb: [
    'create table parent_pair (a int not null, b varchar(10) not null, label char(3), amount decimal(8,3), primary key (b, a))',
    'create table child_pair (id int auto_increment primary key, pa int, pb varchar(10), note text, qty int unsigned, constraint child_pair_fk foreign key (pb, pa) references parent_pair (b, a) on delete set null)',
    'create index child_mixed on child_pair (note(20), pa)',
    'create unique index child_pa_qty on child_pair (pa, qty)',
    'create table loose (x int, y varchar(20) unique)',
    'create view v_child as select * from child_pair',
  ],
  mysql: [],
};

/** What the hand-made tables read back as, written out by hand. */
function expectedHandMade(dialect: DialectName): Record<string, Partial<PhysicalTable>> {
  const named = dialect !== 'sqlite';
  const fk = { ...(named ? { name: 'child_pair_fk' } : {}), columns: ['pb', 'pa'], referencedTable: 'parent_pair', referencedColumns: ['b', 'a'], onDelete: 'set null' };
  if (dialect === 'sqlite') {
    return {
      parent_pair: { primaryKey: ['b', 'a'], indexes: [] },
      child_pair: {
        primaryKey: ['id'],
        foreignKeys: [fk],
        indexes: [
          { name: 'child_mixed', columns: ['pb', 'null', 'pa'], unique: false },
          { name: 'child_note_lower', columns: ['null'], unique: false },
          { name: 'child_partial', columns: ['pa'], unique: true },
        ],
      },
      loose: { primaryKey: [], indexes: [], columns: [{ name: 'x', type: 'int', nullable: true }, { name: 'y', type: 'text', nullable: true }] },
      no_rowid: { primaryKey: ['k'], indexes: [] },
    };
  }
  if (dialect === 'postgresql') {
    return {
      parent_pair: {
        primaryKey: ['b', 'a'],
        columns: [
          { name: 'a', type: 'integer', nullable: false },
          { name: 'amount', type: 'numeric(8,3)', nullable: true },
          { name: 'b', type: 'varchar(10)', nullable: false },
          { name: 'label', type: 'char(3)', nullable: true },
        ],
      },
      child_pair: {
        primaryKey: ['id'],
        foreignKeys: [fk],
        indexes: [
          { name: 'child_mixed', columns: ['pb', 'pa'], unique: false },
          { name: 'child_note_lower', columns: [], unique: false },
          { name: 'child_partial', columns: ['pa'], unique: true },
        ],
      },
      loose: { primaryKey: [], indexes: [{ name: 'loose_y_key', columns: ['y'], unique: true }] },
      typed: {
        columns: [
          { name: 'a', type: 'varchar(20)', nullable: false },
          { name: 'b', type: 'numeric(6,2)', nullable: true },
          { name: 'c', type: 'money2', nullable: true },
          { name: 'd', type: 'numeric', nullable: true },
          { name: 'e', type: 'varchar', nullable: true },
          { name: 'f', type: 'char(1)', nullable: true },
          { name: 'g', type: 'bit', nullable: true },
          { name: 'h', type: 'text[]', nullable: true },
          // What information_schema.columns reports for a negative scale, kept as it was.
          { name: 'i', type: 'numeric(5,2046)', nullable: true },
          { name: 'j', type: 'timestamptz', nullable: true },
        ],
      },
      bare: { columns: [], primaryKey: [], indexes: [], foreignKeys: [] },
      measure: { primaryKey: ['id', 'at'] },
      measure_2026: { primaryKey: ['id', 'at'] },
    };
  }
  return {
    parent_pair: { primaryKey: ['b', 'a'], indexes: [] },
    child_pair: {
      primaryKey: ['id'],
      foreignKeys: [fk],
      // child_pair_fk's own index is InnoDB's, not listed.
      indexes: [
        { name: 'child_mixed', columns: ['note', 'pa'], unique: false },
        { name: 'child_pa_qty', columns: ['pa', 'qty'], unique: true },
      ],
    },
    loose: { primaryKey: [], indexes: [{ name: 'y', columns: ['y'], unique: true }] },
  };
}

const targets: { name: DialectName; server?: ServerKind }[] = [{ name: 'sqlite' }, { name: 'postgresql', server: 'postgresql' }, { name: 'mariadb', server: 'mariadb' }];

/** Queries per introspect() call, whatever the number of tables. */
const QUERIES: Record<DialectName, number> = { sqlite: 4, postgresql: 4, mariadb: 4, mysql: 4 };

for (const target of targets) {
  const skip = target.server ? await unavailable(target.server) : undefined;
  describe.skipIf(Boolean(skip))(`introspect on ${target.name}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    it('reads what the per-table reader read, in a fixed number of queries', async () => {
      const p = new TestProject();
      cleanup.push(() => p.dispose());
      cpSync(join(ROOT, 'test/fixtures/oracle/shop'), join(p.dir, 'entities'), { recursive: true });
      p.ok(['gen-migration', '-m', 'shop'], { TIDEMARK_NOW: '2026-01-01T10:00:00Z' });
      let url = `sqlite:${join(p.dir, 'introspect.db')}`;
      if (target.server) {
        const d = await freshDatabase(target.server);
        cleanup.push(() => d.drop());
        url = d.url;
      }
      p.ok(['migrate', 'up', '--url', url]);

      const db = await openDatabase(parseDatabaseUrl(url, p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
      cleanup.push(() => db.close());
      for (const sql of HAND_MADE[target.name]) await db.execute(sql);

      let queries = 0;
      const counted: Query = (sql, params) => {
        queries++;
        return db.execute(sql, params);
      };
      const exec: Query = (sql, params) => db.execute(sql, params);

      const got = await introspect(counted, target.name, []);
      expect(queries).toBe(QUERIES[target.name]);
      expect(got).toEqual(await referenceIntrospect(exec, target.name, []));

      // Both readers could be wrong alike: the hand-made tables, checked against what was written.
      const names = got.tables.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['customer', 'orders', 'tidemark_migrations', ...Object.keys(expectedHandMade(target.name))]));
      expect(names).not.toContain('v_child');
      for (const [name, want] of Object.entries(expectedHandMade(target.name))) {
        expect(got.tables.find((t) => t.name === name), name).toMatchObject(want);
      }

      // `exclude` leaves tables out, the same way.
      const without = await introspect(exec, target.name, ['tidemark_migrations', 'child_pair']);
      expect(without).toEqual(await referenceIntrospect(exec, target.name, ['tidemark_migrations', 'child_pair']));
      expect(without.tables.map((t) => t.name)).toEqual(names.filter((n) => n !== 'tidemark_migrations' && n !== 'child_pair'));

      if (target.name === 'postgresql') {
        // Another schema, by name: only its tables, though `orders` is also in public.
        queries = 0;
        const other = await introspect(counted, 'postgresql', [], ODD_SCHEMA);
        expect(queries).toBe(QUERIES.postgresql);
        expect(other).toEqual(await referenceIntrospect(exec, 'postgresql', [], ODD_SCHEMA));
        expect(other).toEqual({
          tables: [
            {
              name: 'Weird "T"',
              columns: [
                { name: 'k', type: 'bigint', nullable: false },
                { name: 'o', type: 'integer', nullable: true },
              ],
              primaryKey: ['k'],
              indexes: [{ name: 'odd "idx"', columns: ['o', 'k'], unique: false }],
              foreignKeys: [{ name: 'Weird "T"_o_fkey', columns: ['o'], referencedTable: 'orders', referencedColumns: ['id'] }],
            },
            {
              name: 'orders',
              columns: [
                { name: 'code', type: 'varchar(5)', nullable: true },
                { name: 'id', type: 'integer', nullable: false },
                { name: 'other_id', type: 'integer', nullable: true },
              ],
              primaryKey: ['id'],
              indexes: [{ name: 'orders_code_key', columns: ['code'], unique: true }],
              foreignKeys: [{ name: 'orders_other_id_fkey', columns: ['other_id'], referencedTable: 'orders', referencedColumns: ['id'], onDelete: 'cascade' }],
            },
          ],
        });
        // A schema that does not exist holds nothing.
        expect(await introspect(exec, 'postgresql', [], 'no_such_schema')).toEqual({ tables: [] });

        // A role that may see only some columns of some tables reads what it read before.
        const role = `tm_ro_${randomBytes(4).toString('hex')}`;
        await db.execute(`create role ${role} login`);
        cleanup.push(async () => {
          await db.execute(`drop owned by ${role}`);
          await db.execute(`drop role ${role}`);
        });
        await db.execute(`grant select (id, pa) on child_pair to ${role}`);
        await db.execute(`grant select on loose to ${role}`);
        const asRole = new URL(url);
        asRole.username = role;
        const ro = await openDatabase(parseDatabaseUrl(asRole.toString(), p.dir, 'test'), 'tidemark_migrations', [], process.cwd());
        cleanup.push(() => ro.close());
        const roExec: Query = (sql, params) => ro.execute(sql, params);
        const seen = await introspect(roExec, 'postgresql', []);
        expect(seen).toEqual(await referenceIntrospect(roExec, 'postgresql', []));
        expect(seen.tables.map((t) => t.name)).toEqual(['child_pair', 'loose']);
        expect(seen.tables[0]!.columns.map((c) => c.name)).toEqual(['id', 'pa']);
      }
    });
  });
}
