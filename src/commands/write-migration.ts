import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterStamp, migrationId, stamp } from '../../codegen/naming.ts';
import type { Emitter } from '../../codegen/emitter.ts';
import type { ResolvedConfig } from '../config.ts';
import { HistoryError } from '../errors.ts';
import { lockNotes } from '../plan/locks.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { writeFileAtomic, writeSealedSchema } from '../snapshot/store.ts';
import { runAfterWriteHooks } from './hooks.ts';
import { show } from './state.ts';

export interface NewMigration {
  message: string;
  parents: string[];
  /** `locks` (TM2xx), when classified, are listed in the file's doc comment for its reviewer. */
  plan: Pick<MigrationPlan, 'up' | 'down' | 'warnings'> & Partial<Pick<MigrationPlan, 'locks'>>;
  /** The schema after it, cached as the schema at the head. */
  after: SchemaSnapshot;
  command?: 'gen-migration' | 'merge' | 'squash';
  now?: () => Date;
  branchLabels?: string[];
  dependsOn?: string[];
  /** A squash's replaced migrations. */
  replaces?: string[];
  /** Paragraphs for the file's doc comment. */
  notes?: string[];
  /** The heads besides the new migration once it is written (other branches'): stored with it in the snapshot. */
  otherHeads?: string[];
  /** The id, when the caller chose it (`nextMigrationId`); else one is stamped from the clock and message. */
  id?: string;
  /** Written as `static transactional = false`: the migration runs alone, outside a transaction. */
  transactional?: false;
  /** The migration written next that holds this one's online steps, named in its header. */
  followedBy?: string;
}

/** An id stamped by `now` that sorts after `newest`, even when both fall within the same second. */
export function nextMigrationId(newest: string | undefined, now: Date, message: string, suffix = ''): string {
  const at = newest && stamp(now) <= newest.slice(0, 14) ? afterStamp(newest.slice(0, 14)) : now;
  return `${migrationId(at, message)}${suffix}`;
}

/**
 * Writes a migration file and caches the schema after it, running the config's
 * `hooks.afterWrite` on the file in between; returns its id and file. A failing hook throws
 * once the cache is written: the file stays, and so the cache goes with it.
 */
export async function writeMigration(config: ResolvedConfig, newest: string | undefined, emitter: Emitter, m: NewMigration): Promise<{ id: string; file: string }> {
  const id = m.id ?? nextMigrationId(newest, (m.now ?? (() => new Date()))(), m.message);
  const file = join(config.migrationsDir, `${id}.ts`);
  if (existsSync(file)) throw new HistoryError(`${show(file)} already exists`);
  const notes = [...(m.notes ?? []), ...lockNotes(m.plan.locks ?? [])];
  const code = await emitter.emit({
    id,
    parents: m.parents,
    ...(m.branchLabels?.length ? { branchLabels: m.branchLabels } : {}),
    ...(m.dependsOn?.length ? { dependsOn: m.dependsOn } : {}),
    ...(m.replaces?.length ? { replaces: m.replaces } : {}),
    ...(notes.length ? { notes } : {}),
    message: m.message,
    up: m.plan.up,
    down: m.plan.down,
    warnings: m.plan.warnings,
    command: m.command,
    ...(m.transactional === false ? { transactional: false as const } : {}),
    ...(m.followedBy ? { followedBy: m.followedBy } : {}),
  });
  writeFileAtomic(file, code);
  // Sealed to the file as the hooks leave it (a formatter's reformatting included).
  const failed = await runAfterWriteHooks(config, file);
  writeSealedSchema(config, { ...m.after, head: [...(m.otherHeads ?? []), id].sort().join(' ') });
  if (failed) throw failed;
  return { id, file };
}
