/**
 * States in code that a table or column had another name, so `gen-migration` emits a rename
 * instead of a drop and an add:
 *
 * ```ts
 * @RenamedFrom('people') @Entity({ tableName: 'person' }) class Person {
 *   @RenamedFrom('full_name') @Property() name!: string;
 * }
 * ```
 *
 * The argument is the old table or column name as the database has it. Once the rename is in
 * a migration the annotation does nothing and may stay or go. Works with legacy and TC39
 * decorators.
 */
export const RENAMED_FROM = Symbol.for('tidemark.renamedFrom');

export interface RenamedFromRecord {
  table?: string;
  /** property name → old column name */
  properties: Record<string, string>;
}

function record(holder: object): RenamedFromRecord {
  const h = holder as { [RENAMED_FROM]?: RenamedFromRecord };
  if (!Object.hasOwn(h, RENAMED_FROM)) Object.defineProperty(h, RENAMED_FROM, { value: { properties: { ...(h[RENAMED_FROM]?.properties ?? {}) } } });
  return h[RENAMED_FROM]!;
}

export function RenamedFrom(oldName: string) {
  // One function for both decorator protocols: legacy passes (target, key), TC39 (value, context).
  return (target: unknown, context?: unknown): void => {
    if (context && typeof context === 'object' && 'kind' in context) {
      const ctx = context as { kind: string; name: string | symbol; metadata?: object };
      const holder = ctx.metadata ?? (typeof target === 'function' ? target : undefined);
      if (!holder) return;
      if (ctx.kind === 'class') record(holder).table = oldName;
      else record(holder).properties[String(ctx.name)] = oldName;
      return;
    }
    if (typeof target === 'function') record(target).table = oldName;
    else if (target && typeof target === 'object' && typeof context === 'string') record((target as { constructor: object }).constructor).properties[context] = oldName;
  };
}

/** What `@RenamedFrom` recorded on an entity class, in either decorator protocol. */
export function renamedFromOf(cls: Function): RenamedFromRecord | undefined {
  const c = cls as unknown as Record<symbol, unknown>;
  const legacy = c[RENAMED_FROM] as RenamedFromRecord | undefined;
  const metadataKey = (Symbol as unknown as { metadata?: symbol }).metadata ?? Symbol.for('Symbol.metadata');
  const es = (c[metadataKey] as Record<symbol, RenamedFromRecord | undefined> | undefined)?.[RENAMED_FROM];
  if (!legacy && !es) return undefined;
  return { table: legacy?.table ?? es?.table, properties: { ...es?.properties, ...legacy?.properties } };
}
