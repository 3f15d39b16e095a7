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
