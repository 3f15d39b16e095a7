import addColumn from './add_column.ts';
import addForeignKey from './add_foreign_key.ts';
import alterColumn from './alter_column.ts';
import createIndex from './create_index.ts';
import createTable from './create_table.ts';
import createUniqueIndex from './create_unique_index.ts';
import dropColumn from './drop_column.ts';
import dropForeignKey from './drop_foreign_key.ts';
import dropIndex from './drop_index.ts';
import dropTable from './drop_table.ts';
import fkCycle from './fk_cycle.ts';
import manyToManyPivot from './many_to_many_pivot.ts';
import renameColumn from './rename_column.ts';
import renameTable from './rename_table.ts';
import seedAddUserAge from './seed_add_user_age.ts';
import seedCreateProjectTable from './seed_create_project_table.ts';
import seedCreateUserTable from './seed_create_user_table.ts';
import type { DiffCase } from './types.ts';

export type { DiffCase } from './types.ts';

/** Every fixture, one per kind of change. */
export const cases: readonly DiffCase[] = [
  createTable,
  dropTable,
  renameTable,
  addColumn,
  dropColumn,
  alterColumn,
  renameColumn,
  createIndex,
  createUniqueIndex,
  dropIndex,
  addForeignKey,
  dropForeignKey,
  manyToManyPivot,
  fkCycle,
  seedCreateUserTable,
  seedCreateProjectTable,
  seedAddUserAge,
];

/** The seed cases and the committed migration each one mirrors (migrations/<id>.ts). */
export const seeds: readonly { case: DiffCase; id: string; parents: string[]; className: string }[] = [
  { case: seedCreateUserTable, id: '20261124090333_create_user_table', parents: [], className: 'CreateUserTable' },
  { case: seedCreateProjectTable, id: '20261124090337_create_project_table', parents: ['20261124090333_create_user_table'], className: 'CreateProjectTable' },
  { case: seedAddUserAge, id: '20261124090338_add_user_age', parents: ['20261124090337_create_project_table'], className: 'AddUserAge' },
];
