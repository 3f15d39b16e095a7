import type { DialectName } from '../dialect/dialect.ts';
import type { Op } from '../diff/ops.ts';
import { isBackfill, isDataStep, type Step } from '../runtime/data.ts';
import type { Database } from './database.ts';
import { ident, literal, unquote } from './sql-text.ts';

const CONCURRENT_INDEX = /^\s*create\s+(?:unique\s+)?index\s+concurrently\s+(if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[\w$]+)/i;
const CONCURRENT_DROP = /^\s*drop\s+index\s+concurrently\s+if\s+exists\s/i;

/**
 * Whether one step can run again over a half-done first run and end where a single run would:
 * the online index forms (IF [NOT] EXISTS on PostgreSQL), a validation, the online NOT NULL
 * sequence (it drops its check before adding it), and a backfill (it skips rows already done).
 * MySQL has no IF [NOT] EXISTS for an index: there an online index build fails when it exists;
 * nor has a full-text index on MariaDB (it is built as a plain ADD FULLTEXT INDEX, never online).
 */
function safeToRerun(step: Step, dialect: DialectName): boolean {
  if (isDataStep(step)) return isBackfill(step);
  const op = step as Op;
  switch (op.kind) {
    case 'validateConstraint':
      return true;
    case 'alterColumn':
      return op.online === true;
    case 'createIndex':
      if (op.index.type === 'fulltext' && dialect !== 'postgresql') return false;
      return op.online === true && (dialect === 'postgresql' || dialect === 'mariadb');
    case 'dropIndex':
      return op.online === true && (dialect === 'postgresql' || dialect === 'mariadb');
    case 'sql': {
      if (dialect !== 'postgresql') return false;
      const m = CONCURRENT_INDEX.exec(op.sql);
      return Boolean(m?.[1]) || CONCURRENT_DROP.test(op.sql);
    }
    default:
      return false;
  }
}

/**
 * A migration that runs outside a transaction and is made only of steps safe to rerun: when it
 * was interrupted or failed, `migrate up` runs it again from the start instead of asking for
 * `migrate resolve`.
 */
export function rerunnable(migration: { transactional?: boolean }, steps: readonly Step[], dialect: DialectName): boolean {
  if (dialect === 'sqlite') return false;
  if (dialect === 'postgresql' && migration.transactional !== false) return false;
  return steps.length > 0 && steps.every((s) => safeToRerun(s, dialect));
}

/** The indexes `ops` build CONCURRENTLY on PostgreSQL (online createIndex, or hand-written SQL). */
export function concurrentIndexNames(ops: readonly Op[]): string[] {
  const names = new Set<string>();
  for (const op of ops) {
    if (op.kind === 'createIndex' && op.online) names.add(op.index.name);
    if (op.kind === 'sql') {
      const m = CONCURRENT_INDEX.exec(op.sql);
      if (m) names.add(unquote(m[2]!));
    }
  }
  return [...names];
}

/**
 * Drops those of `names` that are INVALID indexes (what a failed or killed `CREATE INDEX
 * CONCURRENTLY` leaves: it is kept up to date by every write, used by no query, and makes
 * `IF NOT EXISTS` skip the build). Returns the names dropped. PostgreSQL only; outside any
 * transaction.
 */
export async function dropInvalidIndexes(db: Database, names: readonly string[]): Promise<string[]> {
  const dropped: string[] = [];
  for (const name of names) {
    const rows = await db.execute(`select 1 as invalid from pg_index where indexrelid = to_regclass(${literal(ident(name))}) and not indisvalid`);
    if (rows.length === 0) continue;
    await db.execute(`drop index concurrently if exists ${ident(name)}`);
    dropped.push(name);
  }
  return dropped;
}
