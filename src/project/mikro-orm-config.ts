import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import { loadUserModule } from '../loader/ts-loader.ts';
import { culprit } from './culprit.ts';

/**
 * Reads the app's own MikroORM config (`mikro-orm.config.ts`) and takes from it what tidemark
 * needs: entities, naming strategy, metadata provider, discovery options, driver, database and
 * migrations folder. Importing the file imports the app's driver package (and any entity class
 * it lists directly); nothing else of MikroORM is loaded here.
 */

/** The MikroORM options object the config file gave for the chosen context. */
export type MikroOrmOptions = Record<string, unknown>;

export interface AppOrmConfig {
  /** Absolute path of the MikroORM config file. */
  file: string;
  /**
   * The directory relative paths in that config are taken from. MikroORM itself takes them
   * from `baseDir` (default: the process's working directory); tidemark runs from anywhere in
   * the project, so it takes them from the config's own `baseDir` when set, else from the
   * project root: the directory where MikroORM's search found the config, or the nearest
   * package.json above it, which is where the app's `mikro-orm` CLI runs from.
   */
  root: string;
  options: MikroOrmOptions;
}

const show = (file: string) => relative(process.cwd(), file) || file;

/**
 * Loads `file` and picks the options for `contextName`, as MikroORM's CLI does
 * (searchConfiguration). `projectRoot` is where the app's CLI would run from.
 */
export async function loadMikroOrmConfig(file: string, contextName: string, projectRoot: string): Promise<AppOrmConfig> {
  let mod: Record<string, unknown>;
  try {
    mod = await loadUserModule(file);
  } catch (error) {
    const at = culprit(error, file);
    throw new ConfigError(`cannot load MikroORM config ${show(file)}${at ? ` (at ${at})` : ''}: ${firstLine(error)}`);
  }
  let options: unknown;
  try {
    options = await selectContext(await ('default' in mod ? mod.default : mod), contextName, show(file));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`MikroORM config ${show(file)}: ${firstLine(error)}`);
  }
  const o = options as MikroOrmOptions;
  const root = typeof o.baseDir === 'string' ? resolve(projectRoot, o.baseDir) : projectRoot;
  return { file, root, options: o };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

async function selectContext(exported: unknown, contextName: string, where: string): Promise<MikroOrmOptions> {
  const named = (cfg: unknown) => isObject(cfg) && ('contextName' in cfg ? cfg.contextName === contextName : contextName === 'default');
  const fromFactory = (cfg: unknown) => isObject(cfg) && (!('contextName' in cfg) || cfg.contextName === contextName);
  if (Array.isArray(exported)) {
    const first = exported.findIndex(named);
    if (first >= 0) {
      if (exported.findLastIndex(named) !== first) throw new ConfigError(`MikroORM config ${where}: context '${contextName}' appears more than once in the exported array`);
      return exported[first] as MikroOrmOptions;
    }
    for (const f of exported) {
      if (typeof f !== 'function') continue;
      const candidate = await f(contextName);
      if (fromFactory(candidate)) return candidate as MikroOrmOptions;
    }
    throw new ConfigError(`MikroORM config ${where}: no config for context '${contextName}' in the exported array (set contextName in tidemark.config.ts or MIKRO_ORM_CONTEXT_NAME)`);
  }
  if (typeof exported === 'function') {
    const result = await exported(contextName);
    if (!fromFactory(result)) throw new ConfigError(`MikroORM config ${where}: the exported function returned no config for context '${contextName}'`);
    return result as MikroOrmOptions;
  }
  if (!named(exported)) {
    if (!isObject(exported)) throw new ConfigError(`MikroORM config ${where} exports no config object (export default defineConfig({ ... }))`);
    throw new ConfigError(`MikroORM config ${where}: its config is for context '${String(exported.contextName)}', not '${contextName}'`);
  }
  return exported as MikroOrmOptions;
}

/** `entitiesTs` when it lists anything (MikroORM's CLI prefers it), else `entities`. */
export function appEntities(app: AppOrmConfig): unknown[] | undefined {
  const ts = app.options.entitiesTs;
  if (Array.isArray(ts) && ts.length > 0) return ts;
  const js = app.options.entities;
  return Array.isArray(js) && js.length > 0 ? js : undefined;
}

/**
 * The migrations folder the MikroORM config names, absolute, and which option named it
 * (`missingPath`: the `path` named beside a missing `pathTs`, missing too). `migrations.pathTs` only when that folder exists, else `path`: an image built with tsc ships
 * dist/migrations without src/, and tidemark loads compiled migrations as well as TypeScript
 * ones. When neither folder exists, `pathTs ?? path`, so gen-migration creates the TypeScript one.
 */
export function appMigrationsDir(app: AppOrmConfig): { dir: string; option: 'migrations.pathTs' | 'migrations.path'; missingPath?: string } | undefined {
  const m = app.options.migrations;
  if (!isObject(m)) return undefined;
  const at = (p: unknown) => (typeof p === 'string' && p ? (isAbsolute(p) ? p : resolve(app.root, p)) : undefined);
  const ts = at(m.pathTs);
  const js = at(m.path);
  if (ts && isDirectory(ts)) return { dir: ts, option: 'migrations.pathTs' };
  if (js && isDirectory(js)) return { dir: js, option: 'migrations.path' };
  // Neither is there (yet): the TypeScript one, for gen-migration to create.
  if (ts) return { dir: ts, option: 'migrations.pathTs', missingPath: js };
  return js ? { dir: js, option: 'migrations.path' } : undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export type AppDialect = 'sqlite' | 'postgresql' | 'mysql' | 'mariadb';

/** The SQL dialect of a MikroORM driver class, by its name (SqliteDriver, PostgreSqlDriver, ...). */
export function driverDialect(driver: unknown): AppDialect | 'unsupported' | undefined {
  if (typeof driver !== 'function') return undefined;
  const name = driver.name.toLowerCase();
  if (/sqlite|libsql/.test(name)) return 'sqlite';
  if (/postgre/.test(name)) return 'postgresql';
  if (/mariadb/.test(name)) return 'mariadb';
  if (/mysql/.test(name)) return 'mysql';
  return 'unsupported';
}

const SCHEMES: Record<AppDialect, string> = { sqlite: 'sqlite', postgresql: 'postgres', mysql: 'mysql', mariadb: 'mariadb' };
const DEFAULTS: Record<Exclude<AppDialect, 'sqlite'>, { user: string; port: number }> = {
  postgresql: { user: 'postgres', port: 5432 },
  mysql: { user: 'root', port: 3306 },
  mariadb: { user: 'root', port: 3306 },
};

/**
 * The database the MikroORM config connects to, as a tidemark URL: `clientUrl`, with `dbName`,
 * `host`, `port`, `user`, `password` and `schema` overriding its parts as MikroORM's connection
 * does (the driver's defaults otherwise). Undefined when it names no database.
 */
export async function appDatabaseUrl(app: AppOrmConfig): Promise<string | undefined> {
  const o = app.options;
  const where = `MikroORM config ${show(app.file)}`;
  const str = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
  const clientUrl = str('clientUrl');
  let dialect = driverDialect(o.driver);
  let fromUrl: URL | undefined;
  if (clientUrl) {
    try {
      fromUrl = new URL(clientUrl);
    } catch {
      throw new ConfigError(`${where}: clientUrl is not a valid URL`);
    }
    if (!dialect) {
      const scheme = fromUrl.protocol.replace(/:$/, '');
      dialect = scheme === 'postgres' || scheme === 'postgresql' ? 'postgresql' : scheme === 'mysql' ? 'mysql' : scheme === 'mariadb' ? 'mariadb' : undefined;
    }
  }
  if (dialect === 'unsupported') throw new ConfigError(`${where}: driver ${(o.driver as Function).name} is not supported by tidemark (SQLite, PostgreSQL, MySQL and MariaDB are)`);
  const dbName = str('dbName');
  if (!dialect) return undefined;
  if (dialect === 'sqlite') {
    const file = dbName ?? (fromUrl ? decodeURIComponent(fromUrl.pathname) : undefined);
    if (!file) return undefined;
    // Relative to the config's root (see AppOrmConfig.root); kept relative so it prints as written.
    return file === ':memory:' ? 'sqlite::memory:' : `sqlite:${isAbsolute(file) || file.startsWith('.') ? file : `./${file}`}`;
  }
  const defaults = DEFAULTS[dialect];
  const database = dbName ?? (fromUrl ? decodeURIComponent(fromUrl.pathname.replace(/^\//, '')) : '');
  if (!database) return undefined;
  const host = str('host') ?? (fromUrl?.hostname ? decodeURIComponent(fromUrl.hostname) : '127.0.0.1');
  const port = typeof o.port === 'number' ? o.port : fromUrl?.port ? Number(fromUrl.port) : defaults.port;
  const user = str('user') ?? (fromUrl?.username ? decodeURIComponent(fromUrl.username) : defaults.user);
  let password: unknown = o.password ?? (fromUrl?.password ? decodeURIComponent(fromUrl.password) : undefined);
  if (typeof password === 'function') password = await password();
  const schema = str('schema') ?? fromUrl?.searchParams.get('schema') ?? undefined;
  const auth = `${encodeURIComponent(user)}${typeof password === 'string' && password ? `:${encodeURIComponent(password)}` : ''}@`;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const query = schema && dialect === 'postgresql' ? `?schema=${encodeURIComponent(schema)}` : '';
  return `${SCHEMES[dialect]}://${auth}${hostPart}:${port}/${encodeURIComponent(database)}${query}`;
}
