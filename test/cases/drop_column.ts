import { schema, type DiffCase } from './types.ts';
import { user } from './tables.ts';

/** `user.nickname` goes, with the index on it (which must be dropped first). */
export default {
  name: 'drop_column',
  before: schema({
    ...user,
    columns: [...user.columns, { name: 'nickname', type: 'string', length: 50, nullable: true }],
    indexes: [...user.indexes, { name: 'user_nickname_index', columns: ['nickname'] }],
  }),
  after: schema(user),
} satisfies DiffCase;
