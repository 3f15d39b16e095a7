/**
 * What a program can do with tidemark, the same as the CLI: each call resolves the config
 * (file, inline object, `url`, `DATABASE_URL`) and loads the heavy parts only when called.
 */
import { requireMigrationsDir, resolveConfig, type ConfigInput } from './config.ts';
import type { SchemaSnapshot } from './schema/types.ts';
import type { GenerateOptions, GenerateResult } from './commands/generate.ts';
import type { DownOptions, MigrateResult, MigrationStatus, SessionOptions, UpOptions } from './migrate/run.ts';
import type { SqlScriptOptions } from './migrate/sql-script.ts';
import type { InitOptions, InitResult } from './commands/init.ts';
import type { BaselineOptions, BaselineResult } from './migrate/baseline.ts';
import type { Drift } from './introspect/drift.ts';
import { existsSync } from 'node:fs';
import { TidemarkError } from './errors.ts';

export async function generateMigration(options: ConfigInput & GenerateOptions): Promise<GenerateResult> {
  const config = await resolveConfig(options);
  return (await import('./commands/generate.ts')).generateMigration(config, options);
}

export async function migrateUp(options: ConfigInput & UpOptions = {}): Promise<MigrateResult> {
  const config = await resolveConfig(options);
  requireMigrationsDir(config);
  return (await import('./migrate/run.ts')).migrateUp(config, options);
}

export async function migrateDown(options: ConfigInput & DownOptions = {}): Promise<MigrateResult> {
  const config = await resolveConfig(options);
  requireMigrationsDir(config);
  return (await import('./migrate/run.ts')).migrateDown(config, options);
}

/** The SQL `up` or `down` would run, for a dialect, without touching a database. */
export async function migrationSql(options: ConfigInput & SqlScriptOptions & UpOptions & DownOptions): Promise<string> {
  const config = await resolveConfig(options);
  return (await import('./migrate/sql-script.ts')).migrationSql(config, options);
}

/** Marks a failed migration as applied or rolled back after a person repaired the schema. */
export async function resolveMigration(options: ConfigInput & SessionOptions & { id: string; outcome: 'applied' | 'rolled-back' }): Promise<MigrationStatus & { id: string }> {
  const config = await resolveConfig(options);
  return (await import('./migrate/run.ts')).resolveMigration(config, options.id, options.outcome, options);
}

/**
 * Where the database stands, and (`drift`) how its live schema differs from the one its applied
 * migrations make; `driftError` says why that comparison could not be made.
 */
export async function migrationStatus(options: ConfigInput = {}): Promise<MigrationStatus & { drift?: Drift[]; driftError?: string }> {
  const config = await resolveConfig(options);
  requireMigrationsDir(config);
  const status = await (await import('./migrate/run.ts')).migrationStatus(config);
  // A SQLite file that does not exist yet has no schema to compare (and must not be created).
  const url = config.url;
  if (url?.dialect === 'sqlite' && url.file !== ':memory:' && !existsSync(url.file!)) return status;
  try {
    return { ...status, drift: (await (await import('./migrate/drift.ts')).liveDrift(config)).drift };
  } catch (error) {
    // status reports what it can instead of refusing to report.
    if (!(error instanceof TidemarkError)) throw error;
    return { ...status, driftError: error.message };
  }
}

/**
 * Adopts an existing database (Alembic's `stamp`): records `target` (default: the single head)
 * and its ancestors as applied once the live schema is shown to be the history's there.
 * Refused differences come back in `drift` with `accepted: false`; nothing is written then.
 */
export async function baselineDatabase(options: ConfigInput & BaselineOptions = {}): Promise<BaselineResult> {
  const config = await resolveConfig(options);
  requireMigrationsDir(config);
  return (await import('./migrate/baseline.ts')).baselineDatabase(config, options);
}

/** The history in order, with the schema after each migration recomputed from the files alone. */
export async function replayHistory(options: ConfigInput = {}): Promise<{ order: string[]; heads: string[]; schemas: Record<string, SchemaSnapshot> }> {
  const config = await resolveConfig(options);
  const { installTsLoader } = await import('./loader/ts-loader.ts');
  const { loadHistory, recordAll } = await import('./history/history.ts');
  const { replay, schemaAt } = await import('./history/replay.ts');
  installTsLoader({ cacheDir: config.cacheDir });
  const history = await loadHistory(config.migrationsDir);
  const states = replay(history, await recordAll(history));
  return {
    order: [...history.order],
    heads: history.heads(),
    schemas: Object.fromEntries(history.order.map((id) => [id, schemaAt(states, id)])),
  };
}

/** Joins the heads of a branched history with a merge migration. */
export async function mergeHeads(options: ConfigInput & { message: string; now?: () => Date }): Promise<import('./commands/merge.ts').MergeResult> {
  const config = await resolveConfig(options);
  return (await import('./commands/merge.ts')).mergeHeads(config, options);
}

/** Replaces `to` and everything before it with one migration that stands for them (`static replaces`). */
export async function squashMigrations(options: ConfigInput & import('./commands/squash.ts').SquashOptions): Promise<import('./commands/squash.ts').SquashResult> {
  const config = await resolveConfig(options);
  return (await import('./commands/squash.ts')).squashHistory(config, options);
}

/** Rewrites the stored snapshot from the migration history. */
export async function rebuildSnapshot(options: ConfigInput = {}): Promise<{ file: string; head: string | null; changed: boolean }> {
  const config = await resolveConfig(options);
  return (await import('./commands/snapshot.ts')).rebuildSnapshot(config);
}

/**
 * Everything CI should fail on: broken files, several heads, a stale snapshot, uncaptured
 * entity changes. Given `url` (`check --url`), also compares that database's live schema with
 * the history: its differences are one `drift` problem.
 */
export async function checkProject(options: ConfigInput = {}): Promise<import('./commands/check.ts').CheckReport> {
  const config = await resolveConfig(options);
  return (await import('./commands/check.ts')).check(config, { drift: options.url !== undefined });
}

/** Applies every migration up, down and up again on a scratch database, comparing schemas at each step. */
export async function verifyMigrations(options: ConfigInput & { scratchUrl?: string } = {}): Promise<import('./migrate/verify.ts').VerifyReport> {
  const config = await resolveConfig({ ...options, url: undefined });
  return (await import('./migrate/verify.ts')).verifyHistory(config, { url: options.scratchUrl });
}

/**
 * The history newest first (README: "history --json"), marked against the database when `url`
 * (or the config) names one that answers; `range` is Alembic's `-r <from>:<to>`.
 */
export async function historyGraph(options: ConfigInput & { offline?: boolean; range?: string } = {}): Promise<{ migrations: import('./commands/history-view.ts').HistoryEntry[]; note?: string }> {
  const config = await resolveConfig(options);
  const { historyEntries, historyRange } = await import('./commands/history-view.ts');
  const { installTsLoader } = await import('./loader/ts-loader.ts');
  const { loadHistory } = await import('./history/history.ts');
  installTsLoader({ cacheDir: config.cacheDir });
  const history = await loadHistory(config.migrationsDir);
  const only = options.range !== undefined ? historyRange(history, options.range) : undefined;
  const entries = (applied?: ReadonlySet<string>) => historyEntries(history, config.migrationsDir, applied, only);
  if (!config.url || options.offline) return { migrations: entries() };
  try {
    const status = await (await import('./migrate/run.ts')).migrationStatus(config);
    const applied = status.applied.map((a) => a.id);
    // With a squash, the database may see the replaced migrations instead (history.ts).
    const seen = history.forDatabase(applied);
    return { migrations: historyEntries(seen, config.migrationsDir, new Set(applied), options.range !== undefined ? historyRange(seen, options.range) : undefined) };
  } catch (error) {
    return { migrations: entries(), note: `not marked against ${config.url.display}: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** One migration (an id, prefix, slug or `head`): message, parents, children, operations in words, its SQL on a dialect. */
export async function showMigration(options: ConfigInput & import('./commands/show.ts').ShowOptions): Promise<import('./commands/show.ts').ShowResult> {
  const config = await resolveConfig(options);
  return (await import('./commands/show.ts')).showMigration(config, options);
}

/** The newest applied migrations no other applied one follows (Alembic's `current`); empty at base. */
export async function currentRevision(options: ConfigInput = {}): Promise<{ database: string; current: string[] }> {
  const config = await resolveConfig(options);
  requireMigrationsDir(config);
  const status = await (await import('./migrate/run.ts')).migrationStatus(config);
  return { database: status.database, current: status.current };
}

/** The migrations no other follows (Alembic's `heads`), from the files alone; empty for an empty history. */
export async function historyHeads(options: ConfigInput = {}): Promise<{ heads: string[] }> {
  const config = await resolveConfig(options);
  const { installTsLoader } = await import('./loader/ts-loader.ts');
  const { loadHistory } = await import('./history/history.ts');
  installTsLoader({ cacheDir: config.cacheDir });
  return { heads: (await loadHistory(config.migrationsDir)).heads() };
}

/** Writes tidemark.config.ts (pointing at the app's MikroORM config when it has one) and creates the migrations folder. */
export async function initProject(options: InitOptions = {}): Promise<InitResult> {
  return (await import('./commands/init.ts')).initProject(options);
}

/**
 * For development databases: drops every table the applied migrations made and the version
 * table, then applies the whole history again, under the run lock. Refused on anything but
 * SQLite without `force`.
 */
export async function freshDatabase(options: ConfigInput & import('./commands/fresh.ts').FreshOptions = {}): Promise<import('./commands/fresh.ts').FreshResult> {
  const config = await resolveConfig(options);
  requireMigrationsDir(config);
  return (await import('./commands/fresh.ts')).freshDatabase(config, options);
}
