import { Command, Option } from 'clipanion';
import type { MigrationStatus, RetryEvent, RunControl } from '../migrate/run.ts';
import { EXIT, UsageError } from '../errors.ts';
import { TidemarkCommand } from './base.ts';
import { ddlLockOptions, ddlLockTimeoutOption, lockOptions, lockTimeoutOption } from './lock-options.ts';
import { printJson } from './output.ts';
import { retryLine, RunReporter } from './run-report.ts';
import { concurrencyOption, continueOnErrorOption, fleetFlags, targetsOption } from './fleet.ts';

const QUIET = () => Option.Boolean('-q,--quiet', false, { description: 'Print nothing but errors' });
const JSON_FLAG = (what: string) => Option.Boolean('--json', false, { description: `Print ${what} as one JSON document (README: JSON output)` });
const outputMode = (cmd: { quiet?: boolean; json?: boolean }) => (cmd.json ? 'json' : cmd.quiet ? 'quiet' : 'text') as 'json' | 'quiet' | 'text';

/**
 * The CLI's signal contract, over the library's AbortSignal: the first SIGINT/SIGTERM stops the
 * run after the migration under way (exit 130/143, from the InterruptedError); a second exits at once.
 */
async function stoppable<T>(cmd: TidemarkCommand, go: (control: RunControl) => Promise<T>, reporter?: RunReporter): Promise<T> {
  const controller = new AbortController();
  let current: string | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    cmd.context.stderr.write(`tidemark: ${signal}: stopping after ${current ?? 'the current step'} (send it again to exit at once)\n`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await go({
      signal: controller.signal,
      onMigration: (e) => {
        current = e.phase === 'start' ? e.id : undefined;
        reporter?.onMigration(e);
      },
      ...(reporter ? { onRetry: reporter.onRetry, onBackfill: reporter.onBackfill } : {}),
    });
  } finally {
    reporter?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Every drop says what it deletes as it runs, on stderr (stdout stays the summary). */
function dataLoss(cmd: TidemarkCommand, allowDataLoss = false) {
  return { allowDataLoss, onDataLoss: (line: string) => cmd.context.stderr.write(`tidemark: ${line}\n`) };
}

/** `--step N`: a whole number of at least 1 (a usage error otherwise, exit 2). */
function stepCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const step = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(step) || step < 1) throw new UsageError(`--step ${value}: must be a whole number of at least 1`);
  return step;
}

function transactionMode(value: string | undefined): 'all' | 'each' | undefined {
  if (value === undefined || value === 'all' || value === 'each') return value;
  throw new UsageError(`--transaction ${value}: expected 'all' or 'each'`);
}


async function printSql(
  cmd: TidemarkCommand,
  direction: 'up' | 'down',
  options: { to?: string; step?: number; from?: string; dialect?: string },
): Promise<number> {
  const { migrationSql } = await import('../api.ts');
  const dialect = options.dialect as import('../dialect/dialect.ts').DialectName | undefined;
  cmd.context.stdout.write(await migrationSql({ ...cmd.configInput(), ...options, dialect, direction }));
  return 0;
}

function where(status: MigrationStatus): string {
  if (status.current.length === 0) return 'base (no migrations applied)';
  const atHead = status.pending.length === 0;
  return `${status.current.join(', ')}${atHead ? ' (head)' : ''}`;
}

export class MigrateUpCommand extends TidemarkCommand {
  static override paths = [['migrate', 'up']];
  static override usage = Command.Usage({
    description: 'Apply pending migrations, up to the head or to --to.',
    examples: [
      ['Apply everything pending', '$0 migrate up'],
      ['Apply up to and including one migration (its id, a unique prefix such as the stamp, or its slug)', '$0 migrate up --to add_user_age'],
      ['Apply the next two', '$0 migrate up --step 2'],
    ],
  });
  to = Option.String('--to', { description: 'Stop after this migration (id, unique prefix, slug or head), or +N: the next N' });
  step = Option.String('--step', { description: 'How many pending migrations to apply (default all)' });
  transaction = Option.String('--transaction', { description: "'all' (default): the batch commits or rolls back as one; 'each': every migration commits on its own" });
  sql = Option.Boolean('--sql', false, { description: 'Print the SQL this would run instead of running it; touches no database' });
  dialect = Option.String('--dialect', { description: 'With --sql: sqlite, postgresql, mysql or mariadb (default: that of the URL)' });
  from = Option.String('--from', { description: 'With --sql: the migration the database is assumed to be at (default: base)' });
  lockTimeout = lockTimeoutOption();
  ddlLockTimeout = ddlLockTimeoutOption();
  allowDataLoss = Option.Boolean('--allow-data-loss', false, { description: 'Drop tables and columns that hold data even where the migration does not accept the loss' });
  allowBlocking = Option.Array('--allow-blocking', { description: "Run a change that blocks writes while it copies or rewrites a table above the config's bigTable rows: its code and table, TM206:<table> (repeatable)" });
  createDatabase = Option.Boolean('--create-database', false, { description: 'Create the database (PostgreSQL, MySQL/MariaDB) if it does not exist; without it a missing database is an error' });
  quiet = QUIET();
  json = JSON_FLAG('what ran');
  targets = targetsOption();
  concurrency = concurrencyOption();
  continueOnError = continueOnErrorOption();

  async run(): Promise<number> {
    const step = stepCount(this.step);
    // Loaded only when given: the plan's lock tables are not every command's startup cost.
    const allowBlocking = this.allowBlocking?.length ? (await import('../migrate/big-tables.ts')).parseAllowBlocking(this.allowBlocking) : undefined;
    const fleet = fleetFlags(this, { '--url': this.url, '--sql': this.sql, '--step': this.step, '--create-database': this.createDatabase });
    if (fleet) {
      const mode = outputMode(this);
      // On stderr, as the fleet's other per-target lines: stdout is the fleet's report (or its JSON).
      const onRetry = mode === 'quiet' ? undefined : (target: string, e: RetryEvent) => void this.context.stderr.write(`tidemark: ${target}: ${retryLine(e)}\n`);
      return (await import('./fleet.ts')).fleetUp(this, fleet, mode, { lockTimeoutMs: lockOptions(this, this.lockTimeout).lockTimeoutMs, ...ddlLockOptions(this.ddlLockTimeout), onRetry, to: this.to, transaction: transactionMode(this.transaction), allowDataLoss: this.allowDataLoss, allowBlocking });
    }
    if (this.sql) return printSql(this, 'up', { to: this.to, step, from: this.from, dialect: this.dialect });
    const { migrateUp } = await import('../api.ts');
    const reporter = new RunReporter(this, 'up', { mode: outputMode(this) });
    const result = await stoppable(this, (control) => migrateUp({ ...this.configInput(), ...lockOptions(this, this.lockTimeout), ...ddlLockOptions(this.ddlLockTimeout), ...control, ...dataLoss(this, this.allowDataLoss), allowBlocking, createDatabase: this.createDatabase, to: this.to, step, transaction: transactionMode(this.transaction) }), reporter);
    reporter.finish(result);
    return 0;
  }
}

export class MigrateDownCommand extends TidemarkCommand {
  static override paths = [['migrate', 'down']];
  static override usage = Command.Usage({
    description: 'Revert applied migrations: one step by default.',
    examples: [
      ['Revert the newest migration', '$0 migrate down'],
      ['Revert three', '$0 migrate down --step 3'],
      ['Revert until a migration is the newest applied', '$0 migrate down --to 20261124090000'],
      ['Revert two (Alembic style)', '$0 migrate down --to -2'],
      ['Revert everything', '$0 migrate down --to base'],
    ],
  });
  to = Option.String('--to', { description: "Revert until this migration (id, unique prefix, slug or head) is the newest applied; 'base' reverts all; -N reverts N" });
  step = Option.String('--step', { description: 'How many migrations to revert (default 1)' });
  transaction = Option.String('--transaction', { description: "'all' (default) or 'each', as for migrate up" });
  sql = Option.Boolean('--sql', false, { description: 'Print the SQL this would run instead of running it; touches no database' });
  dialect = Option.String('--dialect', { description: 'With --sql: sqlite, postgresql, mysql or mariadb (default: that of the URL)' });
  from = Option.String('--from', { description: 'With --sql: the migration the database is assumed to be at (default: the head)' });
  lockTimeout = lockTimeoutOption();
  ddlLockTimeout = ddlLockTimeoutOption();
  quiet = QUIET();
  json = JSON_FLAG('what ran');

  async run(): Promise<number> {
    const { migrateDown } = await import('../api.ts');
    const step = this.step === undefined ? undefined : Number(this.step);
    if (this.step !== undefined && (!Number.isInteger(step) || step! < 1)) {
      this.context.stderr.write(`tidemark: --step ${this.step}: must be a whole number of at least 1\n`);
      return 2;
    }
    if (this.sql) return printSql(this, 'down', { to: this.to, step, from: this.from, dialect: this.dialect });
    const reporter = new RunReporter(this, 'down', { mode: outputMode(this) });
    const result = await stoppable(this, (control) => migrateDown({ ...this.configInput(), ...lockOptions(this, this.lockTimeout), ...ddlLockOptions(this.ddlLockTimeout), ...control, ...dataLoss(this), to: this.to, step, transaction: transactionMode(this.transaction) }), reporter);
    reporter.finish(result);
    return 0;
  }
}

export class MigrateStatusCommand extends TidemarkCommand {
  static override paths = [['migrate', 'status']];
  static override usage = Command.Usage({ description: 'Show the current revision, applied and pending migrations, and how the live schema differs from the one they make (drift).' });
  json = JSON_FLAG('the status');
  exitZero = Option.Boolean('--exit-zero', false, { description: 'Exit 0 even when a failed or interrupted migration blocks runs (for dashboards)' });
  targets = targetsOption();
  concurrency = concurrencyOption();

  async run(): Promise<number> {
    const fleet = fleetFlags(this, { '--url': this.url });
    if (fleet) return (await import('./fleet.ts')).fleetStatusCommand(this, fleet, this.json, this.exitZero);
    const { migrationStatus } = await import('../api.ts');
    const status = await migrationStatus(this.configInput());
    const url = status.database;
    // A run that `migrate up` would refuse is worth a non-zero exit to a script or a health check;
    // a migration running under a live run's lock is progress, not a block.
    const blocked = status.failed.some((f) => !f.rerunnable && (f.status === 'failed' || !status.lockHolder));
    const code = blocked && !this.exitZero ? EXIT.blocked : 0;
    if (this.json) {
      printJson(this, 'migrate status', status);
      return code;
    }
    this.out(`Database: ${url}`);
    this.out(`Current:  ${where(status)}`);
    this.out(`Lock:     ${status.lockHolder ? `held by ${status.lockHolder}` : 'free'}`);
    this.out(`Applied (${status.applied.length}):`);
    for (const a of status.applied) this.out(`  ${a.id}${a.executedAt ? `  ${a.executedAt}` : ''}${a.missingFile ? '  (file missing)' : ''}`);
    this.out(`Pending (${status.pending.length}):${status.pending.length ? '' : ' none'}`);
    for (const id of status.pending) this.out(`  ${id}`);
    if (status.failed.length) {
      this.out(`Failed (${status.failed.length}): ${status.failed.every((f) => f.rerunnable) ? 'migrate up runs it again from the start' : 'blocks migrate until resolved'}`);
      for (const f of status.failed) {
        const progress = f.statementsTotal !== undefined ? `, ${f.statementsDone ?? 0} of ${f.statementsTotal} statements ran` : '';
        const again = f.rerunnable ? ' (every step is safe to rerun: migrate up runs it again)' : '';
        this.out(`  ${f.id}  ${f.status === 'running' ? 'interrupted' : 'failed'}${progress}${again}${f.error ? `: ${f.error}` : ''}`);
      }
    }
    if (status.drift) {
      this.out(`Drift (${status.drift.length}):${status.drift.length ? " the live schema differs from the one the applied migrations make (see 'tidemark check --url')" : ' none'}`);
      const { describeDrift } = await import('../introspect/drift.ts');
      for (const d of status.drift) this.out(`  ${describeDrift(d)}`);
    } else if (status.driftError) {
      this.out(`Drift:    not compared: ${status.driftError}`);
    }
    for (const n of status.notices) this.out(n);
    return code;
  }
}

export class MigrateResolveCommand extends TidemarkCommand {
  static override paths = [['migrate', 'resolve']];
  static override usage = Command.Usage({
    description: 'Say what state a migration is in after you looked at the database: --applied or --rolled-back.',
    details:
      'A failed or interrupted migration (MySQL/MariaDB) blocks every run until resolved. --applied also accepts an edited file of an applied migration (records its new checksum); --rolled-back also forgets an applied migration whose file is gone.',
    examples: [
      ['The schema now has everything the migration makes', '$0 migrate resolve 20261124090000_add_user_age --applied'],
      ['The schema is back to before the migration', '$0 migrate resolve 20261124090000_add_user_age --rolled-back'],
    ],
  });
  id = Option.String({ name: 'id' });
  applied = Option.Boolean('--applied', false, { description: 'Record the migration as applied' });
  rolledBack = Option.Boolean('--rolled-back', false, { description: 'Forget the migration, so that up runs it again' });
  lockTimeout = lockTimeoutOption();
  json = JSON_FLAG('what was recorded');

  async run(): Promise<number> {
    if (this.applied === this.rolledBack) throw new UsageError('migrate resolve needs exactly one of --applied or --rolled-back');
    const { resolveMigration } = await import('../api.ts');
    // The full id: the argument may be a prefix or a slug.
    const { id } = await resolveMigration({ ...this.configInput(), ...lockOptions(this, this.lockTimeout), id: this.id, outcome: this.applied ? 'applied' : 'rolled-back' });
    if (this.json) printJson(this, 'migrate resolve', { id, outcome: this.applied ? 'applied' : 'rolled-back' });
    else this.out(`Recorded ${id} as ${this.applied ? 'applied' : 'rolled back'}.`);
    return 0;
  }
}
