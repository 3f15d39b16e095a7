import type { RenameHints } from '../../src/diff/diff.ts';
import type { SchemaSnapshot, TableDef } from '../../src/schema/types.ts';

/** One diff fixture: the schema before and after a change, and any rename hints. */
export interface DiffCase {
  /** snake_case: used as the migration slug and the snapshot file name. */
  name: string;
  before: SchemaSnapshot;
  after: SchemaSnapshot;
  renames?: RenameHints;
}

/** A snapshot holding `tables` (plain data; tables are listed sorted by name). */
export function schema(...tables: TableDef[]): SchemaSnapshot {
  return { format: 1, head: null, tables };
}
