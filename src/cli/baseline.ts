import { Command, Option } from 'clipanion';
import { TidemarkCommand } from './base.ts';
import { lockOptions, lockTimeoutOption } from './lock-options.ts';
import { printJson } from './output.ts';

export class BaselineCommand extends TidemarkCommand {
  static override paths = [['baseline']];
  static override usage = Command.Usage({
    description: "Adopt an existing database: record a revision and its ancestors as applied, once its live schema is shown to be the history's there.",
    details:
      "For a database tidemark did not build (MikroORM's schema:create, its own migrations, another tool) and whose version table records nothing. The live schema is compared with the history's at the revision (default: the single head); any difference is listed and the baseline refused, with nothing written, unless --force. Afterwards migrate status, up and down work as on a database tidemark migrated.",
    examples: [
      ['At the head', '$0 baseline'],
      ['At an older revision (id or unique prefix), then apply the rest', '$0 baseline 20261124090337 && $0 migrate up'],
      ['Despite differences (they are listed)', '$0 baseline --force'],
    ],
  });
  id = Option.String({ name: 'id', required: false });
  force = Option.Boolean('--force', false, { description: 'Record the revision even though the live schema differs from the history' });
  json = Option.Boolean('--json', false, { description: 'Print the result as JSON' });
  lockTimeout = lockTimeoutOption();

  async run(): Promise<number> {
    const { baselineDatabase } = await import('../api.ts');
    const result = await baselineDatabase({
      ...this.configInput(),
      target: this.id,
      force: this.force,
      ...lockOptions(this, this.lockTimeout),
    });
    if (this.json) {
      printJson(this, 'baseline', result);
      return result.accepted ? 0 : 1;
    }
    const { describeDrift } = await import('../introspect/drift.ts');
    const differences = () => result.drift.forEach((d) => this.out(`  ${describeDrift(d)}`));
    if (!result.accepted) {
      this.out(`Refused: ${result.database} differs from the history at ${result.target} in ${result.drift.length} way(s):`);
      differences();
      this.out("Nothing was recorded. Make the schema match (or name the revision it is at), or accept it as it is with 'tidemark baseline --force'.");
      return 1;
    }
    if (result.forced) {
      this.out(`Forced: ${result.database} differs from the history at ${result.target} in ${result.drift.length} way(s), accepted with --force:`);
      differences();
    }
    this.out(`Baselined ${result.database} at ${result.target}: recorded ${result.recorded.length} migration${result.recorded.length === 1 ? '' : 's'} as applied:`);
    for (const id of result.recorded) this.out(`  ${id}`);
    return 0;
  }
}
