import { defineEntity, p } from '@mikro-orm/core';
import { describe, expect, test } from 'vitest';
import { snapshotFromEntities } from '../../src/metadata/from-mikro-orm.ts';
import { ROOT } from '../e2e/project.ts';

/**
 * gen-migration refuses names some dialect would reject or truncate, naming the entity and
 * property; names tidemark derives itself (indexes, foreign keys) are shortened instead.
 */
const read = (...entities: unknown[]) =>
  snapshotFromEntities({ entities, files: new Map(), metadata: { defaultProvider: 'mikro-orm' }, projectRoot: ROOT, dialect: 'sqlite' });

const long = 'x'.repeat(64);

describe('identifier rules at gen-migration', () => {
  test('a column name over 63 bytes is refused, naming entity and property', async () => {
    const E = defineEntity({ name: 'Wide', properties: { id: p.integer().primary(), label: p.string().fieldName(long) } });
    await expect(read(E)).rejects.toThrow(`Wide.label: column name '${long}' is 64 bytes long; PostgreSQL keeps 63`);
  });

  test('a table name ending in a space, or with an emoji, is refused', async () => {
    const A = defineEntity({ name: 'Spaced', tableName: 'spaced ', properties: { id: p.integer().primary() } });
    await expect(read(A)).rejects.toThrow(/^Spaced: table name 'spaced ' ends in a space, which MySQL\/MariaDB refuse/);
    const B = defineEntity({ name: 'Tagged', properties: { id: p.integer().primary(), tag: p.string().fieldName('tag_🏷') } });
    await expect(read(B)).rejects.toThrow(/^Tagged\.tag: column name 'tag_🏷' contains '🏷' \(U\+1F3F7\), a 4-byte UTF-8 character/);
  });

  test('an index name the entity gives is checked like any other name', async () => {
    const E = defineEntity({ name: 'Named', properties: { id: p.integer().primary(), code: p.string().unique(`${long}_u`) } });
    await expect(read(E)).rejects.toThrow(/^Named\.code: name 'x{64}_u' is 66 bytes long/);
  });

  test('derived index and foreign key names are shortened deterministically, and stay distinct', async () => {
    const table = 'a'.repeat(40);
    const Parent = defineEntity({ name: 'Parent', properties: { id: p.integer().primary() } });
    const Child = defineEntity({
      name: 'Child',
      tableName: table,
      properties: {
        id: p.integer().primary(),
        [`first_${'p'.repeat(20)}`]: () => p.manyToOne(Parent),
        [`second_${'p'.repeat(20)}`]: () => p.manyToOne(Parent),
      },
    });
    const { schema } = await read(Parent, Child);
    const t = schema.tables.find((x) => x.name === table)!;
    const names = [...t.indexes.map((i) => i.name), ...t.foreignKeys.map((f) => f.name)];
    expect(names).toHaveLength(4);
    for (const n of names) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(63);
    expect(new Set(names).size).toBe(4);
    expect((await read(Parent, Child)).schema).toEqual(schema);
  });
});
