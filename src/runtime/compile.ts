import type { Dialect } from '../dialect/dialect.ts';
import type { Op } from '../diff/ops.ts';
import { applyOp } from '../schema/apply.ts';
import type { SchemaSnapshot } from '../schema/types.ts';
import { isDataStep, type DataStep, type Step } from './data.ts';

/** One operation as the dialect runs it: the schema it meets, and its statements. */
export interface CompiledOp {
  op: Op;
  before: SchemaSnapshot;
  sql: string[];
}

/**
 * A migration's steps for `dialect`, one group per operation, each compiled against the schema it
 * meets; each data step kept in its place (it runs against the live database, so there is no SQL
 * for it). The dialect orders each run of operations between data steps.
 */
export function* compileGroups(steps: readonly Step[], start: SchemaSnapshot, dialect: Dialect): Generator<CompiledOp | DataStep> {
  let schema = start;
  let run: Op[] = [];
  function* flush() {
    for (const op of dialect.order ? dialect.order(run, schema) : run) {
      yield { op, before: schema, sql: dialect.compile(op, schema) };
      schema = applyOp(schema, op);
    }
    run = [];
  }
  for (const step of steps) {
    if (!isDataStep(step)) {
      run.push(step);
      continue;
    }
    yield* flush();
    yield step;
  }
  yield* flush();
}

/** A migration's operations as SQL for `dialect`, each compiled against the schema it meets. */
export function compileOps(ops: readonly Op[], start: SchemaSnapshot, dialect: Dialect): string[] {
  return [...compileGroups(ops, start, dialect)].flatMap((g) => ('sql' in g ? g.sql : []));
}

/** As `compileGroups`, flattened: statements, and data steps in their places. */
export function compileSteps(steps: readonly Step[], start: SchemaSnapshot, dialect: Dialect): (string | DataStep)[] {
  return [...compileGroups(steps, start, dialect)].flatMap((g): (string | DataStep)[] => ('sql' in g ? g.sql : [g]));
}
