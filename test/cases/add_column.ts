import { schema, type DiffCase } from './types.ts';
import { user } from './tables.ts';

/** Three new columns on `user`: nullable, NOT NULL with a default, NOT NULL without one (TM104). */
export default {
  name: 'add_column',
  before: schema(user),
  after: schema({
    ...user,
    columns: [
      ...user.columns,
      { name: 'bio', type: 'text', nullable: true },
      { name: 'active', type: 'boolean', default: true },
      { name: 'score', type: 'integer' },
    ],
  }),
} satisfies DiffCase;
