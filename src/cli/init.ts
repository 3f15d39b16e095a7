import { Command, Option } from 'clipanion';
import { relative } from 'node:path';
import { MIKRO_ORM_CONFIG_SEARCH } from '../project/find.ts';
import { TidemarkCommand } from './base.ts';
import { printJson } from './output.ts';

export class InitCommand extends TidemarkCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({
    description: "Write tidemark.config.ts at this app's package root (pointing at its MikroORM config when it has one) and create the migrations folder.",
    details: `Looks for the MikroORM config where MikroORM's CLI does: ${MIKRO_ORM_CONFIG_SEARCH}. With one, the migrations folder is the MikroORM config's (migrations.pathTs, else path, else ./migrations). Never replaces an existing tidemark.config.ts without --force.`,
    examples: [
      ['Set up tidemark in an app', '$0 init'],
      ['Name the MikroORM config', '$0 init --mikro-orm ./src/orm/config.ts'],
    ],
  });

  // init writes the config and touches no database: the shared --config/--url mean nothing here.
  override config = undefined;
  override url = undefined;
  mikroOrm = Option.String('--mikro-orm', { description: "The app's MikroORM config file (default: found where MikroORM's CLI looks)" });
  force = Option.Boolean('--force', false, { description: 'Replace an existing tidemark.config.ts' });
  json = Option.Boolean('--json', false, { description: 'Print the result as one JSON document (README: JSON output)' });

  async run(): Promise<number> {
    const { initProject } = await import('../api.ts');
    const result = await initProject({ cwd: process.cwd(), mikroOrm: this.mikroOrm, force: this.force });
    const shown = (p: string) => relative(process.cwd(), p) || '.';
    if (this.json) {
      // The config's text is in the file; paths relative to where init ran, as printed.
      const { configFile, migrationsDir, mikroOrm, createdMigrationsDir, overwritten, warnings, next } = result;
      printJson(this, 'init', { configFile: shown(configFile), migrationsDir: shown(migrationsDir), mikroOrm: mikroOrm ?? null, createdMigrationsDir, overwritten, warnings, next });
      return 0;
    }
    const source = result.mikroOrm ? `mikroOrm: ${result.mikroOrm}` : 'placeholder entities and url: edit them';
    this.out(`${result.overwritten ? 'Replaced' : 'Wrote'} ${shown(result.configFile)} (${source})`);
    if (result.createdMigrationsDir) this.out(`Created ${shown(result.migrationsDir)}/`);
    for (const w of result.warnings) this.context.stderr.write(`warning: ${w}\n`);
    this.out(`Next: ${result.next}`);
    return 0;
  }
}
