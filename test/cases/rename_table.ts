import { schema, type DiffCase } from './types.ts';
import { project, user } from './tables.ts';

/** `user` becomes `account` (a stated rename, not drop + create); `project`'s FK follows it. */
export default {
  name: 'rename_table',
  before: schema(project, user),
  after: schema(
    { ...user, name: 'account', indexes: [{ name: 'account_email_unique', columns: ['email'], unique: true }] },
    { ...project, foreignKeys: [{ ...project.foreignKeys[0]!, referencedTable: 'account' }] },
  ),
  renames: { tables: { user: 'account' } },
} satisfies DiffCase;
