import { schema, type DiffCase } from './types.ts';
import { user } from './tables.ts';

/** An index goes; its column stays. */
export default {
  name: 'drop_index',
  before: schema({ ...user, indexes: [...user.indexes, { name: 'user_name_index', columns: ['name'] }] }),
  after: schema(user),
} satisfies DiffCase;
