import { schema, type DiffCase } from './types.ts';
import { project, user } from './tables.ts';

/**
 * `user.email` becomes `user.login` and `project.owner_id` becomes `project.user_id`
 * (stated renames): the index and the FK on them are renamed to match.
 */
export default {
  name: 'rename_column',
  before: schema(project, user),
  after: schema(
    {
      ...project,
      columns: project.columns.map((c) => (c.name === 'owner_id' ? { ...c, name: 'user_id' } : c)),
      indexes: [{ name: 'project_user_id_index', columns: ['user_id'] }],
      foreignKeys: [
        { name: 'project_user_id_foreign', columns: ['user_id'], referencedTable: 'user', referencedColumns: ['id'], onDelete: 'cascade' },
      ],
    },
    {
      ...user,
      columns: user.columns.map((c) => (c.name === 'email' ? { ...c, name: 'login' } : c)),
      indexes: [{ name: 'user_login_unique', columns: ['login'], unique: true }],
    },
  ),
  renames: { columns: { 'user.email': 'login', 'project.owner_id': 'user_id' } },
} satisfies DiffCase;
