import { describe, expect, test } from 'vitest';
import { cases, type DiffCase } from '../cases/index.ts';
import { schema } from '../cases/types.ts';
import { user } from '../cases/tables.ts';
import { diff } from '../../src/diff/diff.ts';
import type { Op } from '../../src/diff/ops.ts';
import { IrreversibleError, invert } from '../../src/plan/invert.ts';
import { lint } from '../../src/plan/lint.ts';
import { plan } from '../../src/plan/plan.ts';
import { applyOps } from '../../src/schema/apply.ts';
import type { ColumnDef } from '../../src/schema/types.ts';
import { canonical, frozen, problemsAlong } from './support.ts';

const planOf = (c: DiffCase) => plan(c.before, diff(c.before, c.after, c.renames));

const expectedWarnings: Record<string, string[]> = {
  drop_table: ['TM101 drop table project', 'TM101 drop table user'],
  add_column: ['TM104 add NOT NULL column user.score without a default'],
  drop_column: ['TM102 drop column user.nickname'],
};

describe.each(cases.map((c) => [c.name, c] as [string, DiffCase]))('%s', (_name, c) => {
  test('up is the diff, after is the target schema', () => {
    const ops = diff(c.before, c.after, c.renames);
    const p = plan(c.before, ops);
    expect(p.up).toEqual(ops);
    expect(canonical(p.after)).toEqual(canonical(c.after));
  });

  test('down undoes up: applying down to after gives before', () => {
    const p = planOf(c);
    expect(canonical(applyOps(p.after, p.down))).toEqual(canonical(c.before));
  });

  test('every intermediate schema of down is consistent', () => {
    const p = planOf(c);
    expect(problemsAlong(p.after, p.down)).toEqual([]);
  });

  test("down's own down redoes up", () => {
    const p = planOf(c);
    const back = plan(p.after, p.down);
    expect(canonical(applyOps(back.after, back.down))).toEqual(canonical(c.after));
  });

  test('warnings', () => {
    expect(planOf(c).warnings.map((w) => `${w.code} ${w.message}`)).toEqual(expectedWarnings[c.name] ?? []);
  });

  test('pure: planning does not touch its inputs', () => {
    const ops = diff(c.before, c.after, c.renames);
    expect(JSON.stringify(plan(frozen(c.before), frozen(ops)))).toBe(JSON.stringify(plan(c.before, ops)));
  });
});

describe('down, exactly', () => {
  const byName = Object.fromEntries(cases.map((c) => [c.name, c]));

  test('create tables: dropped newest first', () => {
    expect(planOf(byName['create_table']!).down).toEqual([
      { kind: 'dropTable', table: 'line_item' },
      { kind: 'dropTable', table: 'order' },
    ]);
  });

  test('drop tables: recreated from the schema they were dropped from, parents first, then the FK', () => {
    const c = byName['drop_table']!;
    const [comment, project, user] = c.before.tables;
    expect(planOf(c).down).toEqual([
      { kind: 'createTable', table: user },
      { kind: 'createTable', table: project },
      { kind: 'addForeignKey', table: 'comment', foreignKey: comment!.foreignKeys[0] },
    ]);
  });

  test('alter column: restores the full old definition', () => {
    const c = byName['alter_column']!;
    const old = (n: string) => c.before.tables[0]!.columns.find((x) => x.name === n);
    expect(planOf(c).down).toEqual([
      { kind: 'alterColumn', table: 'user', column: old('login_count') },
      { kind: 'alterColumn', table: 'user', column: old('nickname') },
      { kind: 'alterColumn', table: 'user', column: old('email') },
    ]);
  });

  test('renames: renamed back, in reverse order', () => {
    expect(planOf(byName['rename_table']!).down).toEqual([
      { kind: 'dropIndex', table: 'account', index: 'account_email_unique' },
      { kind: 'createIndex', table: 'account', index: { name: 'user_email_unique', columns: ['email'], unique: true } },
      { kind: 'renameTable', from: 'account', to: 'user' },
    ]);
  });

  test('FK cycle: the split FK is dropped before the tables', () => {
    expect(planOf(byName['fk_cycle']!).down).toEqual([
      { kind: 'dropForeignKey', table: 'book', foreignKey: 'book_author_id_foreign' },
      { kind: 'dropTable', table: 'author' },
      { kind: 'dropTable', table: 'book' },
    ]);
  });

  test('drop column: restores the column (at the end, where SQL ADD COLUMN puts it)', () => {
    expect(planOf(byName['drop_column']!).down).toEqual([
      { kind: 'addColumn', table: 'user', column: { name: 'nickname', type: 'string', length: 50, nullable: true } },
      { kind: 'createIndex', table: 'user', index: { name: 'user_nickname_index', columns: ['nickname'] } },
    ]);
  });

  test('dropping a middle column: down brings it back with every attribute, but as the last column', () => {
    const before = schema(user);
    const p = plan(before, [{ kind: 'dropColumn', table: 'user', column: 'email' }, { kind: 'dropIndex', table: 'user', index: 'user_email_unique' }].reverse() as Op[]);
    const restored = applyOps(p.after, p.down).tables[0]!;
    expect(restored.columns.map((c) => c.name)).toEqual(['id', 'name', 'email']);
    const sortCols = (t: typeof restored) => ({ ...t, columns: [...t.columns].sort((a, b) => a.name.localeCompare(b.name)) });
    expect(sortCols(canonical(schema(restored)).tables[0]!)).toEqual(sortCols(canonical(before).tables[0]!));
  });

  test('hand-written SQL cannot be inverted', () => {
    expect(() => invert({ kind: 'sql', sql: 'update user set name = 1' }, schema(user))).toThrow(IrreversibleError);
    expect(() => plan(schema(user), [{ kind: 'sql', sql: 'select 1' }])).toThrow(IrreversibleError);
  });

  test('inverting a drop of a table that is not there is an IrreversibleError', () => {
    expect(() => invert({ kind: 'dropTable', table: 'nope' }, schema(user))).toThrow(IrreversibleError);
  });
});

describe('lint', () => {
  const col = (spec: Omit<ColumnDef, 'name'>): ColumnDef => ({ name: 'c', ...spec });
  const table = (c: ColumnDef) => schema({ name: 't', columns: [{ name: 'id', type: 'integer', primary: true }, c], indexes: [], foreignKeys: [] });
  const alter = (from: Omit<ColumnDef, 'name'>, to: Omit<ColumnDef, 'name'>) =>
    lint({ kind: 'alterColumn', table: 't', column: col(to) }, table(col(from))).map((w) => w.code);

  test('TM101 on drop table, TM102 on drop column', () => {
    expect(lint({ kind: 'dropTable', table: 'user' }, schema(user))).toEqual([{ code: 'TM101', target: 'user', message: 'drop table user' }]);
    expect(lint({ kind: 'dropColumn', table: 'user', column: 'name' }, schema(user))).toEqual([{ code: 'TM102', target: 'user.name', message: 'drop column user.name' }]);
  });

  test.each<[string, Omit<ColumnDef, 'name'>, Omit<ColumnDef, 'name'>]>([
    ['string 255 → 100', { type: 'string', length: 255 }, { type: 'string', length: 100 }],
    ['string (default 255) → 100', { type: 'string' }, { type: 'string', length: 100 }],
    ['text → string', { type: 'text' }, { type: 'string', length: 255 }],
    ['decimal(10,2) → decimal(8,2)', { type: 'decimal', precision: 10, scale: 2 }, { type: 'decimal', precision: 8, scale: 2 }],
    ['decimal(10,4) → decimal(10,2): fewer decimals', { type: 'decimal', precision: 10, scale: 4 }, { type: 'decimal', precision: 10, scale: 2 }],
    ['decimal(10,2) → decimal(10,4): fewer integer digits (8 → 6)', { type: 'decimal', precision: 10, scale: 2 }, { type: 'decimal', precision: 10, scale: 4 }],
    ['bigint → integer', { type: 'bigint' }, { type: 'integer' }],
    ['integer → smallint', { type: 'integer' }, { type: 'smallint' }],
    ['double → float', { type: 'double' }, { type: 'float' }],
    ['enum losing an item', { type: 'enum', items: ['a', 'b', 'c'] }, { type: 'enum', items: ['a', 'b'] }],
    ['datetime → date', { type: 'datetime' }, { type: 'date' }],
    ['json → integer', { type: 'json' }, { type: 'integer' }],
  ])('TM103 on narrowing: %s', (_label, from, to) => {
    expect(alter(from, to)).toEqual(['TM103']);
  });

  test('the TM103 message says from what to what', () => {
    const w = lint({ kind: 'alterColumn', table: 't', column: col({ type: 'string', length: 100 }) }, table(col({ type: 'string', length: 255 })));
    expect(w).toEqual([{ code: 'TM103', target: 't.c', message: 'narrow column t.c (string(255) → string(100))' }]);
  });

  test.each<[string, Omit<ColumnDef, 'name'>, Omit<ColumnDef, 'name'>]>([
    ['string 100 → 255', { type: 'string', length: 100 }, { type: 'string', length: 255 }],
    ['string → text', { type: 'string', length: 255 }, { type: 'text' }],
    ['uuid → text', { type: 'uuid' }, { type: 'text' }],
    ['enum → text', { type: 'enum', items: ['a'] }, { type: 'text' }],
    ['enum → string (no length)', { type: 'enum', items: ['a'] }, { type: 'string' }],
    ['smallint → integer', { type: 'smallint' }, { type: 'integer' }],
    ['integer → bigint', { type: 'integer' }, { type: 'bigint' }],
    ['float → double', { type: 'float' }, { type: 'double' }],
    ['decimal(10,2) → decimal(12,2)', { type: 'decimal', precision: 10, scale: 2 }, { type: 'decimal', precision: 12, scale: 2 }],
    ['decimal(10,2) → decimal(12,4)', { type: 'decimal', precision: 10, scale: 2 }, { type: 'decimal', precision: 12, scale: 4 }],
    ['enum gaining an item', { type: 'enum', items: ['a', 'b'] }, { type: 'enum', items: ['a', 'b', 'c'] }],
    ['enum reordered', { type: 'enum', items: ['a', 'b'] }, { type: 'enum', items: ['b', 'a'] }],
    ['NOT NULL → nullable', { type: 'integer' }, { type: 'integer', nullable: true }],
    ['nullable → NOT NULL with a default', { type: 'integer', nullable: true }, { type: 'integer', default: 0 }],
    ['nullable → NOT NULL with a raw default', { type: 'datetime', nullable: true }, { type: 'datetime', defaultRaw: 'current_timestamp' }],
    ['a new default only', { type: 'integer' }, { type: 'integer', default: 3 }],
  ])('no warning on widening or safe change: %s', (_label, from, to) => {
    expect(alter(from, to)).toEqual([]);
  });

  test('TM104: nullable → NOT NULL without a default', () => {
    expect(lint({ kind: 'alterColumn', table: 't', column: col({ type: 'integer' }) }, table(col({ type: 'integer', nullable: true })))).toEqual([
      { code: 'TM104', target: 't.c', message: 'make t.c NOT NULL without a default' },
    ]);
  });

  test('TM103 and TM104 together', () => {
    expect(alter({ type: 'bigint', nullable: true }, { type: 'integer' })).toEqual(['TM103', 'TM104']);
  });

  test('TM104: adding a NOT NULL column without a default, but not with a default, raw default, nullable or autoincrement', () => {
    const add = (spec: Omit<ColumnDef, 'name'>) => lint({ kind: 'addColumn', table: 'user', column: { name: 'x', ...spec } }, schema(user));
    expect(add({ type: 'integer' })).toEqual([{ code: 'TM104', target: 'user.x', message: 'add NOT NULL column user.x without a default' }]);
    expect(add({ type: 'integer', default: 0 })).toEqual([]);
    expect(add({ type: 'boolean', default: false })).toEqual([]);
    expect(add({ type: 'string', default: '' })).toEqual([]);
    expect(add({ type: 'datetime', defaultRaw: 'current_timestamp' })).toEqual([]);
    expect(add({ type: 'integer', nullable: true })).toEqual([]);
    expect(add({ type: 'integer', autoincrement: true })).toEqual([]);
  });

  test('no warning on creates, renames, indexes and FKs', () => {
    const s = schema(user);
    const ops: Op[] = [
      { kind: 'createTable', table: { name: 'x', columns: [{ name: 'id', type: 'integer' }], indexes: [], foreignKeys: [] } },
      { kind: 'renameTable', from: 'user', to: 'member' },
      { kind: 'renameColumn', table: 'user', from: 'name', to: 'n' },
      { kind: 'createIndex', table: 'user', index: { name: 'i', columns: ['name'] } },
      { kind: 'dropIndex', table: 'user', index: 'user_email_unique' },
      { kind: 'dropForeignKey', table: 'user', foreignKey: 'f' },
    ];
    for (const op of ops) expect(lint(op, s)).toEqual([]);
  });
});
