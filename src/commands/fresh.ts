import type { ResolvedConfig } from '../config.ts';
import { ConfigError, HistoryError, TargetError } from '../errors.ts';
import { recordAll } from '../history/history.ts';
import { schemaOfApplied } from '../history/replay.ts';
import { run, statusOf, withSession, type MigrateResult, type RunControl, type SessionOptions, type TransactionMode } from '../migrate/run.ts';
import { versionTableSql } from '../migrate/storage.ts';
import type { DataLossOptions } from '../migrate/preconditions.ts';

export interface FreshOptions extends SessionOptions, RunControl, DataLossOptions {
  /** Required on any database but SQLite: fresh is for development databases. */
  force?: boolean;
  transaction?: TransactionMode;
}

export interface FreshResult extends MigrateResult {
  /** The tables dropped (those the applied migrations made), the version table left out. */
  dropped: string[];
}

/**
 * Drops every table the history's applied migrations made, and the version table, then applies
 * the whole history again (every head), all under the run lock. Tables the history does not
 * know are left alone. Refused on anything but SQLite unless `force`.
 */
export async function freshDatabase(config: ResolvedConfig, options: FreshOptions = {}): Promise<FreshResult> {
  const url = config.url;
  if (!url) throw new ConfigError('no database URL: pass --url, set DATABASE_URL, or set url in the config');
  if (url.dialect !== 'sqlite' && !options.force) {
    throw new TargetError(`fresh drops every table tidemark manages on ${url.display}, a ${url.dialect} database: refused without --force (nothing changed)`);
  }
  return withSession(config, options, async (s) => {
    const unknown = s.rows.map((r) => r.name).filter((id) => !s.history.get(id));
    if (unknown.length) {
      throw new HistoryError(
        `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} recorded in ${url.display} but ${unknown.length === 1 ? 'has' : 'have'} no migration file, so the tables ${unknown.length === 1 ? 'it' : 'they'} made are unknown: restore the file, or 'tidemark migrate resolve <id> --rolled-back', then run fresh again (nothing changed)`,
      );
    }
    // A failed or interrupted migration may have left tables too (outside a transaction): they go as well.
    const recorded = s.rows.map((r) => r.name);
    const tables = schemaOfApplied(s.history, await recordAll(s.history), recorded).tables.map((t) => t.name);
    const platform = s.db.orm.em.getPlatform();
    const { tableName, schemaName } = s.db.migrator.versionTable.getTableName();
    const q = (name: string) => platform.quoteIdentifier(name);
    const versionTable = schemaName && schemaName !== platform.getDefaultSchemaName() ? `${q(schemaName)}.${q(tableName)}` : q(tableName);
    const dialect = url.dialect;
    const conn = s.db.orm.em.getConnection();
    // Foreign keys between the dropped tables must not stop a drop: SQLite ignores the pragma
    // inside a transaction; MySQL/MariaDB's setting is per connection, the transaction's.
    if (dialect === 'sqlite') await s.db.execute('pragma foreign_keys = off');
    try {
      await conn.transactional(async (trx) => {
        const exec = (sql: string) => conn.execute(sql, [], 'run', trx);
        const mysql = dialect === 'mysql' || dialect === 'mariadb';
        if (mysql) await exec('set foreign_key_checks = 0');
        try {
          for (const t of [...tables].reverse()) await exec(`drop table if exists ${q(t)}${dialect === 'postgresql' ? ' cascade' : ''}`);
          await exec(`drop table if exists ${versionTable}`);
          for (const sql of versionTableSql(platform as never, tableName, schemaName)) await exec(sql);
        } finally {
          if (mysql) await exec('set foreign_key_checks = 1');
        }
      });
    } finally {
      if (dialect === 'sqlite') await s.db.execute('pragma foreign_keys = on');
    }
    s.rows = [];
    s.executed = [];
    const timings: MigrateResult['timings'] = [];
    const ran = await run(s, 'up', [...s.history.order], options.transaction ?? 'all', {
      signal: options.signal,
      onMigration: options.onMigration,
      timings,
      allowDataLoss: options.allowDataLoss,
      onDataLoss: options.onDataLoss,
    });
    s.executed.push(...ran);
    return { direction: 'up', ran, timings, status: statusOf(s), dropped: tables };
  });
}
