import { describe, expect, test } from 'vitest';
import { project, user } from '../cases/tables.ts';
import { schema } from '../cases/types.ts';
import { dialectFor, type DialectName } from '../../src/dialect/index.ts';
import { refuseInTransaction } from '../../src/dialect/transaction-rules.ts';
import type { Op } from '../../src/diff/ops.ts';
import { HistoryError } from '../../src/errors.ts';
import { invert } from '../../src/plan/invert.ts';
import { plan } from '../../src/plan/plan.ts';
import { compileOps } from '../../src/runtime/compile.ts';
import { applyOp, ReplayError } from '../../src/schema/apply.ts';

/** `project` with rows already, a nullable column to make NOT NULL and an index to drop. */
const before = schema(
  {
    ...project,
    columns: [...project.columns, { name: 'reviewer_id', type: 'integer', unsigned: true, nullable: true }],
    indexes: [{ name: 'project_name_index', columns: ['name'] }, ...project.indexes],
  },
  user,
);

/** Every online form, in the order a generated online migration would hold them. */
const online: Op[] = [
  { kind: 'createIndex', table: 'project', index: { name: 'project_created_at_index', columns: ['created_at'] }, online: true },
  { kind: 'createIndex', table: 'user', index: { name: 'user_name_unique', columns: ['name'], unique: true }, online: true },
  { kind: 'createIndex', table: 'project', index: { name: 'project_description_fulltext', columns: ['description'], type: 'fulltext' }, online: true },
  { kind: 'dropIndex', table: 'project', index: 'project_name_index', online: true },
  {
    kind: 'addForeignKey',
    table: 'project',
    foreignKey: { name: 'project_reviewer_id_foreign', columns: ['reviewer_id'], referencedTable: 'user', referencedColumns: ['id'], onDelete: 'set null' },
    validate: 'later',
  },
  { kind: 'validateConstraint', table: 'project', name: 'project_reviewer_id_foreign' },
  { kind: 'addCheck', table: 'project', check: { name: 'project_name_check', expression: "name <> ''" }, validate: 'later' },
  { kind: 'validateConstraint', table: 'project', name: 'project_name_check' },
  { kind: 'alterColumn', table: 'project', column: { name: 'description', type: 'text' }, online: true },
  { kind: 'alterColumn', table: 'project', column: { name: 'reviewer_id', type: 'integer', unsigned: true, default: 0 }, online: true },
];

const DIALECTS: DialectName[] = ['postgresql', 'mariadb', 'mysql', 'sqlite'];

describe.each(DIALECTS)('online forms compiled for %s', (name) => {
  test('match the snapshot', async () => {
    const sql = compileOps(online, before, dialectFor(name)).map((s) => `${s};`);
    await expect(`${sql.join('\n')}\n`).toMatchFileSnapshot(`../snapshots/online/sql.${name}.sql`);
  });
});

describe('online forms in the schema and the plan', () => {
  test('validateConstraint changes no schema, and is refused for a constraint that is not there', () => {
    const withFk = applyOp(before, online[4]!);
    expect(applyOp(withFk, online[5]!)).toEqual(withFk);
    expect(() => applyOp(before, { kind: 'validateConstraint', table: 'project', name: 'nope' })).toThrow(ReplayError);
  });

  test('the inverse of an online index change is online too; of a validation, nothing', () => {
    expect(invert(online[0]!, before)).toEqual([{ kind: 'dropIndex', table: 'project', index: 'project_created_at_index', online: true }]);
    expect(invert(online[3]!, before)).toEqual([{ kind: 'createIndex', table: 'project', index: { name: 'project_name_index', columns: ['name'] }, online: true }]);
    expect(invert(online[5]!, applyOp(before, online[4]!))).toEqual([]);
  });

  test('a whole online migration plans and reverts to the schema it started from', () => {
    const p = plan(before, online);
    let s = p.after;
    for (const op of p.down) s = applyOp(s, op);
    expect(s).toEqual(before);
  });
});

describe('an online index build inside a transaction', () => {
  const node = (transactional?: boolean) => ({ file: 'migrations/x.ts', migration: { transactional } });

  test('is refused on PostgreSQL before anything runs, naming the migration and the way out', () => {
    expect(() => refuseInTransaction('20260101000000_x', node(), [online[0]], 'postgresql', 'up')).toThrow(HistoryError);
    expect(() => refuseInTransaction('20260101000000_x', node(), [online[3]], 'postgresql', 'down')).toThrow(
      "migration 20260101000000_x (migrations/x.ts), down(): dropIndex(project, project_name_index, { online: true }) builds CONCURRENTLY, which cannot run inside a transaction; add 'static transactional = false' to the migration class so it runs alone, outside a transaction",
    );
  });

  test('runs where the migration is not transactional, and on the dialects without CONCURRENTLY', () => {
    expect(() => refuseInTransaction('20260101000000_x', node(false), online, 'postgresql', 'up')).not.toThrow();
    for (const d of ['sqlite', 'mariadb', 'mysql'] as const) expect(() => refuseInTransaction('20260101000000_x', node(), online, d, 'up')).not.toThrow();
  });

  test('validation and the NOT NULL sequence may run in a transaction', () => {
    expect(() => refuseInTransaction('20260101000000_x', node(), online.slice(4), 'postgresql', 'up')).not.toThrow();
  });
});
