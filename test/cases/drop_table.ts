import { schema, type DiffCase } from './types.ts';
import { project, user } from './tables.ts';

/**
 * `project` and `user` go; `comment` stays but loses its FK to `project`. The FK must be
 * dropped before `project`, and `project` (the child) before `user` (its parent).
 */
const comment = {
  name: 'comment',
  columns: [
    { name: 'id', type: 'integer', primary: true, autoincrement: true },
    { name: 'project_id', type: 'integer', nullable: true },
    { name: 'body', type: 'text' },
  ],
  indexes: [],
  foreignKeys: [],
} satisfies DiffCase['before']['tables'][number];

export default {
  name: 'drop_table',
  before: schema(
    {
      ...comment,
      foreignKeys: [
        { name: 'comment_project_id_foreign', columns: ['project_id'], referencedTable: 'project', referencedColumns: ['id'], onDelete: 'set null' },
      ],
    },
    project,
    user,
  ),
  after: schema(comment),
} satisfies DiffCase;
