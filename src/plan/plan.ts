import type { Op } from '../diff/ops.ts';
import { applyOp } from '../schema/apply.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { invert } from './invert.ts';
import { lint, type Warning } from './lint.ts';
import { lockWarnings, type LockWarning } from './locks.ts';
import type { DialectName } from '../dialect/dialect.ts';

export interface MigrationPlan {
  up: Op[];
  /** Undoes `up`, newest change first; built by inverting each step on the schema it ran on. */
  down: Op[];
  warnings: Warning[];
  /** The schema after `up`. */
  after: SchemaSnapshot;
  /** Blocking locks on existing tables (TM2xx) on each dialect given: warnings, never a gate. */
  locks: LockWarning[];
}

export function plan(prev: SchemaSnapshot, up: Op[], dialects: readonly DialectName[] = []): MigrationPlan {
  let schema = prev;
  const downSteps: Op[][] = [];
  const warnings: Warning[] = [];
  for (const op of up) {
    downSteps.push(invert(op, schema));
    warnings.push(...lint(op, schema));
    schema = applyOp(schema, op);
  }
  return { up, down: downSteps.reverse().flat(), warnings, after: schema, locks: dialects.flatMap((d) => lockWarnings(up, prev, d)) };
}
