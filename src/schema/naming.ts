import { createHash } from 'node:crypto';

/**
 * Identifier length limits differ (PostgreSQL 63 bytes, MySQL/MariaDB 64 characters). Rather
 * than let a server silently truncate two long names into one, a name over the limit keeps a
 * readable prefix and ends in a hash of the full name, so it stays unique and stable.
 * 63 bytes of UTF-8 is never more than 64 characters, so one limit serves every dialect.
 */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * Why `name` cannot be an identifier on every dialect tidemark writes for, or undefined when
 * it can. One rule for tables, columns, indexes, foreign keys, checks and primary keys:
 * PostgreSQL's 63 bytes (it truncates longer names, so two of them can collide), and what
 * MariaDB/MySQL reject at apply time: a trailing space, NUL, and characters outside the Basic
 * Multilingual Plane (4-byte UTF-8 such as emoji; identifiers are stored as utf8mb3).
 */
export function identifierProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_IDENTIFIER_BYTES) return `is ${bytes} bytes long; PostgreSQL keeps ${MAX_IDENTIFIER_BYTES} (it truncates the rest, so long names can collide)`;
  if (/ $/.test(name)) return 'ends in a space, which MySQL/MariaDB refuse';
  if (name.includes('\0')) return 'contains a NUL character';
  const wide = Array.from(name).find((ch) => ch.codePointAt(0)! > 0xffff);
  if (wide) return `contains '${wide}' (U+${wide.codePointAt(0)!.toString(16).toUpperCase()}), a 4-byte UTF-8 character MySQL/MariaDB refuse in names`;
  return undefined;
}

/**
 * A name tidemark makes itself (indexes, constraints, primary keys), made valid on every
 * dialect: characters MariaDB refuses and trailing spaces are replaced, and a name over the
 * limit is cut to a prefix plus a hash of the full name. Deterministic, so the same entity
 * always yields the same name.
 */
export function fitIdentifier(name: string, max = MAX_IDENTIFIER_BYTES): string {
  const clean = Array.from(name, (ch) => (ch.codePointAt(0)! > 0xffff || ch === '\0' ? '_' : ch)).join('').replace(/ +$/, (s) => '_'.repeat(s.length));
  if (clean === name && Buffer.byteLength(name) <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  if (Buffer.byteLength(clean) <= max - 9 && clean !== name) return `${clean}_${hash}`;
  // Trim whole characters: cutting a UTF-16 pair in half would write a broken name.
  const chars = Array.from(clean);
  while (Buffer.byteLength(chars.join('')) > max - 9) chars.pop();
  const prefix = chars.join('');
  return `${prefix}_${hash}`;
}

/** MikroORM's naming for constraints and indexes: `<table>_<columns>_<suffix>`. */
export function constraintName(table: string, columns: string[], suffix: 'index' | 'unique' | 'foreign'): string {
  return fitIdentifier(`${table}_${columns.join('_')}_${suffix}`);
}

/** A composite primary key's constraint name (PostgreSQL's own `<table>_pkey`), within the limit. */
export function primaryKeyName(table: string): string {
  return fitIdentifier(`${table}_pkey`);
}
