import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectFor } from '../../src/dialect/index.ts';
import type { Op } from '../../src/diff/ops.ts';
import { classify } from '../../src/plan/locks.ts';
import { applyOp } from '../../src/schema/apply.ts';
import { emptySchema, type SchemaSnapshot, type TableDef } from '../../src/schema/types.ts';
import { freshDatabase, unavailable, type TestDatabase } from './servers.ts';

/**
 * The lock classification (src/plan/locks.ts) held against the servers themselves: on PostgreSQL
 * the lock modes each compiled statement takes (pg_locks) and whether it rewrote the table (its
 * file changed); a second session that must wait for the plain form and need not for the online
 * one, observed at synchronisation points (a session seen waiting in pg_stat_activity), never a
 * guessed delay. On MariaDB, the strongest ALGORITHM/LOCK each statement accepts.
 */

const customer: TableDef = {
  name: 'customer',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true },
    { name: 'email', type: 'string', length: 200 },
  ],
  indexes: [],
  foreignKeys: [],
};
const purchase: TableDef = {
  name: 'purchase',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true },
    { name: 'note', type: 'string', length: 40, nullable: true },
    { name: 'total', type: 'decimal', precision: 10, scale: 2, nullable: true },
    { name: 'qty', type: 'integer', nullable: true },
    { name: 'customer_id', type: 'integer', nullable: true },
    { name: 'status', type: 'enum', items: ['new', 'paid'], default: 'new' },
  ],
  indexes: [{ name: 'purchase_qty_index', columns: ['qty'] }],
  foreignKeys: [],
};
const col = (name: string) => purchase.columns.find((c) => c.name === name)!;
const alter = (name: string, change: object, online?: true): Op => ({ kind: 'alterColumn', table: 'purchase', column: { ...col(name), ...change }, ...(online ? { online } : {}) });
const fk = (validate?: 'later'): Op => ({
  kind: 'addForeignKey',
  table: 'purchase',
  foreignKey: { name: 'purchase_customer_id_foreign', columns: ['customer_id'], referencedTable: 'customer', referencedColumns: ['id'] },
  ...(validate ? { validate } : {}),
});
const check = (validate?: 'later'): Op => ({ kind: 'addCheck', table: 'purchase', check: { name: 'purchase_qty_positive', expression: 'qty > 0' }, ...(validate ? { validate } : {}) });

const SETUP: Op[] = [
  { kind: 'createTable', table: customer },
  { kind: 'createTable', table: purchase },
];

/** The statements that make `ops` from nothing, and the schema they leave. */
function build(dialect: 'postgresql' | 'mariadb', ops: Op[], from: SchemaSnapshot = emptySchema()): { sql: string[]; schema: SchemaSnapshot } {
  const d = dialectFor(dialect);
  let schema = from;
  const sql: string[] = [];
  for (const op of ops) {
    sql.push(...d.compile(op, schema));
    schema = applyOp(schema, op);
  }
  return { sql, schema };
}

const ROWS = 'insert into customer (email) select concat(\'c\', g) from generate_series(1, 50) g';
const PURCHASES = 'insert into purchase (note, total, qty, customer_id) select \'n\', 1, g, 1 + g % 50 from generate_series(1, 500) g';

const pgSkip = await unavailable('postgresql');
describe.skipIf(Boolean(pgSkip))(`PostgreSQL 15: the classification is what the server does${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  let db: TestDatabase;
  let pg: typeof import('pg').default;
  const clients: import('pg').Client[] = [];
  const client = async () => {
    const c = new pg.Client(db.url);
    await c.connect();
    // A session that should not wait fails instead of hanging the suite.
    await c.query("set statement_timeout = '20s'");
    clients.push(c);
    return c;
  };
  let a: import('pg').Client;
  /** Only looks: whether a session waits for a lock. */
  let observer: import('pg').Client;
  const base = build('postgresql', SETUP);

  beforeAll(async () => {
    pg = (await import('pg')).default;
    db = await freshDatabase('postgresql');
    a = await client();
    observer = await client();
  });
  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => {});
    await db?.drop();
  });

  /** Builds the two tables afresh with rows. */
  async function reset(extra: Op[] = []): Promise<SchemaSnapshot> {
    // Nothing of a failed test's transaction may stay open.
    if ((await a.query('select now() <> statement_timestamp() as open')).rows[0].open) await a.query('rollback');
    await a.query('drop table if exists purchase, customer cascade');
    for (const s of base.sql) await a.query(s);
    await a.query(ROWS.replace("concat('c', g)", "'c' || g"));
    await a.query(PURCHASES);
    const more = build('postgresql', extra, base.schema);
    for (const s of more.sql) await a.query(s);
    return more.schema;
  }

  const RANK = ['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'];
  const words = (mode: string) => mode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();

  /** Runs `op`'s statements in a transaction and reports the strongest lock on each table and whether `table` was rewritten. */
  async function observe(op: Op, schema: SchemaSnapshot): Promise<{ strongest: Record<string, string>; rewritten: boolean; verified: boolean }> {
    const file = async () => (await a.query("select relfilenode from pg_class where relname = 'purchase'")).rows[0].relfilenode as number;
    const before = await file();
    // At DEBUG1 the server says when it checks every row of a table ("verifying table").
    const said: string[] = [];
    const listen = (m: { message?: string }) => void said.push(m.message ?? '');
    a.on('notice', listen);
    await a.query('begin');
    await a.query('set local client_min_messages = debug1');
    try {
      for (const s of dialectFor('postgresql').compile(op, schema)) await a.query(s);
      const held = await a.query("select c.relname, l.mode from pg_locks l join pg_class c on c.oid = l.relation where l.pid = pg_backend_pid() and c.relname in ('purchase', 'customer')");
      const strongest: Record<string, string> = {};
      for (const { relname, mode } of held.rows as { relname: string; mode: string }[]) {
        if (!strongest[relname] || RANK.indexOf(mode) > RANK.indexOf(strongest[relname]!)) strongest[relname] = mode;
      }
      return {
        strongest: Object.fromEntries(Object.entries(strongest).map(([t, m]) => [t, words(m)])),
        rewritten: (await file()) !== before,
        verified: said.some((m) => /^verifying table "purchase"/.test(m)),
      };
    } finally {
      await a.query('rollback');
      a.off('notice', listen);
    }
  }

  const verifiedScans: string[] = [];
  const cases: [string, Op, Op[]?][] = [
    ['add column, constant default', { kind: 'addColumn', table: 'purchase', column: { name: 'x', type: 'integer', default: 0 } }],
    ['add column, current_timestamp default', { kind: 'addColumn', table: 'purchase', column: { name: 'x', type: 'datetime', defaultRaw: 'current_timestamp' } }],
    ['add column, volatile default', { kind: 'addColumn', table: 'purchase', column: { name: 'x', type: 'uuid', defaultRaw: 'gen_random_uuid()' } }],
    ['add column, serial', { kind: 'addColumn', table: 'purchase', column: { name: 'x', type: 'bigint', autoincrement: true } }],
    ['varchar widening', alter('note', { length: 80 })],
    ['varchar → text', alter('note', { type: 'text', length: undefined })],
    ['numeric precision up', alter('total', { precision: 14 })],
    ['varchar narrowing', alter('note', { length: 20 })],
    ['int → bigint', alter('qty', { type: 'bigint' })],
    ['set not null', alter('qty', { nullable: false })],
    ['drop not null', alter('status', { nullable: true })],
    ['a new default', alter('qty', { default: 1 })],
    ['enum values changed (its check is replaced)', alter('status', { items: ['new', 'paid', 'void'] })],
    ['create index', { kind: 'createIndex', table: 'purchase', index: { name: 'purchase_note_index', columns: ['note'] } }],
    ['drop index', { kind: 'dropIndex', table: 'purchase', index: 'purchase_qty_index' }],
    ['add foreign key', fk()],
    ['add foreign key NOT VALID', fk('later')],
    ['validate a foreign key', { kind: 'validateConstraint', table: 'purchase', name: 'purchase_customer_id_foreign' }, [fk('later')]],
    ['add check', check()],
    ['add check NOT VALID', check('later')],
    ['validate a check', { kind: 'validateConstraint', table: 'purchase', name: 'purchase_qty_positive' }, [check('later')]],
    ['drop foreign key', { kind: 'dropForeignKey', table: 'purchase', foreignKey: 'purchase_customer_id_foreign' }, [fk()]],
    ['comment on table', { kind: 'commentTable', table: 'purchase', comment: 'sales' }],
    ['rename column', { kind: 'renameColumn', table: 'purchase', from: 'note', to: 'remark' }],
    ['drop column', { kind: 'dropColumn', table: 'purchase', column: 'note' }],
  ];

  it.each(cases)('%s: the lock it names is the strongest one taken; a rewrite is a new file; a verified table a scan', async (_name, op, extra) => {
    const schema = await reset(extra);
    const cls = classify(op, schema, 'postgresql')!;
    const seen = await observe(op, schema);
    const table = op.kind === 'renameTable' ? op.from : (op as { table: string }).table;
    expect(cls.lock.startsWith(`${seen.strongest[table]} on "${table}"`), `${cls.lock} vs ${JSON.stringify(seen.strongest)}`).toBe(true);
    // Another table it names (a foreign key's) is locked as it says.
    for (const [other, mode] of Object.entries(seen.strongest)) {
      if (other !== table && mode !== 'ACCESS SHARE' && mode !== 'ROW SHARE') expect(cls.lock).toContain(`"${other}"`);
    }
    expect(seen.rewritten, `${cls.duration}: ${cls.note}`).toBe(cls.duration === 'rewrite');
    if (seen.verified) {
      expect(cls.duration, cls.note).toBe('scan');
      verifiedScans.push(_name);
    }
  });

  it('the server reported a row-by-row check for the scans it makes under a lock (the comparison above is not empty)', () => {
    expect(verifiedScans).toEqual(expect.arrayContaining(['set not null', 'add check', 'enum values changed (its check is replaced)']));
  });

  /** Resolves once session `pid` is seen waiting for a lock: the synchronisation point. */
  async function waitingForLock(pid: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await observer.query("select 1 from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'", [pid]);
      if (r.rowCount) return;
      if (Date.now() > deadline) throw new Error(`session ${pid} was never seen waiting for a lock`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const pidOf = async (c: import('pg').Client) => (await c.query('select pg_backend_pid() as pid')).rows[0].pid as number;

  it('plain CREATE INDEX: an insert waits until it commits; reads go on', async () => {
    const schema = await reset();
    const [b] = [await client()];
    const index: Op = { kind: 'createIndex', table: 'purchase', index: { name: 'purchase_note_index', columns: ['note'] } };
    expect(classify(index, schema, 'postgresql')!.blocks).toBe('writes');
    await a.query('begin');
    for (const s of dialectFor('postgresql').compile(index, schema)) await a.query(s);
    expect((await b.query('select count(*)::int as n from purchase')).rows[0].n).toBe(500);
    const writer = await pidOf(b);
    const insert = b.query("insert into purchase (note) values ('during')");
    await waitingForLock(writer);
    await a.query('commit');
    await insert;
  });

  it('CREATE INDEX CONCURRENTLY: while it waits for an older transaction, an insert goes through', async () => {
    const schema = await reset();
    const [b, old] = [await client(), await client()];
    const index: Op = { kind: 'createIndex', table: 'purchase', index: { name: 'purchase_note_index', columns: ['note'] }, online: true };
    expect(classify(index, schema, 'postgresql')!.blocks).toBe('nothing');
    // An open transaction with a snapshot: the build must wait for it, and stays in progress.
    await old.query('begin isolation level repeatable read');
    await old.query('select count(*) from customer');
    const [statement] = dialectFor('postgresql').compile(index, schema);
    expect(statement).toMatch(/^create index concurrently/);
    const builder = await pidOf(a);
    const build = a.query(statement!);
    await waitingForLock(builder);
    // The build is under way and holds SHARE UPDATE EXCLUSIVE: writes are not blocked.
    await b.query("insert into purchase (note) values ('during')");
    await b.query("update purchase set note = 'x' where id = 1");
    await old.query('commit');
    await build;
    const valid = await b.query("select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'purchase_note_index'");
    expect(valid.rows[0].indisvalid).toBe(true);
  });

  it('SET NOT NULL scans unless a validated check proves the column has no NULL (the server says so at DEBUG1)', async () => {
    const said: string[] = [];
    const listen = (m: { message?: string }) => void said.push(m.message ?? '');
    a.on('notice', listen);
    try {
      for (const extra of [[], [{ kind: 'addCheck', table: 'purchase', check: { name: 'purchase_qty_nn', expression: '"qty" is not null' } } as Op]]) {
        const schema = await reset(extra);
        said.length = 0;
        const op = alter('qty', { nullable: false });
        const cls = classify(op, schema, 'postgresql')!;
        await a.query('begin');
        await a.query('set local client_min_messages = debug1');
        for (const s of dialectFor('postgresql').compile(op, schema)) await a.query(s);
        await a.query('rollback');
        const proved = said.some((m) => /sufficient to prove/.test(m));
        expect(proved, said.join(' | ')).toBe(extra.length > 0);
        expect(said.some((m) => /verifying table "purchase"/.test(m)), said.join(' | ')).toBe(!proved);
        expect(cls.duration).toBe(proved ? 'instant' : 'scan');
        expect(cls.code).toBe(proved ? undefined : 'TM205');
      }
    } finally {
      a.off('notice', listen);
    }
  });

  it('ADD CHECK validated at once: even a read waits; NOT VALID then VALIDATE: reads and writes go on during the scan', async () => {
    let schema = await reset();
    const b = await client();
    await a.query('begin');
    for (const s of dialectFor('postgresql').compile(check(), schema)) await a.query(s);
    const reader = await pidOf(b);
    const read = b.query('select count(*) from purchase');
    await waitingForLock(reader);
    await a.query('rollback');
    await read;

    schema = await reset([check('later')]);
    const validate: Op = { kind: 'validateConstraint', table: 'purchase', name: 'purchase_qty_positive' };
    expect(classify(validate, schema, 'postgresql')!.blocks).toBe('nothing');
    await a.query('begin');
    for (const s of dialectFor('postgresql').compile(validate, schema)) await a.query(s);
    // VALIDATE has run and its lock is held until commit: another session still reads and writes.
    await b.query("insert into purchase (note, qty) values ('during', 3)");
    expect((await b.query('select count(*)::int as n from purchase')).rows[0].n).toBe(501);
    await a.query('commit');
  });
});

const mySkip = await unavailable('mariadb');
describe.skipIf(Boolean(mySkip))(`MariaDB 10.11: the ALGORITHM and LOCK it names are the best the server accepts${mySkip ? ` (skipped: ${mySkip})` : ''}`, () => {
  let db: TestDatabase;
  let conn: import('mysql2/promise').Connection;
  const base = build('mariadb', SETUP);

  beforeAll(async () => {
    const mysql = (await import('mysql2/promise')).default;
    db = await freshDatabase('mariadb');
    const u = new URL(db.url);
    conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), database: u.pathname.slice(1) });
  });
  afterAll(async () => {
    await conn?.end();
    await db?.drop();
  });

  async function reset(extra: Op[] = []): Promise<SchemaSnapshot> {
    await conn.query('set foreign_key_checks = 0');
    await conn.query('drop table if exists purchase, customer');
    await conn.query('set foreign_key_checks = 1');
    for (const s of base.sql) await conn.query(s);
    await conn.query("insert into customer (email) select concat('c', seq) from seq_1_to_50");
    await conn.query("insert into purchase (note, total, qty, customer_id) select 'n', 1, seq, 1 + seq % 50 from seq_1_to_500");
    const more = build('mariadb', extra, base.schema);
    for (const s of more.sql) await conn.query(s);
    return more.schema;
  }

  /** Whether the server runs `statement` with this algorithm and lock (it refuses what it cannot). */
  async function accepts(statement: string, algorithm: string, lock: string): Promise<boolean> {
    // DROP INDEX takes no ALGORITHM clause: its ALTER TABLE spelling does the same.
    const drop = /^drop index (\S+) on (\S+)$/i.exec(statement);
    const alter = drop ? `alter table ${drop[2]} drop index ${drop[1]}` : statement;
    const clause = /^(set statement .* for )?alter table/i.test(alter) ? `, algorithm=${algorithm}, lock=${lock}` : ` algorithm=${algorithm} lock=${lock}`;
    try {
      await conn.query(alter.replace(/(, algorithm=\w+, lock=\w+)?$/i, '') + clause);
      return true;
    } catch {
      return false;
    }
  }

  const ORDER = ['INSTANT', 'NOCOPY', 'INPLACE', 'COPY'];
  const cases: [string, Op, Op[]?][] = [
    ['add column', { kind: 'addColumn', table: 'purchase', column: { name: 'x', type: 'integer', default: 0 } }],
    ['drop column', { kind: 'dropColumn', table: 'purchase', column: 'note' }],
    ['drop an indexed column', { kind: 'dropColumn', table: 'purchase', column: 'qty' }],
    ['rename column', { kind: 'renameColumn', table: 'purchase', from: 'note', to: 'remark' }],
    ['drop NOT NULL', alter('status', { nullable: true })],
    ['enum values appended', alter('status', { items: ['new', 'paid', 'void'] })],
    ['enum values reordered', alter('status', { items: ['paid', 'new'] })],
    ['a column comment', alter('note', { comment: 'free text' })],
    ['varchar widening within 255 bytes', alter('note', { length: 60 })],
    ['varchar widening past 255 bytes', alter('note', { length: 200 })],
    ['varchar narrowing', alter('note', { length: 20 })],
    ['int → bigint', alter('qty', { type: 'bigint' })],
    ['NOT NULL', alter('qty', { nullable: false })],
    ['create index', { kind: 'createIndex', table: 'purchase', index: { name: 'purchase_note_index', columns: ['note'] } }],
    ['full-text index', { kind: 'createIndex', table: 'purchase', index: { name: 'purchase_note_ft', columns: ['note'], type: 'fulltext' } }],
    ['drop index', { kind: 'dropIndex', table: 'purchase', index: 'purchase_qty_index' }],
    ['add foreign key', fk()],
    ['add foreign key with the checks off (validate later), no index', fk('later')],
    ['add foreign key with the checks off (validate later), indexed', fk('later'), [{ kind: 'createIndex', table: 'purchase', index: { name: 'purchase_customer_id_index', columns: ['customer_id'] } }]],
    ['add check', check()],
    ['drop check', { kind: 'dropCheck', table: 'purchase', check: 'purchase_qty_positive' }, [check()]],
    ['drop foreign key', { kind: 'dropForeignKey', table: 'purchase', foreignKey: 'purchase_customer_id_foreign' }, [fk()]],
    ['comment on table', { kind: 'commentTable', table: 'purchase', comment: 'sales' }],
  ];

  it.each(cases)('%s', async (_name, op, extra) => {
    const schema = await reset(extra);
    const cls = classify(op, schema, 'mariadb')!;
    const m = /ALGORITHM=(\w+), LOCK=(\w+)/.exec(cls.lock);
    expect(m, cls.lock).not.toBeNull();
    const [, algorithm, lock] = m!;
    const statements = dialectFor('mariadb').compile(op, schema);
    expect(statements).toHaveLength(1);
    const statement = statements[0]!;
    // A better algorithm, or a weaker lock with the same one, is refused…
    const better = ORDER[ORDER.indexOf(algorithm!) - 1];
    if (better) expect(await accepts(statement, better, 'default'), `${better} accepted`).toBe(false);
    if (lock !== 'NONE') expect(await accepts(statement, algorithm!, lock === 'SHARED' ? 'none' : 'shared'), `weaker lock accepted`).toBe(false);
    // …and the one it names runs.
    expect(await accepts(statement, algorithm!, lock!), `${algorithm}/${lock} refused`).toBe(true);
    // What it blocks follows from the LOCK clause.
    expect(cls.blocks).toBe(lock === 'NONE' ? 'nothing' : lock === 'SHARED' ? 'writes' : 'reads and writes');
  });
});
