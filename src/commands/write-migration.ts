import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterStamp, migrationId, stamp } from '../../codegen/naming.ts';
import type { Emitter } from '../../codegen/emitter.ts';
import type { ResolvedConfig } from '../config.ts';
import { HistoryError } from '../errors.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { writeFileAtomic, writeSealedSchema } from '../snapshot/store.ts';
import { runAfterWriteHooks } from './hooks.ts';
import { show } from './state.ts';

export interface NewMigration {
  message: string;
  parents: string[];
  plan: Pick<MigrationPlan, 'up' | 'down' | 'warnings'>;
  /** The schema after it, cached as the schema at the head. */
  after: SchemaSnapshot;
  command?: 'gen-migration' | 'merge';
  now?: () => Date;
  branchLabels?: string[];
  dependsOn?: string[];
  /** The heads besides the new migration once it is written (other branches'): stored with it in the snapshot. */
  otherHeads?: string[];
}

/**
 * Writes a migration file and caches the schema after it, running the config's
 * `hooks.afterWrite` on the file in between; returns its id and file. A failing hook throws
 * once the cache is written: the file stays, and so the cache goes with it.
 */
export async function writeMigration(config: ResolvedConfig, newest: string | undefined, emitter: Emitter, m: NewMigration): Promise<{ id: string; file: string }> {
  let now = (m.now ?? (() => new Date()))();
  // Ids must sort after every existing one, even when two are made within the same second.
  if (newest && stamp(now) <= newest.slice(0, 14)) now = afterStamp(newest.slice(0, 14));
  const id = migrationId(now, m.message);
  const file = join(config.migrationsDir, `${id}.ts`);
  if (existsSync(file)) throw new HistoryError(`${show(file)} already exists`);
  const code = await emitter.emit({
    id,
    parents: m.parents,
    ...(m.branchLabels?.length ? { branchLabels: m.branchLabels } : {}),
    ...(m.dependsOn?.length ? { dependsOn: m.dependsOn } : {}),
    message: m.message,
    up: m.plan.up,
    down: m.plan.down,
    warnings: m.plan.warnings,
    command: m.command,
  });
  writeFileAtomic(file, code);
  // Sealed to the file as the hooks leave it (a formatter's reformatting included).
  const failed = await runAfterWriteHooks(config, file);
  writeSealedSchema(config, { ...m.after, head: [...(m.otherHeads ?? []), id].sort().join(' ') });
  if (failed) throw failed;
  return { id, file };
}
