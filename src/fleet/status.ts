import type { MigrationStatus } from '../migrate/run.ts';
import type { FleetResult } from './fleet.ts';

/** A target that `migrate up` cannot go on with until a person resolves it (a migration safe to rerun is no block: up runs it again). */
export function statusBlocked(result: FleetResult<MigrationStatus>): boolean {
  return result.targets.some((o) => o.result?.failed.some((f) => !f.rerunnable && (f.status === 'failed' || !o.result!.lockHolder)));
}
