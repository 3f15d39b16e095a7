import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';
import type { DialectName } from '../../src/dialect/dialect.ts';

/**
 * The real servers the database suites run against. Each test gets a database of its own,
 * created here and dropped afterwards, so suites are independent and can run in parallel.
 */
export const SERVERS = {
  postgresql: process.env.TIDEMARK_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test',
  mariadb: process.env.TIDEMARK_TEST_MYSQL_URL || 'mariadb://root@127.0.0.1:3306/test',
} as const;

export type ServerKind = keyof typeof SERVERS;

async function admin(kind: ServerKind): Promise<Database> {
  return openDatabase(parseDatabaseUrl(SERVERS[kind], process.cwd(), 'test'), 'tidemark_migrations', [], process.cwd());
}

/** Why a server cannot be used, or undefined when it can. Fails instead when CI requires the servers. */
export async function unavailable(kind: ServerKind): Promise<string | undefined> {
  try {
    const db = await admin(kind);
    await db.close();
    return undefined;
  } catch (error) {
    const reason = `${kind} at ${parseDatabaseUrl(SERVERS[kind], process.cwd(), 'test').display} is not reachable (${String((error as Error).message).split('\n')[0]}); set ${kind === 'postgresql' ? 'TIDEMARK_TEST_PG_URL' : 'TIDEMARK_TEST_MYSQL_URL'}`;
    if (process.env.TIDEMARK_REQUIRE_DATABASES) throw new Error(`TIDEMARK_REQUIRE_DATABASES is set but ${reason}`);
    console.warn(`SKIPPED database suite: ${reason}`);
    return reason;
  }
}

export interface TestDatabase {
  url: string;
  dialect: DialectName;
  drop(): Promise<void>;
}

/** A new, empty database on `kind`'s server, with a URL pointing at it. */
export async function freshDatabase(kind: ServerKind): Promise<TestDatabase> {
  const name = `tm_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const db = await admin(kind);
  await db.execute(`create database ${name}`);
  await db.close();
  const base = new URL(SERVERS[kind]);
  base.pathname = `/${name}`;
  return {
    url: base.toString(),
    dialect: kind === 'postgresql' ? 'postgresql' : 'mariadb',
    drop: async () => {
      const d = await admin(kind);
      await d.execute(kind === 'postgresql' ? `drop database if exists ${name} with (force)` : `drop database if exists ${name}`);
      await d.close();
    },
  };
}
