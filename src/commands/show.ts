import { describeOp } from '../cli/describe.ts';
import type { ResolvedConfig } from '../config.ts';
import type { DialectName } from '../dialect/dialect.ts';
import { HistoryError } from '../errors.ts';
import { firstLine, loadHistory, type History } from '../history/history.ts';
import { resolveId } from '../history/resolve-id.ts';
import { installTsLoader } from '../loader/ts-loader.ts';
import { isDataStep, type Step } from '../runtime/data.ts';
import type { MigrationClass } from '../runtime/migration.ts';
import { historyEntries, type HistoryEntry } from './history-view.ts';
import { describeLock, type LockClass } from '../plan/locks.ts';
import type { ClassifiedOp } from '../migrate/sql-script.ts';

export interface ShowOptions {
  /** An id, a unique prefix, the slug, or `head`. */
  id: string;
  /** The dialect to print the SQL for; default the configured URL's (no SQL without either). */
  dialect?: DialectName;
}

/** `show --json` (README: "show --json"): the history entry plus what the migration does. */
export interface ShowResult extends Omit<HistoryEntry, 'applied' | 'current'> {
  /** Its steps in words, in order; `down` is null when recording it threw (`downError` says why). */
  operations: { up: string[]; down: string[] | null; downError?: string };
  /** The dialect of `sql`, null when none was given or configured. */
  dialect: DialectName | null;
  /** What `migrate up` runs for this migration alone (its statements and version row), null without a dialect. */
  sql: string | null;
  /**
   * Each operation of `up` with what it locks on `dialect` (README: Locks and online changes), null
   * without a dialect. `code` (TM2xx) and `safeAlternative` only where it is flagged; `lock` null for hand-written SQL.
   */
  locks: ShownLock[] | null;
}

export interface ShownLock {
  operation: string;
  code: string | null;
  lock: string | null;
  blocks: LockClass['blocks'] | null;
  duration: LockClass['duration'] | null;
  note: string | null;
  safeAlternative: string | null;
}

function shownLock({ op, lock }: ClassifiedOp): ShownLock {
  return {
    operation: describeOp(op),
    code: lock?.code ?? null,
    lock: lock?.lock ?? null,
    blocks: lock?.blocks ?? null,
    duration: lock?.duration ?? null,
    note: lock?.note ?? null,
    safeAlternative: lock?.safeAlternative ?? null,
  };
}

/** A step in words: a typed operation as `check` lists it, hand-written SQL by its start. */
function describeStep(step: Step): string {
  if (isDataStep(step)) return `data step${step.description ? ` (${step.description.replace(/\s+/g, ' ')})` : ''}: runs only live`;
  if (step.kind === 'sql') {
    const sql = step.sql.replace(/\s+/g, ' ').trim();
    return `sql: ${sql.length > 100 ? `${sql.slice(0, 99)}…` : sql}`;
  }
  return describeOp(step);
}

async function stepsOf(history: History, id: string, method: 'up' | 'down'): Promise<string[]> {
  const migration = history.get(id)!.migration as MigrationClass & { recordSteps(m: 'up' | 'down'): Promise<Step[]> };
  return (await migration.recordSteps(method)).map(describeStep);
}

/** One migration: message, parents, children, operations in words, and its SQL on a dialect. Touches no database. */
export async function showMigration(config: ResolvedConfig, options: ShowOptions): Promise<ShowResult> {
  installTsLoader({ cacheDir: config.cacheDir });
  const history = await loadHistory(config.migrationsDir, process.cwd());
  const id = resolveId(history.order, options.id, `show ${options.id}`, history.heads(), history.squashNames);
  const { applied: _a, current: _c, ...entry } = historyEntries(history, config.migrationsDir, undefined, new Set([id]))[0]!;
  let up: string[];
  try {
    up = await stepsOf(history, id, 'up');
  } catch (error) {
    throw new HistoryError(`migration ${id} (${entry.file}): up() failed without a database: ${firstLine(error)}`);
  }
  let down: string[] | null = null;
  let downError: string | undefined;
  try {
    down = await stepsOf(history, id, 'down');
  } catch (error) {
    // A migration that cannot be reverted says so in down(): that is worth showing, not failing on.
    downError = firstLine(error);
  }
  const dialect = options.dialect ?? config.url?.dialect ?? null;
  let sql: string | null = null;
  let locks: ShownLock[] | null = null;
  if (dialect) {
    const { migrationSql } = await import('../migrate/sql-script.ts');
    sql = await migrationSql(config, { direction: 'up', only: id, dialect: dialect as DialectName, onLocks: (_id, ops) => void (locks = ops.map(shownLock)) });
  }
  return { ...entry, operations: { up, down, ...(downError !== undefined ? { downError } : {}) }, dialect, sql, locks };
}

export function renderShow(r: ShowResult): string {
  const tags = [r.isHead ? 'head' : '', r.isBase ? 'base' : ''].filter(Boolean);
  const list = (items: string[]) => (items.length ? items.map((s) => `  ${s}`) : ['  (nothing)']);
  const out = [
    `${r.id}${tags.length ? `  (${tags.join(', ')})` : ''}`,
    `Message:  ${r.message}`,
    ...(r.date ? [`Date:     ${r.date.replace('T', ' ').replace('Z', ' UTC')}`] : []),
    `File:     ${r.file}`,
    `Parents:  ${r.parents.join(', ') || 'none (a base)'}`,
    `Children: ${r.children.join(', ') || 'none (a head)'}`,
    'Up:',
    ...list(r.operations.up),
    'Down:',
    ...(r.operations.down ? list(r.operations.down) : [`  cannot be recorded: ${r.operations.downError}`]),
  ];
  if (r.locks) {
    out.push(`Locks (${r.dialect}):`);
    if (!r.locks.length) out.push('  (nothing)');
    for (const l of r.locks) {
      if (!l.lock) out.push(`  ${l.operation}: hand-written SQL, not classified`);
      else {
        out.push(`  ${l.code ? `${l.code} ` : ''}${l.operation}: ${describeLock(l as LockClass)}`);
        if (l.safeAlternative) out.push(`    safe form: ${l.safeAlternative}`);
      }
    }
  }
  if (r.sql) out.push(`SQL (${r.dialect}):`, r.sql.trimEnd());
  else out.push('SQL:      no dialect: pass --dialect sqlite|postgresql|mysql|mariadb or --url');
  return out.join('\n');
}
