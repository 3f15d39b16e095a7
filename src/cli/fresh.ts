import { Command, Option } from 'clipanion';
import { TidemarkCommand } from './base.ts';
import { lockOptions, lockTimeoutOption } from './lock-options.ts';

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
  lockTimeout = lockTimeoutOption();

  async run(): Promise<number> {
    const { freshDatabase } = await import('../api.ts');
    const r = await freshDatabase({
      ...this.configInput(),
      force: this.force,
      ...lockOptions(this, this.lockTimeout),
    });
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    this.out(`Dropped ${plural(r.dropped.length, 'table')} on ${r.status.database}${r.dropped.length ? `: ${r.dropped.join(', ')}` : ''}.`);
    this.out(`Applied ${plural(r.ran.length, 'migration')}:`);
    for (const id of r.ran) this.out(`  ${id}`);
    this.out(`Now at ${r.status.current.length ? r.status.current.join(', ') : 'base (no migrations)'}.`);
    return 0;
  }
}
