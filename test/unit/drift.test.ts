import { describe, expect, it } from 'vitest';
import { compareSchemas, describeDrift } from '../../src/introspect/drift.ts';
import type { PhysicalSchema, PhysicalTable } from '../../src/introspect/physical.ts';
import { difference } from '../../src/migrate/verify.ts';

/** The comparison behind `check --url`, `migrate status`, `baseline` and `verify`, on plain data. */
const user = (): PhysicalTable => ({
  name: 'user',
  columns: [
    { name: 'email', type: 'varchar(255)', nullable: false },
    { name: 'id', type: 'integer', nullable: false },
  ],
  primaryKey: ['id'],
  indexes: [{ name: 'user_email_unique', columns: ['email'], unique: true }],
  foreignKeys: [],
});

const project = (): PhysicalTable => ({
  name: 'project',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'owner_id', type: 'integer', nullable: false },
  ],
  primaryKey: ['id'],
  indexes: [{ name: 'project_owner_id_index', columns: ['owner_id'], unique: false }],
  foreignKeys: [{ name: 'project_owner_id_foreign', columns: ['owner_id'], referencedTable: 'user', referencedColumns: ['id'], onDelete: 'cascade' }],
});

const schema = (...tables: PhysicalTable[]): PhysicalSchema => ({ tables });

describe('compareSchemas', () => {
  it('equal schemas: nothing', () => {
    expect(compareSchemas(schema(project(), user()), schema(project(), user()))).toEqual([]);
  });

  it('lists every difference, not only the first, in a stable order', () => {
    const got = schema(
      {
        ...project(),
        columns: [...project().columns, { name: 'note', type: 'text', nullable: true }],
        primaryKey: ['id', 'owner_id'],
        indexes: [{ name: 'project_owner_id_index', columns: ['owner_id'], unique: true }],
        foreignKeys: [{ name: 'project_owner_id_foreign', columns: ['owner_id'], referencedTable: 'user', referencedColumns: ['id'] }],
      },
      {
        ...user(),
        columns: [{ name: 'email', type: 'text', nullable: true }],
        indexes: [{ name: 'user_email_key', columns: ['email'], unique: true }, { name: 'by_hand', columns: ['id', 'email'], unique: false }],
      },
      { name: 'legacy', columns: [{ name: 'x', type: 'integer', nullable: true }], primaryKey: [], indexes: [], foreignKeys: [] },
    );
    expect(compareSchemas(schema(project(), user()), got).map(describeDrift)).toEqual([
      'extra table legacy: not in the history (1 column(s))',
      'extra column project.note: text null',
      'different primary key project: (id, owner_id), should be (id)',
      'different index project.project_owner_id_index: unique, should not be',
      'different foreign key project.project_owner_id_foreign: on delete no action, should be cascade',
      'different column user.email: type text, should be varchar(255); nullable, should be not null',
      'missing column user.id: integer not null',
      'extra index user.by_hand: (id, email)',
      'different index user.user_email_unique: named user_email_key, should be user_email_unique',
    ]);
  });

  it('foreign keys: matched by columns; target, on delete and name each compared; SQLite-style unnamed ones too', () => {
    const want = schema(project(), user());
    const retargeted = schema({ ...project(), foreignKeys: [{ name: 'fk_by_hand', columns: ['owner_id'], referencedTable: 'legacy_user', referencedColumns: ['uid'], onDelete: 'set null' }] }, user());
    expect(compareSchemas(want, retargeted)).toEqual([
      {
        kind: 'different',
        object: 'foreignKey',
        table: 'project',
        name: 'project_owner_id_foreign',
        detail: 'references legacy_user(uid), should reference user(id); on delete set null, should be cascade; named fk_by_hand, should be project_owner_id_foreign',
      },
    ]);
    const unnamed = (s: PhysicalSchema) => ({ tables: s.tables.map((t) => ({ ...t, foreignKeys: t.foreignKeys.map(({ name: _, ...f }) => f) })) });
    expect(compareSchemas(unnamed(want), unnamed(want))).toEqual([]);
    expect(compareSchemas(unnamed(want), schema({ ...project(), foreignKeys: [] }, user()))).toEqual([
      { kind: 'missing', object: 'foreignKey', table: 'project', name: 'owner_id', detail: '(owner_id) → user(id) on delete cascade' },
    ]);
    expect(compareSchemas(schema({ ...project(), foreignKeys: [] }, user()), want).map(describeDrift)).toEqual([
      'extra foreign key project.project_owner_id_foreign: (owner_id) → user(id) on delete cascade',
    ]);
  });

  it('a missing table, a primary key gone, index columns changed', () => {
    const got = schema({ ...user(), primaryKey: [], indexes: [{ name: 'user_email_unique', columns: ['email', 'id'], unique: true }] });
    expect(compareSchemas(schema(project(), user()), got).map(describeDrift)).toEqual([
      'missing table project: in the history (2 column(s)), not in the database',
      'missing primary key user: (id)',
      'different index user.user_email_unique: columns (email, id), should be (email)',
    ]);
  });
});

describe("verify's difference(): the first difference, in its old words", () => {
  it.each<[string, PhysicalSchema, string | undefined]>([
    ['equal', schema(project(), user()), undefined],
    ['an extra table', schema(project(), user(), { name: 'x', columns: [], primaryKey: [], indexes: [], foreignKeys: [] }), 'table x should not exist'],
    ['a missing table', schema(user()), 'table project is missing'],
    ['an extra column', schema(project(), { ...user(), columns: [...user().columns, { name: 'age', type: 'integer', nullable: true }] }), 'column user.age should not exist'],
    ['a missing column', schema(project(), { ...user(), columns: [user().columns[1]!] }), 'column user.email is missing'],
    ['a type', schema(project(), { ...user(), columns: [{ name: 'email', type: 'text', nullable: false }, user().columns[1]!] }), 'column user.email is text, should be varchar(255)'],
    ['nullability', schema(project(), { ...user(), columns: [{ name: 'email', type: 'varchar(255)', nullable: true }, user().columns[1]!] }), 'column user.email is nullable, should be not null'],
    ['an index', schema(project(), { ...user(), indexes: [] }), 'index user.user_email_unique is missing: unique (email)'],
    ['a foreign key', schema({ ...project(), foreignKeys: [] }, user()), 'foreign key project.project_owner_id_foreign is missing: (owner_id) → user(id) on delete cascade'],
    ['a primary key', schema({ ...project(), primaryKey: ['owner_id'] }, user()), 'primary key project differs: (owner_id), should be (id)'],
  ])('%s', (_what, got, message) => {
    expect(difference(schema(project(), user()), got)).toBe(message);
  });
});
