import { Command, Option } from 'clipanion';
import { TidemarkCommand } from './base.ts';

export class CheckCommand extends TidemarkCommand {
  static override paths = [['check']];
  static override usage = Command.Usage({
    description: 'For CI: exit 1 when entities have changes no migration captures, the snapshot differs from the history, the history has several heads, or a file is broken.',
    examples: [
      ['In CI', '$0 check'],
      ['For machines', '$0 check --json'],
    ],
  });
  json = Option.Boolean('--json', false, { description: 'Print the report as JSON' });

  async run(): Promise<number> {
    const { checkProject } = await import('../api.ts');
    const report = await checkProject(this.configInput());
    if (this.json) {
      this.out(JSON.stringify(report, null, 2));
      return report.ok ? 0 : 1;
    }
    if (report.ok) {
      this.out('ok: the entities, the snapshot and the migration history agree.');
      return 0;
    }
    for (const p of report.problems) this.out(`✗ ${p.code}: ${p.message}`);
    const { describeOp } = await import('./describe.ts');
    for (const op of report.changes) this.out(`    ${describeOp(op)}`);
    return 1;
  }
}

export class VerifyCommand extends TidemarkCommand {
  static override paths = [['verify']];
  static override usage = Command.Usage({
    description: 'Apply every migration up, down and up again on a scratch database, checking the schema after each step.',
    details: 'Default: SQLite in memory. --url names a throw-away PostgreSQL or MariaDB database instead; it must be empty.',
  });

  async run(): Promise<number> {
    const { verifyMigrations } = await import('../api.ts');
    const report = await verifyMigrations({ ...this.configInput(), scratchUrl: this.url });
    if (report.ok) {
      this.out(`ok: ${report.checked.length} migration(s) went up, down and up again, matching the history at every step.`);
      return 0;
    }
    const f = report.failure!;
    this.context.stderr.write(`tidemark: verify failed${f.id ? ` at ${f.id} (${f.step})` : ''}: ${f.message}\n`);
    return 1;
  }
}
