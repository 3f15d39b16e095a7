import type { MigrateResult, MigrationStatus, RetryEvent } from '../migrate/run.ts';
import type { BackfillProgress } from '../runtime/data.ts';
import type { TidemarkCommand } from './base.ts';
import { duration, plural, printJson } from './output.ts';
import { Progress } from './progress.ts';

const ms = (n: number | undefined) => (n === undefined ? null : Math.round(n));

export type RunEvent = { id: string; direction: 'up' | 'down'; phase: 'start' | 'done'; ms?: number };

export interface RunOutput {
  /** Plain text (default), nothing but errors (`--quiet`), or one JSON document at the end (`--json`). */
  mode: 'text' | 'quiet' | 'json';
}

function where(status: MigrationStatus): string {
  if (status.current.length === 0) return 'base (no migrations applied)';
  return `${status.current.join(', ')}${status.pending.length === 0 ? ' (head)' : ''}`;
}

/**
 * What `migrate up` and `migrate down` print while they run: a line as each migration starts
 * and as it finishes (with its time) on stdout, the progress line of a long run on stderr, and
 * a final line. `--quiet` prints none of it; `--json` prints only the final document on stdout
 * (the progress line still goes to stderr).
 */
export class RunReporter {
  private readonly progress: Progress | undefined;
  private readonly startedAt = performance.now();

  private readonly cmd: TidemarkCommand;
  private readonly direction: 'up' | 'down';
  private readonly output: RunOutput;

  constructor(cmd: TidemarkCommand, direction: 'up' | 'down', output: RunOutput) {
    this.cmd = cmd;
    this.direction = direction;
    this.output = output;
    const verb = direction === 'up' ? { running: 'applying', done: 'applied' } : { running: 'reverting', done: 'reverted' };
    if (output.mode !== 'quiet') this.progress = new Progress(verb, { stream: cmd.context.stderr as never });
  }

  private line(text: string): void {
    if (this.output.mode !== 'text') return;
    this.progress?.clear();
    this.cmd.context.stdout.write(`${text}\n`);
  }

  readonly onMigration = (e: RunEvent): void => {
    const up = e.direction === 'up';
    if (e.phase === 'start') {
      this.progress?.start(e.id);
      this.line(`${up ? 'applying' : 'reverting'} ${e.id}`);
    } else {
      this.progress?.done();
      this.line(`${up ? 'applied ' : 'reverted '} ${e.id} in ${duration(e.ms ?? 0)}`);
    }
  };

  /** Every retry after a lock timeout, for `--json`. */
  private readonly retries: RetryEvent[] = [];

  readonly onRetry = (e: RetryEvent): void => {
    this.retries.push(e);
    this.line(retryLine(e));
  };

  private backfillSaid = 0;

  /** A line after a backfill's first batch, then at most one a second, and one when it ends. */
  readonly onBackfill = (e: BackfillProgress & { id: string }): void => {
    const now = performance.now();
    if (!e.done && e.batches > 1 && now - this.backfillSaid < 1000) return;
    this.backfillSaid = now;
    this.line(`  backfill ${e.table}: ${e.rows} ${e.rows === 1 ? 'row' : 'rows'} in ${e.batches} ${e.batches === 1 ? 'batch' : 'batches'}${e.done ? ', done' : ''}`);
  };

  /** Stops the progress line; call it however the run ended. */
  stop(): void {
    this.progress?.stop();
  }

  finish(result: MigrateResult): void {
    this.stop();
    const { status } = result;
    for (const n of status.notices) this.cmd.context.stderr.write(`tidemark: ${n}\n`);
    if (this.output.mode === 'json') {
      printJson(this.cmd, `migrate ${this.direction}`, {
        direction: result.direction,
        database: status.database,
        ran: result.ran.map((id) => ({ id, ms: ms(result.timings.find((t) => t.id === id)?.ms) })),
        current: status.current,
        pending: status.pending,
        heads: status.heads,
        notices: status.notices,
        // Only when a batch was retried: most runs have none.
        ...(this.retries.length ? { retries: this.retries.map((r) => ({ ...r, delayMs: Math.round(r.delayMs) })) } : {}),
      });
      return;
    }
    if (this.output.mode === 'quiet') return;
    const url = status.database;
    if (result.ran.length === 0) {
      if (result.direction === 'up') this.line(`Already up to date: ${url} is at ${where(status)}.`);
      // Another run may have reverted what this one counted while it waited for the lock.
      else this.line(status.current.length ? `Already at ${where(status)}: nothing reverted on ${url}.` : `Nothing to revert: ${url} is at base.`);
      return;
    }
    const verb = result.direction === 'up' ? 'Applied' : 'Reverted';
    this.line(`${verb} ${plural(result.ran.length, 'migration')} on ${url} in ${duration(performance.now() - this.startedAt)}.`);
    this.line(`Now at ${where(status)}.`);
  }
}

/** What a retry after a lock timeout says, in one line. */
export function retryLine(e: RetryEvent): string {
  const on = e.table ? ` on table ${e.table}` : '';
  const holder = e.holder ? ` held by ${e.holder}` : '';
  return `lock timeout in ${e.id}: waited ${duration(e.timeoutMs)} for a lock${on}${holder}; trying again in ${duration(e.delayMs)} (attempt ${e.attempt} of ${e.attempts})`;
}
