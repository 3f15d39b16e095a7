import { schema, type DiffCase } from './types.ts';
import { project, user } from './tables.ts';

/** A FK on an existing (nullable) column, with onDelete 'set null' and onUpdate 'cascade'. */
const column = { name: 'reviewer_id', type: 'integer', nullable: true } as const;

export default {
  name: 'add_foreign_key',
  before: schema({ ...project, columns: [...project.columns, column] }, user),
  after: schema(
    {
      ...project,
      columns: [...project.columns, column],
      foreignKeys: [
        ...project.foreignKeys,
        {
          name: 'project_reviewer_id_foreign',
          columns: ['reviewer_id'],
          referencedTable: 'user',
          referencedColumns: ['id'],
          onDelete: 'set null',
          onUpdate: 'cascade',
        },
      ],
    },
    user,
  ),
} satisfies DiffCase;
