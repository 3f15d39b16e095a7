import type { ResolvedConfig } from '../config.ts';
import type { DialectName } from '../dialect/dialect.ts';
import { dialectFor } from '../dialect/index.ts';
import { ConfigError, TargetError, UsageError } from '../errors.ts';
import { loadHistory, recordAll } from '../history/history.ts';
import { runSchemas } from '../history/replay.ts';
import { refuseInTransaction } from '../dialect/transaction-rules.ts';
import { installTsLoader } from '../loader/ts-loader.ts';
import type { Op } from '../diff/ops.ts';
import { classify, describeLock, trackCreated, type LockClass } from '../plan/locks.ts';
import { compileGroups } from '../runtime/compile.ts';
import { backfillStatement, dataContext, describeBackfill, isBackfill, type Step } from '../runtime/data.ts';
import type { MigrationClass } from '../runtime/migration.ts';
import { offlinePlatform } from './database.ts';
import { downTargets, upIds, upTarget, type DownOptions, type UpOptions } from './run.ts';
import { versionTableSql } from './storage.ts';

export interface SqlScriptOptions {
  direction: 'up' | 'down';
  /** Dialect to write for; defaults to the one of the configured URL. */
  dialect?: DialectName;
  /**
   * Where the database is assumed to stand: `up` starts after it (default: base), `down`
   * reverts from it (default: the head). No database is consulted.
   */
  from?: string;
  /**
   * Just this migration, its ancestors assumed applied and its descendants not (for `show`):
   * its statements and its version row, without the version table.
   */
  only?: string;
  /** Told each migration's operations with what each locks on the dialect (`show`), in the order they run. */
  onLocks?: (id: string, ops: ClassifiedOp[]) => void;
}

export interface ClassifiedOp {
  op: Op;
  /** Null for hand-written SQL, which is not classified. */
  lock: LockClass | null;
}

/** `-- TM201 SHARE on "user"; blocks writes; …; safe form: …`, or `-- lock: …` when not flagged. */
export function lockComment(lock: LockClass): string {
  return lock.code ? `-- ${lock.code} ${describeLock(lock)}; safe form: ${lock.safeAlternative}` : `-- lock: ${describeLock(lock)}`;
}

const DIALECTS: DialectName[] = ['sqlite', 'postgresql', 'mysql', 'mariadb'];

/**
 * The SQL a run would execute, as a script a DBA can read or run: the version table, each
 * migration's statements and its version-table row, in transactions where the dialect has
 * them. Touches no database.
 */
export async function migrationSql(config: ResolvedConfig, options: SqlScriptOptions & UpOptions & DownOptions): Promise<string> {
  const dialectName = options.dialect ?? config.url?.dialect;
  if (!dialectName) throw new ConfigError('--sql needs a dialect: pass --dialect sqlite|postgresql|mysql|mariadb, --url, or set url in the config');
  if (!DIALECTS.includes(dialectName)) throw new UsageError(`--dialect ${dialectName}: expected one of ${DIALECTS.join(', ')}`);
  const dialect = dialectFor(dialectName, config.dialectOptions);
  installTsLoader({ cacheDir: config.cacheDir });
  const history = await loadHistory(config.migrationsDir, process.cwd());
  const ops = await recordAll(history);
  const resolveFrom = (from: string) => {
    const id = history.resolve(from);
    if (!id) throw new TargetError(`--from ${from}: no such migration (or the prefix is ambiguous)`);
    return id;
  };

  let ids: string[];
  let applied: string[];
  if (options.only) {
    const id = resolveFrom(options.only);
    ids = [id];
    applied = options.direction === 'up' ? history.lineage(id).filter((x) => x !== id) : history.lineage(id);
  } else if (options.direction === 'up') {
    applied = options.from ? history.lineage(resolveFrom(options.from)) : [];
    ids = upIds(history, applied, options);
  } else {
    const head = options.from ? resolveFrom(options.from) : upTarget(history);
    applied = head ? history.lineage(head) : [];
    ids = downTargets(history, applied, options);
  }
  const { before, after } = await runSchemas(history, ops, applied, options.direction, ids);

  const { platform, charset } = await offlinePlatform(dialectName, config.projectRoot, options.dialect ? undefined : config.url?.display);
  const helper = platform.getSchemaHelper()!;
  const q = (s: string) => platform.quoteIdentifier(s);
  const table = q(config.tableName);
  const lines: string[] = [];
  // A MariaDB compound statement (`begin not atomic …; end`) holds semicolons: the client needs another delimiter around it.
  const emit = (sql: string) => lines.push(/^begin not atomic\b/i.test(sql) ? `delimiter //\n${sql} //\ndelimiter ;` : /;\s*$/.test(sql) ? sql : `${sql};`);
  const range = ids.length ? `${ids[0]} … ${ids.at(-1)}` : 'nothing to run';
  lines.push(`-- tidemark migrate ${options.direction} --sql (${dialectName}): ${ids.length} migration${ids.length === 1 ? '' : 's'}, ${range}`);
  const parentsOf = (id: string) => history.get(id)!.parents.join(' + ') || 'base';
  const at = options.only ? (options.direction === 'up' ? parentsOf(ids[0]!) : ids[0]) : options.direction === 'up' ? (options.from ?? 'base') : (ids[0] ?? 'the head');
  lines.push(`-- Written without a database: assumes it stands at ${at}.`);
  lines.push('');
  const schemaName = dialectName === 'postgresql' && config.url?.dialect === 'postgresql' ? config.url.schema : undefined;
  if (schemaName) {
    emit(`create schema if not exists ${q(schemaName)}`);
    emit(`set search_path to ${q(schemaName)}`);
    lines.push('');
  }
  if (options.direction === 'up' && !options.only) {
    lines.push('-- version table (created when missing)');
    for (const sql of versionTableSql(platform, config.tableName)) emit(sql.replace(/^create table /i, 'create table if not exists ').replace(/^create unique index /i, dialectName === 'mysql' || dialectName === 'mariadb' ? 'create unique index ' : 'create unique index if not exists '));
    lines.push('');
  }
  // As a run does it: one transaction where DDL has them, a migration with
  // transactional = false alone outside it (PostgreSQL; SQLite ignores the opt-out).
  let open = false;
  const begin = () => void (dialect.transactionalDdl && !open && (emit('begin'), (open = true)));
  const commit = () => void (open && (emit('commit'), (open = false)));
  if (dialectName === 'sqlite') emit('pragma foreign_keys = off');
  for (const id of ids) {
    const migration = history.get(id)!.migration as MigrationClass & { recordSteps(m: 'up' | 'down'): Promise<Step[]> };
    const steps = await migration.recordSteps(options.direction);
    refuseInTransaction(id, history.get(id)!, steps, dialectName, options.direction);
    const start = (options.direction === 'up' ? before : after).get(id)!;
    const alone = dialectName !== 'sqlite' && migration.transactional === false;
    if (alone) commit();
    else begin();
    lines.push('', `-- ${options.direction === 'up' ? 'apply' : 'revert'} ${id}${alone ? ' (outside a transaction)' : ''}`);
    for (const sql of helper.getSchemaBeginning(charset, false).split('\n')) if (sql.trim()) emit(sql);
    const classified: ClassifiedOp[] = [];
    // Tables this migration made: never flagged (they are empty).
    const fresh = new Set<string>();
    for (const step of compileGroups(steps, start, dialect)) {
      if ('sql' in step) {
        const lock = classify(step.op, step.before, dialect.name, fresh);
        trackCreated(fresh, step.op);
        classified.push({ op: step.op, lock });
        // What the app waits for while this group runs, above its statements.
        if (lock && step.sql.length) lines.push(lockComment(lock));
        for (const sql of step.sql) emit(sql);
      }
      else if (isBackfill(step)) {
        lines.push(`-- ${describeBackfill(step.backfill)}: a live run commits batch by batch; this script has it as one statement`);
        emit(backfillStatement(step.backfill, dataContext(dialectName, async () => []).q, (v) => platform.quoteValue(v)));
      }
      // Its SQL depends on the data it finds: there is nothing to print, so say where it runs.
      else lines.push(`-- data step${step.description ? ` (${step.description.replace(/\s+/g, ' ')})` : ''}: runs only live (migrate ${options.direction}), not in this script`);
    }
    options.onLocks?.(id, classified);
    if (options.direction === 'up') {
      const cols = ['name', 'status', 'started_at', 'finished_at', 'checksum'].map(q).join(', ');
      const checksum = platform.quoteValue(history.get(id)!.checksum);
      emit(`insert into ${table} (${cols}) values (${platform.quoteValue(id)}, 'applied', current_timestamp, current_timestamp, ${checksum})`);
    } else {
      emit(`delete from ${table} where ${q('name')} = ${platform.quoteValue(id)}`);
    }
  }
  lines.push('');
  if (dialectName === 'sqlite') emit('pragma foreign_key_check');
  commit();
  if (dialectName === 'sqlite') emit('pragma foreign_keys = on');
  return `${lines.join('\n')}\n`;
}
