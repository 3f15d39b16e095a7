import type { Dialect } from '../dialect/dialect.ts';
import type { Op } from '../diff/ops.ts';
import { applyOp } from '../schema/apply.ts';
import type { SchemaSnapshot } from '../schema/types.ts';

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
