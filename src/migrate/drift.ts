import { existsSync } from 'node:fs';
import type { ResolvedConfig } from '../config.ts';
import { ConfigError, DatabaseError, HistoryError } from '../errors.ts';
import { recordAll } from '../history/history.ts';
import { schemaOfApplied } from '../history/replay.ts';
import { compareSchemas, type Drift } from '../introspect/drift.ts';
import { introspect, type Query } from '../introspect/introspect.ts';
import { expectedPhysical, type PhysicalSchema } from '../introspect/physical.ts';
import { configuredTables, managedPhysical } from '../schema/table-filter.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import type { DatabaseUrl } from '../url.ts';
import { withSession, type Session } from './run.ts';

/**
 * Tables no history describes and that are not the app's: tidemark's version table, and
 * MikroORM's own (`mikro_orm_migrations`), which a database adopted from MikroORM's migrations
 * keeps. tidemark's run lock lives outside the database (an advisory lock, `GET_LOCK`, or a
 * file beside a SQLite database), so there is no lock table to leave out.
 */
export function bookkeepingTables(config: ResolvedConfig): string[] {
  return [config.tableName, 'mikro_orm_migrations'];
}

/**
 * How the database a session has open differs from the schema the history says `applied`
 * (default: what it records as applied) makes. Tables the config's `tables` leaves out, and
 * foreign keys to them, are not compared: on either side, they are not tidemark's.
 */
export async function sessionDrift(s: Session, config: ResolvedConfig, applied: readonly string[] = s.executed): Promise<Drift[]> {
  const unknown = applied.filter((id) => !s.history.get(id));
  if (unknown.length) {
    throw new HistoryError(`cannot tell which schema ${s.url.display} should have: applied migration(s) ${unknown.join(', ')} have no file in the migrations folder`);
  }
  return compareSchemas(expectedManagedSchema(s, config, await recordAll(s.history), applied), await liveManagedSchema(s, config));
}

/**
 * The live schema of the session's database, without tidemark's bookkeeping (and `exclude`) or
 * the tables the config leaves out. `read.query` reads it on another connection (a migration's
 * transaction); `read.only` reads just those tables.
 */
export async function liveManagedSchema(
  s: Session,
  config: ResolvedConfig,
  exclude: readonly string[] = bookkeepingTables(config),
  read: { query?: Query; only?: readonly string[] } = {},
): Promise<PhysicalSchema> {
  return managedPhysical(await introspect(read.query ?? s.db.execute, s.url.dialect, [...exclude], s.url.schema, read.only), configuredTables(config));
}

/** The schema the history makes with `applied`, as the session's dialect stores it, limited as `liveManagedSchema` is. */
export function expectedManagedSchema(s: Session, config: ResolvedConfig, ops: Awaited<ReturnType<typeof recordAll>>, applied: Iterable<string>): PhysicalSchema {
  return managedExpected(s, config, schemaOfApplied(s.history, ops, applied));
}

/** `snapshot` as the session's dialect stores it, limited as `liveManagedSchema` is (and, given `only`, to those tables). */
export function managedExpected(s: Session, config: ResolvedConfig, snapshot: SchemaSnapshot, only?: ReadonlySet<string>): PhysicalSchema {
  const tables = only ? snapshot.tables.filter((t) => only.has(t.name)) : snapshot.tables;
  return managedPhysical(expectedPhysical({ ...snapshot, tables }, s.url.dialect), configuredTables(config));
}

export interface DriftReport {
  /** The database, as printed (password shown as ****). */
  database: string;
  /** Migrations the database records as applied: the schema it was compared with is theirs. */
  applied: string[];
  drift: Drift[];
}

/** Refuses to open a SQLite file that is not there: looking must not create it. */
export function requireExistingDatabase(url: DatabaseUrl | undefined, purpose: string): DatabaseUrl {
  if (!url) throw new ConfigError('no database URL: pass --url, set DATABASE_URL, or set url in the config');
  if (url.dialect === 'sqlite' && url.file !== ':memory:' && !existsSync(url.file!)) {
    throw new DatabaseError(`${url.display} does not exist: ${purpose}`);
  }
  return url;
}

/** Reads the live schema (read-only, no lock) and compares it with what its applied migrations make. */
export async function liveDrift(config: ResolvedConfig): Promise<DriftReport> {
  requireExistingDatabase(config.url, 'there is no schema to compare');
  return withSession(config, 'read-only', async (s) => ({ database: s.url.display, applied: [...s.executed], drift: await sessionDrift(s, config) }));
}
