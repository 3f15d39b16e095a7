import { schema, type DiffCase } from './types.ts';
import { project, user } from './tables.ts';

/** migrations/20261124090337_create_project_table.ts */
export default {
  name: 'create_project_table',
  before: schema(user),
  after: schema(project, user),
} satisfies DiffCase;
