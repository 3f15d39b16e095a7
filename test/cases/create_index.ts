import { schema, type DiffCase } from './types.ts';
import { project, user } from './tables.ts';

/** A composite index on existing columns. */
export default {
  name: 'create_index',
  before: schema(project, user),
  after: schema(
    {
      ...project,
      indexes: [{ name: 'project_owner_id_created_at_index', columns: ['owner_id', 'created_at'] }, ...project.indexes],
    },
    user,
  ),
} satisfies DiffCase;
