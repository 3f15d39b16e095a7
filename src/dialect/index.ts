import type { Dialect, DialectName } from './dialect.ts';
import { mariadb, mysql } from './mysql.ts';
import { postgres, postgresIdentity } from './postgres.ts';
import { sqlite } from './sqlite.ts';

export type { Dialect, DialectName } from './dialect.ts';

const dialects: Record<DialectName, Dialect> = { sqlite, postgresql: postgres, mysql, mariadb };

/** Choices the config makes about how a dialect spells things (each documented on `TidemarkConfig`). */
export interface DialectOptions {
  postgresIdentity?: boolean;
}

export function dialectFor(name: DialectName, options: DialectOptions = {}): Dialect {
  if (name === 'postgresql' && options.postgresIdentity) return postgresIdentity;
  return dialects[name];
}
