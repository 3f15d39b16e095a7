import { Cli, Command } from 'clipanion';
import { colorsWanted, namePlaceholders } from './help-text.ts';

/** The command groups that have subcommands but do nothing alone (`tidemark migrate`). */
const GROUPS: Record<string, string> = {
  migrate: 'Apply, revert and inspect migrations',
  snapshot: 'Manage the cached schema (rebuilt from the migrations by every command that needs it)',
};

/** The subcommands of a group, one per line with their description. */
function listing(cli: Cli, group: string): string {
  const prefix = `${cli.binaryName} ${group} `;
  const subs = cli.definitions().filter((d) => d.path.startsWith(prefix));
  const width = Math.max(...subs.map((d) => d.path.length));
  const rows = subs.map((d) => `  ${d.path.padEnd(width)}  ${d.description ?? ''}`.trimEnd());
  return `${GROUPS[group]}:\n\n${rows.join('\n')}\n\nRun '${cli.binaryName} ${group} <subcommand> --help' for its options.\n`;
}

/** `tidemark migrate` or `tidemark snapshot` alone: lists the subcommands (stderr, exit 1: it did nothing). */
abstract class GroupCommand extends Command {
  static group: string;
  async execute(): Promise<number> {
    const { group } = this.constructor as typeof GroupCommand;
    this.context.stderr.write(`${this.cli.binaryName} ${group}: which one?\n${listing(this.cli as unknown as Cli, group)}`);
    return 1;
  }
}

export class MigrateGroupCommand extends GroupCommand {
  static override paths = [['migrate']];
  static override group = 'migrate';
}

export class SnapshotGroupCommand extends GroupCommand {
  static override paths = [['snapshot']];
  static override group = 'snapshot';
}

/** The group of a command class or instance clipanion hands to usage(), if it is one. */
function groupOf(command: unknown): string | undefined {
  const cls = typeof command === 'function' ? command : (command as object | null)?.constructor;
  return typeof cls === 'function' && cls.prototype instanceof GroupCommand ? (cls as typeof GroupCommand).group : undefined;
}

/** clipanion's Cli with readable placeholders, colours only on a terminal, and group listings in --help. */
export class TidemarkCli extends Cli {
  constructor(options: ConstructorParameters<typeof Cli>[0] = {}) {
    super({ ...options, enableColors: options.enableColors ?? colorsWanted(process.stdout) });
  }

  override usage(command: Parameters<Cli['usage']>[0] = null, options?: Parameters<Cli['usage']>[1]): string {
    const group = groupOf(command);
    return group ? listing(this, group) : super.usage(command, options);
  }

  // The one place clipanion builds option definitions: named here, the columns still line up.
  protected override getUsageByIndex(n: number, opts?: { detailed?: boolean; inlineOptions?: boolean }) {
    const u = super.getUsageByIndex(n, opts);
    return { ...u, usage: namePlaceholders(u.usage), options: u.options.map((o) => ({ ...o, definition: namePlaceholders(o.definition) })) };
  }
}
