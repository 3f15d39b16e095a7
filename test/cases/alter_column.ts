import { schema, type DiffCase } from './types.ts';
import { user } from './tables.ts';

/**
 * Three changes, none of them risky: nullable → NOT NULL with a default, integer → bigint,
 * string(255) → string(320).
 */
export default {
  name: 'alter_column',
  before: schema({
    ...user,
    columns: [
      { name: 'id', type: 'integer', primary: true, autoincrement: true },
      { name: 'email', type: 'string', length: 255 },
      { name: 'name', type: 'string', length: 255 },
      { name: 'nickname', type: 'string', length: 50, nullable: true },
      { name: 'login_count', type: 'integer' },
    ],
  }),
  after: schema({
    ...user,
    columns: [
      { name: 'id', type: 'integer', primary: true, autoincrement: true },
      { name: 'email', type: 'string', length: 320 },
      { name: 'name', type: 'string', length: 255 },
      { name: 'nickname', type: 'string', length: 50, default: 'anonymous' },
      { name: 'login_count', type: 'bigint' },
    ],
  }),
} satisfies DiffCase;
