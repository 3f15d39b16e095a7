import { HistoryError } from '../errors.ts';
import type { MigrationNode } from './history.ts';

/**
 * Which spelling of each squash a history uses, Django's rule for `replaces`:
 *
 * - the squash, with its replaced migrations left out and every parent or dependency naming one
 *   of them following the squash instead, when the database records none of them (a fresh
 *   database), all of them (the squash counts as applied; no row changes), or the squash
 *   itself; and always when no database is consulted;
 * - the replaced migrations, without the squash, when the database records some but not all
 *   of them: it carries on with the old files, and a parent or dependency naming the squash
 *   follows the last of them (what `squash --to` named) instead;
 * - an error when such a database meets a folder where those files are gone.
 *
 * Squashes of squashes nest: a squash counts as applied when everything it replaces does.
 */
export function squashView(all: readonly MigrationNode[], recorded?: Iterable<string>): { nodes: MigrationNode[]; replacedBy: Map<string, string>; stoodFor: Map<string, string>; problem?: string } {
  const squashes = all.filter((n) => n.replaces?.length).sort((a, b) => (a.id < b.id ? -1 : 1));
  if (!squashes.length) return { nodes: [...all], replacedBy: new Map(), stoodFor: new Map() };
  let problem: string | undefined;
  const byId = new Map(all.map((n) => [n.id, n]));
  const replacesOf = new Map(squashes.map((s) => [s.id, s.replaces!]));
  for (const s of squashes) {
    if (s.replaces!.includes(s.id)) throw new HistoryError(`migration ${s.id} (${s.file}) replaces itself`);
  }
  const applied = effectivelyApplied(replacesOf, recorded ?? []);
  const touched = (id: string): boolean => applied.has(id) || (replacesOf.get(id) ?? []).some(touched);

  const dropped = new Set<string>();
  const replacedBy = new Map<string, string>();
  // A squash left out for the old files → the last of them: a migration written after the squash
  // (its parent or dependency) follows that one instead. Not in replacedBy, whose ids a database's
  // records are read through: no record of this database names the squash.
  const stoodFor = new Map<string, string>();
  const collapse = (squash: string, id: string) => {
    dropped.add(id);
    replacedBy.set(id, squash);
    // A squash inside a squash goes with everything it replaces.
    for (const inner of replacesOf.get(id) ?? []) collapse(squash, inner);
  };
  // Newest first: an outer squash decides for the squashes it replaces.
  for (const s of [...squashes].reverse()) {
    if (dropped.has(s.id)) continue;
    const replaced = s.replaces!;
    const partial = recorded !== undefined && !applied.has(s.id) && replaced.some(touched);
    if (!partial) {
      for (const r of replaced) collapse(s.id, r);
      continue;
    }
    // A replaced id that an older squash in the list stands for is not needed as a file: that squash is there.
    const covered = new Set(replaced.filter((r) => byId.has(r)).flatMap((r) => [...(replacesOf.get(r) ?? [])]));
    const gone = replaced.filter((r) => !byId.has(r) && !covered.has(r));
    if (gone.length) {
      const done = replaced.filter(touched);
      // Reported by the integrity check (status shows it; up and down refuse); meanwhile the squash stands.
      for (const r of replaced) collapse(s.id, r);
      problem ??= (
        `the database has applied ${done.join(', ')} but not all of the ${replaced.length} migrations squashed into ${s.id} (${s.file}), and the file${gone.length === 1 ? '' : 's'} of ${gone.join(', ')} ${gone.length === 1 ? 'is' : 'are'} gone: restore them (e.g. from git), run 'tidemark migrate up' on this database, then delete them again`
      );
      continue;
    }
    dropped.add(s.id);
    stoodFor.set(s.id, replaced.at(-1)!);
  }
  const follow = (id: string) => {
    let at = id;
    for (let next = replacedBy.get(at) ?? stoodFor.get(at); next !== undefined; next = replacedBy.get(at) ?? stoodFor.get(at)) at = next;
    return at;
  };
  const nodes = all
    .filter((n) => !dropped.has(n.id))
    .map((n) => {
      const parents = [...new Set(n.parents.map(follow))];
      const dependsOn = [...new Set((n.dependsOn ?? []).map(follow))].filter((d) => !parents.includes(d));
      const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
      const same = sameList(parents, n.parents) && sameList(dependsOn, n.dependsOn ?? []);
      return same ? n : { ...n, parents, dependsOn };
    });
  return { nodes, replacedBy, stoodFor, ...(problem ? { problem } : {}) };
}

/**
 * The recorded ids, with every squash whose replaced migrations count as applied: all of them,
 * or the last (the one `squash --to` named, which follows every other: a database that applied it
 * applied the rest, in one spelling or another, such as an older squash whose file is gone).
 */
export function effectivelyApplied(replacesOf: ReadonlyMap<string, readonly string[]>, recorded: Iterable<string>): Set<string> {
  const applied = new Set(recorded);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [s, replaced] of replacesOf) {
      if (!applied.has(s) && (replaced.every((r) => applied.has(r)) || applied.has(replaced.at(-1)!))) {
        applied.add(s);
        grew = true;
      }
    }
  }
  return applied;
}

/**
 * `recorded` (in the order they ran) with each squash that counts as applied without a row of
 * its own placed right after the last of its replaced ids, where it would have run.
 */
export function withSquashes(replacesOf: ReadonlyMap<string, readonly string[]>, recorded: readonly string[]): string[] {
  const out = [...recorded];
  const applied = effectivelyApplied(replacesOf, recorded);
  for (const [s, replaced] of [...replacesOf].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!applied.has(s) || out.includes(s)) continue;
    const at = Math.max(...replaced.map((r) => out.indexOf(r)));
    out.splice(at + 1, 0, s);
  }
  return out;
}
