import { Command, Option } from 'clipanion';
import { relative } from 'node:path';
import { TidemarkCommand } from './base.ts';
import { printJson } from './output.ts';

export class MergeCommand extends TidemarkCommand {
  static override paths = [['merge']];
  static override usage = Command.Usage({
    description: 'Join the heads of a branched history with a merge migration (both as parents).',
    examples: [['After merging two git branches that each added a migration', '$0 merge -m "merge billing and auth"']],
  });
  message = Option.String('-m,--message', { description: 'What the merge joins; also names the file' });
  json = Option.Boolean('--json', false, { description: 'Print the result as one JSON document (README: JSON output)' });

  async run(): Promise<number> {
    const { mergeHeads } = await import('../api.ts');
    const pinned = process.env.TIDEMARK_NOW ? new Date(process.env.TIDEMARK_NOW) : undefined;
    const r = await mergeHeads({ ...this.configInput(), message: this.message?.trim() || 'merge branches', now: pinned ? () => pinned : undefined });
    if (this.json) {
      printJson(this, 'merge', { id: r.id, file: relative(process.cwd(), r.file), parents: r.parents });
      return 0;
    }
    this.out(relative(process.cwd(), r.file));
    this.context.stderr.write(`merged ${r.parents.join(' + ')}\n`);
    return 0;
  }
}

export class HistoryCommand extends TidemarkCommand {
  static override paths = [['history']];
  static override usage = Command.Usage({
    description: 'Print the migration graph, newest first, with dates and messages: @ current, * applied, o not applied.',
    details:
      'Marks what is applied when a database URL is configured and answers; --offline never connects. -r takes a range as Alembic does, both ends included: base:head, <id>: (it and what follows), :<id> (it and what it follows), <a>:<b>; an end is an id, a unique prefix, the slug, head, base or heads.',
    examples: [
      ['Everything, with parents, children, file and checksum', '$0 history --verbose'],
      ['A migration and everything after it', '$0 history -r add_user_age:'],
      ['As JSON (one object per migration)', '$0 history --json'],
    ],
  });
  offline = Option.Boolean('--offline', false, { description: 'Do not consult the database' });
  verbose = Option.Boolean('-v,--verbose', false, { description: 'Add parents, children, file and checksum' });
  range = Option.String('-r,--rev-range', { description: 'Only <from>:<to> (base:head, <id>:, :<id>, <a>:<b>)' });
  json = Option.Boolean('--json', false, { description: 'Print the migrations as JSON: { version, command, migrations: [{ id, message, date, parents, children, isHead, isBase, file, checksum, applied, current }] }' });

  async run(): Promise<number> {
    const { historyGraph } = await import('../api.ts');
    const { renderHistory } = await import('../commands/history-view.ts');
    const graph = await historyGraph({ ...this.configInput(), offline: this.offline, range: this.range });
    if (graph.note) this.context.stderr.write(`tidemark: ${graph.note}\n`);
    if (this.json) printJson(this, 'history', { migrations: graph.migrations });
    else this.out(graph.migrations.length ? renderHistory(graph.migrations, { verbose: this.verbose }) : this.range ? 'No migrations in that range.' : 'No migrations yet.');
    return 0;
  }
}

export class SnapshotRebuildCommand extends TidemarkCommand {
  static override paths = [['snapshot', 'rebuild']];
  static override usage = Command.Usage({
    description: 'Recompute the cached schema (node_modules/.cache/tidemark) from the migration history; commands do it by themselves when the migrations change.',
  });

  json = Option.Boolean('--json', false, { description: 'Print the result as one JSON document (README: JSON output)' });

  async run(): Promise<number> {
    const { rebuildSnapshot } = await import('../api.ts');
    const r = await rebuildSnapshot(this.configInput());
    if (this.json) {
      printJson(this, 'snapshot rebuild', r);
      return 0;
    }
    this.out(`${r.changed ? 'Rebuilt' : 'Unchanged'} ${r.file} (head ${r.head ?? 'none'}).`);
    return 0;
  }
}
