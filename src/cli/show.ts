import { Command, Option } from 'clipanion';
import type { DialectName } from '../dialect/dialect.ts';
import { TidemarkCommand } from './base.ts';
import { printJson } from './output.ts';

export class ShowCommand extends TidemarkCommand {
  static override paths = [['show']];
  static override usage = Command.Usage({
    description: "One migration: its message, parents, children, operations in words, what each locks (TM2xx codes), and the SQL 'migrate up' runs for it.",
    details: 'The id may be a unique prefix (the stamp), the slug (add_user_age) or head. The SQL assumes the database stands at its parents; it needs --dialect, or a URL. Touches no database.',
    examples: [
      ['By its slug', '$0 show add_user_age'],
      ['The SQL PostgreSQL would run', '$0 show head --dialect postgresql'],
    ],
  });
  id = Option.String({ name: 'id' });
  dialect = Option.String('--dialect', { description: 'sqlite, postgresql, mysql or mariadb (default: that of the URL)' });
  json = Option.Boolean('--json', false, { description: 'Print it as JSON: { version, command, id, message, date, parents, children, isHead, isBase, file, checksum, operations: { up, down }, dialect, sql, locks: [{ operation, code, lock, blocks, duration, note, safeAlternative }] }' });

  async run(): Promise<number> {
    const { showMigration } = await import('../api.ts');
    const { renderShow } = await import('../commands/show.ts');
    const result = await showMigration({ ...this.configInput(), id: this.id, dialect: this.dialect as DialectName | undefined });
    if (this.json) printJson(this, 'show', result);
    else this.out(renderShow(result));
    return 0;
  }
}
