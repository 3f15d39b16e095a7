import type { MikroORM } from '@mikro-orm/core';
import type { Migrator } from './storage.ts';
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError } from '../errors.ts';
import { firstLine } from '../history/history.ts';
import { driverMikroOrm } from '../project/packages.ts';
import { liveMigrationClass, type RunSlot } from '../runtime/context.ts';
import type { MigrationClass } from '../runtime/migration.ts';
import type { DatabaseUrl } from '../url.ts';

export interface Database {
  orm: MikroORM;
  migrator: Migrator;
  /** This database's run context, set by the runner for a run; its migration instances read it. */
  run: RunSlot;
  /** Runs SQL outside any migration (pragmas, checks). */
  execute(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

type MikroOrmClass = new (o: object) => MikroORM;

/** Added to the session's sql_mode on MySQL/MariaDB. */
export const STRICT_SQL_MODE = 'STRICT_TRANS_TABLES,STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO';

/** MikroORM's platform for a dialect, for writing SQL without a connection (`--sql`). */
export async function offlinePlatform(dialect: DatabaseUrl['dialect'], baseDir: string, subject = `--dialect ${dialect}`) {
  const DriverMikroOrm = await driverMikroOrm<MikroOrmClass>(dialect, baseDir, subject);
  const orm = new DriverMikroOrm({
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
export async function openDatabase(url: DatabaseUrl, tableName: string, migrations: MigrationClass[], baseDir: string, options: { createDatabase?: boolean } = {}): Promise<Database> {
  if (url.dialect === 'sqlite' && url.file !== ':memory:') {
    const dir = dirname(url.file!);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new DatabaseError(`cannot open SQLite database ${url.display}: folder ${dir} does not exist`);
    }
    if (existsSync(url.file!) && statSync(url.file!).isDirectory()) {
      throw new DatabaseError(`cannot open SQLite database ${url.display}: it is a directory`);
    }
  }
  const DriverMikroOrm = await driverMikroOrm<MikroOrmClass>(url.dialect, baseDir, url.display);
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
  // MySQL/MariaDB under a non-strict sql_mode turn a value that does not convert into 0 or ''
  // with a warning: tidemark's own connections are strict whatever the server's default, so an
  // ALTER fails instead (the rest of the server's mode is kept).
  const strict =
    url.dialect === 'mysql' || url.dialect === 'mariadb'
      ? {
          onCreateConnection: async (conn: { executeQuery(q: unknown): Promise<unknown> }) => {
            const { CompiledQuery } = await import('kysely');
            await conn.executeQuery(CompiledQuery.raw(`set session sql_mode = concat_ws(',', nullif(@@session.sql_mode, ''), '${STRICT_SQL_MODE}')`));
          },
        }
      : {};
  const run: RunSlot = {};
  const orm = new DriverMikroOrm({
    ...connection,
    ...searchPath,
    ...strict,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    // A mistyped database name must fail, not appear: only `migrate up --create-database` creates one.
    ensureDatabase: options.createDatabase === true,
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
      migrationsList: migrations.map((m) => ({ name: m.id, class: liveMigrationClass(m, run) })),
    },
  });
  const conn = (orm.em as unknown as { getConnection(): { execute(sql: string, params?: unknown[], method?: string): Promise<unknown>; getNativeClient?(): Promise<unknown> } }).getConnection();
  const execute = async (sql: string, params: unknown[] = []) => (await conn.execute(sql, params, 'all')) as Record<string, unknown>[];
  let unstick = () => {};
  const close = async () => {
    unstick();
    await orm.close(true);
  };
  try {
    unstick = await guardConnections(url.dialect, conn);
    await execute('select 1');
  } catch (error) {
    await close().catch(() => undefined);
    const missing = url.dialect !== 'sqlite' && /does not exist|unknown database/i.test(firstLine(error));
    throw new DatabaseError(`cannot connect to ${url.display}: ${firstLine(error)}${missing ? ` (check the name; 'tidemark migrate up --create-database' creates it)` : ''}`);
  }
  const migrator = orm.migrator as Migrator;
  return { orm, migrator, run, execute, close };
}

type Emitter = { on(event: string, listener: (...args: never[]) => void): unknown };

/**
 * Every connection of the pool gets an 'error' listener: one that dies while idle (killed,
 * timed out, the server restarted) must not take the process down. On PostgreSQL, a client
 * whose connection broke while checked out is never handed back by the failed transaction, and
 * `pg`'s pool would wait for it forever on close (Node then exits 13 with no message): the
 * returned function hands such clients back so that close finishes.
 */
async function guardConnections(dialect: DatabaseUrl['dialect'], conn: { getNativeClient?(): Promise<unknown> }): Promise<() => void> {
  if (dialect === 'sqlite' || !conn.getNativeClient) return () => {};
  const pool = (await conn.getNativeClient()) as Emitter;
  if (dialect !== 'postgresql') {
    // mysql2 handles a pooled connection's first error itself (once): a second would be fatal.
    const seen = new WeakSet<Emitter>();
    const watch = (c: Emitter) => {
      if (!seen.has(c)) c.on('error', () => undefined);
      seen.add(c);
    };
    pool.on('connection', watch);
    pool.on('acquire', watch);
    return () => {};
  }
  type Client = Emitter & { release?: (error?: Error | boolean) => void };
  const out = new Set<Client>();
  const broken = new Set<Client>();
  const watched = new WeakSet<Client>();
  // Clients the pool opened before this ran (MikroORM checks the connection) are first seen here.
  pool.on('acquire', (c: Client) => {
    out.add(c);
    if (!watched.has(c)) c.on('error', () => broken.add(c));
    watched.add(c);
  });
  pool.on('release', (_e: unknown, c: Client) => out.delete(c));
  pool.on('remove', (c: Client) => (out.delete(c), broken.delete(c)));
  return () => {
    for (const c of broken) {
      if (!out.has(c)) continue;
      try {
        c.release?.(true);
      } catch {
        // Already handed back.
      }
    }
  };
}

/**
 * MikroORM's migrator creates the version table on its first init, probing the database on a
 * connection of its own: call it under the run lock, and before any transaction holds
 * SQLite's only connection.
 */
export async function initMigrator(db: Database): Promise<void> {
  await (db.migrator as unknown as { init(): Promise<void> }).init();
}
