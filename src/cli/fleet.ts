import { Option } from 'clipanion';
import { EXIT, UsageError } from '../errors.ts';
import type { FleetCheckTarget, FleetResult, FleetUpOptions, FleetUpResult } from '../fleet/fleet.ts';
import { statusBlocked } from '../fleet/status.ts';
import type { FleetEvent, TargetOutcome } from '../fleet/pool.ts';
import type { MigrationStatus } from '../migrate/run.ts';
import type { TidemarkCommand } from './base.ts';
import { duration, plural, printJson } from './output.ts';

/** The options every fleet-capable command (`migrate up|status`, `check`) takes. */
export const targetsOption = () =>
  Option.String('--targets', {
    description: "Run on many databases: URLs separated by commas, @file (one a line), 'config' (the config's targets), with patterns: postgres://…/db?schema=tenant_*, mysql://…/tenant_*",
  });
export const concurrencyOption = () => Option.String('--concurrency', { description: 'With --targets: how many targets at once (default 4)' });
export const continueOnErrorOption = () => Option.Boolean('--continue-on-error', false, { description: 'With --targets: go on with the other targets after one fails (default: stop starting new ones)' });

export interface FleetFlags {
  targets?: string;
  concurrency?: string;
  continueOnError?: boolean;
}

/** Refuses fleet flags without `--targets`, and `--targets` with the flags that name one database. */
export function fleetFlags(flags: FleetFlags, single: Record<string, unknown> = {}): { targets: string; concurrency: number; continueOnError: boolean } | undefined {
  if (flags.targets === undefined) {
    if (flags.concurrency !== undefined) throw new UsageError('--concurrency needs --targets');
    if (flags.continueOnError) throw new UsageError('--continue-on-error needs --targets');
    return undefined;
  }
  for (const [flag, value] of Object.entries(single)) if (value !== undefined && value !== false) throw new UsageError(`${flag} cannot be used with --targets (each target is named there)`);
  let concurrency = 4;
  if (flags.concurrency !== undefined) {
    concurrency = Number(flags.concurrency);
    if (!/^\s*\d+\s*$/.test(flags.concurrency) || !Number.isSafeInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${flags.concurrency}: must be a whole number of at least 1`);
  }
  return { targets: flags.targets, concurrency, continueOnError: flags.continueOnError === true };
}

type Mode = 'text' | 'quiet' | 'json';

/**
 * What a fleet run shows while it goes: on a terminal, one line on stderr redrawn in place
 * (done, failed, running, left) with each failure printed above it as it happens; elsewhere (a
 * CI log) one plain line per target as it ends on stdout, and targets found locked on stderr.
 */
export class FleetDisplay<T> {
  private done = 0;
  private failed = 0;
  private running = 0;
  private live = false;
  private readonly startedAt = performance.now();
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private readonly tty: boolean;
  private readonly cmd: TidemarkCommand;
  private readonly total: number | undefined;
  private readonly lines: boolean;
  private readonly describe: (o: TargetOutcome<T>) => string;

  /** `lines`: say each target's end and each lock found held (text mode); the live line is drawn on a terminal unless `quiet`. */
  constructor(cmd: TidemarkCommand, options: { quiet: boolean; lines: boolean; describe: (o: TargetOutcome<T>) => string; total?: number }) {
    this.cmd = cmd;
    this.lines = options.lines;
    this.describe = options.describe;
    this.total = options.total;
    this.tty = !options.quiet && !!(cmd.context.stderr as { isTTY?: boolean }).isTTY;
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 250);
      this.timer.unref();
    }
  }

  readonly onTarget = (e: FleetEvent<T>): void => {
    if (e.phase === 'start') this.running++;
    else if (e.phase === 'busy') {
      this.running--;
      if (!this.tty && this.lines) this.cmd.context.stderr.write(`tidemark: ${e.target}: its lock is held by ${e.holder}; coming back to it\n`);
    } else {
      this.running--;
      const bad = e.outcome.state !== 'done';
      if (bad) this.failed++;
      else this.done++;
      if (!this.lines) return;
      if (this.tty) {
        if (!bad) return;
        this.clear();
        this.cmd.context.stderr.write(`tidemark: ${e.target}: ${e.outcome.error?.message}\n`);
      } else {
        this.cmd.out(`${bad ? 'FAILED' : 'ok    '}  ${e.target}  ${this.describe(e.outcome)}`);
      }
    }
  };

  private line(): string {
    const left = this.total === undefined ? '' : `, ${this.total - this.done - this.failed - this.running} left`;
    return `tidemark: ${this.done} done, ${this.failed} failed, ${this.running} running${left} (${duration(performance.now() - this.startedAt)})`;
  }

  private draw(): void {
    this.cmd.context.stderr.write(`\r\x1b[K${this.line()}`);
    this.live = true;
  }

  private clear(): void {
    if (!this.live) return;
    this.cmd.context.stderr.write('\r\x1b[K');
    this.live = false;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }
}

/** A plain-text table, columns as wide as their widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

const stateWord = (o: TargetOutcome<unknown>) => (o.state === 'done' ? 'ok' : o.state);

/** The exit code of a fleet run: a signal's, else 0 only when every target is done. */
export function fleetExit(result: FleetResult<unknown>): number {
  if (result.stoppedBy === 'SIGINT') return EXIT.sigint;
  if (result.stoppedBy === 'SIGTERM') return EXIT.sigterm;
  return result.ok ? EXIT.ok : EXIT.failure;
}

function totals(result: FleetResult<unknown>, extra = ''): string {
  const c = result.counts;
  const parts = [`${c.done} ok${extra}`, `${c.failed} failed`, ...(c.interrupted ? [`${c.interrupted} interrupted`] : []), ...(c.skipped ? [`${c.skipped} not started`] : [])];
  return `${plural(result.targets.length, 'target')}: ${parts.join(', ')} in ${duration(result.ms)}${result.stoppedBy ? ` (stopped by ${result.stoppedBy})` : ''}`;
}

const errorJson = (o: TargetOutcome<unknown>) => (o.error ? { error: { name: o.error.name, message: o.error.message } } : {});

export function describeUp(o: TargetOutcome<FleetUpResult>): string {
  if (o.state !== 'done') return o.error?.message ?? o.state;
  const ran = o.result!.ran.length;
  return ran ? `applied ${ran} in ${duration(o.ms)}` : 'up to date';
}

export function reportUp(cmd: TidemarkCommand, mode: Mode, result: FleetResult<FleetUpResult>): number {
  if (mode === 'json') {
    printJson(cmd, 'migrate up --targets', {
      ok: result.ok,
      counts: result.counts,
      ms: Math.round(result.ms),
      ...(result.stoppedBy ? { stoppedBy: result.stoppedBy } : {}),
      targets: result.targets.map((o) => ({
        target: o.target,
        state: o.state,
        ms: Math.round(o.ms),
        busy: o.busy,
        ...(o.result ? { ran: o.result.ran, current: o.result.current, pending: o.result.pending } : {}),
        ...errorJson(o),
      })),
    });
    return fleetExit(result);
  }
  if (mode === 'text') {
    const rows = result.targets.map((o) => [o.target, stateWord(o), o.result ? String(o.result.ran.length) : '-', o.state === 'skipped' ? '-' : duration(o.ms), o.state === 'done' ? (o.result!.ran.length ? '' : 'up to date') : (o.error?.message ?? '')]);
    for (const l of table(['TARGET', 'STATE', 'APPLIED', 'TIME', 'NOTE'], rows)) cmd.out(l);
    const changed = result.targets.filter((o) => o.result?.ran.length).length;
    cmd.out(totals(result, ` (${changed} migrated, ${result.counts.done - changed} already up to date)`));
  }
  for (const o of result.targets) for (const n of o.result?.notices ?? []) cmd.context.stderr.write(`tidemark: ${o.target}: ${n}\n`);
  // --quiet prints nothing but errors: each target's own.
  if (mode === 'quiet') for (const o of result.targets) if (o.state === 'failed' || o.state === 'interrupted') cmd.context.stderr.write(`tidemark: ${o.target}: ${o.error?.message}\n`);
  return fleetExit(result);
}

export function describeStatus(o: TargetOutcome<MigrationStatus>): string {
  if (o.state !== 'done') return o.error?.message ?? o.state;
  const s = o.result!;
  return `${s.applied.length} applied, ${s.pending.length} pending${s.failed.length ? `, ${s.failed.length} failed` : ''}`;
}

/** As `migrate status` exits: 3 when a target has a failed migration (or one whose run is gone), 1 when one could not be read. */
export function reportStatus(cmd: TidemarkCommand, json: boolean, exitZero: boolean, result: FleetResult<MigrationStatus>): number {
  const blocked = statusBlocked(result);
  const code = result.stoppedBy || !result.ok ? fleetExit(result) : blocked && !exitZero ? EXIT.blocked : EXIT.ok;
  if (json) {
    printJson(cmd, 'migrate status --targets', {
      ok: result.ok,
      counts: result.counts,
      targets: result.targets.map((o) => ({
        target: o.target,
        state: o.state,
        ...(o.result ? { current: o.result.current, applied: o.result.applied.length, pending: o.result.pending, failed: o.result.failed, ...(o.result.lockHolder ? { lockHolder: o.result.lockHolder } : {}) } : {}),
        ...errorJson(o),
      })),
    });
    return code;
  }
  const rows = result.targets.map((o) => {
    const s = o.result;
    if (!s) return [o.target, '-', '-', '-', '-', o.error?.message ?? o.state];
    const note = [...(s.failed.length ? [`${s.failed[0]!.id} ${s.failed[0]!.status === 'running' ? 'interrupted' : 'failed'}`] : []), ...(s.lockHolder ? [`locked by ${s.lockHolder}`] : [])].join('; ');
    return [o.target, s.current.length ? s.current.join(',') : 'base', String(s.applied.length), String(s.pending.length), s.pending.length || s.failed.length ? 'behind' : 'at head', note];
  });
  for (const l of table(['TARGET', 'CURRENT', 'APPLIED', 'PENDING', 'STATE', 'NOTE'], rows)) cmd.out(l);
  const behind = result.targets.filter((o) => o.result && o.result.pending.length).length;
  cmd.out(`${plural(result.targets.length, 'target')}: ${result.counts.done - behind} at the head, ${behind} behind, ${result.targets.length - result.counts.done} not read`);
  return code;
}

export function describeCheck(o: TargetOutcome<FleetCheckTarget>): string {
  if (o.state !== 'done') return o.error?.message ?? o.state;
  return o.result!.drift.length ? `${o.result!.drift.length} difference(s) from its applied migrations` : 'no drift';
}

/**
 * The CLI's signal contract for a fleet, as for one database: the first SIGINT/SIGTERM starts
 * no new target and stops each run under way after its current migration (exit 130/143); a
 * second exits at once.
 */
async function stoppable<T>(cmd: TidemarkCommand, go: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
    cmd.context.stderr.write(`\ntidemark: ${signal}: starting no new target, stopping each one under way after its current migration (send it again to exit at once)\n`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await go(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

type Fleet = NonNullable<ReturnType<typeof fleetFlags>>;

async function prepare(cmd: TidemarkCommand, fleet: Fleet) {
  const { resolveConfig } = await import('../config.ts');
  const { resolveTargets } = await import('../fleet/targets.ts');
  // Each target is its own URL: DATABASE_URL and the config's url do not take part.
  const config = await resolveConfig({ ...cmd.configInput(), url: undefined });
  const urls = await resolveTargets(fleet.targets, config);
  return { config, urls, fleet: await import('../fleet/fleet.ts') };
}

/** `migrate up --targets …` */
export async function fleetUp(cmd: TidemarkCommand, flags: Fleet, mode: Mode, options: { lockTimeoutMs?: number; to?: string; transaction?: 'all' | 'each'; allowDataLoss?: boolean; allowBlocking?: readonly string[] } & Pick<FleetUpOptions, 'ddlLockTimeoutMs' | 'onRetry'>): Promise<number> {
  const { config, urls, fleet } = await prepare(cmd, flags);
  const display = new FleetDisplay<FleetUpResult>(cmd, { quiet: mode === 'quiet', lines: mode === 'text', describe: describeUp, total: urls.length });
  try {
    const result = await stoppable(cmd, (signal) =>
      fleet.migrateFleet(config, urls, {
        ...options,
        concurrency: flags.concurrency,
        continueOnError: flags.continueOnError,
        signal,
        onTarget: display.onTarget,
        onDataLoss: (target, line) => cmd.context.stderr.write(`tidemark: ${target}: ${line}\n`),
      }),
    );
    display.stop();
    return reportUp(cmd, mode, result);
  } finally {
    display.stop();
  }
}

/** `migrate status --targets …` */
export async function fleetStatusCommand(cmd: TidemarkCommand, flags: Fleet, json: boolean, exitZero: boolean): Promise<number> {
  const { config, urls, fleet } = await prepare(cmd, flags);
  const display = new FleetDisplay<MigrationStatus>(cmd, { quiet: false, lines: false, describe: describeStatus, total: urls.length });
  try {
    const result = await stoppable(cmd, (signal) => fleet.fleetStatus(config, urls, { concurrency: flags.concurrency, signal, onTarget: display.onTarget }));
    display.stop();
    return reportStatus(cmd, json, exitZero, result);
  } finally {
    display.stop();
  }
}

/** `check --targets …`: the project once, then every target's drift. */
export async function fleetCheckCommand(cmd: TidemarkCommand, flags: Fleet, json: boolean): Promise<number> {
  const { config, urls, fleet } = await prepare(cmd, flags);
  const display = new FleetDisplay<FleetCheckTarget>(cmd, { quiet: false, lines: false, describe: describeCheck, total: urls.length });
  let result;
  try {
    result = await stoppable(cmd, (signal) => fleet.checkFleet(config, urls, { concurrency: flags.concurrency, signal, onTarget: display.onTarget }));
  } finally {
    display.stop();
  }
  const code = result.stoppedBy ? fleetExit(result) : result.ok ? EXIT.ok : EXIT.failure;
  if (json) {
    printJson(cmd, 'check --targets', {
      ok: result.ok,
      problems: result.problems.map((p) => ({ code: p.code, message: p.message })),
      counts: result.counts,
      targets: result.targets.map((o) => ({ target: o.target, state: o.state, ...(o.result ? { applied: o.result.applied.length, drift: o.result.drift } : {}), ...errorJson(o) })),
    });
    return code;
  }
  for (const p of result.problems) cmd.out(`✗ ${p.code}: ${p.message}`);
  const { describeDrift } = await import('../introspect/drift.ts');
  const rows = result.targets.map((o) => [o.target, o.state !== 'done' ? 'not read' : o.result!.drift.length ? 'drift' : 'ok', o.state !== 'done' ? (o.error?.message ?? '') : o.result!.drift.map((d) => describeDrift(d)).join('; ')]);
  for (const l of table(['TARGET', 'SCHEMA', 'NOTE'], rows)) cmd.out(l);
  const drifted = result.targets.filter((o) => o.result?.drift.length).length;
  cmd.out(`${plural(result.targets.length, 'target')}: ${result.counts.done - drifted} match their history, ${drifted} drifted, ${result.targets.length - result.counts.done} not read${result.problems.length ? `; the project has ${plural(result.problems.length, 'problem')}` : ''}`);
  return code;
}
