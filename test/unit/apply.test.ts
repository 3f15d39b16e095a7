import { describe, expect, test } from 'vitest';
import { schema } from '../cases/types.ts';
import { project, user } from '../cases/tables.ts';
import type { Op } from '../../src/diff/ops.ts';
import { applyOp, applyOps, ReplayError } from '../../src/schema/apply.ts';
import { canonical, frozen } from './support.ts';

const base = () => schema(project, user);

describe('ReplayError on an operation that does not fit the schema', () => {
  test.each<[string, Op, RegExp]>([
    ['create an existing table', { kind: 'createTable', table: { ...user, indexes: [] } }, /createTable: table 'user' already exists/],
    ['drop a missing table', { kind: 'dropTable', table: 'nope' }, /dropTable: table 'nope' does not exist/],
    ['rename a missing table', { kind: 'renameTable', from: 'nope', to: 'x' }, /renameTable: table 'nope' does not exist/],
    ['rename onto an existing table', { kind: 'renameTable', from: 'user', to: 'project' }, /renameTable: table 'project' already exists/],
    ['add a column to a missing table', { kind: 'addColumn', table: 'nope', column: { name: 'x', type: 'integer' } }, /addColumn: table 'nope' does not exist/],
    ['add an existing column', { kind: 'addColumn', table: 'user', column: { name: 'email', type: 'text' } }, /addColumn: column 'user.email' already exists/],
    ['drop a missing column', { kind: 'dropColumn', table: 'user', column: 'nope' }, /dropColumn: column 'user.nope' does not exist/],
    ['drop an indexed column', { kind: 'dropColumn', table: 'user', column: 'email' }, /dropColumn: column 'user.email' is still used by 'user_email_unique'/],
    ['drop a column its own FK uses', { kind: 'dropColumn', table: 'project', column: 'owner_id' }, /dropColumn: column 'project.owner_id' is still used by/],
    ['alter a missing column', { kind: 'alterColumn', table: 'user', column: { name: 'nope', type: 'text' } }, /alterColumn: column 'user.nope' does not exist/],
    ['alter a column of a missing table', { kind: 'alterColumn', table: 'nope', column: { name: 'x', type: 'text' } }, /alterColumn: table 'nope' does not exist/],
    ['rename a missing column', { kind: 'renameColumn', table: 'user', from: 'nope', to: 'x' }, /renameColumn: column 'user.nope' does not exist/],
    ['rename onto an existing column', { kind: 'renameColumn', table: 'user', from: 'name', to: 'email' }, /renameColumn: column 'user.email' already exists/],
    ['create an existing index', { kind: 'createIndex', table: 'user', index: { name: 'user_email_unique', columns: ['name'] } }, /createIndex: index 'user_email_unique' already exists on 'user'/],
    ['create an index on a missing table', { kind: 'createIndex', table: 'nope', index: { name: 'i', columns: ['x'] } }, /createIndex: table 'nope' does not exist/],
    ['drop a missing index', { kind: 'dropIndex', table: 'user', index: 'nope' }, /dropIndex: index 'nope' does not exist on 'user'/],
    [
      'add an existing FK',
      { kind: 'addForeignKey', table: 'project', foreignKey: { ...project.foreignKeys[0]!, onDelete: undefined } },
      /addForeignKey: 'project_owner_id_foreign' already exists on 'project'/,
    ],
    ['drop a missing FK', { kind: 'dropForeignKey', table: 'project', foreignKey: 'nope' }, /dropForeignKey: 'nope' does not exist on 'project'/],
    ['drop a FK of a missing table', { kind: 'dropForeignKey', table: 'nope', foreignKey: 'f' }, /dropForeignKey: table 'nope' does not exist/],
  ])('%s', (_label, op, message) => {
    const s = frozen(base());
    expect(() => applyOp(s, op)).toThrow(ReplayError);
    expect(() => applyOp(s, op)).toThrow(message);
  });

  test('applyOps stops at the first bad op', () => {
    expect(() =>
      applyOps(base(), [
        { kind: 'addColumn', table: 'user', column: { name: 'age', type: 'integer', nullable: true } },
        { kind: 'addColumn', table: 'user', column: { name: 'age', type: 'integer', nullable: true } },
      ]),
    ).toThrow(/addColumn: column 'user.age' already exists/);
  });
});

/**
 * Inconsistencies that replay does not catch today: each leaves a schema that no database
 * can have, so the migration would only fail once it runs.
 */
describe('ReplayError on an operation that leaves a dangling reference', () => {
  test('drop a table another table still references', () => {
    expect(() => applyOp(base(), { kind: 'dropTable', table: 'user' })).toThrow(ReplayError);
  });

  test("drop a column another table's FK references", () => {
    const s = schema(project, { ...user, indexes: [] });
    expect(() => applyOp(s, { kind: 'dropColumn', table: 'user', column: 'id' })).toThrow(ReplayError);
  });

  test('create an index on a missing column', () => {
    expect(() => applyOp(base(), { kind: 'createIndex', table: 'user', index: { name: 'user_nope_index', columns: ['nope'] } })).toThrow(ReplayError);
  });

  test('add a FK to a missing table', () => {
    const op: Op = {
      kind: 'addForeignKey',
      table: 'project',
      foreignKey: { name: 'project_name_foreign', columns: ['name'], referencedTable: 'nope', referencedColumns: ['id'] },
    };
    expect(() => applyOp(base(), op)).toThrow(ReplayError);
  });
});

describe('what each op does', () => {
  test('never mutates its input, returns tables sorted by name', () => {
    const s = frozen(schema(user));
    const out = applyOp(s, { kind: 'createTable', table: { name: 'a', columns: [{ name: 'id', type: 'integer' }], indexes: [], foreignKeys: [] } });
    expect(out.tables.map((t) => t.name)).toEqual(['a', 'user']);
    expect(s.tables.map((t) => t.name)).toEqual(['user']);
  });

  test('hand-written SQL leaves the schema as it is', () => {
    const s = base();
    expect(applyOp(s, { kind: 'sql', sql: 'drop table user' })).toBe(s);
  });

  test('createTable stores the table in canonical form', () => {
    const out = applyOp(schema(), {
      kind: 'createTable',
      table: {
        name: 't',
        columns: [{ name: 'id', type: 'integer', nullable: false, length: 10, default: undefined, items: ['x'] }],
        indexes: [
          { name: 'b', columns: ['id'], unique: false },
          { name: 'a', columns: ['id'] },
        ],
        foreignKeys: [{ name: 'f', columns: ['id'], referencedTable: 't', referencedColumns: ['id'], onDelete: 'no action' }],
      },
    });
    expect(JSON.stringify(out.tables[0])).toBe(
      JSON.stringify({
        name: 't',
        columns: [{ name: 'id', type: 'integer' }],
        indexes: [
          { name: 'a', columns: ['id'] },
          { name: 'b', columns: ['id'] },
        ],
        foreignKeys: [{ name: 'f', columns: ['id'], referencedTable: 't', referencedColumns: ['id'] }],
      }),
    );
  });

  test('renameTable moves the FKs that point at it', () => {
    const out = applyOp(base(), { kind: 'renameTable', from: 'user', to: 'member' });
    expect(out.tables.map((t) => t.name)).toEqual(['member', 'project']);
    expect(out.tables[1]!.foreignKeys[0]!.referencedTable).toBe('member');
  });

  test('renameTable of a self-referencing table moves its own FK too', () => {
    const node = {
      name: 'node',
      columns: [
        { name: 'id', type: 'integer' as const, primary: true },
        { name: 'parent_id', type: 'integer' as const, nullable: true },
      ],
      indexes: [],
      foreignKeys: [{ name: 'fk', columns: ['parent_id'], referencedTable: 'node', referencedColumns: ['id'] }],
    };
    const out = applyOp(schema(node), { kind: 'renameTable', from: 'node', to: 'tree' });
    expect(out.tables[0]!.foreignKeys[0]!.referencedTable).toBe('tree');
  });

  test("renameColumn renames it in the table's indexes, its FKs and the FKs that point at it, in place", () => {
    let out = applyOp(base(), { kind: 'renameColumn', table: 'user', from: 'id', to: 'user_id' });
    expect(out.tables[0]!.foreignKeys[0]!.referencedColumns).toEqual(['user_id']);
    expect(out.tables[1]!.columns.map((c) => c.name)).toEqual(['user_id', 'email', 'name']);
    out = applyOp(out, { kind: 'renameColumn', table: 'project', from: 'owner_id', to: 'owner' });
    expect(out.tables[0]!.indexes[0]!.columns).toEqual(['owner']);
    expect(out.tables[0]!.foreignKeys[0]!.columns).toEqual(['owner']);
    expect(out.tables[0]!.columns.map((c) => c.name)).toEqual(['id', 'name', 'description', 'owner', 'created_at']);
  });

  test('alterColumn replaces the whole definition in place', () => {
    const out = applyOp(base(), { kind: 'alterColumn', table: 'user', column: { name: 'email', type: 'text', nullable: true } });
    expect(out.tables[1]!.columns).toEqual([user.columns[0], { name: 'email', type: 'text', nullable: true }, user.columns[2]]);
  });

  test('addColumn appends, dropColumn removes', () => {
    let out = applyOp(base(), { kind: 'addColumn', table: 'user', column: { name: 'age', type: 'integer', nullable: true } });
    expect(out.tables[1]!.columns.map((c) => c.name)).toEqual(['id', 'email', 'name', 'age']);
    out = applyOp(out, { kind: 'dropColumn', table: 'user', column: 'age' });
    expect(canonical(out)).toEqual(canonical(base()));
  });

  test('createIndex / addForeignKey keep indexes and FKs sorted by name', () => {
    let out = applyOp(base(), { kind: 'createIndex', table: 'user', index: { name: 'a_index', columns: ['name'] } });
    expect(out.tables[1]!.indexes.map((i) => i.name)).toEqual(['a_index', 'user_email_unique']);
    out = applyOp(out, {
      kind: 'addForeignKey',
      table: 'project',
      foreignKey: { name: 'a_fk', columns: ['owner_id'], referencedTable: 'user', referencedColumns: ['id'] },
    });
    expect(out.tables[0]!.foreignKeys.map((f) => f.name)).toEqual(['a_fk', 'project_owner_id_foreign']);
  });
});
