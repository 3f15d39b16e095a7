import type { History } from '../history/history.ts';

export interface HistoryLine {
  id: string;
  parents: readonly string[];
  head: boolean;
  /** Applied in the database, when one was consulted. */
  applied?: boolean;
  /** The newest applied migration on its branch. */
  current?: boolean;
}

/** The history newest first, with what each migration follows and where the database is. */
export function historyLines(history: History, applied?: ReadonlySet<string>): HistoryLine[] {
  const heads = new Set(history.heads());
  const parentsOfApplied = new Set([...(applied ?? [])].flatMap((id) => history.get(id)?.parents ?? []));
  return [...history.order].reverse().map((id) => ({
    id,
    parents: history.get(id)!.parents,
    head: heads.has(id),
    ...(applied ? { applied: applied.has(id), current: applied.has(id) && !parentsOfApplied.has(id) } : {}),
  }));
}

/**
 * One line per migration: `@` current, `*` applied, `o` not applied (or unknown), then the id,
 * its tags, and its parents where they are not simply the line below.
 */
export function renderHistory(lines: HistoryLine[]): string {
  const width = Math.max(0, ...lines.map((l) => l.id.length));
  return lines
    .map((l, i) => {
      const mark = l.current ? '@' : l.applied ? '*' : 'o';
      const tags = [l.head ? 'head' : '', l.current ? 'current' : ''].filter(Boolean);
      const below = lines[i + 1]?.id;
      const follows =
        l.parents.length > 1
          ? `merges ${l.parents.join(' + ')}`
          : l.parents.length === 1 && l.parents[0] !== below
            ? `follows ${l.parents[0]}`
            : l.parents.length === 0 && i < lines.length - 1
              ? 'first (no parent)'
              : '';
      return `${mark} ${l.id.padEnd(width)}${tags.length ? `  (${tags.join(', ')})` : ''}${follows ? `  ${follows}` : ''}`.trimEnd();
    })
    .join('\n');
}
