import { TargetError, UsageError } from '../errors.ts';
import type { History } from '../history/history.ts';
import { migrationMessage } from '../history/message.ts';
import { resolveId, singleHead, stampDate } from '../history/resolve-id.ts';

/**
 * One migration as `history --json` prints it (README: "history --json"). Every key is always
 * present; `applied` and `current` are null when no database was consulted.
 */
export interface HistoryEntry {
  id: string;
  /** The `-m` message (doc comment or static `message`), else the slug in words. */
  message: string;
  /** From the id's stamp, ISO 8601 UTC; null for an id without one. */
  date: string | null;
  parents: string[];
  children: string[];
  isHead: boolean;
  isBase: boolean;
  /** The file, relative to the working directory. */
  file: string;
  checksum: string;
  applied: boolean | null;
  /** Applied, and no applied migration follows it. */
  current: boolean | null;
}

/** The history newest first, with what each migration follows and where the database is. */
export function historyEntries(history: History, migrationsDir: string, applied?: ReadonlySet<string>, only?: ReadonlySet<string>): HistoryEntry[] {
  const heads = new Set(history.heads());
  const children = childrenOf(history);
  const parentsOfApplied = new Set([...(applied ?? [])].flatMap((id) => history.get(id)?.parents ?? []));
  return [...history.order]
    .reverse()
    .filter((id) => !only || only.has(id))
    .map((id) => {
      const node = history.get(id)!;
      return {
        id,
        message: migrationMessage(node, migrationsDir),
        date: stampDate(id)?.toISOString().replace('.000Z', 'Z') ?? null,
        parents: [...node.parents],
        children: children.get(id) ?? [],
        isHead: heads.has(id),
        isBase: node.parents.length === 0,
        file: node.file,
        checksum: node.checksum,
        applied: applied ? applied.has(id) : null,
        current: applied ? applied.has(id) && !parentsOfApplied.has(id) : null,
      };
    });
}

export function childrenOf(history: History): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const id of history.order) for (const p of new Set(history.get(id)!.parents)) out.set(p, [...(out.get(p) ?? []), id]);
  return out;
}

/**
 * Alembic's `-r <from>:<to>`, both ends included: `base:head`, `<id>:` (it and what follows
 * it), `:<id>` (it and what it follows), `<a>:<b>`. An end is an id, a prefix, a slug, `head`
 * (the single head), `base`/empty (no lower bound) or `heads`/empty (no upper bound).
 */
export function historyRange(history: History, range: string): Set<string> {
  const parts = range.split(':');
  if (parts.length !== 2) throw new UsageError(`-r ${range}: expected <from>:<to>, e.g. base:head, <id>:, :<id> or <a>:<b>`);
  const [from, to] = parts.map((p) => p.trim()) as [string, string];
  const what = `-r ${range}`;
  const heads = history.heads();
  let selected = new Set(history.order);
  let lower: string | undefined;
  if (from && from !== 'base') {
    lower = resolveId(history.order, from, what, heads, history.squashNames);
    selected = descendants(history, lower);
  }
  if (to && to !== 'heads') {
    const upper = to === 'head' && !history.get(to) ? singleHead(heads, what) : resolveId(history.order, to, what, heads, history.squashNames);
    const lineage = new Set(history.lineage(upper));
    if (lower && !lineage.has(lower)) throw new TargetError(`${what}: ${lower} is not an ancestor of ${upper}, so nothing lies between them`);
    selected = new Set([...selected].filter((id) => lineage.has(id)));
  }
  return selected;
}

function descendants(history: History, id: string): Set<string> {
  const children = childrenOf(history);
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    stack.push(...(children.get(x) ?? []));
  }
  return seen;
}

/** `2026-06-04 12:00` (UTC), or blanks of that width for an id without a stamp. */
function shortDate(iso: string | null): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') : ' '.repeat(16);
}

/**
 * One line per migration: `@` current, `*` applied, `o` not applied (or unknown), the id, its
 * date and message, its tags, and its parents where they are not simply the line below.
 * `verbose` adds parents, children, file and checksum under each.
 */
export function renderHistory(entries: HistoryEntry[], options: { verbose?: boolean } = {}): string {
  const width = Math.max(0, ...entries.map((l) => l.id.length));
  const blocks = entries.map((l, i) => {
    const mark = l.current ? '@' : l.applied ? '*' : 'o';
    const tags = [l.isHead ? 'head' : '', l.current ? 'current' : ''].filter(Boolean);
    const below = entries[i + 1]?.id;
    const follows =
      l.parents.length > 1
        ? `merges ${l.parents.join(' + ')}`
        : l.parents.length === 1 && l.parents[0] !== below
          ? `follows ${l.parents[0]}`
          : l.parents.length === 0 && i < entries.length - 1
            ? 'first (no parent)'
            : '';
    const line = `${mark} ${l.id.padEnd(width)}  ${shortDate(l.date)}  ${l.message}${tags.length ? `  (${tags.join(', ')})` : ''}${follows ? `  ${follows}` : ''}`.trimEnd();
    if (!options.verbose) return line;
    return [
      line,
      `    parents:  ${l.parents.join(', ') || 'none (a base)'}`,
      `    children: ${l.children.join(', ') || 'none (a head)'}`,
      `    file:     ${l.file}`,
      `    checksum: ${l.checksum}`,
    ].join('\n');
  });
  return blocks.join(options.verbose ? '\n\n' : '\n');
}
