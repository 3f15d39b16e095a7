import { schema, type DiffCase } from './types.ts';
import { user } from './tables.ts';

/** migrations/20261124090333_create_user_table.ts */
export default {
  name: 'create_user_table',
  before: schema(),
  after: schema(user),
} satisfies DiffCase;
