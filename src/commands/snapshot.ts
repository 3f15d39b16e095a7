import type { ResolvedConfig } from '../config.ts';
import { writeSnapshot } from '../snapshot/store.ts';
import { loadState, multipleHeads, show } from './state.ts';

/** Rewrites the stored snapshot from the migration history, which is the source of truth. */
export async function rebuildSnapshot(config: ResolvedConfig): Promise<{ file: string; head: string | null; changed: boolean }> {
  const state = await loadState(config);
  if (state.heads.length > 1) throw multipleHeads(state.heads, 'rebuilding the snapshot');
  writeSnapshot(config.snapshotFile, config.migrationsDir, { ...state.schema, head: state.heads[0] ?? null });
  return { file: show(config.snapshotFile), head: state.heads[0] ?? null, changed: Boolean(state.snapshotProblem) };
}
