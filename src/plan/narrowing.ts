import type { DialectName } from '../dialect/dialect.ts';
import type { ColumnDef, ColumnType } from '../schema/types.ts';

/**
 * The one definition of "narrowing": a column change after which some value the column can
 * hold today no longer fits. `gen-migration` warns about every narrowing (TM103) and the runner
 * checks the data against the same answer before the migration's first statement, so the two
 * never disagree about decimals, enums or a string that becomes a number.
 *
 * `check` says what a value must satisfy; `unchecked` is a change no query can vet (a datetime
 * that becomes a date): it is still a narrowing for the gate, and the database's own strictness
 * (PostgreSQL's casts, MySQL's strict `sql_mode`) is what stops a bad value at apply time.
 */
export type Narrowing = { describe: string } & (
  | { check: 'length'; max: number }
  | { check: 'integer'; min: string; max: string; fromText: boolean; fromFraction: boolean }
  | { check: 'decimal'; precision: number; scale: number; fromText: boolean }
  | { check: 'number'; fromText: true }
  | { check: 'enum'; items: string[] }
  | { check: 'unchecked' }
);

const INTEGERS: Partial<Record<ColumnType, { width: number; min: string; max: string }>> = {
  tinyint: { width: 0, min: '-128', max: '127' },
  smallint: { width: 1, min: '-32768', max: '32767' },
  integer: { width: 2, min: '-2147483648', max: '2147483647' },
  bigint: { width: 3, min: '-9223372036854775808', max: '9223372036854775807' },
};
const FLOATS: Partial<Record<ColumnType, number>> = { float: 1, double: 2 };
const TEXTS = new Set<ColumnType>(['string', 'char', 'text']);
const DEFAULT_LENGTH = 255;

const lengthOf = (c: ColumnDef) => (c.type === 'text' ? Infinity : c.type === 'uuid' ? 36 : (c.length ?? (c.type === 'char' ? 1 : DEFAULT_LENGTH)));
const decimalOf = (c: ColumnDef) => ({ precision: c.precision ?? 10, scale: c.scale ?? 0 });

export function describeColumnType(c: ColumnDef): string {
  if (c.type === 'string' || c.type === 'char') return `${c.type}(${c.length ?? (c.type === 'char' ? 1 : DEFAULT_LENGTH)})`;
  if (c.type === 'decimal') return `decimal(${c.precision ?? 10},${c.scale ?? 0})`;
  if (c.type === 'enum') return `enum(${(c.items ?? []).join('|')})`;
  return c.type;
}

/** How changing `from` into `to` narrows the column, or undefined when every value still fits. */
export function narrowing(from: ColumnDef, to: ColumnDef): Narrowing | undefined {
  const describe = describeColumnType(to);
  const fromText = TEXTS.has(from.type);
  // Strings: only a shorter limit loses anything (an enum or uuid fits any long enough string).
  if (to.type === 'string' || to.type === 'char' || to.type === 'text') {
    const max = lengthOf(to);
    if (from.type === 'enum' && to.type !== 'char' && (to.type === 'text' || !to.length)) return undefined;
    if (fromText || from.type === 'uuid' || from.type === 'enum') return max < lengthOf(from) ? { describe, check: 'length', max } : undefined;
    if (to.type === 'text') return from.type === 'blob' ? { describe, check: 'unchecked' } : undefined;
    return { describe, check: 'length', max };
  }
  const int = INTEGERS[to.type];
  if (int) {
    const src = INTEGERS[from.type];
    if (src) return src.width <= int.width ? undefined : { describe, check: 'integer', min: int.min, max: int.max, fromText: false, fromFraction: false };
    if (fromText || FLOATS[from.type] || from.type === 'decimal') {
      return { describe, check: 'integer', min: int.min, max: int.max, fromText, fromFraction: !fromText };
    }
    return { describe, check: 'unchecked' };
  }
  if (to.type === 'decimal') {
    const t = decimalOf(to);
    if (from.type === 'decimal') {
      const f = decimalOf(from);
      // Fewer digits after the point, or fewer before it (precision minus scale).
      return t.scale < f.scale || t.precision - t.scale < f.precision - f.scale ? { describe, check: 'decimal', ...t, fromText: false } : undefined;
    }
    const src = INTEGERS[from.type];
    if (src && src.max.length <= t.precision - t.scale) return undefined;
    if (src || fromText || FLOATS[from.type]) return { describe, check: 'decimal', ...t, fromText };
    return { describe, check: 'unchecked' };
  }
  if (FLOATS[to.type]) {
    if (FLOATS[from.type]) return FLOATS[from.type]! <= FLOATS[to.type]! ? undefined : { describe, check: 'unchecked' };
    if (fromText) return { describe, check: 'number', fromText: true };
    return { describe, check: 'unchecked' };
  }
  if (to.type === 'enum' && from.type === 'enum') {
    const items = to.items ?? [];
    return (from.items ?? []).some((i) => !items.includes(i)) ? { describe, check: 'enum', items } : undefined;
  }
  if (to.type === 'enum' && (fromText || from.type === 'uuid')) return { describe, check: 'enum', items: to.items ?? [] };
  if (from.type === to.type) return undefined;
  return { describe, check: 'unchecked' };
}

/**
 * An SQL condition true for the rows of `column` whose value does not fit `n`, or undefined
 * when no query can tell (`unchecked`). NULLs always fit.
 */
export function misfitCondition(n: Narrowing, column: string, dialect: DialectName): string | undefined {
  const my = dialect === 'mysql' || dialect === 'mariadb';
  const asText = my ? `cast(${column} as char)` : `cast(${column} as text)`;
  const length = my ? `char_length(${asText})` : `length(${asText})`;
  const trimmed = `trim(${asText})`;
  // A decimal number as text: what every dialect's cast accepts without losing anything.
  const matches = (re: string) => (dialect === 'postgresql' ? `${trimmed} ~ '${re}'` : my ? `${trimmed} regexp '${re}'` : undefined);
  const isInteger = matches('^[-+]?[0-9]+$') ?? sqliteIsInteger(trimmed);
  // SQLite has no regular expressions: number characters only, and at least one digit.
  const isNumber =
    matches('^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$') ?? `(${trimmed} glob '*[0-9]*' and ${trimmed} not glob '*[^0-9.eE+-]*')`;
  const numeric = (fromText: boolean) => (fromText ? (my ? `cast(${trimmed} as decimal(65,30))` : dialect === 'postgresql' ? `cast(${trimmed} as numeric)` : `cast(${trimmed} as real)`) : column);
  const nn = `${column} is not null`;
  switch (n.check) {
    case 'length':
      return `${nn} and ${length} > ${n.max}`;
    case 'integer': {
      const v = numeric(n.fromText);
      const range = `${v} > ${n.max} or ${v} < ${n.min}`;
      // The cast only runs where the text is a number (SQL evaluates `case` lazily).
      if (n.fromText) return `${nn} and case when ${isInteger} then (${range}) else true end`;
      return `${nn} and (${range}${n.fromFraction ? ` or ${v} <> floor(${v})` : ''})`;
    }
    case 'decimal': {
      const v = numeric(n.fromText);
      const limit = `1${'0'.repeat(n.precision - n.scale)}`;
      const factor = `1${'0'.repeat(n.scale)}`;
      // Too many digits before the point, or more after it than the scale keeps (rounded away).
      const misfit = `abs(${v}) >= ${limit} or ${v} * ${factor} <> floor(${v} * ${factor})`;
      if (n.fromText) return `${nn} and case when ${isNumber} then (${misfit}) else true end`;
      return `${nn} and (${misfit})`;
    }
    case 'number':
      return `${nn} and not (${isNumber})`;
    case 'enum': {
      const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
      return n.items.length ? `${nn} and ${asText} not in (${n.items.map(lit).join(', ')})` : nn;
    }
    case 'unchecked':
      return undefined;
  }
}

/** SQLite has no regular expressions: an optional sign, then digits only. */
function sqliteIsInteger(t: string): string {
  const digits = `case when substr(${t}, 1, 1) in ('-', '+') then substr(${t}, 2) else ${t} end`;
  return `(${digits} <> '' and ${digits} not glob '*[^0-9]*')`;
}
