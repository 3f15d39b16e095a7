import { describe, expect, it } from 'vitest';
import type { FleetResult } from '../../src/fleet/fleet.ts';
import { statusBlocked } from '../../src/fleet/status.ts';
import type { FailedRun, MigrationStatus } from '../../src/migrate/run.ts';

const status = (failed: (FailedRun & { rerunnable?: boolean })[], lockHolder?: string): MigrationStatus => ({
  database: 'postgres://postgres@127.0.0.1:5432/app?schema=t1',
  applied: [],
  pending: [],
  current: [],
  heads: [],
  failed,
  notices: [],
  ...(lockHolder ? { lockHolder } : {}),
});

const fleet = (...results: MigrationStatus[]): FleetResult<MigrationStatus> => ({
  targets: results.map((result, i) => ({ target: `t${i}`, state: 'done', result, ms: 1, busy: 0 })),
  counts: { done: results.length, failed: 0, skipped: 0, interrupted: 0 } as FleetResult<MigrationStatus>['counts'],
  ok: true,
  ms: 1,
});

describe('migrate status --targets exits as migrate status does', () => {
  it('a failed migration blocks; one whose every step is safe to rerun does not (migrate up runs it again)', () => {
    expect(statusBlocked(fleet(status([]), status([{ id: '1_a', status: 'failed' }])))).toBe(true);
    expect(statusBlocked(fleet(status([]), status([{ id: '1_a', status: 'failed', rerunnable: true }])))).toBe(false);
  });

  it('an interrupted run blocks only once its lock is gone', () => {
    expect(statusBlocked(fleet(status([{ id: '1_a', status: 'running' }], 'pid 12 on host')))).toBe(false);
    expect(statusBlocked(fleet(status([{ id: '1_a', status: 'running' }])))).toBe(true);
    expect(statusBlocked(fleet(status([{ id: '1_a', status: 'running', rerunnable: true }])))).toBe(false);
  });
});
