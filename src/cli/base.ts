import { Command, Option } from 'clipanion';
import type { ConfigInput } from '../config.ts';
import { EXIT, TidemarkError } from '../errors.ts';
import { MIKRO_ORM_CONFIG_SEARCH } from '../project/find.ts';
import { redact } from '../url.ts';

/**
 * Options every command takes, and the one place library errors become exit codes:
 * a `TidemarkError` prints its one-line message; anything else is a bug and says so.
 */
export abstract class TidemarkCommand extends Command {
  config = Option.String('--config', {
    description: `Path to the config file (default: TIDEMARK_CONFIG, else the nearest tidemark.config.ts upward, else the app's MikroORM config: ${MIKRO_ORM_CONFIG_SEARCH})`,
  });
  url = Option.String('--url', { description: 'Database URL (overrides DATABASE_URL and the config)' });

  configInput(): ConfigInput {
    return { config: this.config, url: this.url, cwd: process.cwd() };
  }

  abstract run(): Promise<number>;

  async execute(): Promise<number> {
    try {
      return await this.run();
    } catch (error) {
      if (error instanceof TidemarkError) {
        this.context.stderr.write(`tidemark: ${redact(error.message)}\n`);
        return error.exitCode;
      }
      const e = error as Error;
      this.context.stderr.write(`tidemark: unexpected error: ${redact(String(e?.message ?? e).split('\n')[0]!)}\n`);
      if (process.env.TIDEMARK_DEBUG) this.context.stderr.write(`${redact(String(e?.stack))}\n`);
      return EXIT.internal;
    }
  }

  out(line = ''): void {
    this.context.stdout.write(`${line}\n`);
  }
}
