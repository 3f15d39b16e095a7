import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ts } from 'ts-morph';
import { afterAll, describe, expect, test } from 'vitest';
import { cases, seeds, type DiffCase } from '../cases/index.ts';
import { canonicalOp } from '../unit/support.ts';
import { emitMigration, type EmitInput } from '../../codegen/emit.ts';
import { literal } from '../../codegen/literal.ts';
import { diff } from '../../src/diff/diff.ts';
import type { Op } from '../../src/diff/ops.ts';
import { plan } from '../../src/plan/plan.ts';

const ID_STAMP = '20260101000000';
const PREVIOUS = '20251231000000_previous';
const runtime = fileURLToPath(new URL('../../src/runtime/index.ts', import.meta.url));

function inputFor(c: DiffCase): EmitInput {
  const p = plan(c.before, diff(c.before, c.after, c.renames));
  return {
    id: `${ID_STAMP}_${c.name}`,
    parents: c.before.tables.length ? [PREVIOUS] : [],
    message: c.name.replace(/_/g, ' '),
    up: p.up,
    down: p.down,
    warnings: p.warnings,
  };
}

/** The TypeScript syntax errors in `code` (an empty list when it parses). */
function syntaxErrors(code: string): string[] {
  const { diagnostics = [] } = ts.transpileModule(code, { fileName: 'migration.ts', reportDiagnostics: true });
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

type MigrationLike = { id: string; parents: readonly string[]; record(method: 'up' | 'down'): Promise<Op[]> };

/** The migration class a module exports (the one export with a static `record`). */
function migrationClass(module: Record<string, unknown>): MigrationLike {
  const classes = Object.values(module).filter((v) => typeof v === 'function' && 'record' in v);
  expect(classes).toHaveLength(1);
  return classes[0] as unknown as MigrationLike;
}

const scratch = mkdtempSync(join(tmpdir(), 'tidemark-emit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes emitted code (importing the runtime from src/) to a scratch file and imports it. */
async function load(input: EmitInput): Promise<MigrationLike> {
  const file = join(scratch, `${input.id}.ts`);
  writeFileSync(file, emitMigration({ ...input, importFrom: runtime }));
  return migrationClass(await import(pathToFileURL(file).href));
}

const canonicalOps = (ops: readonly Op[]) => ops.map(canonicalOp);

describe.each(cases.map((c) => [c.name, c] as [string, DiffCase]))('%s', (name, c) => {
  const input = inputFor(c);
  const code = emitMigration(input);

  test('matches its snapshot file', async () => {
    await expect(code).toMatchFileSnapshot(`../snapshots/${name}.ts`);
  });

  test('parses', () => {
    expect(syntaxErrors(code)).toEqual([]);
  });

  test("round trip: the snapshot file (importing 'tidemark', i.e. dist/) records up and down as planned", async () => {
    const cls = migrationClass(await import(`../snapshots/${name}.ts`));
    expect(cls.id).toBe(input.id);
    expect(cls.parents).toEqual(input.parents);
    expect(canonicalOps(await cls.record('up'))).toEqual(canonicalOps(input.up));
    expect(canonicalOps(await cls.record('down'))).toEqual(canonicalOps(input.down!));
  });

  test('round trip against src/runtime: records up and down as planned', async () => {
    const cls = await load(input);
    expect(canonicalOps(await cls.record('up'))).toEqual(canonicalOps(input.up));
    expect(canonicalOps(await cls.record('down'))).toEqual(canonicalOps(input.down!));
  });

  test('deterministic', () => {
    expect(emitMigration(inputFor(c))).toBe(code);
  });
});

describe('the seed migrations are reproduced byte for byte', () => {
  test.each(seeds.map((s) => [s.id, s] as const))('%s', (id, s) => {
    const p = plan(s.case.before, diff(s.case.before, s.case.after));
    const code = emitMigration({ id, parents: s.parents, message: s.case.name.replace(/_/g, ' '), up: p.up, down: p.down, warnings: p.warnings });
    expect(code).toBe(readFileSync(new URL(`../../migrations/${id}.ts`, import.meta.url), 'utf8'));
    expect(code).toContain(`export class ${s.className} extends TidemarkMigration`);
  });
});

describe('emitMigration', () => {
  const base: EmitInput = {
    id: '20260101000000_add_age',
    parents: ['20251231000000_a', '20251231000001_b'],
    message: 'add age',
    up: [{ kind: 'addColumn', table: 'user', column: { name: 'age', type: 'integer', nullable: true } }],
    down: [{ kind: 'dropColumn', table: 'user', column: 'age' }],
    warnings: [],
  };

  test('a merge names both parents', () => {
    expect(emitMigration(base)).toContain("static override readonly parents = ['20251231000000_a', '20251231000001_b'];");
  });

  test('without down, down() throws with the reason', async () => {
    const code = emitMigration({ ...base, id: '20260101000001_no_down', down: undefined });
    expect(code).toContain("throw new Error('20260101000001_no_down cannot be reverted automatically');");
    const cls = await load({ ...base, id: '20260101000001_no_down', down: undefined });
    await expect(cls.record('down')).rejects.toThrow('cannot be reverted automatically');
  });

  test('an empty message falls back to the slug', () => {
    expect(emitMigration({ ...base, message: '  ' })).toContain('/**\n * add_age\n');
  });

  test('hand-written SQL is rendered and recorded as is', async () => {
    const input = { ...base, id: '20260101000002_backfill', up: [{ kind: 'sql', sql: "update \"user\" set name = 'it''s'\nwhere id = 1" } as Op], down: [] };
    const cls = await load(input);
    expect(await cls.record('up')).toEqual(input.up);
  });

  test('a message containing */ does not end the doc comment early', () => {
    const code = emitMigration({ ...base, message: 'make paths like a/*/b work */ now' });
    expect(syntaxErrors(code)).toEqual([]);
  });

  test('a message that slugifies to tidemark_migration still gives a loadable class', async () => {
    const input = { ...base, id: '20260101000003_tidemark_migration', message: 'tidemark migration' };
    expect(syntaxErrors(emitMigration(input))).toEqual([]);
    const cls = await load(input);
    expect(await cls.record('up')).toEqual(input.up);
  });

  test('a default with a carriage return or a line separator round-trips through the file', async () => {
    const column = { name: 'sep', type: 'string' as const, default: 'line1\r\nline2\u2028end' };
    const input = { ...base, id: '20260101000004_crlf', up: [{ kind: 'addColumn', table: 'user', column } as Op] };
    expect(syntaxErrors(emitMigration(input))).toEqual([]);
    const cls = await load(input);
    expect(await cls.record('up')).toEqual(input.up);
  });
});

describe('literal', () => {
  const evaluate = (source: string): unknown => new Function(`return (${source});`)();

  test.each<[string, unknown]>([
    ['plain string', 'hello'],
    ['quotes and backslashes', `it's "a" \\path\\`],
    ['newline and tab', 'a\nb\tc'],
    ['carriage return', 'a\r\nb'],
    ['unicode', 'Größe 😀 日本'],
    ['empty string', ''],
    ['numbers', [0, -1, 0.5, 1e21, 12345678901234]],
    ['booleans', [true, false]],
    ['object with identifier and non-identifier keys', { type: 'enum', items: ['a', "b'c"], 'odd key': 1, $x: true }],
  ])('%s round-trips', (_label, value) => {
    expect(evaluate(literal(value))).toEqual(value);
  });

  test('reads as a person would write it', () => {
    expect(literal({ type: 'string', length: 255, nullable: true })).toBe("{ type: 'string', length: 255, nullable: true }");
    expect(literal({ a: undefined, b: 1 })).toBe('{ b: 1 }');
    expect(literal({})).toBe('{}');
    expect(literal(['a', 'b'])).toBe("['a', 'b']");
  });
});
