import { DatabaseSync } from 'node:sqlite';
import { describe, expect, test } from 'vitest';
import { cases, type DiffCase } from '../cases/index.ts';
import { schema } from '../cases/types.ts';
import { diff } from '../../src/diff/diff.ts';
import type { Op } from '../../src/diff/ops.ts';
import { dialectFor } from '../../src/dialect/index.ts';
import { mysql } from '../../src/dialect/mysql.ts';
import { postgres } from '../../src/dialect/postgres.ts';
import { REBUILD_PREFIX, sqlite } from '../../src/dialect/sqlite.ts';
import type { Dialect } from '../../src/dialect/dialect.ts';
import { plan } from '../../src/plan/plan.ts';
import { applyOp } from '../../src/schema/apply.ts';
import type { SchemaSnapshot, TableDef } from '../../src/schema/types.ts';

/** `user` and `order` are reserved words in SQL; `displayName` is mixed case, `Größe` is not ASCII. */
const user: TableDef = {
  name: 'user',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true },
    { name: 'name', type: 'string', length: 255, nullable: true },
  ],
  indexes: [{ name: 'user_name_index', columns: ['name'] }],
  foreignKeys: [],
};

const order: TableDef = {
  name: 'order',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true },
    { name: 'customer_id', type: 'integer' },
    { name: 'status', type: 'enum', items: ['new', "it's paid"], default: 'new' },
    { name: 'displayName', type: 'string', length: 100, nullable: true },
    { name: 'Größe', type: 'decimal', precision: 8, scale: 2, default: 0 },
    { name: 'paid', type: 'boolean', default: false },
    { name: 'created_at', type: 'datetime', defaultRaw: 'current_timestamp' },
  ],
  indexes: [
    { name: 'order_customer_id_index', columns: ['customer_id'] },
    { name: 'order_displayName_unique', columns: ['displayName'], unique: true },
  ],
  foreignKeys: [
    { name: 'order_customer_id_foreign', columns: ['customer_id'], referencedTable: 'user', referencedColumns: ['id'], onDelete: 'cascade' },
  ],
};

const withUser = schema(user);
const withBoth = schema(order, user);

const createOrder: Op = { kind: 'createTable', table: order };
const addColumns: Op[] = [
  { kind: 'addColumn', table: 'user', column: { name: 'age', type: 'integer', nullable: true } },
  { kind: 'addColumn', table: 'user', column: { name: 'Größe', type: 'string', length: 10, default: "it's M" } },
];
const alterName: Op = { kind: 'alterColumn', table: 'user', column: { name: 'name', type: 'string', length: 100, default: '' } };
const dropFk: Op = { kind: 'dropForeignKey', table: 'order', foreignKey: 'order_customer_id_foreign' };

function compileAll(d: Dialect, start: SchemaSnapshot, ops: Op[]): string[] {
  const out: string[] = [];
  let s = start;
  for (const op of ops) {
    out.push(...d.compile(op, s));
    s = applyOp(s, op);
  }
  return out;
}

test('dialectFor', () => {
  expect(dialectFor('sqlite')).toBe(sqlite);
  expect(dialectFor('postgresql')).toBe(postgres);
  expect(dialectFor('mysql')).toBe(mysql);
  expect(dialectFor('mariadb').name).toBe('mariadb');
  expect(dialectFor('mariadb').compile(createOrder, withUser)).toEqual(mysql.compile(createOrder, withUser));
});

describe('sqlite', () => {
  test('create table with FK, enum, defaults, reserved and non-ASCII names', () => {
    expect(sqlite.compile(createOrder, withUser)).toMatchInlineSnapshot(`
      [
        "create table "order" ("id" integer not null primary key autoincrement, "customer_id" integer not null, "status" text default 'new' not null check ("status" in ('new', 'it''s paid')), "displayName" text, "Größe" numeric(8, 2) default 0 not null, "paid" integer default false not null, "created_at" datetime default current_timestamp not null, constraint "order_customer_id_foreign" foreign key ("customer_id") references "user" ("id") on delete cascade)",
        "create index "order_customer_id_index" on "order" ("customer_id")",
        "create unique index "order_displayName_unique" on "order" ("displayName")",
      ]
    `);
  });

  test('add column', () => {
    expect(compileAll(sqlite, withUser, addColumns)).toMatchInlineSnapshot(`
      [
        "alter table "user" add column "age" integer",
        "alter table "user" add column "Größe" text default 'it''s M' not null",
      ]
    `);
  });

  test('alter column: rebuild (create __tidemark_new_x, insert … select, drop, rename, recreate indexes)', () => {
    const sql = sqlite.compile(alterName, withUser);
    expect(sql).toMatchInlineSnapshot(`
      [
        "create table "__tidemark_new_user" ("id" integer not null primary key autoincrement, "name" text default '' not null)",
        "insert into "__tidemark_new_user" ("id", "name") select "id", coalesce("name", '') from "user"",
        "delete from sqlite_sequence where name = '__tidemark_new_user'",
        "insert into sqlite_sequence (name, seq) select '__tidemark_new_user', seq from sqlite_sequence where name = 'user'",
        "drop table "user"",
        "pragma legacy_alter_table = on",
        "alter table "__tidemark_new_user" rename to "user"",
        "pragma legacy_alter_table = off",
        "create index "user_name_index" on "user" ("name")",
        "create table "__tidemark_view_check" (x)",
        "alter table "__tidemark_view_check" rename to "__tidemark_view_check_done"",
        "drop table "__tidemark_view_check_done"",
      ]
    `);
    expect(sql[0]).toMatch(new RegExp(`^create table "${REBUILD_PREFIX}user"`));
    expect(sql[1]).toMatch(/^insert into "__tidemark_new_user" \("id", "name"\) select "id", coalesce\("name", ''\) from "user"$/);
    expect(sql.slice(2, 4)).toEqual([
      "delete from sqlite_sequence where name = '__tidemark_new_user'",
      "insert into sqlite_sequence (name, seq) select '__tidemark_new_user', seq from sqlite_sequence where name = 'user'",
    ]);
    expect(sql.slice(4, 8)).toEqual(['drop table "user"', 'pragma legacy_alter_table = on', 'alter table "__tidemark_new_user" rename to "user"', 'pragma legacy_alter_table = off']);
    expect(sql.slice(8, 9)).toEqual(['create index "user_name_index" on "user" ("name")']);
  });

  test('add foreign key: rebuild', () => {
    const before = schema({ ...order, foreignKeys: [] }, user);
    const sql = sqlite.compile({ kind: 'addForeignKey', table: 'order', foreignKey: order.foreignKeys[0]! }, before);
    expect(sql).toMatchInlineSnapshot(`
      [
        "create table "__tidemark_new_order" ("id" integer not null primary key autoincrement, "customer_id" integer not null, "status" text default 'new' not null check ("status" in ('new', 'it''s paid')), "displayName" text, "Größe" numeric(8, 2) default 0 not null, "paid" integer default false not null, "created_at" datetime default current_timestamp not null, constraint "order_customer_id_foreign" foreign key ("customer_id") references "user" ("id") on delete cascade)",
        "insert into "__tidemark_new_order" ("id", "customer_id", "status", "displayName", "Größe", "paid", "created_at") select "id", "customer_id", coalesce("status", 'new'), "displayName", coalesce("Größe", 0), coalesce("paid", 0), coalesce("created_at", current_timestamp) from "order"",
        "delete from sqlite_sequence where name = '__tidemark_new_order'",
        "insert into sqlite_sequence (name, seq) select '__tidemark_new_order', seq from sqlite_sequence where name = 'order'",
        "drop table "order"",
        "pragma legacy_alter_table = on",
        "alter table "__tidemark_new_order" rename to "order"",
        "pragma legacy_alter_table = off",
        "create index "order_customer_id_index" on "order" ("customer_id")",
        "create unique index "order_displayName_unique" on "order" ("displayName")",
        "create table "__tidemark_view_check" (x)",
        "alter table "__tidemark_view_check" rename to "__tidemark_view_check_done"",
        "drop table "__tidemark_view_check_done"",
      ]
    `);
    expect(sql[0]).toContain('references "user" ("id") on delete cascade');
    expect(sql.slice(4, 8)).toEqual(['drop table "order"', 'pragma legacy_alter_table = on', 'alter table "__tidemark_new_order" rename to "order"', 'pragma legacy_alter_table = off']);
    expect(sql.slice(8).filter((s) => s.startsWith('create') && s.includes('index'))).toHaveLength(order.indexes.length);
  });

  test('drop foreign key: rebuild', () => {
    const sql = sqlite.compile(dropFk, withBoth);
    expect(sql).toMatchInlineSnapshot(`
      [
        "create table "__tidemark_new_order" ("id" integer not null primary key autoincrement, "customer_id" integer not null, "status" text default 'new' not null check ("status" in ('new', 'it''s paid')), "displayName" text, "Größe" numeric(8, 2) default 0 not null, "paid" integer default false not null, "created_at" datetime default current_timestamp not null)",
        "insert into "__tidemark_new_order" ("id", "customer_id", "status", "displayName", "Größe", "paid", "created_at") select "id", "customer_id", coalesce("status", 'new'), "displayName", coalesce("Größe", 0), coalesce("paid", 0), coalesce("created_at", current_timestamp) from "order"",
        "delete from sqlite_sequence where name = '__tidemark_new_order'",
        "insert into sqlite_sequence (name, seq) select '__tidemark_new_order', seq from sqlite_sequence where name = 'order'",
        "drop table "order"",
        "pragma legacy_alter_table = on",
        "alter table "__tidemark_new_order" rename to "order"",
        "pragma legacy_alter_table = off",
        "create index "order_customer_id_index" on "order" ("customer_id")",
        "create unique index "order_displayName_unique" on "order" ("displayName")",
        "create table "__tidemark_view_check" (x)",
        "alter table "__tidemark_view_check" rename to "__tidemark_view_check_done"",
        "drop table "__tidemark_view_check_done"",
      ]
    `);
    expect(sql[0]).not.toContain('references');
  });

  test('drop column: in place, or a rebuild for an enum or primary key column', () => {
    expect(sqlite.compile({ kind: 'dropColumn', table: 'order', column: 'displayName' }, schema({ ...order, indexes: [order.indexes[0]!] }, user))).toEqual([
      'alter table "order" drop column "displayName"',
    ]);
    expect(sqlite.compile({ kind: 'dropColumn', table: 'order', column: 'status' }, withBoth)[0]).toMatch(/^create table "__tidemark_new_order"/);
  });

  test('add column: a rebuild when ALTER TABLE ADD COLUMN cannot do it', () => {
    const add = (column: Op & { kind: 'addColumn' }) => sqlite.compile(column, withUser)[0];
    expect(add({ kind: 'addColumn', table: 'user', column: { name: 'x', type: 'integer' } })).toMatch(/^create table "__tidemark_new_user"/);
    expect(add({ kind: 'addColumn', table: 'user', column: { name: 'x', type: 'datetime', defaultRaw: 'current_timestamp' } })).toMatch(/^create table "__tidemark_new_user"/);
    expect(add({ kind: 'addColumn', table: 'user', column: { name: 'x', type: 'integer', default: 0 } })).toBe(
      'alter table "user" add column "x" integer default 0 not null',
    );
  });
});

describe('postgres', () => {
  test('create table with FK, enum, defaults, reserved and non-ASCII names', () => {
    expect(postgres.compile(createOrder, withUser)).toMatchInlineSnapshot(`
      [
        "create table "order" ("id" serial not null primary key, "customer_id" int not null, "status" text default 'new' not null, "displayName" varchar(100), "Größe" numeric(8, 2) default 0 not null, "paid" boolean default false not null, "created_at" timestamptz default current_timestamp not null, constraint "order_status_check" check ("status" in ('new', 'it''s paid')), constraint "order_customer_id_foreign" foreign key ("customer_id") references "user" ("id") on delete cascade)",
        "create index "order_customer_id_index" on "order" ("customer_id")",
        "create unique index "order_displayName_unique" on "order" ("displayName")",
      ]
    `);
  });

  test('add column', () => {
    expect(compileAll(postgres, withUser, addColumns)).toMatchInlineSnapshot(`
      [
        "alter table "user" add column "age" int",
        "alter table "user" add column "Größe" varchar(10) default 'it''s M' not null",
      ]
    `);
  });

  test('alter column', () => {
    expect(postgres.compile(alterName, withUser)).toMatchInlineSnapshot(`
      [
        "alter table "user" alter column "name" type varchar(100) using "name"::varchar(100)",
        "alter table "user" alter column "name" set default ''",
        "update "user" set "name" = '' where "name" is null",
        "alter table "user" alter column "name" set not null",
      ]
    `);
  });

  test('alter column: enum items change', () => {
    const column = { ...order.columns[2]!, items: ['new', "it's paid", 'shipped'] };
    expect(postgres.compile({ kind: 'alterColumn', table: 'order', column }, withBoth)).toMatchInlineSnapshot(`
      [
        "alter table "order" drop constraint "order_status_check"",
        "alter table "order" add constraint "order_status_check" check ("status" in ('new', 'it''s paid', 'shipped'))",
      ]
    `);
  });

  test('drop foreign key', () => {
    expect(postgres.compile(dropFk, withBoth)).toMatchInlineSnapshot(`
      [
        "alter table "order" drop constraint "order_customer_id_foreign"",
      ]
    `);
  });
});

describe('mysql', () => {
  test('create table with FK, enum, defaults, reserved and non-ASCII names', () => {
    expect(mysql.compile(createOrder, withUser)).toMatchInlineSnapshot(`
      [
        "create table \`order\` (\`id\` int not null primary key auto_increment, \`customer_id\` int not null, \`status\` enum('new', 'it''s paid') default 'new' not null, \`displayName\` varchar(100), \`Größe\` decimal(8, 2) default 0 not null, \`paid\` tinyint(1) default 0 not null, \`created_at\` datetime default current_timestamp not null, constraint \`order_customer_id_foreign\` foreign key (\`customer_id\`) references \`user\` (\`id\`) on delete cascade) default character set utf8mb4 engine = InnoDB",
        "create index \`order_customer_id_index\` on \`order\` (\`customer_id\`)",
        "create unique index \`order_displayName_unique\` on \`order\` (\`displayName\`)",
      ]
    `);
  });

  test('add column', () => {
    expect(compileAll(mysql, withUser, addColumns)).toMatchInlineSnapshot(`
      [
        "alter table \`user\` add column \`age\` int",
        "alter table \`user\` add column \`Größe\` varchar(10) default 'it''s M' not null",
      ]
    `);
  });

  test('alter column', () => {
    expect(mysql.compile(alterName, withUser)).toMatchInlineSnapshot(`
      [
        "update \`user\` set \`name\` = '' where \`name\` is null",
        "alter table \`user\` modify column \`name\` varchar(100) default '' not null",
      ]
    `);
  });

  test('drop foreign key', () => {
    expect(mysql.compile(dropFk, withBoth)).toMatchInlineSnapshot(`
      [
        "alter table \`order\` drop foreign key \`order_customer_id_foreign\`",
      ]
    `);
  });
});

describe('mysql: current_timestamp on datetime(3)', () => {
  // A `datetime` with `length: 3` is datetime(3), as MikroORM declares it; MySQL's manual
  // ("Automatic Initialization and Updating for TIMESTAMP and DATETIME"): "If a TIMESTAMP or
  // DATETIME column definition includes an explicit fractional seconds precision value
  // anywhere, the same value must be used throughout the column definition" —
  // `datetime(3) default current_timestamp` is rejected with ER_INVALID_DEFAULT (1067).
  test('the default has the precision of the column', () => {
    const op = { ...createOrder, table: { ...createOrder.table, columns: createOrder.table.columns.map((c) => (c.name === 'created_at' ? { ...c, length: 3 } : c)) } };
    const [sql] = mysql.compile(op, withUser);
    expect(sql).toContain('`created_at` datetime(3) default current_timestamp(3)');
    expect(sql).not.toMatch(/datetime\(3\) default current_timestamp(?!\(3\))/);
  });
});

describe('composite primary key', () => {
  const pivot = cases.find((c) => c.name === 'many_to_many_pivot')!;
  const op = diff(pivot.before, pivot.after)[0]!;
  test.each([sqlite, postgres, mysql])('$name', (d) => {
    expect(d.compile(op, pivot.before)[0]).toMatch(/constraint [`"]project_members_pkey[`"] primary key \([`"]project_id[`"], [`"]user_id[`"]\)/);
  });
});

/**
 * Every case, compiled for SQLite and run on a real in-memory database (node:sqlite): up, then
 * down. Foreign keys are off during the DDL as the runner does, then checked.
 */
describe.each(cases.map((c) => [c.name, c] as [string, DiffCase]))('sqlite runs %s', (_name, c) => {
  const tablesOf = (db: DatabaseSync) =>
    (db.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`).all() as { name: string }[]).map((r) => r.name);
  const columnsOf = (db: DatabaseSync, table: string) =>
    (db.prepare(`select name from pragma_table_info(?) order by cid`).all(table) as { name: string }[]).map((r) => r.name);
  const indexesOf = (db: DatabaseSync, table: string) =>
    (db.prepare(`select name from pragma_index_list(?) where origin = 'c' order by name`).all(table) as { name: string }[]).map((r) => r.name);
  const fksOf = (db: DatabaseSync, table: string) =>
    (db.prepare(`select "table" as target, "from" as col, "to" as ref from pragma_foreign_key_list(?) order by id, seq`).all(table) as object[]).map((r) => ({ ...r }));

  const expectDatabaseIs = (db: DatabaseSync, s: SchemaSnapshot) => {
    expect(tablesOf(db)).toEqual(s.tables.map((t) => t.name));
    for (const t of s.tables) {
      expect(columnsOf(db, t.name)).toEqual(t.columns.map((col) => col.name));
      expect(indexesOf(db, t.name)).toEqual(t.indexes.map((i) => i.name).sort());
      expect(fksOf(db, t.name).length).toBe(t.foreignKeys.reduce((n, f) => n + f.columns.length, 0));
    }
    expect(db.prepare('pragma foreign_key_check').all()).toEqual([]);
  };

  test('up then down', () => {
    const db = new DatabaseSync(':memory:');
    try {
      db.exec('pragma foreign_keys = off');
      const run = (start: SchemaSnapshot, ops: Op[]) => {
        for (const statement of compileAll(sqlite, start, ops)) db.exec(statement);
      };
      run(schema(), diff(schema(), c.before));
      expectDatabaseIs(db, c.before);
      const p = plan(c.before, diff(c.before, c.after, c.renames));
      run(c.before, p.up);
      expectDatabaseIs(db, p.after);
      run(p.after, p.down);
      expectDatabaseIs(db, c.before);
    } finally {
      db.close();
    }
  });
});

/**
 * The same on a database with a row in every table: nullable columns NULL, the rest a value
 * of their type (the same one for every column of a type, so every FK finds its row).
 */
describe('sqlite keeps the data', () => {
  const valueOf = (c: TableDef['columns'][number]): string | number | null => {
    if (c.nullable) return null;
    switch (c.type) {
      case 'integer':
      case 'smallint':
      case 'bigint':
      case 'boolean':
        return 1;
      case 'float':
      case 'double':
      case 'decimal':
        return 1.5;
      case 'enum':
        return c.items![0]!;
      case 'uuid':
        return '00000000-0000-0000-0000-000000000001';
      case 'date':
        return '2026-01-01';
      default:
        return 'x';
    }
  };
  const seed = (db: DatabaseSync, s: SchemaSnapshot) => {
    for (const t of s.tables) {
      const cols = t.columns.map((c) => `"${c.name}"`).join(', ');
      db.prepare(`insert into "${t.name}" (${cols}) values (${t.columns.map(() => '?').join(', ')})`).run(...t.columns.map(valueOf));
    }
  };
  const count = (db: DatabaseSync, table: string) => (db.prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n;

  function setUp(c: DiffCase) {
    const db = new DatabaseSync(':memory:');
    db.exec('pragma foreign_keys = off');
    const run = (start: SchemaSnapshot, ops: Op[]) => {
      for (const statement of compileAll(sqlite, start, ops)) db.exec(statement);
    };
    run(schema(), diff(schema(), c.before));
    seed(db, c.before);
    return { db, run, p: plan(c.before, diff(c.before, c.after, c.renames)) };
  }

  test.each(cases.filter((c) => c.name !== 'add_column').map((c) => [c.name, c] as [string, DiffCase]))('%s: every row survives up and down', (_name, c) => {
    const { db, run, p } = setUp(c);
    try {
      run(c.before, p.up);
      for (const t of p.after.tables) {
        // tables that existed before (possibly renamed) keep their row; new ones are empty
        const renamedFrom = Object.entries(c.renames?.tables ?? {}).find(([, to]) => to === t.name)?.[0];
        const existed = c.before.tables.some((b) => b.name === (renamedFrom ?? t.name));
        expect(count(db, t.name)).toBe(existed ? 1 : 0);
      }
      expect(db.prepare('pragma foreign_key_check').all()).toEqual([]);
      run(p.after, p.down);
      for (const t of c.before.tables) {
        const survived = p.after.tables.some((a) => a.name === t.name || c.renames?.tables?.[t.name] === a.name);
        expect(count(db, t.name)).toBe(survived ? 1 : 0);
      }
      expect(db.prepare('pragma foreign_key_check').all()).toEqual([]);
    } finally {
      db.close();
    }
  });

  test('alter column: NULLs become the new default, other values are kept', () => {
    const c = cases.find((x) => x.name === 'alter_column')!;
    const { db, run, p } = setUp(c);
    try {
      run(c.before, p.up);
      expect({ ...(db.prepare('select email, nickname, login_count from "user"').get() as object) }).toEqual({ email: 'x', nickname: 'anonymous', login_count: 1 });
    } finally {
      db.close();
    }
  });

  test('add column: NOT NULL without a default (TM104) fails on a table with rows, as its warning says', () => {
    const c = cases.find((x) => x.name === 'add_column')!;
    const { db, run, p } = setUp(c);
    try {
      expect(p.warnings.map((w) => w.code)).toEqual(['TM104']);
      expect(() => run(c.before, p.up)).toThrow(/NOT NULL constraint failed/);
    } finally {
      db.close();
    }
  });
});

describe('identifier rules (one for every name kind)', () => {
  test('identifierProblem: 63 bytes, trailing space, NUL, 4-byte UTF-8', async () => {
    const { identifierProblem } = await import('../../src/schema/naming.ts');
    expect(identifierProblem('a'.repeat(63))).toBeUndefined();
    expect(identifierProblem('ä'.repeat(31))).toBeUndefined();
    expect(identifierProblem('a'.repeat(64))).toMatch(/64 bytes long; PostgreSQL keeps 63/);
    expect(identifierProblem('ä'.repeat(32))).toMatch(/64 bytes/);
    expect(identifierProblem('name ')).toMatch(/ends in a space/);
    expect(identifierProblem('tag_🏷')).toMatch(/4-byte UTF-8/);
    expect(identifierProblem('')).toMatch(/empty/);
  });

  test('fitIdentifier makes any derived name valid, deterministically and without collisions', async () => {
    const { fitIdentifier, identifierProblem } = await import('../../src/schema/naming.ts');
    const long = `${'x'.repeat(70)}_a_index`;
    const other = `${'x'.repeat(70)}_b_index`;
    for (const n of [long, other, 'emoji_🏷_index', 'trailing ', 'ok_name']) expect(identifierProblem(fitIdentifier(n))).toBeUndefined();
    expect(fitIdentifier(long)).toBe(fitIdentifier(long));
    expect(fitIdentifier(long)).not.toBe(fitIdentifier(other));
    expect(fitIdentifier('emoji_🏷_index')).not.toBe(fitIdentifier('emoji_🍎_index'));
    expect(fitIdentifier('ok_name')).toBe('ok_name');
  });

  test('a composite primary key name fits', () => {
    const name = 't'.repeat(62);
    const pivot: TableDef = {
      name,
      columns: [
        { name: 'a', type: 'integer', primary: true },
        { name: 'b', type: 'integer', primary: true },
      ],
      indexes: [],
      foreignKeys: [],
    };
    for (const d of [sqlite, postgres, mysql]) {
      const [sql] = d.compile({ kind: 'createTable', table: pivot }, schema());
      const pk = /constraint [`"]([^`"]+)[`"] primary key/.exec(sql!)![1]!;
      expect(Buffer.byteLength(pk)).toBeLessThanOrEqual(63);
      expect(pk.startsWith('t'.repeat(40))).toBe(true);
    }
  });
});

describe('mysql: backslashes and quotes in literals (one quoting path)', () => {
  const column = { name: 'path', type: 'string' as const, length: 50, default: "C:\\dir\\it's" };
  test('defaults, backfills, comments and enum items double the backslash', () => {
    const add = mysql.compile({ kind: 'addColumn', table: 'user', column: { ...column, comment: 'a\\b' } }, withUser)[0]!;
    expect(add).toContain("default 'C:\\\\dir\\\\it''s'");
    expect(add).toContain("comment 'a\\\\b'");
    const nullable = schema({ ...user, columns: [...user.columns, { ...column, nullable: true, default: undefined }] });
    const [update] = mysql.compile({ kind: 'alterColumn', table: 'user', column }, nullable);
    expect(update).toBe("update `user` set `path` = 'C:\\\\dir\\\\it''s' where `path` is null");
    const [comment] = mysql.compile({ kind: 'commentTable', table: 'user', comment: 'x\\y' }, withUser);
    expect(comment).toBe("alter table `user` comment = 'x\\\\y'");
    const [create] = mysql.compile({ kind: 'createTable', table: { name: 'e', columns: [{ name: 'k', type: 'enum', items: ['a\\b'] }], indexes: [], foreignKeys: [] } }, schema());
    expect(create).toContain("enum('a\\\\b')");
  });
  test('PostgreSQL and SQLite keep a backslash as it is', () => {
    expect(postgres.compile({ kind: 'addColumn', table: 'user', column }, withUser)[0]).toContain("default 'C:\\dir\\it''s'");
    expect(sqlite.compile({ kind: 'addColumn', table: 'user', column: { ...column, nullable: true } }, withUser)[0]).toContain("default 'C:\\dir\\it''s'");
  });
});

describe('per-dialect order: every statement valid where it runs', () => {
  const author: TableDef = { name: 'author', columns: [{ name: 'id', type: 'integer', primary: true, autoincrement: true, unsigned: true }], indexes: [], foreignKeys: [] };
  const book: TableDef = {
    name: 'book',
    columns: [
      { name: 'id', type: 'integer', primary: true, autoincrement: true, unsigned: true },
      { name: 'author_id', type: 'integer', unsigned: true },
    ],
    indexes: [{ name: 'book_author_id_index', columns: ['author_id'], foreignKey: true }],
    foreignKeys: [{ name: 'book_author_id_foreign', columns: ['author_id'], referencedTable: 'author', referencedColumns: ['id'] }],
  };
  const oneToOne: TableDef = { ...book, indexes: [{ name: 'book_author_id_unique', columns: ['author_id'], unique: true }] };
  const compileOrdered = async (d: Dialect, start: SchemaSnapshot, ops: Op[]) => (await import('../../src/runtime/compile.ts')).compileOps(ops, start, d);

  test('ManyToOne → OneToOne on MySQL: the unique index exists before the FK index goes (and back)', async () => {
    const before = schema(author, book);
    const p = plan(before, diff(before, schema(author, oneToOne)));
    expect(p.up.map((o) => o.kind)).toEqual(['dropIndex', 'createIndex']);
    expect(await compileOrdered(mysql, before, p.up)).toEqual([
      'create unique index `book_author_id_unique` on `book` (`author_id`)',
      'drop index `book_author_id_index` on `book`',
    ]);
    expect(await compileOrdered(mysql, p.after, p.down)).toEqual([
      'create index `book_author_id_index` on `book` (`author_id`)',
      'drop index `book_author_id_unique` on `book`',
    ]);
  });

  test('int → bigint on a referenced key on MySQL: its foreign keys are dropped and added back around both changes', async () => {
    const big = (t: TableDef, col: string): TableDef => ({ ...t, columns: t.columns.map((c) => (c.name === col ? { ...c, type: 'bigint' as const } : c)) });
    const before = schema(author, book);
    const up = diff(before, schema(big(author, 'id'), big(book, 'author_id')));
    const sql = await compileOrdered(mysql, before, up);
    expect(sql[0]).toBe('alter table `book` drop foreign key `book_author_id_foreign`');
    expect(sql.at(-1)).toBe('alter table `book` add constraint `book_author_id_foreign` foreign key (`author_id`) references `author` (`id`)');
    expect(sql.slice(1, -1).every((s) => /modify column/.test(s))).toBe(true);
    // Elsewhere the order is the migration's own.
    expect((await compileOrdered(postgres, before, up)).some((s) => /foreign key/.test(s))).toBe(false);
  });

  test('PostgreSQL: boolean default false → integer drops the default before the type changes', () => {
    const flags = schema({ name: 'f', columns: [{ name: 'id', type: 'integer', primary: true }, { name: 'on', type: 'boolean', default: false }], indexes: [], foreignKeys: [] });
    expect(postgres.compile({ kind: 'alterColumn', table: 'f', column: { name: 'on', type: 'integer', default: 0 } }, flags)).toEqual([
      'alter table "f" alter column "on" drop default',
      'alter table "f" alter column "on" type int using "on"::int',
      'alter table "f" alter column "on" set default 0',
    ]);
  });
});
