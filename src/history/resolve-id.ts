import { TargetError, UsageError } from '../errors.ts';

/** A generated id is `<14-digit UTC stamp>_<slug>`; hand-named files may lack the stamp. */
const STAMP = /^(\d{14})_(.+)$/;

/** The part after the stamp (`add_user_age`), or undefined for an id without one. */
export function slugOf(id: string): string | undefined {
  return STAMP.exec(id)?.[2];
}

/** The moment the stamp records (UTC), or undefined for an id without one. */
export function stampDate(id: string): Date | undefined {
  const s = STAMP.exec(id)?.[1];
  if (!s) return undefined;
  const n = (a: number, b: number) => Number(s.slice(a, b));
  const date = new Date(Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14)));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Every id `input` may stand for: the id itself when it is one; otherwise each id it is a
 * prefix of, and each id whose slug it is. Prefix and slug are one pool, so an input that is a
 * prefix of one id and the slug of another is ambiguous rather than silently the first.
 */
export function idCandidates(ids: readonly string[], input: string): string[] {
  if (!input) return [];
  if (ids.includes(input)) return [input];
  return ids.filter((id) => id.startsWith(input) || slugOf(id) === input);
}

export function ambiguous(what: string, candidates: readonly string[]): TargetError {
  return new TargetError(`${what}: ambiguous, it matches ${candidates.join(', ')}; give more of the id`);
}

/** The ids of a history that are squash spellings rather than migrations of its own (see squash-view.ts). */
export interface SquashNames {
  /** A replaced id → the squash that holds it: it cannot be a stopping point. */
  readonly replaced: ReadonlyMap<string, string>;
  /** A squash this history leaves out for its old files → the last of them, which ends the same stretch. */
  readonly standIns: ReadonlyMap<string, string>;
}

/**
 * One migration from what a person typed: an id, a unique prefix (the stamp), its slug, or
 * `head` when `heads` is given (the single head; several are named). `what` leads the message
 * (`--to 2026`, `show add_user_age`). With `squashes`, a squash left out is its last migration
 * and a replaced id is refused naming its squash, not reported missing.
 */
export function resolveId(ids: readonly string[], input: string, what: string, heads?: readonly string[], squashes?: SquashNames): string {
  if (input === 'head' && heads && !ids.includes(input)) return singleHead(heads, what);
  const found = idCandidates(ids, input);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) throw ambiguous(what, found);
  const standIn = squashes?.standIns.get(input);
  if (standIn !== undefined) return standIn;
  const replaced = idCandidates([...(squashes?.replaced.keys() ?? [])], input);
  if (replaced.length === 1) {
    const squash = squashes!.replaced.get(replaced[0]!)!;
    throw new TargetError(`${what}: ${replaced[0]} is part of squash ${squash}, which is applied and reverted only as a whole: name ${squash}, or the migration before it`);
  }
  throw new TargetError(`${what}: no such migration (no id, id prefix or slug matches); see 'tidemark history --offline'`);
}

export function singleHead(heads: readonly string[], what: string): string {
  if (heads.length === 1) return heads[0]!;
  if (heads.length === 0) throw new TargetError(`${what}: the history is empty, there is no head`);
  throw new TargetError(`${what}: the history has ${heads.length} heads (${heads.join(', ')}): name one, or join them with 'tidemark merge'`);
}

/** Alembic's relative target: `+2` / `-1` as a signed count, undefined for anything else. */
export function relativeStep(to: string | undefined): number | undefined {
  const m = to === undefined ? null : /^([+-])(\d+)$/.exec(to.trim());
  if (!m) return undefined;
  const n = Number(m[2]);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--to ${to}: a relative step must be at least 1`);
  return m[1] === '-' ? -n : n;
}
