export { defineConfig, resolveConfig, type ConfigInput, type ResolvedConfig, type TidemarkConfig } from './config.ts';
export { generateMigration, migrateDown, migrateUp, migrationSql, migrationStatus, replayHistory, resolveMigration, mergeHeads, rebuildSnapshot, checkProject, verifyMigrations, historyGraph } from './api.ts';
export type { SqlScriptOptions } from './migrate/sql-script.ts';
export type { GenerateOptions, GenerateResult } from './commands/generate.ts';
export type { DownOptions, FailedRun, MigrateResult, MigrationStatus, TransactionMode, UpOptions } from './migrate/run.ts';
export * from './errors.ts';
export * from './runtime/index.ts';
export type { Op } from './diff/ops.ts';
export type { SchemaSnapshot, TableDef, ColumnDef, IndexDef, ForeignKeyDef } from './schema/types.ts';
