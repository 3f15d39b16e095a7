import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import addForeignKey from '../cases/add_foreign_key.ts';
import alterColumn from '../cases/alter_column.ts';
import createIndex from '../cases/create_index.ts';
import createTable from '../cases/create_table.ts';
import createUniqueIndex from '../cases/create_unique_index.ts';
import dropIndex from '../cases/drop_index.ts';
import { project, user } from '../cases/tables.ts';
import { schema, type DiffCase } from '../cases/types.ts';
import { canonicalOp } from '../unit/support.ts';
import { emitMigration, type EmitInput } from '../../codegen/emit.ts';
import { diff } from '../../src/diff/diff.ts';
import type { Op } from '../../src/diff/ops.ts';
import { splitOnline } from '../../src/plan/online.ts';
import type { TableDef } from '../../src/schema/types.ts';
import { plan } from '../../src/plan/plan.ts';

/** A check constraint on a table that has rows. */
const addCheck: DiffCase = {
  name: 'add_check',
  before: schema(project, user),
  after: schema({ ...project, checks: [{ name: 'project_name_check', expression: "name <> ''" }] }, user),
};

/**
 * A many-to-one added to an existing table, pointing at a table created in the same
 * migration: the new table is built plainly, the key is added NOT VALID and validated online.
 */
const addRelation: DiffCase = {
  name: 'add_relation',
  before: schema(project, user),
  after: schema(
    {
      ...project,
      columns: [...project.columns, { name: 'team_id', type: 'integer', unsigned: true, nullable: true }],
      indexes: [...project.indexes, { name: 'project_team_id_index', columns: ['team_id'] }],
      foreignKeys: [...project.foreignKeys, { name: 'project_team_id_foreign', columns: ['team_id'], referencedTable: 'team', referencedColumns: ['id'] }],
    },
    {
      name: 'team',
      columns: [
        { name: 'id', type: 'integer', primary: true, autoincrement: true, unsigned: true },
        { name: 'name', type: 'string', length: 100 },
      ],
      indexes: [],
      foreignKeys: [],
    },
    user,
  ),
};

/** Only a NOT NULL: everything goes into the one, online, migration. */
const setNotNull: DiffCase = {
  name: 'set_not_null',
  before: schema(project, user),
  after: schema({ ...project, columns: project.columns.map((c) => (c.name === 'description' ? { ...c, nullable: false } : c)) }, user),
};

const ID = '20260101000000';
const ONLINE_ID = '20260101000001';
const PREVIOUS = '20251231000000_previous';
const runtime = fileURLToPath(new URL('../../src/runtime/index.ts', import.meta.url));

/** The one or two migrations gen-migration writes for a case, as it builds them. */
function inputsFor(c: DiffCase): EmitInput[] {
  const ops = diff(c.before, c.after, c.renames);
  const split = splitOnline(ops, c.before);
  if (split.online.length === 0) {
    const p = plan(c.before, ops);
    return [{ id: `${ID}_${c.name}`, parents: [PREVIOUS], message: c.name.replace(/_/g, ' '), up: p.up, down: p.down, warnings: p.warnings }];
  }
  const main = plan(c.before, split.main);
  const online = plan(main.after, split.online);
  const onlineInput = (id: string, parents: string[], message: string): EmitInput => ({ id, parents, message, up: online.up, down: online.down, warnings: online.warnings, transactional: false });
  if (split.main.length === 0) return [onlineInput(`${ID}_${c.name}`, [PREVIOUS], c.name.replace(/_/g, ' '))];
  const mainId = `${ID}_${c.name}`;
  const onlineId = `${ONLINE_ID}_${c.name}_online`;
  return [
    { id: mainId, parents: [PREVIOUS], message: c.name.replace(/_/g, ' '), up: main.up, down: main.down, warnings: main.warnings, followedBy: onlineId },
    onlineInput(onlineId, [mainId], `${c.name.replace(/_/g, ' ')} (online steps)`),
  ];
}

type MigrationLike = { id: string; parents: readonly string[]; transactional: boolean; record(method: 'up' | 'down'): Promise<Op[]> };

function migrationClass(module: Record<string, unknown>): MigrationLike {
  const classes = Object.values(module).filter((v) => typeof v === 'function' && 'record' in v);
  expect(classes).toHaveLength(1);
  return classes[0] as unknown as MigrationLike;
}

const scratch = mkdtempSync(join(tmpdir(), 'tidemark-online-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function load(input: EmitInput): Promise<MigrationLike> {
  const file = join(scratch, `${input.id}.ts`);
  writeFileSync(file, emitMigration({ ...input, importFrom: runtime }));
  return migrationClass(await import(pathToFileURL(file).href));
}

const canonicalOps = (ops: readonly Op[]) => ops.map(canonicalOp);
const slug = (id: string) => id.replace(/^\d+_/, '');

const cases = [createIndex, createUniqueIndex, dropIndex, addForeignKey, addCheck, alterColumn, setNotNull, addRelation];

describe.each(cases.map((c) => [c.name, c] as [string, DiffCase]))('%s on an existing table', (_name, c) => {
  const inputs = inputsFor(c);

  test('matches its snapshot files (main migration, then the online one)', async () => {
    for (const input of inputs) await expect(emitMigration(input)).toMatchFileSnapshot(`../snapshots/online/${slug(input.id)}.ts`);
  });

  test('the last migration runs outside a transaction; one before it stays transactional', async () => {
    const classes = await Promise.all(inputs.map(load));
    expect(classes.at(-1)!.transactional).toBe(false);
    if (classes.length === 2) expect(classes[0]!.transactional).toBe(true);
  });

  test('round trip: each file records up and down as planned (src/runtime and the snapshot through dist/)', async () => {
    for (const input of inputs) {
      for (const cls of [await load(input), migrationClass(await import(`../snapshots/online/${slug(input.id)}.ts`))]) {
        expect(cls.id).toBe(input.id);
        expect(canonicalOps(await cls.record('up'))).toEqual(canonicalOps(input.up));
        expect(canonicalOps(await cls.record('down'))).toEqual(canonicalOps(input.down!));
      }
    }
  });
});

describe('splitOnline', () => {
  const kinds = (ops: readonly Op[]) => ops.map((o) => `${o.kind}${'online' in o && o.online ? ' online' : ''}${'validate' in o && o.validate ? ` validate:${o.validate}` : ''}`);

  test('a table created in the same migration gets no online form', () => {
    const existing = new Set(createTable.before.tables.map((t) => t.name));
    const created = (t: TableDef) => (existing.has(t.name) ? t : { ...t, indexes: [...t.indexes, { name: `${t.name}_x_index`, columns: [t.columns[0]!.name] }] });
    const withIndex: DiffCase = { ...createTable, after: schema(...createTable.after.tables.map(created)) };
    const ops = diff(withIndex.before, withIndex.after);
    expect(splitOnline(ops, withIndex.before)).toEqual({ main: ops, online: [] });
  });

  test('the foreign key to a new table: added NOT VALID in the main migration, validated online; the plain index on the new column is built online', () => {
    const { main, online } = splitOnline(diff(addRelation.before, addRelation.after), addRelation.before);
    expect(kinds(main)).toEqual(['addColumn', 'createTable', 'addForeignKey validate:later']);
    expect(kinds(online)).toEqual(['createIndex online', 'validateConstraint']);
  });

  test('NOT NULL with other changes: the other changes stay in the main migration, the NOT NULL goes online', () => {
    const { main, online } = splitOnline(diff(alterColumn.before, alterColumn.after), alterColumn.before);
    const nickname = main.find((o): o is Extract<Op, { kind: 'alterColumn' }> => o.kind === 'alterColumn' && o.column.name === 'nickname');
    expect(nickname?.column).toMatchObject({ nullable: true, default: 'anonymous' });
    expect(online).toEqual([{ kind: 'alterColumn', table: 'user', column: expect.objectContaining({ name: 'nickname', default: 'anonymous' }), online: true }]);
    expect((online[0] as Extract<Op, { kind: 'alterColumn' }>).column.nullable).toBeFalsy();
  });

  test('an index whose column a later change in the migration drops or alters stays in the main migration', () => {
    const ops: Op[] = [
      { kind: 'createIndex', table: 'project', index: { name: 'project_name_index', columns: ['name'] } },
      { kind: 'alterColumn', table: 'project', column: { name: 'name', type: 'string', length: 200 } },
    ];
    expect(splitOnline(ops, addCheck.before)).toEqual({ main: ops, online: [] });
  });

  test("a foreign key's own index (foreignKey: true) stays with the key", () => {
    const ops: Op[] = [{ kind: 'createIndex', table: 'project', index: { name: 'project_name_index', columns: ['name'], foreignKey: true } }];
    expect(splitOnline(ops, addCheck.before)).toEqual({ main: ops, online: [] });
  });

  test('a unique index a new foreign key references stays before the key', () => {
    const ops: Op[] = [
      { kind: 'createIndex', table: 'user', index: { name: 'user_name_unique', columns: ['name'], unique: true } },
      { kind: 'addColumn', table: 'project', column: { name: 'owner_name', type: 'string', nullable: true } },
      { kind: 'addForeignKey', table: 'project', foreignKey: { name: 'project_owner_name_foreign', columns: ['owner_name'], referencedTable: 'user', referencedColumns: ['name'] } },
    ];
    const { main, online } = splitOnline(ops, addCheck.before);
    expect(kinds(main)).toEqual(['createIndex', 'addColumn', 'addForeignKey validate:later']);
    expect(kinds(online)).toEqual(['validateConstraint']);
  });

  test('an index remade under the same name for a new key to reference: both stay in the main migration, the key is validated online', () => {
    const before = schema(project, { ...user, indexes: [...user.indexes, { name: 'user_name_key', columns: ['name'] }] });
    const ops: Op[] = [
      { kind: 'dropIndex', table: 'user', index: 'user_name_key' },
      { kind: 'createIndex', table: 'user', index: { name: 'user_name_key', columns: ['name'], unique: true } },
      { kind: 'addColumn', table: 'project', column: { name: 'owner_name', type: 'string', nullable: true } },
      { kind: 'addForeignKey', table: 'project', foreignKey: { name: 'project_owner_name_foreign', columns: ['owner_name'], referencedTable: 'user', referencedColumns: ['name'] } },
    ];
    const { main, online } = splitOnline(ops, before);
    expect(kinds(main)).toEqual(['dropIndex', 'createIndex', 'addColumn', 'addForeignKey validate:later']);
    expect(kinds(online)).toEqual(['validateConstraint']);
  });

  // PostgreSQL names tables and indexes in one namespace per schema: `shared_idx` of a new table
  // collides with `shared_idx` of an old one until that one is dropped.
  const team = (indexName: string): TableDef => ({
    name: 'team',
    columns: [
      { name: 'id', type: 'integer', primary: true, autoincrement: true },
      { name: 'name', type: 'string', length: 100 },
    ],
    indexes: [{ name: indexName, columns: ['name'] }],
    foreignKeys: [],
  });
  const projectName: Op = { kind: 'createIndex', table: 'project', index: { name: 'project_name_index', columns: ['name'] } };

  test('an index dropped before a new table takes its name stays in the main migration, before that table', () => {
    const before = schema(project, { ...user, indexes: [...user.indexes, { name: 'shared_idx', columns: ['name'] }] });
    const ops: Op[] = [{ kind: 'dropIndex', table: 'user', index: 'shared_idx' }, { kind: 'createTable', table: team('shared_idx') }, projectName];
    const { main, online } = splitOnline(ops, before);
    expect(main).toEqual(ops.slice(0, 2));
    expect(online).toEqual([{ ...projectName, online: true }]);
  });

  test('an index built and dropped before a new table takes its name stays in the main migration (the mirror case)', () => {
    const ops: Op[] = [
      { kind: 'createIndex', table: 'user', index: { name: 'shared_idx', columns: ['name'] } },
      { kind: 'dropIndex', table: 'user', index: 'shared_idx' },
      { kind: 'createTable', table: team('shared_idx') },
      projectName,
    ];
    const { main, online } = splitOnline(ops, addCheck.before);
    expect(main).toEqual(ops.slice(0, 3));
    expect(online).toEqual([{ ...projectName, online: true }]);
  });

  test('an index remade under its name on its table moves online whole: drop, then build', () => {
    const before = schema(project, { ...user, indexes: [...user.indexes, { name: 'user_name_index', columns: ['name'] }] });
    const ops: Op[] = [
      { kind: 'dropIndex', table: 'user', index: 'user_name_index' },
      { kind: 'createIndex', table: 'user', index: { name: 'user_name_index', columns: ['name', 'email'] } },
    ];
    expect(splitOnline(ops, before)).toEqual({ main: [], online: ops.map((o) => ({ ...o, online: true })) });
  });

  test('hand-written SQL after a change keeps it in the main migration', () => {
    const ops: Op[] = [
      { kind: 'createIndex', table: 'project', index: { name: 'project_name_index', columns: ['name'] } },
      { kind: 'sql', sql: 'select 1' },
    ];
    expect(splitOnline(ops, addCheck.before)).toEqual({ main: ops, online: [] });
  });
});
