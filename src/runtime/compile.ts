import type { Dialect } from '../dialect/dialect.ts';
import type { Op } from '../diff/ops.ts';
import { applyOp } from '../schema/apply.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { isDataStep, type DataStep, type Step } from './data.ts';

/** A migration's operations as SQL for `dialect`, each compiled against the schema it meets. */
export function compileOps(ops: readonly Op[], start: SchemaSnapshot, dialect: Dialect): string[] {
  const statements: string[] = [];
  let schema = start;
  for (const op of dialect.order ? dialect.order(ops, start) : ops) {
    statements.push(...dialect.compile(op, schema));
    schema = applyOp(schema, op);
  }
  return statements;
}

/**
 * A migration's steps for `dialect`: each operation compiled against the schema it meets, each
 * data step kept in its place (it runs against the live database, so there is no SQL for it).
 */
export function compileSteps(steps: readonly Step[], start: SchemaSnapshot, dialect: Dialect): (string | DataStep)[] {
  const out: (string | DataStep)[] = [];
  let schema = start;
  // The dialect orders each run of operations between data steps (a data step keeps its place).
  let run: Op[] = [];
  const flush = () => {
    out.push(...compileOps(run, schema, dialect));
    for (const op of run) schema = applyOp(schema, op);
    run = [];
  };
  for (const step of steps) {
    if (isDataStep(step)) {
      flush();
      out.push(step);
      continue;
    }
    run.push(step);
  }
  flush();
  return out;
}
