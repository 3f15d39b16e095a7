/**
 * The fleet calls as a program makes them, like src/api.ts: each resolves the config (file,
 * inline object) once, then works on every target it names.
 */
import { resolveConfig, type ConfigInput } from '../config.ts';
import type { MigrationStatus } from '../migrate/run.ts';
import type { DatabaseUrl } from '../url.ts';
import type { FleetCheckResult, FleetCheckTarget, FleetOptions, FleetResult, FleetUpOptions, FleetUpResult } from './fleet.ts';
import type { TargetSpec } from './targets.ts';

export interface FleetInput extends ConfigInput {
  /**
   * The targets: URLs and patterns (`postgres://…/app?schema=tenant_*`, `mysql://…/tenant_*`),
   * or one string as `--targets` takes it (`config`, `@file`, a comma-separated list).
   */
  targets: TargetSpec | readonly DatabaseUrl[];
}

/** `migrate up` on every target, with bounded concurrency; a target's failure is in the result, never thrown. */
export async function migrateFleet(options: FleetInput & FleetUpOptions): Promise<FleetResult<FleetUpResult>> {
  const config = await resolveConfig({ ...options, url: undefined });
  return (await import('./fleet.ts')).migrateFleet(config, options.targets, options);
}

/** `migrate status` on every target. */
export async function fleetStatus(options: FleetInput & FleetOptions<MigrationStatus>): Promise<FleetResult<MigrationStatus>> {
  const config = await resolveConfig({ ...options, url: undefined });
  return (await import('./fleet.ts')).fleetStatus(config, options.targets, options);
}

/** `check` once for the project, and every target's live schema against its applied migrations. */
export async function checkFleet(options: FleetInput & FleetOptions<FleetCheckTarget>): Promise<FleetCheckResult> {
  const config = await resolveConfig({ ...options, url: undefined });
  return (await import('./fleet.ts')).checkFleet(config, options.targets, options);
}
