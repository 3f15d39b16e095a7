import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/diff/ops.ts';
import { lockedObjects, splitByLocks } from '../../src/migrate/lock-budget.ts';
import { applyOps } from '../../src/schema/apply.ts';
import { emptySchema, type TableDef } from '../../src/schema/types.ts';

const table = (name: string, fkTo?: string): TableDef => ({
  name,
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true },
    { name: 'body', type: 'text' },
    ...(fkTo ? [{ name: 'parent_id', type: 'integer' as const, nullable: true }] : []),
  ],
  indexes: [{ name: `${name}_body_index`, columns: ['body'] }],
  foreignKeys: fkTo ? [{ name: `${name}_parent_id_foreign`, columns: ['parent_id'], referencedTable: fkTo, referencedColumns: ['id'] }] : [],
});

describe('objects a migration locks on PostgreSQL', () => {
  it('a created table: itself, its primary key and indexes, its sequence, its TOAST table and index, the table a foreign key points at', () => {
    const before = applyOps(emptySchema(), [{ kind: 'createTable', table: table('a') }]);
    expect([...lockedObjects([{ kind: 'createTable', table: table('b', 'a') }], before)].sort()).toEqual([
      'index b.b_body_index',
      'index b.pkey',
      'sequence b.id',
      'table a',
      'table b',
      'toast b',
      'toast index b',
    ]);
  });

  it('a dropped table counts what it had; an index op its table and the index; hand-written SQL nothing', () => {
    const before = applyOps(emptySchema(), [{ kind: 'createTable', table: table('a') }]);
    expect(lockedObjects([{ kind: 'dropTable', table: 'a' }], before).size).toBe(6);
    expect([...lockedObjects([{ kind: 'createIndex', table: 'a', index: { name: 'a_id_index', columns: ['id'] } } as Op], before)]).toEqual(['table a', 'index a.a_id_index']);
    expect(lockedObjects([{ kind: 'sql', sql: 'lock table a' }], before).size).toBe(0);
  });
});

describe('a batch cut below the lock table', () => {
  const capacity = { total: 10, formula: 'max_locks_per_transaction 2 × 5 server processes' };
  const objects: Record<string, string[]> = { m1: ['a', 'b'], m2: ['b', 'c'], m3: ['d', 'e', 'f'], m4: ['g'], big: Array.from({ length: 11 }, (_, i) => `x${i}`) };
  const of = (id: string) => new Set(objects[id]);

  it('cuts between migrations, counting an object two migrations lock once', () => {
    // Budget 5 (half the table): m1+m2 lock a, b, c; adding m3 would make 6.
    expect(splitByLocks([{ ids: ['m1', 'm2', 'm3', 'm4'], transactional: true }], of, capacity)).toEqual([
      { ids: ['m1', 'm2'], transactional: true },
      { ids: ['m3', 'm4'], transactional: true },
    ]);
  });

  it('leaves segments that fit, and those outside a transaction, as they are', () => {
    const segments = [
      { ids: ['m1', 'm2'], transactional: true },
      { ids: ['big'], transactional: false },
    ];
    expect(splitByLocks(segments, of, capacity)).toEqual(segments);
  });

  it('refuses a migration that alone exceeds the whole table, naming it and the ways out', () => {
    expect(() => splitByLocks([{ ids: ['m1', 'big'], transactional: true }], of, capacity)).toThrow(
      "migration big locks about 11 objects on PostgreSQL in one transaction, more than the server's lock table holds (max_locks_per_transaction 2 × 5 server processes = 10); nothing was applied: raise max_locks_per_transaction (postgresql.conf, then restart the server), split the migration into smaller ones, or give it 'static override readonly transactional = false' (it then runs statement by statement, its progress recorded)",
    );
  });
});
