import type { ResolvedConfig } from '../config.ts';
import { recordAll } from '../history/history.ts';
import { schemaOfHeads } from '../history/replay.ts';
import { writeSnapshot } from '../snapshot/store.ts';
import { loadState, show } from './state.ts';

/**
 * Rewrites the stored snapshot from the migration history, which is the source of truth. With
 * several heads (labelled branches, or branches not merged yet) it stores every head applied
 * together, as `gen-migration --head` diffs against, naming the heads.
 */
export async function rebuildSnapshot(config: ResolvedConfig): Promise<{ file: string; head: string | null; changed: boolean }> {
  const state = await loadState(config);
  // Several heads: recomputed here so that branches that conflict are named, not stored as empty.
  const schema = state.heads.length > 1 ? schemaOfHeads(state.history, await recordAll(state.history), state.heads) : { ...state.schema, head: state.heads[0] ?? null };
  writeSnapshot(config.snapshotFile, config.migrationsDir, schema);
  return { file: show(config.snapshotFile), head: schema.head, changed: Boolean(state.snapshotProblem) };
}
