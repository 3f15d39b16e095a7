import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../src/migrate/database.ts';
import { parseDatabaseUrl } from '../../src/url.ts';

/** Helpers the fleet suites share: the library's (test/db/fleet.test.ts) and the CLI's (test/e2e/fleet-cli.test.ts). */

/** The prefix of the schemas and databases one suite file makes: `tm_`, its pid and a random part. */
export const fleetStamp = (): string => `tm_${process.pid}_${randomBytes(2).toString('hex')}`;

/** Runs `statements` in order on one connection to `url` and returns the last one's rows. */
export async function sql(url: string, statements: string[]): Promise<Record<string, unknown>[]> {
  const db = await openDatabase(parseDatabaseUrl(url, process.cwd(), 'test'), 'tidemark_migrations', [], process.cwd());
  try {
    let last: Record<string, unknown>[] = [];
    for (const s of statements) last = await db.execute(s);
    return last;
  } finally {
    await db.close();
  }
}

/**
 * What a test's name ends with when its server is unreachable: a skipped database test says so in
 * its name (`unavailable` in servers.ts gives the reason, or fails under TIDEMARK_REQUIRE_DATABASES).
 */
export const skipped = (reason: string | undefined): string => (reason ? ` (skipped: ${reason})` : '');
