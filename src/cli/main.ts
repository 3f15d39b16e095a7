import { Builtins } from 'clipanion';
import { redact } from '../url.ts';
import { BaselineCommand } from './baseline.ts';
import { HistoryCommand, MergeCommand, SnapshotRebuildCommand } from './branches.ts';
import { CheckCommand, VerifyCommand } from './check.ts';
import { FreshCommand } from './fresh.ts';
import { GenMigrationCommand } from './gen-migration.ts';
import { MigrateGroupCommand, SnapshotGroupCommand, TidemarkCli } from './help.ts';
import { InitCommand } from './init.ts';
import { MigrateCurrentCommand, MigrateHeadsCommand } from './revisions.ts';
import { ShowCommand } from './show.ts';
import { SquashCommand } from './squash.ts';
import { MigrateDownCommand, MigrateResolveCommand, MigrateStatusCommand, MigrateUpCommand } from './migrate.ts';

declare const TIDEMARK_VERSION: string;

/** Alembic's `--to -1`: clipanion would read `-1` as an option, so it is bound to `--to` first. */
function relativeTo(argv: string[]): string[] {
  return argv.flatMap((a, i) => (a === '--to' && /^-\d+$/.test(argv[i + 1] ?? '') ? [] : argv[i - 1] === '--to' && /^-\d+$/.test(a) ? [`--to=${a}`] : [a]));
}

export async function main(argv: string[]): Promise<number> {
  const cli = new TidemarkCli({ binaryName: 'tidemark', binaryLabel: 'tidemark', binaryVersion: typeof TIDEMARK_VERSION === 'string' ? TIDEMARK_VERSION : 'dev' });
  cli.register(InitCommand);
  cli.register(GenMigrationCommand);
  cli.register(MigrateUpCommand);
  cli.register(MigrateDownCommand);
  cli.register(MigrateStatusCommand);
  cli.register(MigrateResolveCommand);
  cli.register(MigrateCurrentCommand);
  cli.register(MigrateHeadsCommand);
  cli.register(BaselineCommand);
  cli.register(MergeCommand);
  cli.register(SquashCommand);
  cli.register(HistoryCommand);
  cli.register(ShowCommand);
  cli.register(SnapshotRebuildCommand);
  cli.register(FreshCommand);
  cli.register(CheckCommand);
  cli.register(VerifyCommand);
  cli.register(MigrateGroupCommand);
  cli.register(SnapshotGroupCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  const context = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, colorDepth: 1 };
  let command;
  try {
    command = cli.process(relativeTo(argv), context);
  } catch (error) {
    // clipanion's usage errors span many lines; say the one that matters and where to look.
    const first = String((error as Error).message)
      .split('\n')[0]!
      .replace(/^Unknown Syntax Error: /, '')
      .replace(/^Unsupported option name \("(.+)"\)\.$/, 'unknown option $1')
      .replace(/\.$/, '');
    const cmd = argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ');
    if (first.startsWith('Command not found')) {
      process.stderr.write(`tidemark: unknown command '${argv.join(' ')}' (see 'tidemark --help')\n`);
      return 2;
    }
    process.stderr.write(`tidemark: ${redact(first)} (see 'tidemark ${cmd ? `${cmd} ` : ''}--help')\n`);
    return 2;
  }
  return cli.run(command, context);
}
