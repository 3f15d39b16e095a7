import { describe, expect, it } from 'vitest';
import { RunReporter } from '../../src/cli/run-report.ts';
import type { MigrateResult, RetryEvent } from '../../src/migrate/run.ts';

/** What migrate up prints about lock-timeout retries and backfill progress, as text and as JSON. */

function reporter(mode: 'text' | 'json' | 'quiet') {
  const out = { stdout: '', stderr: '' };
  const cmd = { context: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
  return { r: new RunReporter(cmd as never, 'up', { mode }), out };
}

const retry: RetryEvent = { id: '20260701000001_column', direction: 'up', attempt: 2, attempts: 3, delayMs: 612.4, timeoutMs: 5000, table: 'item', holder: 'pid 42 (app), idle in transaction for 31 s' };
const result: MigrateResult = {
  direction: 'up',
  ran: ['20260701000001_column'],
  timings: [{ id: '20260701000001_column', ms: 12 }],
  status: { database: 'postgres://x/db', applied: [], pending: [], current: ['20260701000001_column'], heads: ['20260701000001_column'], failed: [], notices: [] },
};

describe('run report: retries and backfills', () => {
  it('a line per retry, naming the wait, the table, the holder and the attempt', () => {
    const { r, out } = reporter('text');
    r.onRetry(retry);
    r.stop();
    expect(out.stdout).toBe('lock timeout in 20260701000001_column: waited 5.0 s for a lock on table item held by pid 42 (app), idle in transaction for 31 s; trying again in 612 ms (attempt 2 of 3)\n');
  });

  it('--json lists the retries in the document, and only when there were some', () => {
    const { r, out } = reporter('json');
    r.onRetry(retry);
    r.finish(result);
    const doc = JSON.parse(out.stdout);
    expect(doc.retries).toEqual([{ ...retry, delayMs: 612 }]);
    const plain = reporter('json');
    plain.r.finish(result);
    expect(JSON.parse(plain.out.stdout)).not.toHaveProperty('retries');
  });

  it('backfill progress: the first batch, then at most a line a second, and the end; nothing with --quiet', () => {
    const { r, out } = reporter('text');
    const at = { id: 'm', table: 'user' };
    r.onBackfill({ ...at, rows: 1000, batches: 1, done: false });
    r.onBackfill({ ...at, rows: 2000, batches: 2, done: false });
    r.onBackfill({ ...at, rows: 2500, batches: 3, done: true });
    r.stop();
    expect(out.stdout).toBe('  backfill user: 1000 rows in 1 batch\n  backfill user: 2500 rows in 3 batches, done\n');
    const quiet = reporter('quiet');
    quiet.r.onRetry(retry);
    quiet.r.onBackfill({ ...at, rows: 1, batches: 1, done: true });
    expect(quiet.out).toEqual({ stdout: '', stderr: '' });
  });
});
