import { schema, type DiffCase } from './types.ts';
import { project, user, userWithAge } from './tables.ts';

/** migrations/20261124090338_add_user_age.ts */
export default {
  name: 'add_user_age',
  before: schema(project, user),
  after: schema(project, userWithAge),
} satisfies DiffCase;
