import { requireMigrationsDir, type ResolvedConfig } from '../config.ts';
import { TidemarkError } from '../errors.ts';
import { loadHistory, type History } from '../history/history.ts';
import { relativeStep } from '../history/resolve-id.ts';
import { installTsLoader } from '../loader/ts-loader.ts';
import type { CheckProblem } from '../commands/check.ts';
import type { Drift } from '../introspect/drift.ts';
import { LockTimeoutError } from '../migrate/lock.ts';
import type { MigrationStatus, RetryEvent, TransactionMode } from '../migrate/run.ts';
import type { DatabaseUrl } from '../url.ts';
import { runPool, TargetBusy, type FleetEvent, type TargetOutcome, type TargetState } from './pool.ts';
import { resolveTargets, type TargetSpec } from './targets.ts';

export interface FleetOptions<T> {
  /** How many targets are worked on at once (default 4). */
  concurrency?: number;
  /** Go on after a target failed; default: no new target starts once one failed (the ones under way finish). */
  continueOnError?: boolean;
  /** Aborting it: no new target starts, and each run under way stops after its current migration. */
  signal?: AbortSignal;
  /** How long a target may stay locked by other runs before it fails (default 5 min); never waited on while others can go. */
  lockTimeoutMs?: number;
  /** Told as each target starts, is found locked by another run (it is retried later), and ends. */
  onTarget?: (event: FleetEvent<T>) => void;
}

export interface FleetResult<T> {
  /** Every target, in the order given (a pattern's matches in name order). */
  targets: TargetOutcome<T>[];
  counts: Record<TargetState, number>;
  /** Every target is `done`. */
  ok: boolean;
  /** The abort reason when the signal stopped the run (`SIGINT`, `SIGTERM`, or `aborted`). */
  stoppedBy?: string;
  ms: number;
}

export interface FleetUpOptions extends FleetOptions<FleetUpResult> {
  /** As `migrate up --to` (the same for every target). */
  to?: string;
  transaction?: TransactionMode;
  allowDataLoss?: boolean;
  /** As `migrate up --allow-blocking` (the same for every target). */
  allowBlocking?: readonly string[];
  /** Told of each drop that deletes data, with the target it happened on. */
  onDataLoss?: (target: string, line: string) => void;
  /** As `migrate up --ddl-lock-timeout`: how long each statement waits for a table lock (default the config's, then 5 s). */
  ddlLockTimeoutMs?: number;
  /** Told when a migration timed out on a table lock and runs again, with the target it happened on. */
  onRetry?: (target: string, event: RetryEvent) => void | Promise<void>;
}

export interface FleetUpResult {
  /** What ran on this target, in order, with how long each took (ms). Empty: it was up to date. */
  ran: { id: string; ms: number }[];
  current: string[];
  pending: string[];
  notices: string[];
}

/** The history, loaded once for every target (and checked before any database is touched). */
async function fleetHistory(config: ResolvedConfig): Promise<History> {
  requireMigrationsDir(config);
  installTsLoader({ cacheDir: config.cacheDir });
  return config.loadedHistory ?? (await loadHistory(config.migrationsDir, process.cwd()));
}

/** A target's lock held by another run is not a failure in a fleet: it comes back to it. */
function busyOr(error: unknown): unknown {
  if (!(error instanceof LockTimeoutError)) return error;
  const holder = /held by (.*?)(?:; |$)/.exec(error.message)?.[1] ?? /still running in (.*?),/.exec(error.message)?.[1] ?? 'another run';
  return new TargetBusy(holder);
}

function summarise<T>(targets: TargetOutcome<T>[], started: number, signal?: AbortSignal): FleetResult<T> {
  const counts: Record<TargetState, number> = { done: 0, failed: 0, interrupted: 0, skipped: 0 };
  for (const t of targets) counts[t.state]++;
  const stoppedBy = signal?.aborted ? (typeof signal.reason === 'string' ? signal.reason : 'aborted') : undefined;
  return { targets, counts, ok: counts.done === targets.length, ...(stoppedBy ? { stoppedBy } : {}), ms: performance.now() - started };
}

/**
 * `migrate up` on every target: one history, loaded once, applied to many databases or
 * schemas with bounded concurrency. Each target runs in its own session under its own lock,
 * so one that fails leaves the others as they are; a rerun applies only what is behind.
 * Never throws for a target's failure: it is in the result.
 */
export async function migrateFleet(config: ResolvedConfig, targets: TargetSpec | readonly DatabaseUrl[], options: FleetUpOptions = {}): Promise<FleetResult<FleetUpResult>> {
  const started = performance.now();
  const history = await fleetHistory(config);
  const urls = await fleetTargets(config, targets);
  const run = await import('../migrate/run.ts');
  // The same refusal for every target (several unlabelled heads, an unknown --to): said once, before any of them.
  run.upTargets(history, relativeStep(options.to) === undefined ? options.to : undefined);
  const outcomes = await runPool<FleetUpResult>(
    urls,
    async (url, signal) => {
      try {
        const r = await run.migrateUp(
          { ...config, url, loadedHistory: history },
          {
            // Try-lock: a target another runner holds is come back to, not waited for.
            lockTimeoutMs: 0,
            signal,
            to: options.to,
            transaction: options.transaction,
            allowDataLoss: options.allowDataLoss,
            allowBlocking: options.allowBlocking,
            onDataLoss: options.onDataLoss ? (line) => options.onDataLoss!(url.display, line) : undefined,
            ddlLockTimeoutMs: options.ddlLockTimeoutMs,
            onRetry: options.onRetry ? (e) => options.onRetry!(url.display, e) : undefined,
          },
        );
        return { ran: r.ran.map((id) => ({ id, ms: Math.round(r.timings.find((t) => t.id === id)?.ms ?? 0) })), current: r.status.current, pending: r.status.pending, notices: r.status.notices };
      } catch (error) {
        throw busyOr(error);
      }
    },
    { concurrency: options.concurrency, continueOnError: options.continueOnError, signal: options.signal, busyTimeoutMs: options.lockTimeoutMs, onEvent: options.onTarget },
  );
  return summarise(outcomes, started, options.signal);
}

/** `migrate status` on every target (read-only: no lock is taken, none is waited for). */
export async function fleetStatus(config: ResolvedConfig, targets: TargetSpec | readonly DatabaseUrl[], options: FleetOptions<MigrationStatus> = {}): Promise<FleetResult<MigrationStatus>> {
  const started = performance.now();
  const history = await fleetHistory(config);
  const urls = await fleetTargets(config, targets);
  const { migrationStatus } = await import('../migrate/run.ts');
  // Reading a target that fails is no reason to stop reading the others.
  const outcomes = await runPool(urls, (url) => migrationStatus({ ...config, url, loadedHistory: history }), { ...options, continueOnError: options.continueOnError ?? true, onEvent: options.onTarget });
  return summarise(outcomes, started, options.signal);
}

export interface FleetCheckTarget {
  /** Migrations the target records as applied: the schema it was compared with is theirs. */
  applied: string[];
  /** How its live schema differs from that; empty: it holds exactly the history's schema. */
  drift: Drift[];
}

export interface FleetCheckResult extends FleetResult<FleetCheckTarget> {
  /** The project's own problems (broken files, several heads, uncaptured entity changes), found once for the fleet. */
  problems: CheckProblem[];
}

/**
 * `check` for a fleet: the project is checked once (files, heads, entities, loaded once), then
 * every target's live schema is compared with the one its applied migrations make. `ok` only
 * when the project has no problem and every target was read and has no drift.
 */
export async function checkFleet(config: ResolvedConfig, targets: TargetSpec | readonly DatabaseUrl[], options: FleetOptions<FleetCheckTarget> = {}): Promise<FleetCheckResult> {
  const started = performance.now();
  const { check } = await import('../commands/check.ts');
  const project = await check(config);
  let history: History;
  try {
    history = await fleetHistory(config);
  } catch (error) {
    if (!(error instanceof TidemarkError)) throw error;
    return { ...summarise([], started), ok: false, problems: project.problems.length ? project.problems : [{ code: 'broken-file', message: error.message }] };
  }
  const urls = await fleetTargets(config, targets);
  const { liveDrift } = await import('../migrate/drift.ts');
  const outcomes = await runPool(
    urls,
    async (url) => {
      const r = await liveDrift({ ...config, url, loadedHistory: history });
      return { applied: r.applied, drift: r.drift };
    },
    { ...options, continueOnError: options.continueOnError ?? true, onEvent: options.onTarget },
  );
  const result = summarise(outcomes, started, options.signal);
  const clean = outcomes.every((o) => !o.result || o.result.drift.length === 0);
  return { ...result, ok: result.ok && clean && project.problems.length === 0, problems: project.problems };
}

async function fleetTargets(config: ResolvedConfig, targets: TargetSpec | readonly DatabaseUrl[]): Promise<DatabaseUrl[]> {
  if (typeof targets !== 'string' && targets.length && typeof targets[0] === 'object') return [...(targets as readonly DatabaseUrl[])];
  return resolveTargets(targets as TargetSpec, config);
}
