import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { firstLine } from './history/history.ts';
import { installTsLoader, loadUserModule } from './loader/ts-loader.ts';
import { parseDatabaseUrl, type DatabaseUrl } from './url.ts';

export interface TidemarkConfig {
  /** Entity classes, or globs of entity files relative to the config file (`./entities/*.ts`). */
  entities: (string | Function)[];
  /** Folder of migration files and the schema snapshot. Default `./migrations`. */
  migrations?: string;
  /** Database URL; `--url` and `DATABASE_URL` take precedence. */
  url?: string;
  /** Name of the table that records applied migrations. Default `tidemark_migrations`. */
  tableName?: string;
}

/** Identity function that gives a config file its types. */
export function defineConfig(config: TidemarkConfig): TidemarkConfig {
  return config;
}

export interface ResolvedConfig {
  baseDir: string;
  configFile?: string;
  entities: (string | Function)[];
  migrationsDir: string;
  snapshotFile: string;
  tableName: string;
  /** Undefined when no URL is configured anywhere; commands that need one say so. */
  url?: DatabaseUrl;
  cacheDir: string;
}

export interface ConfigInput {
  /** `--config`; default `tidemark.config.ts` in `cwd`. */
  config?: string;
  /** A config object instead of a file (programmatic use). */
  inline?: TidemarkConfig;
  cwd?: string;
  /** `--url` */
  url?: string;
  env?: NodeJS.ProcessEnv;
}

export const DEFAULT_CONFIG = 'tidemark.config.ts';
export const SNAPSHOT_FILE = '.tidemark-snapshot.json';

export async function resolveConfig(input: ConfigInput = {}): Promise<ResolvedConfig> {
  const cwd = input.cwd ?? process.cwd();
  const env = input.env ?? process.env;
  let config: TidemarkConfig;
  let baseDir = cwd;
  let configFile: string | undefined;
  if (input.inline) {
    config = input.inline;
  } else {
    configFile = resolve(cwd, input.config ?? DEFAULT_CONFIG);
    baseDir = dirname(configFile);
    if (!existsSync(configFile)) {
      throw new ConfigError(`config file not found: ${input.config ?? DEFAULT_CONFIG} (create it with defineConfig, or pass --config <path>)`);
    }
    installTsLoader({ cacheDir: cacheDirFor(baseDir) });
    let mod: Record<string, unknown>;
    try {
      mod = await loadUserModule(configFile);
    } catch (error) {
      throw new ConfigError(`cannot load config ${input.config ?? DEFAULT_CONFIG}: ${firstLine(error)}`);
    }
    config = (mod.default ?? mod.config) as TidemarkConfig;
    if (!config || typeof config !== 'object') {
      throw new ConfigError(`config ${input.config ?? DEFAULT_CONFIG} has no default export (export default defineConfig({ ... }))`);
    }
  }
  const where = configFile ? (input.config ?? DEFAULT_CONFIG) : 'config';
  if (!Array.isArray(config.entities)) throw new ConfigError(`${where}: 'entities' must be a list of entity classes or file globs`);
  const migrationsDir = resolve(baseDir, config.migrations ?? './migrations');
  let url: DatabaseUrl | undefined;
  if (input.url) url = parseDatabaseUrl(input.url, cwd, '--url');
  else if (env.DATABASE_URL) url = parseDatabaseUrl(env.DATABASE_URL, cwd, 'DATABASE_URL');
  else if (config.url) url = parseDatabaseUrl(config.url, baseDir, where);
  return {
    baseDir,
    configFile,
    entities: config.entities,
    migrationsDir,
    snapshotFile: join(migrationsDir, SNAPSHOT_FILE),
    tableName: config.tableName ?? 'tidemark_migrations',
    url,
    cacheDir: cacheDirFor(baseDir),
  };
}

function cacheDirFor(baseDir: string): string {
  return join(baseDir, 'node_modules', '.cache', 'tidemark');
}

export function absolute(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}
