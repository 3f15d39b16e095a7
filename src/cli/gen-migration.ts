import { Command, Option } from 'clipanion';
import { relative } from 'node:path';
import type { RenameHints } from '../diff/diff.ts';
import { TidemarkError } from '../errors.ts';
import { TidemarkCommand } from './base.ts';

export class GenMigrationCommand extends TidemarkCommand {
  static override paths = [['gen-migration']];
  static override usage = Command.Usage({
    description: 'Write a migration for the difference between the entities and the migration history.',
    examples: [
      ['Generate a migration', '$0 gen-migration -m "add user age"'],
      ['Fail in CI when the entities have changes without a migration', '$0 gen-migration --check'],
      ['Write an empty migration for hand-written changes', '$0 gen-migration --empty -m "backfill names"'],
    ],
  });

  message = Option.String('-m,--message', { description: 'What the migration does; also names the file' });
  empty = Option.Boolean('--empty', false, { description: 'Write a migration with empty up() and down()' });
  check = Option.Boolean('--check', false, { description: 'Write nothing; exit 1 when the entities differ from the history' });
  rename = Option.Array('--rename', {
    description: 'State a rename instead of a drop and an add: old_table=new_table, or table.old_column=new_column (repeatable)',
  });

  async run(): Promise<number> {
    if (!this.check && !this.message?.trim()) throw new UsageError('gen-migration needs -m "<message>" (what the migration does)');
    const { generateMigration } = await import('../api.ts');
    // TIDEMARK_NOW pins the clock that stamps the id, for reproducible output (tests, docs).
    const pinned = process.env.TIDEMARK_NOW ? new Date(process.env.TIDEMARK_NOW) : undefined;
    const result = await generateMigration({
      ...this.configInput(),
      renames: parseRenames(this.rename ?? []),
      message: this.message ?? '',
      empty: this.empty,
      check: this.check,
      now: pinned ? () => pinned : undefined,
    });
    switch (result.kind) {
      case 'noChanges':
        this.out('No changes: the entities match the migration history.');
        return 0;
      case 'changes':
        this.out(`The entities differ from the migration history (${result.ops.length} change${result.ops.length === 1 ? '' : 's'}); run gen-migration -m "<message>".`);
        for (const op of result.ops) this.out(`  ${describe(op)}`);
        return 1;
      case 'written':
        this.out(relative(process.cwd(), result.file));
        for (const w of result.plan.warnings) this.context.stderr.write(`warning: ${w.code} ${w.message}\n`);
        return 0;
    }
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

class UsageError extends TidemarkError {
  override readonly exitCode = 2;
}

function describe(op: import('../diff/ops.ts').Op): string {
  switch (op.kind) {
    case 'createTable':
      return `create table ${op.table.name}`;
    case 'dropTable':
      return `drop table ${op.table}`;
    case 'renameTable':
      return `rename table ${op.from} → ${op.to}`;
    case 'addColumn':
      return `add column ${op.table}.${op.column.name}`;
    case 'dropColumn':
      return `drop column ${op.table}.${op.column}`;
    case 'alterColumn':
      return `alter column ${op.table}.${op.column.name}`;
    case 'renameColumn':
      return `rename column ${op.table}.${op.from} → ${op.to}`;
    case 'createIndex':
      return `create ${op.index.unique ? 'unique ' : ''}index ${op.index.name} on ${op.table}`;
    case 'dropIndex':
      return `drop index ${op.index} on ${op.table}`;
    case 'addForeignKey':
      return `add foreign key ${op.foreignKey.name} on ${op.table}`;
    case 'dropForeignKey':
      return `drop foreign key ${op.foreignKey} on ${op.table}`;
    case 'sql':
      return `sql`;
  }
}
