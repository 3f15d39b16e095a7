import { schema, type DiffCase } from './types.ts';
import { project, user } from './tables.ts';

/** A pivot table between two existing tables: composite primary key, two FKs. */
export default {
  name: 'many_to_many_pivot',
  before: schema(project, user),
  after: schema(
    project,
    {
      name: 'project_members',
      columns: [
        { name: 'project_id', type: 'integer', primary: true },
        { name: 'user_id', type: 'integer', primary: true },
      ],
      indexes: [
        { name: 'project_members_project_id_index', columns: ['project_id'] },
        { name: 'project_members_user_id_index', columns: ['user_id'] },
      ],
      foreignKeys: [
        { name: 'project_members_project_id_foreign', columns: ['project_id'], referencedTable: 'project', referencedColumns: ['id'], onDelete: 'cascade' },
        { name: 'project_members_user_id_foreign', columns: ['user_id'], referencedTable: 'user', referencedColumns: ['id'], onDelete: 'cascade' },
      ],
    },
    user,
  ),
} satisfies DiffCase;
