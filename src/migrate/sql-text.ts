/** Names and strings written into SQL the runner builds itself (PostgreSQL and MySQL quoting). */

const PART = String.raw`(?:"(?:[^"]|"")+"|\`[^\`]+\`|[\w$]+)`;

/** A name, schema-qualified or not, as a pattern: `"a""b".c`, `` `t` ``, `t`. */
export const QUALIFIED_NAME = String.raw`(${PART}(?:\.${PART})?)`;

/** A PostgreSQL identifier, quoted. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A string literal. */
export const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** `"a""b".c` → `a"b.c`: a name as written in SQL, its parts unquoted. */
export const unquote = (name: string) =>
  [...name.matchAll(new RegExp(PART, 'g'))].map(([p]) => (/^["`]/.test(p) ? p.slice(1, -1).replace(/""/g, '"') : p)).join('.');
