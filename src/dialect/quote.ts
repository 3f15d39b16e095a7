import type { DialectName } from './dialect.ts';

/** `name` as an identifier on `dialect`: `` `name` `` on MySQL/MariaDB, `"name"` elsewhere. */
export function quoteName(dialect: DialectName, name: string): string {
  return dialect === 'mysql' || dialect === 'mariadb' ? `\`${name.replace(/`/g, '``')}\`` : `"${name.replace(/"/g, '""')}"`;
}

/** A string literal, as every dialect reads it. */
export const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
