import { EXIT, TidemarkError } from '../errors.ts';
import { LockTimeoutError } from '../migrate/lock.ts';
import { sleep } from '../migrate/ddl-lock.ts';
import { redact, type DatabaseUrl } from '../url.ts';

/** How one target's work ended. */
export type TargetState = 'done' | 'failed' | 'interrupted' | 'skipped';

export interface TargetFailure {
  /** The error's class name (`MigrationFailedError`, `LockTimeoutError`, …). */
  name: string;
  message: string;
  /** The exit code the same error gives a single-database command. */
  exitCode: number;
}

export interface TargetOutcome<T> {
  /** The target as printed (password shown as ****). */
  target: string;
  state: TargetState;
  /** What the work returned (state `done`). */
  result?: T;
  error?: TargetFailure;
  /** Time spent on it, in milliseconds, the attempts that found its lock held included. */
  ms: number;
  /** How many times its lock was found held by another run before this one got it. */
  busy: number;
}

export type FleetEvent<T> =
  | { phase: 'start'; target: string; index: number }
  /** Its lock is held by another run: it goes back in the queue, behind the targets not yet tried. */
  | { phase: 'busy'; target: string; index: number; holder: string }
  | { phase: 'end'; target: string; index: number; outcome: TargetOutcome<T> };

export interface PoolOptions<T> {
  /** How many targets are worked on at once (default 4). */
  concurrency?: number;
  /** Go on after a target failed; default: no new target starts (the ones under way finish). */
  continueOnError?: boolean;
  /** Aborting it: no new target starts; the work under way gets the same signal. */
  signal?: AbortSignal;
  /**
   * How long one target may stay locked by other runs before it fails with LockTimeoutError
   * (default 5 min). It is never waited on while other targets can be worked on.
   */
  busyTimeoutMs?: number;
  onEvent?: (event: FleetEvent<T>) => void;
  /** Where in the targets not yet tried to go on after the first one found busy, in [0, 1) (default Math.random). */
  random?: () => number;
}

/** Thrown by a target's work when another run holds its lock: the pool tries it again later. */
export class TargetBusy extends Error {
  override name = 'TargetBusy';
  readonly holder: string;
  constructor(holder: string) {
    super(`held by ${holder}`);
    this.holder = holder;
  }
}

/** First retry of a busy target after this long, doubling to BUSY_MAX_MS. */
const BUSY_MIN_MS = 100;
const BUSY_MAX_MS = 2000;

export function targetError(error: unknown): TargetFailure {
  if (error instanceof TidemarkError) return { name: error.name, message: redact(error.message), exitCode: error.exitCode };
  const e = error as Error;
  return { name: e?.name ?? 'Error', message: `unexpected error: ${redact(String(e?.message ?? e).split('\n')[0]!)}`, exitCode: EXIT.internal };
}

interface Slot {
  url: DatabaseUrl;
  index: number;
  busy: number;
  firstBusyAt?: number;
  retryAt: number;
  spentMs: number;
}

/**
 * Works on every target with at most `concurrency` at once, each independently: one that
 * fails is reported and, with `continueOnError`, the others go on. A target whose lock another
 * runner holds (`work` throws TargetBusy) is put back and tried again after the targets not
 * yet tried, so several runners given the same list share it with no coordinator: each takes
 * the targets it finds free, and comes back to the others until they are done (by it, or by
 * the runner that held them, in which case the retry finds nothing to do).
 */
export async function runPool<T>(targets: readonly DatabaseUrl[], work: (url: DatabaseUrl, signal: AbortSignal | undefined) => Promise<T>, options: PoolOptions<T> = {}): Promise<TargetOutcome<T>[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const busyTimeoutMs = options.busyTimeoutMs ?? 5 * 60_000;
  const signal = options.signal;
  const fresh: Slot[] = targets.map((url, index) => ({ url, index, busy: 0, retryAt: 0, spentMs: 0 }));
  const waiting: Slot[] = [];
  const outcomes: (TargetOutcome<T> | undefined)[] = new Array(targets.length);
  let failed = false;
  // Runners given the same list walk it in the same order: once one finds a target busy it is
  // behind another, and would find each next target busy too (each time a session opened for
  // nothing). It goes on from a random place instead; a runner alone never collides, so its
  // order stays the list's.
  let scattered = false;
  const scatter = () => {
    if (scattered || fresh.length < 2) return;
    scattered = true;
    const at = Math.floor((options.random ?? Math.random)() * fresh.length) % fresh.length;
    fresh.push(...fresh.splice(0, at));
  };
  const stopped = () => Boolean(signal?.aborted) || (failed && !options.continueOnError);

  const next = (): Slot | undefined => {
    if (fresh.length) return fresh.shift();
    const now = performance.now();
    const i = waiting.findIndex((s) => s.retryAt <= now);
    return i < 0 ? undefined : waiting.splice(i, 1)[0];
  };

  const finish = (slot: Slot, outcome: Omit<TargetOutcome<T>, 'target' | 'busy'>) => {
    const full = { target: slot.url.display, busy: slot.busy, ...outcome };
    outcomes[slot.index] = full;
    options.onEvent?.({ phase: 'end', target: slot.url.display, index: slot.index, outcome: full });
  };

  const worker = async () => {
    for (;;) {
      if (stopped()) return;
      const slot = next();
      if (!slot) {
        if (!waiting.length) return;
        // Only targets held by other runners are left: wait for the first one's turn.
        const wait = Math.max(0, Math.min(...waiting.map((s) => s.retryAt)) - performance.now());
        await sleep(wait, signal);
        continue;
      }
      const started = performance.now();
      options.onEvent?.({ phase: 'start', target: slot.url.display, index: slot.index });
      try {
        const result = await work(slot.url, signal);
        finish(slot, { state: 'done', result, ms: slot.spentMs + performance.now() - started });
      } catch (error) {
        slot.spentMs += performance.now() - started;
        if (error instanceof TargetBusy) {
          const now = performance.now();
          slot.firstBusyAt ??= now;
          slot.busy++;
          if (now - slot.firstBusyAt >= busyTimeoutMs) {
            const e = new LockTimeoutError(`could not take the migration lock on ${slot.url.display} within ${busyTimeoutMs / 1000} s: it is held by ${error.holder}`);
            failed = true;
            finish(slot, { state: 'failed', error: targetError(e), ms: slot.spentMs });
            continue;
          }
          slot.retryAt = now + Math.min(BUSY_MAX_MS, BUSY_MIN_MS * 2 ** (slot.busy - 1));
          waiting.push(slot);
          scatter();
          options.onEvent?.({ phase: 'busy', target: slot.url.display, index: slot.index, holder: error.holder });
          continue;
        }
        const interrupted = (error as Error)?.name === 'InterruptedError';
        if (!interrupted) failed = true;
        finish(slot, { state: interrupted ? 'interrupted' : 'failed', error: targetError(error), ms: slot.spentMs });
      }
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  // What never started (a stop: an abort, or a failure without continueOnError) says so.
  const why = signal?.aborted ? `not started: the run was stopped${typeof signal.reason === 'string' ? ` by ${signal.reason}` : ''}` : 'not started: an earlier target failed (--continue-on-error goes on)';
  return targets.map((url, index) => outcomes[index] ?? { target: url.display, state: 'skipped', error: { name: 'Skipped', message: why, exitCode: EXIT.failure }, ms: 0, busy: 0 });
}
