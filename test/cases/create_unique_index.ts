import { schema, type DiffCase } from './types.ts';
import { user } from './tables.ts';

/** A unique index on an existing column. */
export default {
  name: 'create_unique_index',
  before: schema(user),
  after: schema({ ...user, indexes: [...user.indexes, { name: 'user_name_unique', columns: ['name'], unique: true }] }),
} satisfies DiffCase;
