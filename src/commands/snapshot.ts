import type { ResolvedConfig } from '../config.ts';
import { recordAll } from '../history/history.ts';
import { schemaOfHeads } from '../history/replay.ts';
import { readFileSync } from 'node:fs';
import { cacheFile, writeSealedSchema } from '../snapshot/store.ts';
import { loadState, show } from './state.ts';

/**
 * Recomputes the cached schema from the migration history, which is the source of truth (every
 * command that needs it does so by itself when the files changed: this is for a cache spoilt
 * by hand or by another tool). With several heads (labelled branches, or branches not merged
 * yet) it caches every head applied together, as `gen-migration --head` diffs against, naming
 * the heads.
 */
export async function rebuildSnapshot(config: ResolvedConfig): Promise<{ file: string; head: string | null; changed: boolean }> {
  const file = cacheFile(config);
  // Read before loadState, which already rewrites the cache of a changed history.
  const before = stored(file);
  const state = await loadState(config);
  // Several heads: recomputed here so that branches that conflict are named, not cached as empty.
  const schema = state.heads.length > 1 ? schemaOfHeads(state.history, await recordAll(state.history), state.heads) : { ...state.schema, head: state.heads[0] ?? null };
  writeSealedSchema(config, schema, { strict: true });
  return { file: show(file), head: schema.head, changed: before !== stored(file) };
}

function stored(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
