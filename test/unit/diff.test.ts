import { describe, expect, test } from 'vitest';
import { cases, type DiffCase } from '../cases/index.ts';
import { schema } from '../cases/types.ts';
import { user } from '../cases/tables.ts';
import { diff, type RenameHints } from '../../src/diff/diff.ts';
import type { Op } from '../../src/diff/ops.ts';
import { applyOps } from '../../src/schema/apply.ts';
import { canonical, frozen, problems, problemsAlong } from './support.ts';

/** One line per op, e.g. `dropForeignKey comment.comment_project_id_foreign`. */
function show(op: Op): string {
  switch (op.kind) {
    case 'createTable':
      return `createTable ${op.table.name}`;
    case 'dropTable':
      return `dropTable ${op.table}`;
    case 'renameTable':
      return `renameTable ${op.from}→${op.to}`;
    case 'addColumn':
    case 'alterColumn':
      return `${op.kind} ${op.table}.${op.column.name}`;
    case 'dropColumn':
      return `dropColumn ${op.table}.${op.column}`;
    case 'renameColumn':
      return `renameColumn ${op.table}.${op.from}→${op.to}`;
    case 'createIndex':
      return `createIndex ${op.table}.${op.index.name}`;
    case 'dropIndex':
      return `dropIndex ${op.table}.${op.index}`;
    case 'addForeignKey':
      return `addForeignKey ${op.table}.${op.foreignKey.name}`;
    case 'dropForeignKey':
      return `dropForeignKey ${op.table}.${op.foreignKey}`;
    case 'addCheck':
      return `addCheck ${op.table}.${op.check.name}`;
    case 'dropCheck':
      return `dropCheck ${op.table}.${op.check}`;
    case 'commentTable':
      return `commentTable ${op.table}`;
    case 'validateConstraint':
      return `validateConstraint ${op.table}.${op.name}`;
    case 'sql':
      return `sql ${op.sql}`;
  }
}

/** The hints that undo `hints` (column keys name the table as it is after the table renames). */
function reverseHints(hints: RenameHints = {}): RenameHints {
  const tables = Object.fromEntries(Object.entries(hints.tables ?? {}).map(([a, b]) => [b, a]));
  const columns = Object.fromEntries(
    Object.entries(hints.columns ?? {}).map(([key, to]) => {
      const dot = key.lastIndexOf('.');
      const table = key.slice(0, dot);
      return [`${tables[table] ?? table}.${to}`, key.slice(dot + 1)];
    }),
  );
  return { tables, columns };
}

const expectedOps: Record<string, string[]> = {
  create_table: ['createTable order', 'createTable line_item'],
  drop_table: ['dropForeignKey comment.comment_project_id_foreign', 'dropTable project', 'dropTable user'],
  rename_table: ['renameTable user→account', 'dropIndex account.user_email_unique', 'createIndex account.account_email_unique'],
  add_column: ['addColumn user.bio', 'addColumn user.active', 'addColumn user.score'],
  drop_column: ['dropIndex user.user_nickname_index', 'dropColumn user.nickname'],
  alter_column: ['alterColumn user.email', 'alterColumn user.nickname', 'alterColumn user.login_count'],
  rename_column: [
    'renameColumn project.owner_id→user_id',
    'renameColumn user.email→login',
    'dropForeignKey project.project_owner_id_foreign',
    'dropIndex project.project_owner_id_index',
    'dropIndex user.user_email_unique',
    'createIndex project.project_user_id_index',
    'createIndex user.user_login_unique',
    'addForeignKey project.project_user_id_foreign',
  ],
  create_index: ['createIndex project.project_owner_id_created_at_index'],
  create_unique_index: ['createIndex user.user_name_unique'],
  drop_index: ['dropIndex user.user_name_index'],
  add_foreign_key: ['addForeignKey project.project_reviewer_id_foreign'],
  drop_foreign_key: ['dropForeignKey project.project_owner_id_foreign'],
  many_to_many_pivot: ['createTable project_members'],
  fk_cycle: ['createTable book', 'createTable author', 'addForeignKey book.book_author_id_foreign'],
  create_user_table: ['createTable user'],
  create_project_table: ['createTable project'],
  add_user_age: ['addColumn user.age'],
};

test('every case has its expected operations listed', () => {
  expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(expectedOps).sort());
});

describe.each(cases.map((c) => [c.name, c] as [string, DiffCase]))('%s', (_name, c) => {
  test('fixtures are consistent and canonical', () => {
    expect(problems(c.before)).toEqual([]);
    expect(problems(c.after)).toEqual([]);
    expect(JSON.stringify(canonical(c.before))).toBe(JSON.stringify({ format: c.before.format, tables: c.before.tables }));
    expect(JSON.stringify(canonical(c.after))).toBe(JSON.stringify({ format: c.after.format, tables: c.after.tables }));
  });

  test('produces the expected operations', () => {
    expect(diff(c.before, c.after, c.renames).map(show)).toEqual(expectedOps[c.name]);
  });

  test('applying the diff to before gives after', () => {
    expect(canonical(applyOps(c.before, diff(c.before, c.after, c.renames)))).toEqual(canonical(c.after));
  });

  test('every intermediate schema is consistent (drop FKs before their tables, parents before children)', () => {
    expect(problemsAlong(c.before, diff(c.before, c.after, c.renames))).toEqual([]);
  });

  test('the reverse diff (reversed renames) turns after back into before, consistently', () => {
    const back = diff(c.after, c.before, reverseHints(c.renames));
    expect(canonical(applyOps(c.after, back))).toEqual(canonical(c.before));
    expect(problemsAlong(c.after, back)).toEqual([]);
  });

  test('no changes: a schema diffed with itself gives []', () => {
    expect(diff(c.before, c.before)).toEqual([]);
    expect(diff(c.after, c.after)).toEqual([]);
    expect(diff(c.after, structuredClone(c.after))).toEqual([]);
  });

  test('deterministic and pure: same input, identical output, inputs untouched', () => {
    const a = diff(frozen(c.before), frozen(c.after), c.renames && frozen(c.renames));
    const b = diff(structuredClone(c.before), structuredClone(c.after), c.renames && structuredClone(c.renames));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('ordering', () => {
  const byName = Object.fromEntries(cases.map((c) => [c.name, c]));
  const ops = (name: string) => {
    const c = byName[name]!;
    return diff(c.before, c.after, c.renames).map(show);
  };

  test('a FK is dropped before the table it references, children before parents', () => {
    const o = ops('drop_table');
    expect(o.indexOf('dropForeignKey comment.comment_project_id_foreign')).toBeLessThan(o.indexOf('dropTable project'));
    expect(o.indexOf('dropTable project')).toBeLessThan(o.indexOf('dropTable user'));
  });

  test('a parent is created before its child even when the child sorts first', () => {
    const o = ops('create_table');
    expect(o.indexOf('createTable order')).toBeLessThan(o.indexOf('createTable line_item'));
  });

  test('an index is dropped before its column', () => {
    const o = ops('drop_column');
    expect(o.indexOf('dropIndex user.user_nickname_index')).toBeLessThan(o.indexOf('dropColumn user.nickname'));
  });

  test('a FK cycle between two new tables: one FK is split out of createTable into addForeignKey', () => {
    const c = byName['fk_cycle']!;
    const [book, author, fk] = diff(c.before, c.after);
    expect(book).toMatchObject({ kind: 'createTable', table: { name: 'book', foreignKeys: [] } });
    expect(author).toMatchObject({ kind: 'createTable', table: { name: 'author', foreignKeys: [{ name: 'author_favorite_book_id_foreign' }] } });
    expect(fk).toEqual({ kind: 'addForeignKey', table: 'book', foreignKey: c.after.tables[1]!.foreignKeys[0] });
    // The table as created keeps everything but the split FK.
    expect(book).toMatchObject({ table: { columns: c.after.tables[1]!.columns, indexes: c.after.tables[1]!.indexes } });
  });

  test('dropping two tables in a FK cycle drops one FK first (the mirror of the split above)', () => {
    const c = byName['fk_cycle']!;
    const ops = diff(c.after, c.before);
    expect(ops[0]).toMatchObject({ kind: 'dropForeignKey' });
    expect(problemsAlong(c.after, ops)).toEqual([]);
  });

  // `a.code` is unique and referenced by `b`; both the column and `b` go in one migration.
  const a = {
    name: 'a',
    columns: [{ name: 'id', type: 'integer', primary: true }],
    indexes: [],
    foreignKeys: [],
  } satisfies DiffCase['after']['tables'][number];
  const aWithCode = {
    ...a,
    columns: [...a.columns, { name: 'code', type: 'string', length: 20 }],
    indexes: [{ name: 'a_code_unique', columns: ['code'], unique: true }],
  } satisfies DiffCase['after']['tables'][number];
  const b = {
    name: 'b',
    columns: [
      { name: 'id', type: 'integer', primary: true },
      { name: 'a_code', type: 'string', length: 20 },
    ],
    indexes: [],
    foreignKeys: [{ name: 'b_a_code_foreign', columns: ['a_code'], referencedTable: 'a', referencedColumns: ['code'] }],
  } satisfies DiffCase['after']['tables'][number];

  test('a new table whose FK references a column added in the same diff is created after that column', () => {
    const ops = diff(schema(a), schema(aWithCode, b));
    expect(problemsAlong(schema(a), ops)).toEqual([]);
  });

  test('a table whose FK references a dropped column is dropped before that column (and its unique index)', () => {
    const ops = diff(schema(aWithCode, b), schema(a));
    expect(problemsAlong(schema(aWithCode, b), ops)).toEqual([]);
    expect(ops.map(show).indexOf('dropTable b')).toBeLessThan(ops.map(show).indexOf('dropIndex a.a_code_unique'));
  });

  test('a self-referencing FK stays in its createTable', () => {
    const node = {
      name: 'node',
      columns: [
        { name: 'id', type: 'integer', primary: true },
        { name: 'parent_id', type: 'integer', nullable: true },
      ],
      indexes: [],
      foreignKeys: [{ name: 'node_parent_id_foreign', columns: ['parent_id'], referencedTable: 'node', referencedColumns: ['id'] }],
    } satisfies DiffCase['after']['tables'][number];
    expect(diff(schema(), schema(node))).toEqual([{ kind: 'createTable', table: node }]);
  });

  test('a new FK on an existing table to a new table comes after that createTable', () => {
    const withFk = {
      ...user,
      columns: [...user.columns, { name: 'team_id', type: 'integer', nullable: true }],
      foreignKeys: [{ name: 'user_team_id_foreign', columns: ['team_id'], referencedTable: 'team', referencedColumns: ['id'] }],
    } satisfies DiffCase['after']['tables'][number];
    const team = {
      name: 'team',
      columns: [{ name: 'id', type: 'integer', primary: true }],
      indexes: [],
      foreignKeys: [],
    } satisfies DiffCase['after']['tables'][number];
    const ops = diff(schema(user), schema(team, withFk));
    expect(ops.map(show)).toEqual(['addColumn user.team_id', 'createTable team', 'addForeignKey user.user_team_id_foreign']);
    expect(problemsAlong(schema(user), ops)).toEqual([]);
  });
});

describe('renames', () => {
  test('a rename is never guessed: without the hint a renamed table is dropped and created', () => {
    const c = cases.find((x) => x.name === 'rename_table')!;
    const ops = diff(c.before, c.after).map(show);
    expect(ops).toContain('dropTable user');
    expect(ops).toContain('createTable account');
    expect(ops.some((o) => o.startsWith('renameTable'))).toBe(false);
  });

  test('without the hint a renamed column is dropped and added', () => {
    const before = schema({ ...user, indexes: [] });
    const after = schema({ ...user, indexes: [], columns: user.columns.map((c) => (c.name === 'name' ? { ...c, name: 'full_name' } : c)) });
    expect(diff(before, after).map(show)).toEqual(['dropColumn user.name', 'addColumn user.full_name']);
    expect(diff(before, after, { columns: { 'user.name': 'full_name' } }).map(show)).toEqual(['renameColumn user.name→full_name']);
  });

  test('a column hint names the table as it is after the table renames', () => {
    const before = schema({ ...user, indexes: [] });
    const after = schema({ ...user, name: 'member', indexes: [], columns: user.columns.map((c) => (c.name === 'name' ? { ...c, name: 'full_name' } : c)) });
    const ops = diff(before, after, { tables: { user: 'member' }, columns: { 'member.name': 'full_name' } });
    expect(ops.map(show)).toEqual(['renameTable user→member', 'renameColumn member.name→full_name']);
    expect(canonical(applyOps(before, ops))).toEqual(canonical(after));
  });
});
