import { Command, Option } from 'clipanion';
import { relative } from 'node:path';
import type { RenameHints } from '../diff/diff.ts';
import { UsageError } from '../errors.ts';
import { TidemarkCommand } from './base.ts';
import { describeOp } from './describe.ts';
import { printJson } from './output.ts';
import { lockWarningLine, type LockWarning } from '../plan/locks.ts';

export class GenMigrationCommand extends TidemarkCommand {
  static override paths = [['gen-migration']];
  static override usage = Command.Usage({
    description: 'Write a migration for the difference between the entities and the migration history.',
    examples: [
      ['Generate a migration', '$0 gen-migration -m "add user age"'],
      ['Fail in CI when the entities have changes without a migration', '$0 gen-migration --check'],
      ['Write an empty migration for hand-written changes', '$0 gen-migration --empty -m "backfill names"'],
      ['Start a labelled branch as a new base', '$0 gen-migration -m "billing" --head base --branch-label billing'],
      ['Add to the billing branch of a history with several heads', '$0 gen-migration -m "invoice due date" --head billing'],
    ],
  });

  message = Option.String('-m,--message', { description: 'What the migration does; also names the file' });
  empty = Option.Boolean('--empty', false, { description: 'Write a migration with empty up() and down()' });
  check = Option.Boolean('--check', false, { description: 'Write nothing; exit 1 when the entities differ from the history' });
  rename = Option.Array('--rename', {
    description: 'State a rename instead of a drop and an add: old_table=new_table, or table.old_column=new_column (repeatable)',
  });
  noRename = Option.Array('--no-rename', { description: 'Say that a dropped table or table.column was not renamed (its data is dropped)' });
  json = Option.Boolean('--json', false, { description: 'Print the result as one JSON document (README: JSON output)' });
  allowDestructive = Option.Boolean('--allow-destructive', false, { description: 'Write the migration even if it drops tables or columns, narrows types or adds NOT NULL without a default' });
  allow = Option.Array('--allow', { description: 'Allow one destructive change: a code (TM102) or code:target (TM102:user.age) (repeatable)' });
  allowDataLoss = Option.Array('--allow-data-loss', {
    description:
      "Accept, in the migration, that a drop deletes rows: TM101:<table> or TM102:<table>.<column> (repeatable); written as { dataLoss: 'accepted' } so migrate up does not refuse it",
  });

  head = Option.String('--head', { description: "Where the migration goes when the history has several heads: a branch label (billing or billing@head), a head's id, or base for a new base" });
  branchLabel = Option.Array('--branch-label', { description: 'Label the branch this migration starts or carries, for --head and migrate up --to <label>@head (repeatable)' });
  online = Option.Boolean('--online', true, {
    description: 'Write changes to existing tables in their online form, in a second migration run outside a transaction (default; --no-online writes them plainly in one)',
  });
  dependsOn = Option.Array('--depends-on', { description: 'A migration (id or <label>@head) of another branch this one needs applied first, without merging (repeatable)' });

  async run(): Promise<number> {
    if (!this.check && !this.message?.trim()) throw new UsageError('gen-migration needs -m "<message>" (what the migration does)');
    const { generateMigration } = await import('../api.ts');
    // TIDEMARK_NOW pins the clock that stamps the id, for reproducible output (tests, docs).
    const pinned = process.env.TIDEMARK_NOW ? new Date(process.env.TIDEMARK_NOW) : undefined;
    const result = await generateMigration({
      ...this.configInput(),
      renames: parseRenames(this.rename ?? []),
      notRenamed: this.noRename,
      allow: { all: this.allowDestructive, items: this.allow },
      allowDataLoss: this.allowDataLoss,
      // A question on stdout would break the JSON document: --json asks nothing.
      ask: !this.json && process.stdin.isTTY && process.stdout.isTTY && !process.env.CI ? (q) => askYesNo(this, `${q.description}. Renamed? (--rename ${q.answer}) [y/N] `) : undefined,
      message: this.message ?? '',
      empty: this.empty,
      check: this.check,
      now: pinned ? () => pinned : undefined,
      head: this.head,
      branchLabels: this.branchLabel,
      dependsOn: this.dependsOn,
      online: this.online,
      onNotice: (line) => this.context.stderr.write(`note: ${line}\n`),
    });
    if (this.json) {
      // One shape for the three outcomes: id and file are null unless a migration was written.
      const written = result.kind === 'written' ? { id: result.id, file: relative(process.cwd(), result.file) } : { id: null, file: null };
      const online = result.kind === 'written' && result.online ? { id: result.online.id, file: relative(process.cwd(), result.online.file) } : null;
      const plans = result.kind === 'written' ? [result.plan, ...(result.online ? [result.online.plan] : [])] : [];
      const changes = result.kind === 'changes' ? result.ops : plans.flatMap((p) => p.up);
      const warnings = [
        ...plans.flatMap((p) => p.warnings).map((w) => ({ code: w.code, message: w.message })),
        ...plans.flatMap((p) => p.locks).map((w) => ({ code: w.code, message: w.message, safeAlternative: w.safeAlternative })),
      ];
      printJson(this, 'gen-migration', { result: result.kind, ...written, online, changes: changes.map(describeOp), warnings });
      return result.kind === 'changes' ? 1 : 0;
    }
    switch (result.kind) {
      case 'noChanges':
        this.out('No changes: the entities match the migration history.');
        return 0;
      case 'changes':
        this.out(`The entities differ from the migration history (${result.ops.length} change${result.ops.length === 1 ? '' : 's'}); run gen-migration -m "<message>".`);
        for (const op of result.ops) this.out(`  ${describeOp(op)}`);
        return 1;
      case 'written':
        this.out(relative(process.cwd(), result.file));
        if (result.online) this.out(`${relative(process.cwd(), result.online.file)} (online steps, outside a transaction)`);
        for (const w of [...result.plan.warnings, ...(result.online?.plan.warnings ?? [])]) this.context.stderr.write(`warning: ${w.code} ${w.message}\n`);
        for (const w of [...result.plan.locks, ...(result.online?.plan.locks ?? [])]) this.context.stderr.write(`warning: ${lockWarningLine(w)}${w.generated && !this.online ? ' (written plainly because of --no-online)' : ''}${guarded(w)}\n`);
        return 0;
    }
  }
}

/** What migrate up's big-table guard will say about a copy or rewrite, said now while the migration is being written. */
function guarded(w: LockWarning): string {
  if (w.code !== 'TM206' && w.code !== 'TM207') return '';
  const table = w.target.split('.')[0];
  return `; migrate up refuses it on a table above bigTable rows unless the migration says static allowBlocking = ['${w.code}:${table}'] (or --allow-blocking ${w.code}:${table})`;
}

async function askYesNo(cmd: TidemarkCommand, question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: cmd.context.stdin, output: cmd.context.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function parseRenames(items: string[]): RenameHints {
  const hints: Required<RenameHints> = { tables: {}, columns: {} };
  for (const item of items) {
    const m = /^([^=\s]+)=([^=.\s]+)$/.exec(item);
    if (!m) throw new UsageError(`--rename ${item}: expected old_table=new_table or table.old_column=new_column`);
    if (m[1]!.includes('.')) hints.columns[m[1]!] = m[2]!;
    else hints.tables[m[1]!] = m[2]!;
  }
  return hints;
}


