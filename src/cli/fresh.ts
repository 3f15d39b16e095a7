import { Command, Option } from 'clipanion';
import { UsageError } from '../errors.ts';
import { TidemarkCommand } from './base.ts';

export class FreshCommand extends TidemarkCommand {
  static override paths = [['fresh']];
  static override usage = Command.Usage({
    description: 'Drop every table tidemark manages (and its version table) and apply the whole history again: for development databases.',
    details:
      'The tables dropped are those the applied migrations made; tables the history does not know stay. Refused unless the URL is SQLite or --force is given. Holds the run lock.',
    examples: [
      ['Rebuild the development SQLite database', '$0 fresh'],
      ['On a PostgreSQL or MySQL development database', '$0 fresh --force --url postgres://localhost/app_dev'],
    ],
  });
  force = Option.Boolean('--force', false, { description: 'Run on a database other than SQLite (everything tidemark manages there is dropped)' });
  lockTimeout = Option.String('--lock-timeout', { description: 'Seconds to wait for another run to release the migration lock (default 300)' });

  async run(): Promise<number> {
    let lockTimeoutMs: number | undefined;
    if (this.lockTimeout !== undefined) {
      const seconds = Number(this.lockTimeout);
      if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError(`--lock-timeout ${this.lockTimeout}: expected a number of seconds`);
      lockTimeoutMs = seconds * 1000;
    }
    const { freshDatabase } = await import('../api.ts');
    const r = await freshDatabase({
      ...this.configInput(),
      force: this.force,
      lockTimeoutMs,
      onWait: (holder) => this.context.stderr.write(`tidemark: waiting for the migration lock, held by ${holder}\n`),
    });
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    this.out(`Dropped ${plural(r.dropped.length, 'table')} on ${r.status.database}${r.dropped.length ? `: ${r.dropped.join(', ')}` : ''}.`);
    this.out(`Applied ${plural(r.ran.length, 'migration')}:`);
    for (const id of r.ran) this.out(`  ${id}`);
    this.out(`Now at ${r.status.current.length ? r.status.current.join(', ') : 'base (no migrations)'}.`);
    return 0;
  }
}
