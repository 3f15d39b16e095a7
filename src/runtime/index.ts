export { TidemarkMigration, type DropOptions, type MigrationClass, type OnlineOptions, type ValidateOptions } from './migration.ts';
export { TableBuilder } from './table-builder.ts';
export { RenamedFrom } from './renamed-from.ts';
export type { ColumnSpec, ColumnType, DefaultValue, ReferentialAction } from '../schema/types.ts';
export type { BackfillOptions, BackfillProgress, BackfillSet, BackfillValue, Batch, BatchOptions, DataContext, DataFunction } from './data.ts';
