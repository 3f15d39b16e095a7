import { schema, type DiffCase } from './types.ts';
import { project, projectWithoutFk, user } from './tables.ts';

/** `project` loses its FK to `user`; the column and its index stay. */
export default {
  name: 'drop_foreign_key',
  before: schema(project, user),
  after: schema(projectWithoutFk, user),
} satisfies DiffCase;
