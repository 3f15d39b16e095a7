import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { firstLine } from './history/history.ts';
import { installTsLoader, loadUserModule } from './loader/ts-loader.ts';
import { findProject, packageRoot } from './project/find.ts';
import { appDatabaseUrl, appEntities, appMigrationsDir, loadMikroOrmConfig, type AppOrmConfig } from './project/mikro-orm-config.ts';
import { culprit } from './project/culprit.ts';
import { parseDatabaseUrl, type DatabaseUrl } from './url.ts';

/** An `EntitySchema` (or `defineEntity(...)` result): anything with MikroORM entity metadata. */
export interface EntitySchemaLike {
  readonly meta: object;
}

/** An entry of `entities`: a glob of entity files, an entity class, or an EntitySchema. */
export type EntityEntry = string | Function | EntitySchemaLike;

export interface TidemarkConfig {
  /**
   * Entity classes, EntitySchemas, or globs of entity files relative to this file
   * (`./entities/*.ts`). Optional with `mikroOrm`: the app's MikroORM config lists them; given
   * here, they replace that list.
   */
  entities?: EntityEntry[];
  /**
   * The app's MikroORM config (`./src/mikro-orm.config.ts`), relative to this file: tidemark
   * takes its entities, naming strategy, metadata provider, discovery options, driver, database
   * and migrations folder. Everything set here overrides it.
   */
  mikroOrm?: string;
  /** Which config of a MikroORM config that exports several (`MIKRO_ORM_CONTEXT_NAME` overrides). Default `default`. */
  contextName?: string;
  /** Folder of migration files and the schema snapshot. Default: the MikroORM config's `migrations.pathTs`/`path`, else `./migrations`. */
  migrations?: string;
  /** Database URL; `--url` and `DATABASE_URL` take precedence; default: the MikroORM config's database. */
  url?: string;
  /** Name of the table that records applied migrations. Default `tidemark_migrations`. */
  tableName?: string;
}

/** Identity function that gives a config file its types. */
export function defineConfig(config: TidemarkConfig): TidemarkConfig {
  return config;
}

/**
 * How MikroORM is to read the entities: the app's settings when it has a MikroORM config, so
 * table and column names come out exactly as the app's. Plain values handed to MikroORM as
 * they are; nothing here is loaded until entities are.
 */
export interface MetadataSettings {
  /** The app's `namingStrategy` class, if any. */
  namingStrategy?: unknown;
  /**
   * The app's `metadataProvider`. Unset: with a MikroORM config, MikroORM's default (explicit
   * types); with a tidemark config alone, `ReflectMetadataProvider` (types from decorator metadata).
   */
  metadataProvider?: unknown;
  /** Whose default applies when `metadataProvider` is unset. */
  defaultProvider: 'mikro-orm' | 'reflect';
  /** The app's `discovery` options. */
  discovery?: Record<string, unknown>;
  /** The app's `driver` class: its platform reads the metadata. */
  driver?: unknown;
  /** The app's default `schema` (PostgreSQL). */
  schema?: string;
  /** Other options that shape the schema MikroORM derives (`embeddables`, `schemaGenerator`), passed through. */
  extra?: Record<string, unknown>;
}

export interface ResolvedConfig {
  /** Directory relative paths of the tidemark config are taken from: its own, or the project root without one. */
  baseDir: string;
  configFile?: string;
  /** The app's MikroORM config file, when one is used. */
  mikroOrmConfig?: string;
  entities: EntityEntry[];
  /** Directory relative entity globs are taken from (the tidemark config's, or the MikroORM config's root). */
  entitiesBaseDir: string;
  /** Where `entities` came from, for messages: `tidemark.config.ts` or the MikroORM config's path. */
  entitiesSource: string;
  /** `entities` are the MikroORM config's (the tidemark config lists none). */
  entitiesFromMikroOrm: boolean;
  /** The app's root (nearest package.json): its packages (MikroORM, the driver) are resolved from here. */
  projectRoot: string;
  metadata: MetadataSettings;
  migrationsDir: string;
  /** Where `migrationsDir` came from, for messages: `'migrations' in tidemark.config.ts`, `migrations.pathTs in MikroORM config …`, `the default ./migrations`. */
  migrationsSource: string;
  snapshotFile: string;
  tableName: string;
  /** Undefined when no URL is configured anywhere; commands that need one say so. */
  url?: DatabaseUrl;
  cacheDir: string;
}

export interface ConfigInput {
  /** `--config`; default: `TIDEMARK_CONFIG`, else the nearest tidemark.config.ts from `cwd` upward, else the app's MikroORM config. */
  config?: string;
  /** A config object instead of a file (programmatic use); its relative paths are taken from `cwd`. */
  inline?: TidemarkConfig;
  cwd?: string;
  /** `--url` */
  url?: string;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_CONFIG = 'tidemark.config.ts';
export const SNAPSHOT_FILE = '.tidemark-snapshot.json';

const show = (file: string) => relative(process.cwd(), file) || file;

async function loadTidemarkConfig(file: string): Promise<TidemarkConfig> {
  let mod: Record<string, unknown>;
  try {
    mod = await loadUserModule(file);
  } catch (error) {
    const at = culprit(error, file);
    throw new ConfigError(`cannot load config ${show(file)}${at ? ` (at ${at})` : ''}: ${firstLine(error)}`);
  }
  const config = (mod.default ?? mod.config) as TidemarkConfig;
  if (!config || typeof config !== 'object') {
    throw new ConfigError(`config ${show(file)} has no default export (export default defineConfig({ ... }))`);
  }
  return config;
}

/**
 * The config a command runs with: the tidemark config (found upward from `cwd` like git finds
 * a repository), the app's MikroORM config it points at or that is found without one, and the
 * URL from `--url`, `DATABASE_URL`, the tidemark config or the MikroORM config, in that order.
 * Light on purpose: `migrate` runs through here at every deploy, so it loads no entity files
 * (only what the MikroORM config file itself imports).
 */
export async function resolveConfig(input: ConfigInput = {}): Promise<ResolvedConfig> {
  const cwd = input.cwd ?? process.cwd();
  const env = input.env ?? process.env;
  let config: TidemarkConfig;
  let baseDir: string;
  let configFile: string | undefined;
  let mikroOrmFile: string | undefined;
  if (input.inline) {
    config = input.inline;
    baseDir = resolve(cwd);
  } else {
    const found = findProject({ cwd, env, config: input.config });
    baseDir = found.baseDir;
    configFile = found.tidemarkConfig;
    mikroOrmFile = found.mikroOrmConfig;
    installTsLoader({ cacheDir: cacheDirFor(packageRoot(baseDir)) });
    config = configFile ? await loadTidemarkConfig(configFile) : {};
  }
  const where = configFile ? show(configFile) : 'config';
  if (config.mikroOrm !== undefined) {
    if (typeof config.mikroOrm !== 'string' || !config.mikroOrm) throw new ConfigError(`${where}: 'mikroOrm' must be the path of the app's MikroORM config`);
    mikroOrmFile = resolve(baseDir, config.mikroOrm);
    if (!fileExists(mikroOrmFile)) throw new ConfigError(`${where}: mikroOrm '${config.mikroOrm}' not found`);
  }
  if (config.entities !== undefined && !Array.isArray(config.entities)) throw new ConfigError(`${where}: 'entities' must be a list of entity classes or file globs`);
  if (config.entities === undefined && !mikroOrmFile) {
    throw new ConfigError(`${where}: 'entities' must be a list of entity classes or file globs (or set 'mikroOrm' to the app's MikroORM config)`);
  }

  let app: AppOrmConfig | undefined;
  if (mikroOrmFile) {
    installTsLoader({ cacheDir: cacheDirFor(packageRoot(baseDir)) });
    // Found by MikroORM's search: relative to where it was found; named by path: the package it is in.
    const ormRoot = configFile || input.inline ? packageRoot(dirname(mikroOrmFile), baseDir) : baseDir;
    app = await loadMikroOrmConfig(mikroOrmFile, env.MIKRO_ORM_CONTEXT_NAME || config.contextName || 'default', ormRoot);
  }

  const projectRoot = app ? packageRoot(dirname(app.file), baseDir) : packageRoot(baseDir);
  let entities: EntityEntry[];
  let entitiesBaseDir = baseDir;
  let entitiesSource = configFile ? show(configFile) : 'config';
  if (config.entities !== undefined) entities = config.entities;
  else {
    entities = (appEntities(app!) ?? []) as EntityEntry[];
    entitiesBaseDir = app!.root;
    entitiesSource = `MikroORM config ${show(app!.file)}`;
  }

  const fromApp = config.migrations === undefined && app ? appMigrationsDir(app) : undefined;
  const migrationsDir = config.migrations !== undefined ? absolute(baseDir, config.migrations) : (fromApp?.dir ?? resolve(baseDir, './migrations'));
  const migrationsSource =
    config.migrations !== undefined
      ? `'migrations' in ${where}`
      : fromApp
        ? `${fromApp.option} in MikroORM config ${show(app!.file)}${fromApp.missingPath ? `; its migrations.path ${show(fromApp.missingPath)} is missing too` : ''}`
        : 'the default ./migrations';

  let url: DatabaseUrl | undefined;
  if (input.url) url = parseDatabaseUrl(input.url, cwd, '--url');
  else if (env.DATABASE_URL) url = parseDatabaseUrl(env.DATABASE_URL, cwd, 'DATABASE_URL');
  else if (config.url) url = parseDatabaseUrl(config.url, baseDir, where);
  else if (app) {
    const fromApp = await appDatabaseUrl(app);
    if (fromApp) url = parseDatabaseUrl(fromApp, app.root, `MikroORM config ${show(app.file)}`);
  }

  return {
    baseDir,
    configFile,
    mikroOrmConfig: app?.file,
    entities,
    entitiesBaseDir,
    entitiesSource,
    entitiesFromMikroOrm: config.entities === undefined,
    projectRoot,
    metadata: app ? metadataFromApp(app) : { defaultProvider: 'reflect' },
    migrationsDir,
    migrationsSource,
    snapshotFile: join(migrationsDir, SNAPSHOT_FILE),
    tableName: config.tableName ?? 'tidemark_migrations',
    url,
    cacheDir: cacheDirFor(packageRoot(baseDir)),
  };
}

/** The options of the app's MikroORM config that decide what its metadata says. */
function metadataFromApp(app: AppOrmConfig): MetadataSettings {
  const o = app.options;
  const extra: Record<string, unknown> = {};
  for (const key of ['embeddables', 'schemaGenerator'] as const) if (o[key] !== undefined) extra[key] = o[key];
  return {
    namingStrategy: o.namingStrategy,
    metadataProvider: o.metadataProvider,
    defaultProvider: 'mikro-orm',
    discovery: typeof o.discovery === 'object' && o.discovery ? (o.discovery as Record<string, unknown>) : undefined,
    driver: o.driver,
    schema: typeof o.schema === 'string' ? o.schema : undefined,
    extra,
  };
}

/**
 * Refuses to run on a migrations folder that is not there: an empty history would read as
 * "up to date", hiding a wrong path or a folder left out of a deploy.
 */
export function requireMigrationsDir(config: ResolvedConfig): void {
  let isDir: boolean;
  try {
    isDir = statSync(config.migrationsDir).isDirectory();
  } catch {
    throw new ConfigError(
      `migrations folder ${show(config.migrationsDir)} not found (from ${config.migrationsSource}): fix the path, deploy the folder with the app, or create the first migration with \`tidemark gen-migration\``,
    );
  }
  if (!isDir) throw new ConfigError(`migrations folder ${show(config.migrationsDir)} is not a folder (from ${config.migrationsSource})`);
}

function fileExists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function cacheDirFor(root: string): string {
  return join(root, 'node_modules', '.cache', 'tidemark');
}

export function absolute(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
