import { describe, expect, test } from 'vitest';
import { project, user } from '../cases/tables.ts';
import { schema } from '../cases/types.ts';
import type { Op } from '../../src/diff/ops.ts';
import { describeOp } from '../../src/plan/describe-op.ts';
import { classify, classifyAll, describeLock, lockWarningLine, lockWarnings, type LockClass } from '../../src/plan/locks.ts';
import type { ColumnDef, TableDef } from '../../src/schema/types.ts';
import type { DataStep, Step } from '../../src/runtime/data.ts';

const order: TableDef = {
  name: 'order',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true },
    { name: 'note', type: 'string', length: 40, nullable: true },
    { name: 'total', type: 'decimal', precision: 10, scale: 2 },
    { name: 'qty', type: 'integer', nullable: true },
    { name: 'status', type: 'enum', items: ['new', 'paid'] },
    { name: 'user_id', type: 'integer', nullable: true },
  ],
  indexes: [{ name: 'order_qty_index', columns: ['qty'] }],
  foreignKeys: [],
  checks: [{ name: 'order_qty_positive', expression: 'qty > 0' }],
};
const before = schema(order, project, user);
const col = (name: string) => order.columns.find((c) => c.name === name)!;
const alter = (name: string, change: Partial<ColumnDef>, online?: true): Op => ({ kind: 'alterColumn', table: 'order', column: { ...col(name), ...change }, ...(online ? { online } : {}) });
const fk: Op = { kind: 'addForeignKey', table: 'order', foreignKey: { name: 'order_user_id_foreign', columns: ['user_id'], referencedTable: 'user', referencedColumns: ['id'] } };

/** code, blocks, duration: what a reader of the tables in the README compares. */
const brief = (c: LockClass | null) => (c ? [c.code ?? '-', c.blocks, c.duration] : null);

describe('PostgreSQL 15', () => {
  const pg = (op: Op) => classify(op, before, 'postgresql');

  test('adding a column: instant with a constant default, a rewrite with a volatile one or a serial', () => {
    expect(brief(pg({ kind: 'addColumn', table: 'order', column: { name: 'x', type: 'integer', nullable: true } }))).toEqual(['-', 'reads and writes', 'instant']);
    expect(brief(pg({ kind: 'addColumn', table: 'order', column: { name: 'x', type: 'integer', default: 0 } }))).toEqual(['-', 'reads and writes', 'instant']);
    // now()/current_timestamp are STABLE, not volatile: stored once.
    expect(brief(pg({ kind: 'addColumn', table: 'order', column: { name: 'x', type: 'datetime', defaultRaw: 'current_timestamp' } }))).toEqual(['-', 'reads and writes', 'instant']);
    expect(brief(pg({ kind: 'addColumn', table: 'order', column: { name: 'x', type: 'uuid', defaultRaw: 'gen_random_uuid()' } }))).toEqual(['TM207', 'reads and writes', 'rewrite']);
    expect(brief(pg({ kind: 'addColumn', table: 'order', column: { name: 'x', type: 'bigint', autoincrement: true } }))).toEqual(['TM207', 'reads and writes', 'rewrite']);
    expect(brief(pg({ kind: 'addColumn', table: 'order', column: { name: 'x', type: 'enum', items: ['a'], nullable: true } }))).toEqual(['TM204', 'reads and writes', 'scan']);
  });

  test('type changes: varchar widening, varchar → text and numeric precision are catalog-only; the rest rewrite', () => {
    expect(brief(pg(alter('note', { length: 80 })))).toEqual(['-', 'reads and writes', 'instant']);
    expect(brief(pg(alter('note', { type: 'text', length: undefined })))).toEqual(['-', 'reads and writes', 'instant']);
    expect(brief(pg(alter('total', { precision: 12 })))).toEqual(['-', 'reads and writes', 'instant']);
    expect(brief(pg(alter('note', { length: 20 })))).toEqual(['TM206', 'reads and writes', 'rewrite']);
    expect(brief(pg(alter('total', { scale: 3 })))).toEqual(['TM206', 'reads and writes', 'rewrite']);
    expect(brief(pg(alter('qty', { type: 'bigint' })))).toEqual(['TM206', 'reads and writes', 'rewrite']);
    expect(pg(alter('qty', { type: 'bigint' }))!.safeAlternative).toMatch(/expand and contract/);
  });

  test('SET NOT NULL scans under ACCESS EXCLUSIVE; the online form validates a check while writes go on', () => {
    const plain = pg(alter('qty', { nullable: false }))!;
    expect(brief(plain)).toEqual(['TM205', 'reads and writes', 'scan']);
    expect(plain.lock).toBe('ACCESS EXCLUSIVE on "order"');
    expect(plain.safeAlternative).toMatch(/online: true/);
    // The scan runs under SHARE UPDATE EXCLUSIVE; what blocks is instant.
    const online = pg(alter('qty', { nullable: false }, true))!;
    expect(brief(online)).toEqual(['-', 'reads and writes', 'instant']);
    expect(online.note).toMatch(/VALIDATE scans while reads and writes go on/);
    // A default fills the NULL rows first: an UPDATE whose row locks hold writes to them.
    expect(brief(pg(alter('qty', { nullable: false, default: 1 }, true)))).toEqual(['-', 'writes', 'scan']);
    expect(brief(pg(alter('note', { nullable: true, length: 40 })))).toEqual(['-', 'reads and writes', 'instant']);
    // A check (qty IS NOT NULL) already there: PostgreSQL 12+ trusts it and does not scan.
    const checked = { ...before, tables: before.tables.map((t) => (t.name === 'order' ? { ...t, checks: [...(t.checks ?? []), { name: 'order_qty_nn', expression: '"qty" IS NOT NULL' }] } : t)) };
    expect(brief(classify(alter('qty', { nullable: false }), checked, 'postgresql'))).toEqual(['-', 'reads and writes', 'instant']);
    expect(brief(pg(alter('note', { nullable: true })))).toEqual(['-', 'reads and writes', 'instant']);
  });

  test('indexes: SHARE without CONCURRENTLY, SHARE UPDATE EXCLUSIVE with it', () => {
    const index: Op = { kind: 'createIndex', table: 'order', index: { name: 'order_note_index', columns: ['note'] } };
    const plain = pg(index)!;
    expect(brief(plain)).toEqual(['TM201', 'writes', 'scan']);
    expect(plain.lock).toBe('SHARE on "order"');
    const online = pg({ ...index, online: true } as Op)!;
    expect(brief(online)).toEqual(['-', 'nothing', 'scan']);
    expect(online.lock).toBe('SHARE UPDATE EXCLUSIVE on "order"');
    expect(brief(pg({ kind: 'dropIndex', table: 'order', index: 'order_qty_index' }))).toEqual(['TM202', 'reads and writes', 'instant']);
    expect(brief(pg({ kind: 'dropIndex', table: 'order', index: 'order_qty_index', online: true }))).toEqual(['-', 'nothing', 'instant']);
    // A foreign key's index (MikroORM's, where the platform wants one) is never made on PostgreSQL.
    expect(brief(pg({ kind: 'createIndex', table: 'order', index: { name: 'order_user_id_index', columns: ['user_id'], foreignKey: true } }))).toEqual(['-', 'nothing', 'instant']);
    expect(brief(pg({ kind: 'dropIndex', table: 'project', index: 'project_owner_id_index' }))).toEqual(['-', 'nothing', 'instant']);
  });

  test('constraints: validated as added they scan while writes wait; NOT VALID then VALIDATE does not', () => {
    const plain = pg(fk)!;
    expect(brief(plain)).toEqual(['TM203', 'writes', 'scan']);
    expect(plain.lock).toBe('SHARE ROW EXCLUSIVE on "order" and "user"');
    expect(brief(pg({ ...fk, validate: 'later' } as Op))).toEqual(['-', 'writes', 'instant']);
    const check: Op = { kind: 'addCheck', table: 'order', check: { name: 'order_total_positive', expression: 'total > 0' } };
    expect(brief(pg(check))).toEqual(['TM204', 'reads and writes', 'scan']);
    expect(brief(pg({ ...check, validate: 'later' } as Op))).toEqual(['-', 'reads and writes', 'instant']);
    const validate = pg({ kind: 'validateConstraint', table: 'project', name: 'project_owner_id_foreign' })!;
    expect(brief(validate)).toEqual(['-', 'nothing', 'scan']);
    expect(validate.lock).toBe('SHARE UPDATE EXCLUSIVE on "project", ROW SHARE on "user"');
    expect(pg({ kind: 'dropForeignKey', table: 'project', foreignKey: 'project_owner_id_foreign' })!.lock).toBe('ACCESS EXCLUSIVE on "project" and "user"');
  });

  test('renames, drops and comments are instant', () => {
    for (const op of [
      { kind: 'renameTable', from: 'order', to: 'orders' },
      { kind: 'renameColumn', table: 'order', from: 'note', to: 'remark' },
      { kind: 'dropColumn', table: 'order', column: 'note' },
      { kind: 'dropTable', table: 'order' },
    ] as Op[]) {
      expect(brief(pg(op))).toEqual(['-', 'reads and writes', 'instant']);
    }
    expect(brief(pg({ kind: 'commentTable', table: 'order', comment: 'x' }))).toEqual(['-', 'nothing', 'instant']);
  });
});

describe('MariaDB 10.11', () => {
  const my = (op: Op) => classify(op, before, 'mariadb');

  test('instant: add and drop column, varchar widening, rename, defaults', () => {
    expect(my({ kind: 'addColumn', table: 'order', column: { name: 'x', type: 'integer', default: 0 } })!.lock).toBe(`ALGORITHM=INSTANT, LOCK=NONE on "order" (the server's choice)`);
    for (const op of [
      { kind: 'addColumn', table: 'order', column: { name: 'x', type: 'integer', default: 0 } },
      { kind: 'dropColumn', table: 'order', column: 'note' },
      alter('note', { length: 60 }),
      alter('note', { default: 'n' }),
      alter('status', { items: ['new', 'paid', 'void'] }),
      { kind: 'renameColumn', table: 'order', from: 'note', to: 'remark' },
    ] as Op[]) {
      expect(brief(my(op))).toEqual(['-', 'nothing', 'instant']);
    }
  });

  test('copying ALTERs block writes: type change, foreign key, check, auto_increment column', () => {
    expect(brief(my(alter('qty', { type: 'bigint' })))).toEqual(['TM206', 'writes', 'rewrite']);
    expect(brief(my(alter('note', { length: 20 })))).toEqual(['TM206', 'writes', 'rewrite']);
    // 160 bytes to 800: the stored length changes format.
    expect(brief(my(alter('note', { length: 200 })))).toEqual(['TM206', 'writes', 'rewrite']);
    expect(brief(my(alter('status', { items: ['paid', 'new'] })))).toEqual(['TM206', 'writes', 'rewrite']);
    expect(my(alter('qty', { type: 'bigint' }))!.lock).toBe(`ALGORITHM=COPY, LOCK=SHARED on "order" (the server's choice)`);
    expect(brief(my(fk))).toEqual(['TM203', 'writes', 'rewrite']);
    expect(my(fk)!.safeAlternative).toMatch(/validate: 'later'.*foreign_key_checks off/);
    expect(brief(my({ kind: 'addCheck', table: 'order', check: { name: 'c', expression: 'total > 0' } }))).toEqual(['TM204', 'writes', 'rewrite']);
    expect(brief(my({ kind: 'addColumn', table: 'order', column: { name: 'n', type: 'bigint', autoincrement: true } }))).toEqual(['TM207', 'writes', 'rewrite']);
  });

  test('indexes build while writes go on (LOCK=NONE), stated by the online form; a full-text one does not', () => {
    const index: Op = { kind: 'createIndex', table: 'order', index: { name: 'order_note_index', columns: ['note'] } };
    expect(brief(my(index))).toEqual(['-', 'nothing', 'scan']);
    expect(my({ ...index, online: true } as Op)!.lock).toBe('ALGORITHM=NOCOPY, LOCK=NONE on "order" (asked: INPLACE, LOCK=NONE)');
    expect(brief(my({ kind: 'createIndex', table: 'order', index: { name: 'ft', columns: ['note'], type: 'fulltext' } }))).toEqual(['TM201', 'writes', 'rewrite']);
    expect(brief(my({ kind: 'dropIndex', table: 'order', index: 'order_qty_index' }))).toEqual(['-', 'nothing', 'instant']);
    expect(my({ kind: 'dropIndex', table: 'order', index: 'order_qty_index', online: true })!.lock).toBe('ALGORITHM=NOCOPY, LOCK=NONE on "order" (asked: INPLACE, LOCK=NONE)');
  });

  test('NOT NULL rebuilds in place while writes go on', () => {
    expect(brief(my(alter('qty', { nullable: false })))).toEqual(['-', 'nothing', 'rewrite']);
    expect(my(alter('qty', { nullable: false }, true))!.lock).toBe('ALGORITHM=INPLACE, LOCK=NONE on "order" (asked: INPLACE, LOCK=NONE)');
  });

  test('a foreign key added with checks off (validate later) is in place; the rows are checked by a query that blocks nothing', () => {
    // No index on user_id: the server builds one (NOCOPY); with one, the key is catalog only.
    expect(my({ ...fk, validate: 'later' } as Op)!.lock).toBe('ALGORITHM=NOCOPY, LOCK=NONE on "order" (asked: INPLACE, LOCK=NONE)');
    expect(brief(my({ ...fk, validate: 'later' } as Op))).toEqual(['-', 'nothing', 'scan']);
    const indexed = { ...before, tables: before.tables.map((t) => (t.name === 'order' ? { ...t, indexes: [...t.indexes, { name: 'i', columns: ['user_id'] }] } : t)) };
    expect(classify({ ...fk, validate: 'later' } as Op, indexed, 'mariadb')!.lock).toMatch(/^ALGORITHM=INSTANT/);
    expect(brief(my({ kind: 'validateConstraint', table: 'project', name: 'project_owner_id_foreign' }))).toEqual(['-', 'nothing', 'scan']);
    expect(brief(my({ kind: 'validateConstraint', table: 'order', name: 'order_qty_positive' }))).toEqual(['-', 'nothing', 'instant']);
  });

  test('MySQL is classified as MariaDB, without its foreign key in place', () => {
    expect(classify(alter('qty', { type: 'bigint' }), before, 'mysql')).toEqual(my(alter('qty', { type: 'bigint' })));
    expect(brief(classify({ ...fk, validate: 'later' } as Op, before, 'mysql'))).toEqual(['TM203', 'writes', 'rewrite']);
    expect(classify(fk, before, 'mysql')!.safeAlternative).toMatch(/pt-online-schema-change/);
  });
});

describe('SQLite', () => {
  const lite = (op: Op) => classify(op, before, 'sqlite');
  test('one writer: rebuilds copy the table, plain ALTERs are instant, nothing is flagged', () => {
    expect(brief(lite(alter('qty', { type: 'bigint' })))).toEqual(['-', 'writes', 'rewrite']);
    expect(brief(lite(fk))).toEqual(['-', 'writes', 'rewrite']);
    expect(brief(lite({ kind: 'addColumn', table: 'order', column: { name: 'x', type: 'integer', nullable: true } }))).toEqual(['-', 'writes', 'instant']);
    expect(brief(lite({ kind: 'createIndex', table: 'order', index: { name: 'i', columns: ['note'] } }))).toEqual(['-', 'writes', 'scan']);
    expect(lite(fk)!.lock).toBe('the database write lock');
  });
});

describe('a migration', () => {
  const index = (table: string): Op => ({ kind: 'createIndex', table, index: { name: `${table}_x_index`, columns: ['x'] } });
  const ops: Op[] = [
    { kind: 'createTable', table: { name: 'audit', columns: [{ name: 'id', type: 'integer', primary: true }, { name: 'x', type: 'integer' }], indexes: [], foreignKeys: [] } },
    index('audit'),
    { kind: 'renameTable', from: 'audit', to: 'audit_log' },
    { kind: 'createIndex', table: 'audit_log', index: { name: 'audit_log_id', columns: ['id'] } },
    { kind: 'addColumn', table: 'order', column: { name: 'x', type: 'integer', nullable: true } },
    index('order'),
    { kind: 'sql', sql: 'select 1' },
  ];

  test('tables it creates are empty: never flagged, even after a rename', () => {
    const all = classifyAll(ops, before, 'postgresql');
    expect(all.map((c) => c.lock?.code ?? null)).toEqual([null, null, null, null, null, 'TM201', null]);
    expect(all[1]!.lock!.note).toMatch(/created in this migration/);
    expect(all[6]!.lock).toBeNull();
  });

  test('warnings: code, target, one line with the safe form', () => {
    const warnings = lockWarnings(ops, before, 'postgresql');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'TM201', target: 'order.order_x_index', dialect: 'postgresql', generated: true });
    expect(lockWarningLine(warnings[0]!)).toBe(
      'TM201 (postgresql) create index order_x_index on order: SHARE on "order"; blocks writes; scans the table (time grows with its size); safe form: { online: true } on createIndex: CREATE INDEX CONCURRENTLY, in a migration with static transactional = false',
    );
    expect(lockWarnings(ops, before, 'mariadb')).toEqual([]);
    expect(lockWarnings(ops, before, 'sqlite')).toEqual([]);
  });

  test('a warning names its operation in the words gen-migration lists it with', () => {
    const flagged: Op[] = [
      { kind: 'addColumn', table: 'order', column: { name: 'serial_no', type: 'integer', autoincrement: true } },
      alter('qty', { type: 'bigint' }),
      { kind: 'createIndex', table: 'order', index: { name: 'order_note_index', columns: ['note'], unique: true } },
      { kind: 'dropIndex', table: 'order', index: 'order_qty_index' },
      fk,
      { kind: 'addCheck', table: 'order', check: { name: 'order_total_check', expression: 'total > 0' } },
    ];
    const warnings = flagged.flatMap((op) => lockWarnings([op], before, 'postgresql').map((w) => [w.message.slice(0, w.message.indexOf(': ')), describeOp(op)]));
    expect(warnings).toHaveLength(flagged.length);
    for (const [said, listed] of warnings) expect(said).toBe(listed);
  });

  test('describeLock says the lock, what waits and for how long', () => {
    expect(describeLock(classify(alter('qty', { type: 'bigint' }), before, 'postgresql')!)).toBe('ACCESS EXCLUSIVE on "order"; blocks reads and writes; rewrites the table (time grows with its size)');
  });
});

describe('the --sql script groups statements by operation', () => {
  test('its statements are exactly what a run compiles, in the same order, data steps in place', async () => {
    const { compileGroups } = await import('../../src/runtime/compile.ts');
    const { compileSteps } = await import('../../src/runtime/compile.ts');
    const { dialectFor } = await import('../../src/dialect/index.ts');
    const data = { kind: 'data' as const, description: 'fill', run: async () => {} };
    const steps = [
      { kind: 'createTable', table: { name: 'audit', columns: [{ name: 'id', type: 'integer', primary: true }, { name: 'order_id', type: 'integer' }], indexes: [], foreignKeys: [{ name: 'audit_order_id_foreign', columns: ['order_id'], referencedTable: 'order', referencedColumns: ['id'] }] } },
      alter('qty', { type: 'bigint' }),
      data,
      fk,
      { kind: 'createIndex', table: 'order', index: { name: 'order_note_index', columns: ['note'] }, online: true },
      alter('note', { nullable: false, default: 'n' }, true),
      { kind: 'dropColumn', table: 'order', column: 'status' },
    ] as Step[];
    for (const name of ['sqlite', 'postgresql', 'mysql', 'mariadb'] as const) {
      const dialect = dialectFor(name);
      const grouped = [...compileGroups(steps, before, dialect)].flatMap((g): (string | DataStep)[] => ('sql' in g ? g.sql : [g]));
      expect(grouped, name).toEqual(compileSteps(steps, before, dialect));
    }
  });
});
