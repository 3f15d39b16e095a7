import type { Dialect, DialectName } from './dialect.ts';
import { mariadb, mysql } from './mysql.ts';
import { postgres } from './postgres.ts';
import { sqlite } from './sqlite.ts';

export type { Dialect, DialectName } from './dialect.ts';

const dialects: Record<DialectName, Dialect> = { sqlite, postgresql: postgres, mysql, mariadb };

export function dialectFor(name: DialectName): Dialect {
  return dialects[name];
}
