import { createHash } from 'node:crypto';

/**
 * Identifier length limits differ (PostgreSQL 63 bytes, MySQL 64 characters). Rather than
 * let a server silently truncate two long names into one, a name over the limit keeps a
 * readable prefix and ends in a hash of the full name, so it stays unique and stable.
 */
export const MAX_IDENTIFIER_BYTES = 63;

export function fitIdentifier(name: string, max = MAX_IDENTIFIER_BYTES): string {
  if (Buffer.byteLength(name) <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  // Trim whole characters: cutting a UTF-16 pair in half would write a broken name.
  const chars = Array.from(name);
  while (Buffer.byteLength(chars.join('')) > max - 9) chars.pop();
  const prefix = chars.join('');
  return `${prefix}_${hash}`;
}

/** MikroORM's naming for constraints and indexes: `<table>_<columns>_<suffix>`. */
export function constraintName(table: string, columns: string[], suffix: 'index' | 'unique' | 'foreign'): string {
  return fitIdentifier(`${table}_${columns.join('_')}_${suffix}`);
}
