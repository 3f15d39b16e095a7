import { Command, Option } from 'clipanion';
import { TidemarkCommand } from './base.ts';
import { printJson } from './output.ts';

/** Ids on one line for `$(…)` in a script, or `base` when there are none. */
const oneLine = (ids: readonly string[]) => (ids.length ? ids.join(' ') : 'base');

export class MigrateCurrentCommand extends TidemarkCommand {
  static override paths = [['migrate', 'current']];
  static override usage = Command.Usage({
    description: "Print the database's current revision on one line: the newest applied migration (several, space-separated, where branches are applied), or base.",
    examples: [['In a script', 'test "$($0 migrate current)" = "$($0 migrate heads)" || echo "migrations pending"']],
  });
  json = Option.Boolean('--json', false, { description: 'Print { version, command, database, current: [ids] } instead' });

  async run(): Promise<number> {
    const { currentRevision } = await import('../api.ts');
    const r = await currentRevision(this.configInput());
    if (this.json) printJson(this, 'migrate current', r);
    else this.out(oneLine(r.current));
    return 0;
  }
}

export class MigrateHeadsCommand extends TidemarkCommand {
  static override paths = [['migrate', 'heads']];
  static override usage = Command.Usage({
    description: 'Print the heads of the migration history on one line (several, space-separated, when branches are not merged), or base for an empty history. Reads only the files.',
  });
  json = Option.Boolean('--json', false, { description: 'Print { version, command, heads: [ids] } instead' });

  async run(): Promise<number> {
    const { historyHeads } = await import('../api.ts');
    const r = await historyHeads(this.configInput());
    if (this.json) printJson(this, 'migrate heads', r);
    else this.out(oneLine(r.heads));
    return 0;
  }
}
