import type { TableDef } from '../../src/schema/types.ts';

/** The `user` table of migrations/20261124090333_create_user_table.ts. */
export const user: TableDef = {
  name: 'user',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true, unsigned: true },
    { name: 'email', type: 'string', length: 255 },
    { name: 'name', type: 'string', length: 255 },
  ],
  indexes: [{ name: 'user_email_unique', columns: ['email'], unique: true }],
  foreignKeys: [],
};

/** `user` after migrations/20261124090338_add_user_age.ts. */
export const userWithAge: TableDef = {
  ...user,
  columns: [...user.columns, { name: 'age', type: 'integer', nullable: true }],
};

/** The `project` table of migrations/20261124090337_create_project_table.ts. */
export const project: TableDef = {
  name: 'project',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true, unsigned: true },
    { name: 'name', type: 'string', length: 100 },
    { name: 'description', type: 'text', nullable: true },
    { name: 'owner_id', type: 'integer', unsigned: true },
    { name: 'created_at', type: 'datetime' },
  ],
  indexes: [{ name: 'project_owner_id_index', columns: ['owner_id'], foreignKey: true }],
  foreignKeys: [
    { name: 'project_owner_id_foreign', columns: ['owner_id'], referencedTable: 'user', referencedColumns: ['id'], onDelete: 'cascade' },
  ],
};

/** `project` without its foreign key (the index on owner_id stays). */
export const projectWithoutFk: TableDef = { ...project, foreignKeys: [] };
