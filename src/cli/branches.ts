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
    description: 'Print the migration graph, newest first: @ current, * applied, o not applied.',
    details: 'Marks what is applied when a database URL is configured and answers; --offline never connects.',
  });
  offline = Option.Boolean('--offline', false, { description: 'Do not consult the database' });
  json = Option.Boolean('--json', false, { description: 'Print the graph as JSON' });

  async run(): Promise<number> {
    const { historyGraph } = await import('../api.ts');
    const { renderHistory } = await import('../commands/history-view.ts');
    const graph = await historyGraph({ ...this.configInput(), offline: this.offline });
    if (this.json) this.out(JSON.stringify(graph, null, 2));
    else {
      this.out(graph.lines.length ? renderHistory(graph.lines) : 'No migrations yet.');
      if (graph.note) this.context.stderr.write(`tidemark: ${graph.note}\n`);
    }
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
