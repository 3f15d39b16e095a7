import { basename, relative } from 'node:path';
import type { ResolvedConfig } from '../config.ts';
import { HistoryError } from '../errors.ts';
import { loadHistory, migrationFiles, recordAll, type History } from '../history/history.ts';
import { replay, schemaAt, schemaOfHeads, type Replay } from '../history/replay.ts';
import { emptySchema, type SchemaSnapshot } from '../schema/types.ts';
import { sealedSchema, writeSealedSchema } from '../snapshot/store.ts';

/** The migration history as the files say it is. */
export interface ProjectState {
  history: History;
  states: Replay;
  heads: string[];
  /** The schema at the single head (every head applied together when there are several), recomputed from the operations in the files. */
  schema: SchemaSnapshot;
  /** The greatest migration id: new ids must sort after it. */
  newest?: string;
}

/** What generating a migration needs: the head(s), the schema there, the newest id. */
export type HeadState = Pick<ProjectState, 'heads' | 'schema' | 'newest'>;

/**
 * The head state straight from the cached schema, without importing a single migration: the
 * seal proves the cache is what the files, byte for byte, replay to. Undefined when it does not
 * hold (a new, edited or removed file, another branch checked out, no cache yet): then the
 * history is loaded and replayed, which rewrites the cache.
 */
export function sealedState(config: ResolvedConfig): HeadState | undefined {
  const snapshot = sealedSchema(config);
  if (!snapshot) return undefined;
  const ids = migrationFiles(config.migrationsDir).map((f) => basename(f).replace(/\.[mc]?[jt]s$/, ''));
  // Several heads (branch labels) are stored space-separated.
  return { heads: snapshot.head ? snapshot.head.split(' ') : [], schema: snapshot, newest: ids.reduce((a, b) => (a > b ? a : b), '') || undefined };
}

export const show = (p: string) => relative(process.cwd(), p) || p;

export function multipleHeads(heads: string[], doing: string): HistoryError {
  return new HistoryError(
    `the history has ${heads.length} heads (${heads.join(', ')}), two branches that both follow the same migration: run 'tidemark merge -m "<message>"' to join them before ${doing}`,
  );
}

/** Every head applied together; empty when the branches conflict (`merge` names where). */
function combinedHeads(history: History, ops: Awaited<ReturnType<typeof recordAll>>, heads: string[]): SchemaSnapshot {
  try {
    return schemaOfHeads(history, ops, heads);
  } catch (error) {
    if (error instanceof HistoryError) return { ...emptySchema(), head: null };
    throw error;
  }
}

export async function loadState(config: ResolvedConfig): Promise<ProjectState> {
  const history = await loadHistory(config.migrationsDir, process.cwd());
  const ops = await recordAll(history);
  const states = replay(history, ops);
  const heads = history.heads();
  const schema = heads.length > 1 ? combinedHeads(history, ops, heads) : schemaAt(states, heads.length === 1 ? heads[0]! : null);
  // Replayed, so cached for the next command; branches that conflict (no head) are not cached.
  if (history.order.length && (heads.length <= 1 || schema.head !== null)) writeSealedSchema(config, schema);
  const newest = history.order.reduce((a, b) => (a > b ? a : b), '') || undefined;
  return { history, states, heads, schema, newest };
}
