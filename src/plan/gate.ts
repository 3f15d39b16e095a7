import type { Warning } from './lint.ts';

/**
 * What the user allowed: everything (`--allow-destructive`), or single changes by code
 * (`TM102`) or code and target (`TM102:user.age`).
 */
export interface Allowance {
  all?: boolean;
  items?: string[];
}

/** The warnings `allow` does not cover: a migration with any of them is not written. */
export function refused(warnings: readonly Warning[], allow: Allowance = {}): Warning[] {
  if (allow.all) return [];
  const items = new Set(allow.items ?? []);
  return warnings.filter((w) => !items.has(w.code) && !items.has(`${w.code}:${w.target}`));
}

const DATA_LOSS_ITEM = /^(TM101|TM102)(?::(.+))?$/;

/**
 * `gen-migration --allow-data-loss TM101:<table>` (or `TM102:<table>.<column>`, or a bare code
 * for every drop of that kind): the drops whose deleted rows the migration itself accepts.
 * Returns those warnings, and the items that name no drop of this migration.
 */
export function acceptedDataLoss(warnings: readonly Warning[], items: readonly string[]): { accepted: Warning[]; unknown: string[]; malformed: string[] } {
  const accepted = new Set<Warning>();
  const unknown: string[] = [];
  const malformed: string[] = [];
  for (const item of items) {
    const m = DATA_LOSS_ITEM.exec(item);
    if (!m) {
      malformed.push(item);
      continue;
    }
    const hits = warnings.filter((w) => w.code === m[1] && (m[2] === undefined || w.target === m[2]));
    if (!hits.length) unknown.push(item);
    for (const w of hits) accepted.add(w);
  }
  return { accepted: [...accepted], unknown, malformed };
}
