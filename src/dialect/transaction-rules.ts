import { HistoryError } from '../errors.ts';
import type { DialectName } from './dialect.ts';

/**
 * Statements a server refuses inside a transaction block, as found in hand-written SQL
 * (`this.sql(...)`); of tidemark's own steps only the online index operations and `this.backfill` need it.
 */
const OUTSIDE_ONLY: { pattern: RegExp; what: string; dialects: DialectName[] }[] = [
  { pattern: /^\s*(create\s+(unique\s+)?index|drop\s+index|reindex\b[^;]*)\s+concurrently\b/i, what: 'CONCURRENTLY', dialects: ['postgresql'] },
  { pattern: /^\s*vacuum\b/i, what: 'VACUUM', dialects: ['postgresql', 'sqlite'] },
  { pattern: /^\s*(create|drop)\s+(database|tablespace)\b/i, what: 'CREATE/DROP DATABASE', dialects: ['postgresql'] },
  { pattern: /^\s*alter\s+system\b/i, what: 'ALTER SYSTEM', dialects: ['postgresql'] },
];

/** Leading comments are not the statement: `-- note\nvacuum` is still a VACUUM. */
const withoutLeadingComments = (sql: string) => sql.replace(/^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*/, '');

/** What in `statement` cannot run inside a transaction on `dialect`, if anything. */
export function outsideTransactionOnly(statement: string, dialect: DialectName): string | undefined {
  const sql = withoutLeadingComments(statement);
  return OUTSIDE_ONLY.find((r) => r.dialects.includes(dialect) && r.pattern.test(sql))?.what;
}

/**
 * Refuses, before any statement of the run, a migration whose hand-written SQL would fail in
 * the transaction it runs in (and `--sql` a script that could not run). On PostgreSQL the way
 * out is `static transactional = false`; SQLite runs every migration in a transaction.
 */
export function refuseInTransaction(
  id: string,
  node: { file: string; migration: { transactional?: boolean } },
  steps: readonly unknown[],
  dialect: DialectName,
  direction: 'up' | 'down',
): void {
  const inTransaction = dialect === 'sqlite' || (dialect === 'postgresql' && node.migration.transactional !== false);
  if (!inTransaction) return;
  for (const step of steps) {
    const op = step as { kind?: string; sql?: string; online?: boolean; table?: string; index?: string | { name: string }; backfill?: { table: string } };
    if (dialect === 'postgresql' && op?.kind === 'data' && op.backfill) {
      throw new HistoryError(
        `migration ${id} (${node.file}), ${direction}(): this.backfill('${op.backfill.table}', …) commits batch by batch, which it cannot do inside a transaction; add 'static transactional = false' to the migration class so it runs alone, outside a transaction`,
      );
    }
    const onlineIndex = dialect === 'postgresql' && (op?.kind === 'createIndex' || op?.kind === 'dropIndex') && op.online === true;
    if (onlineIndex) {
      const name = typeof op.index === 'string' ? op.index : op.index?.name;
      throw new HistoryError(
        `migration ${id} (${node.file}), ${direction}(): ${op.kind}(${op.table}, ${name}, { online: true }) builds CONCURRENTLY, which cannot run inside a transaction; add 'static transactional = false' to the migration class so it runs alone, outside a transaction`,
      );
    }
    if (op?.kind !== 'sql' || typeof op.sql !== 'string') continue;
    const what = outsideTransactionOnly(op.sql, dialect);
    if (!what) continue;
    const hint =
      dialect === 'sqlite'
        ? 'SQLite runs every migration in a transaction, where it cannot run; run it outside tidemark'
        : "add 'static transactional = false' to the migration class so it runs alone, outside a transaction";
    throw new HistoryError(`migration ${id} (${node.file}), ${direction}(): ${what} cannot run inside a transaction (${oneLine(op.sql)}); ${hint}`);
  }
}

/** A statement shown in a one-line message: whitespace collapsed, cut at about 200 characters. */
export function oneLine(sql: string, max = 200): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
