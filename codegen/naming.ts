/** A migration's id is `<UTC stamp>_<slug>`: it sorts by time and says what it does. */
export function stamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, '').replace(/[-:T]/g, '');
}

/** The second after a stamp, as a Date. */
export function afterStamp(s: string): Date {
  const n = (a: number, b: number) => Number(s.slice(a, b));
  return new Date(Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14) + 1));
}

export function slugify(message: string): string {
  const slug = message
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60)
    .replace(/_+$/, '');
  return slug || 'migration';
}

export function migrationId(date: Date, message: string): string {
  return `${stamp(date)}_${slugify(message)}`;
}

export function className(slug: string): string {
  const name = slug
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  const safe = /^[A-Za-z]/.test(name) ? name : `M${name}`;
  // The generated file imports TidemarkMigration; a class of the same name would shadow it.
  return safe === 'TidemarkMigration' ? `${safe}Step` : safe;
}
