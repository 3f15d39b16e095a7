import { Command, Option } from 'clipanion';
import { TidemarkCommand } from './base.ts';
import { printJson } from './output.ts';
import { concurrencyOption, fleetFlags, targetsOption } from './fleet.ts';

export class CheckCommand extends TidemarkCommand {
  static override paths = [['check']];
  static override usage = Command.Usage({
    description: 'For CI: exit 1 when entities have changes no migration captures, the history has several heads, or a file is broken.',
    details:
      "With --url, also compares that database's live schema with the one its applied migrations make, and lists every difference (code drift): tables, columns, indexes, foreign keys and primary keys the history does not know (extra), that it has and the database lacks (missing), or that differ. Without --url no database is opened.",
    examples: [
      ['In CI', '$0 check'],
      ['For machines', '$0 check --json'],
      ['Also compare a database with the history', '$0 check --url postgres://app@db/app'],
    ],
  });
  json = Option.Boolean('--json', false, { description: 'Print the report as JSON' });
  targets = targetsOption();
  concurrency = concurrencyOption();

  async run(): Promise<number> {
    const fleet = fleetFlags(this, { '--url': this.url });
    if (fleet) return (await import('./fleet.ts')).fleetCheckCommand(this, fleet, this.json);
    const { checkProject } = await import('../api.ts');
    const report = await checkProject(this.configInput());
    if (this.json) {
      printJson(this, 'check', report);
      return report.ok ? 0 : 1;
    }
    if (report.ok) {
      const db = report.database;
      const live = db ? `, and ${db.url} holds the schema its ${db.applied.length} applied migration(s) make` : '';
      this.out(`ok: the entities, the snapshot and the migration history agree${live}.`);
      return 0;
    }
    const { describeOp } = await import('./describe.ts');
    const { describeDrift } = await import('../introspect/drift.ts');
    for (const p of report.problems) {
      this.out(`✗ ${p.code}: ${p.message}`);
      if (p.code === 'uncaptured-changes') for (const op of report.changes) this.out(`    ${describeOp(op)}`);
      for (const d of p.drift ?? []) this.out(`    ${describeDrift(d)}`);
    }
    return 1;
  }
}

export class VerifyCommand extends TidemarkCommand {
  static override paths = [['verify']];
  static override usage = Command.Usage({
    description: 'Apply every migration up, down and up again on a scratch database, checking the schema after each step.',
    details: 'Default: SQLite in memory. --url names a throw-away PostgreSQL or MariaDB database instead; it must be empty.',
  });
  json = Option.Boolean('--json', false, { description: 'Print the result as one JSON document (README: JSON output)' });

  async run(): Promise<number> {
    const { verifyMigrations } = await import('../api.ts');
    const report = await verifyMigrations({ ...this.configInput(), scratchUrl: this.url });
    if (this.json) {
      printJson(this, 'verify', report);
      return report.ok ? 0 : 1;
    }
    if (report.ok) {
      this.out(`ok: ${report.checked.length} migration(s) went up, down and up again, matching the history at every step.`);
      return 0;
    }
    const f = report.failure!;
    this.context.stderr.write(`tidemark: verify failed${f.id ? ` at ${f.id} (${f.step})` : ''}: ${f.message}\n`);
    return 1;
  }
}
