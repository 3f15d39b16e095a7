import { Command, Option } from 'clipanion';
import { relative } from 'node:path';
import { UsageError } from '../errors.ts';
import { TidemarkCommand } from './base.ts';
import { printJson } from './output.ts';

export class SquashCommand extends TidemarkCommand {
  static override paths = [['squash']];
  static override usage = Command.Usage({
    description: 'Replace a migration and everything before it with one migration that builds the same schema.',
    details:
      "The new migration lists the ones it stands for (static replaces). A fresh database runs it alone; a database that applied all of them counts it as applied; one that applied some carries on with their files. Delete the replaced files once every database is past them. Hand-written SQL and data steps are not carried over (they are named). Refused when a migration outside the range follows one inside it other than the last.",
    examples: [['Squash everything up to and including a migration', '$0 squash --to 20260101120000_add_orders']],
  });
  // Not clipanion's `required`: without it, a missing --to would read as an unknown command.
  to = Option.String('--to', { description: 'The last migration to squash: an id, a unique prefix, its slug, or head' });
  message = Option.String('-m,--message', { description: 'What the squash covers; also names the file' });
  json = Option.Boolean('--json', false, { description: 'Print the result as one JSON document: { id, file, replaces, notCarried }' });

  async run(): Promise<number> {
    if (!this.to) throw new UsageError("squash needs --to <id>: the last migration to squash (an id, a unique prefix, its slug, or head)");
    const { squashMigrations } = await import('../api.ts');
    const pinned = process.env.TIDEMARK_NOW ? new Date(process.env.TIDEMARK_NOW) : undefined;
    const r = await squashMigrations({ ...this.configInput(), to: this.to, message: this.message, now: pinned ? () => pinned : undefined });
    if (this.json) {
      printJson(this, 'squash', { id: r.id, file: relative(process.cwd(), r.file), replaces: r.replaces, notCarried: r.notCarried });
      return 0;
    }
    this.out(relative(process.cwd(), r.file));
    this.context.stderr.write(`squashed ${r.replaces.length} migrations (${r.replaces[0]} … ${r.replaces.at(-1)}); delete their files once every database is past them\n`);
    for (const n of r.notCarried) {
      this.context.stderr.write(`warning: ${n.id} (${n.file}) has ${n.steps} hand-written SQL or data step(s), not carried into the squash: a fresh database will not run them\n`);
    }
    return 0;
  }
}
