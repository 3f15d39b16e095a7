/**
 * What a program can do with tidemark, the same as the CLI: each call resolves the config
 * (file, inline object, `url`, `DATABASE_URL`) and loads the heavy parts only when called.
 */
import { resolveConfig, type ConfigInput } from './config.ts';
import type { GenerateOptions, GenerateResult } from './commands/generate.ts';
import type { DownOptions, MigrateResult, MigrationStatus, UpOptions } from './migrate/run.ts';

export async function generateMigration(options: ConfigInput & GenerateOptions): Promise<GenerateResult> {
  const config = await resolveConfig(options);
  return (await import('./commands/generate.ts')).generateMigration(config, options);
}

export async function migrateUp(options: ConfigInput & UpOptions = {}): Promise<MigrateResult> {
  const config = await resolveConfig(options);
  return (await import('./migrate/run.ts')).migrateUp(config, options);
}

export async function migrateDown(options: ConfigInput & DownOptions = {}): Promise<MigrateResult> {
  const config = await resolveConfig(options);
  return (await import('./migrate/run.ts')).migrateDown(config, options);
}

export async function migrationStatus(options: ConfigInput = {}): Promise<MigrationStatus> {
  const config = await resolveConfig(options);
  return (await import('./migrate/run.ts')).migrationStatus(config);
}
