import type { MikroORM } from '@mikro-orm/core';
import type { Migrator } from './storage.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, DatabaseError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import type { MigrationClass } from '../runtime/migration.ts';
import type { DatabaseUrl } from '../url.ts';

export interface Database {
  orm: MikroORM;
  migrator: Migrator;
  /** Runs SQL outside any migration (pragmas, checks). */
  execute(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

const DRIVERS = {
  sqlite: '@mikro-orm/sqlite',
  postgresql: '@mikro-orm/postgresql',
  mysql: '@mikro-orm/mysql',
  mariadb: '@mikro-orm/mariadb',
} as const;

type DriverModule = { MikroORM: new (o: object) => MikroORM };

/**
 * Where `name` resolves for the app in `baseDir`, or undefined. The app's own packages come
 * first: entities register into its MikroORM, and pnpm lets tidemark see only its own
 * dependencies. Tidemark's own resolution is the fallback only when the app does not install
 * tidemark (a global install, npx from elsewhere).
 */
function resolveForApp(name: string, baseDir: string): string | undefined {
  const app = createRequire(join(baseDir, 'package.json'));
  try {
    return app.resolve(name);
  } catch {
    try {
      app.resolve('tidemark/package.json');
      return undefined;
    } catch {
      try {
        return createRequire(import.meta.url).resolve(name);
      } catch {
        return undefined;
      }
    }
  }
}

/** `npm install @mikro-orm/<driver>@<the app's MikroORM version>`, the command that fixes a missing driver. */
function installCommand(pkg: string, baseDir: string): string {
  const core = resolveForApp('@mikro-orm/core/package.json', baseDir);
  let version: string | undefined;
  try {
    if (core) version = (JSON.parse(readFileSync(core, 'utf8')) as { version?: string }).version;
  } catch {
    // no version then: npm picks one matching the peer range
  }
  return `npm install ${pkg}${version ? `@${version}` : ''}`;
}

/**
 * The entry file of the driver package for `dialect`, resolved for the app. `subject` is what
 * needs it, as printed (the URL without its password, or `--dialect x`).
 */
export function resolveDriver(dialect: DatabaseUrl['dialect'], baseDir: string, subject: string): string {
  const pkg = DRIVERS[dialect];
  const entry = resolveForApp(pkg, baseDir);
  if (!entry) throw new ConfigError(`${subject} needs the driver package ${pkg}: ${installCommand(pkg, baseDir)}`);
  return entry;
}

/**
 * A require anchored at the package that depends on the dialect's client library (`pg`,
 * `mysql2`, `better-sqlite3`), so the client is the one the driver uses, in any layout.
 */
export function clientRequire(dialect: DatabaseUrl['dialect'], baseDir: string, subject: string): NodeJS.Require {
  const entry = resolveDriver(dialect, baseDir, subject);
  // @mikro-orm/mariadb builds on @mikro-orm/mysql, which holds mysql2.
  return createRequire(dialect === 'mariadb' ? createRequire(entry).resolve(DRIVERS.mysql) : entry);
}

/** Imports a module by the file `resolve` found (CommonJS modules come back as `default`). */
export async function importResolved<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(file).href)) as T;
}

async function importDriver(dialect: DatabaseUrl['dialect'], baseDir: string, subject: string): Promise<DriverModule> {
  const entry = resolveDriver(dialect, baseDir, subject);
  try {
    return await importResolved<DriverModule>(entry);
  } catch (error) {
    throw new DatabaseError(`the ${dialect} driver (${DRIVERS[dialect]}) cannot be loaded: ${firstLine(error)}`);
  }
}

/** MikroORM's platform for a dialect, for writing SQL without a connection (`--sql`). */
export async function offlinePlatform(dialect: DatabaseUrl['dialect'], baseDir = process.cwd(), subject = `--dialect ${dialect}`) {
  const driver = await importDriver(dialect, baseDir, subject);
  const orm = new driver.MikroORM({
    dbName: dialect === 'sqlite' ? ':memory:' : 'offline',
    entities: [],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: true,
  });
  return { platform: orm.em.getPlatform() as unknown as import('@mikro-orm/sql').AbstractSqlPlatform, charset: orm.config.get('charset') as string };
}

/**
 * Opens the database through MikroORM with its migrator, fed the classes we loaded
 * (in history order) instead of letting it glob and sort files by name. No entities are
 * discovered and no schema snapshot is written: `migrate` only runs migrations.
 */
export async function openDatabase(url: DatabaseUrl, tableName: string, migrations: MigrationClass[], baseDir = process.cwd()): Promise<Database> {
  if (url.dialect === 'sqlite' && url.file !== ':memory:') {
    const dir = dirname(url.file!);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new DatabaseError(`cannot open SQLite database ${url.display}: folder ${dir} does not exist`);
    }
    if (existsSync(url.file!) && statSync(url.file!).isDirectory()) {
      throw new DatabaseError(`cannot open SQLite database ${url.display}: it is a directory`);
    }
  }
  const driverModule = await importDriver(url.dialect, baseDir, url.display);
  const { Migrator } = await import('./storage.ts');
  const connection =
    url.dialect === 'sqlite'
      ? { dbName: url.file }
      : { dbName: url.database, host: url.host, port: url.port, user: url.user, password: url.password, ...(url.schema ? { schema: url.schema } : {}) };
  // `?schema=` on PostgreSQL: every connection of the pool works in that schema, so the
  // migrations' unqualified statements, the checks before them and the version table all
  // land there.
  const searchPath =
    url.dialect === 'postgresql' && url.schema
      ? {
          onCreateConnection: async (conn: { executeQuery(q: unknown): Promise<unknown> }) => {
            const { CompiledQuery } = await import('kysely');
            await conn.executeQuery(CompiledQuery.raw(`set search_path to "${url.schema!.replace(/"/g, '""')}"`));
          },
        }
      : {};
  const orm = new driverModule.MikroORM({
    ...connection,
    ...searchPath,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    allowGlobalContext: true,
    debug: Boolean(process.env.TIDEMARK_DEBUG_SQL),
    migrations: {
      tableName,
      snapshot: false,
      silent: true,
      // Toggled per batch segment by the runner (see run.ts).
      transactional: true,
      allOrNothing: true,
      disableForeignKeys: false,
      migrationsList: migrations.map((m) => ({ name: m.id, class: m })),
    },
  });
  const conn = (orm.em as unknown as { getConnection(): { execute(sql: string, params?: unknown[], method?: string): Promise<unknown> } }).getConnection();
  const execute = async (sql: string, params: unknown[] = []) => (await conn.execute(sql, params, 'all')) as Record<string, unknown>[];
  try {
    await execute('select 1');
  } catch (error) {
    await orm.close(true).catch(() => undefined);
    throw new DatabaseError(`cannot connect to ${url.display}: ${firstLine(error)}`);
  }
  const migrator = orm.migrator as Migrator;
  return { orm, migrator, execute, close: () => orm.close(true) };
}

/**
 * MikroORM's migrator creates the version table on its first init, probing the database on a
 * connection of its own: call it under the run lock, and before any transaction holds
 * SQLite's only connection.
 */
export async function initMigrator(db: Database): Promise<void> {
  await (db.migrator as unknown as { init(): Promise<void> }).init();
}
