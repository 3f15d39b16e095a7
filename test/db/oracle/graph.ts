import type { MikroORM } from '@mikro-orm/core';

/**
 * Writes a fixed graph of the fixture's entities through MikroORM's EntityManager and reads it
 * back with a fresh one, as plain JSON. The same graph on a database tidemark built and on one
 * MikroORM created must read back the same (relations, enums, json, dates, embeddables).
 */
export async function writeGraph(orm: MikroORM): Promise<unknown> {
  const metas = [...orm.getMetadata().getAll().values()];
  const names = new Set(metas.map((m) => m.className));
  const cls = (name: string) => metas.find((m) => m.className === name)!.class as never;
  const em = orm.em.fork();
  const at = new Date('2026-03-04T05:06:07.000Z');
  const make = (name: string, data: Record<string, unknown>) => em.create(cls(name), data as never);
  if (names.has('Customer')) {
    const address = make('Address', { street: 'Quay 1', country: 'NL' });
    const customer = make('Customer', { name: 'Ada', email: 'ada@example.com', tier: 'pro', priority: 20, pastTiers: ['free'], address });
    const tag = make('Tag', { name: 'red', color: '#f00' });
    const product = make('Product', { id: '6f1c2f0e-3a56-4e4b-9d39-0c1f0d1b2a3c', ean: '1234567890123', weight: '1.2500' });
    make('ProductTag', { product, tag, addedAt: at });
    const order = make('Order', { customer, total: '12.50', placedAt: at });
    (order as unknown as { products: { add(p: unknown): void } }).products.add(product);
    make('Profile', { customer, bio: 'hello' });
  }
  if (names.has('Sample')) {
    make('Sample', {
      title: 't', body: 'b', note: null, labels: ['a', 'b'], scores: [1, 2], settings: { dark: true }, createdAt: at, preciseAt: at,
      day: '2026-03-04', clock: '05:06:07', code: 'C-1', state: 'live', visits: 3, archived: true, seenAt: at, ratio: 2.5, weight: 1.5,
      rank: 2, level: 1, photo: Buffer.from([1, 2, 3]), raw: Buffer.from([4]), ref: '6f1c2f0e-3a56-4e4b-9d39-0c1f0d1b2a3c', big: 9007199254740993n, mood: 'loud',
    });
  }
  if (names.has('Person')) {
    make('Person', { name: 'Bo', createdAt: at, updatedAt: at, home: { city: 'Delft', zip: '2611' }, work: null, prefs: { theme: 'dark', emails: false } });
    make('Car', { name: 'Mini', doors: 3, createdAt: at, updatedAt: at });
    make('Bike', { name: 'Gazelle', electric: true, createdAt: at, updatedAt: at });
  }
  await em.flush();
  const read = orm.em.fork();
  const out: Record<string, unknown> = {};
  for (const name of [...names].sort()) {
    const meta = metas.find((m) => m.className === name)!;
    if (meta.embeddable || meta.abstract || meta.pivotTable) continue;
    const rows = await read.find(cls(name), {}, { populate: ['*'] as never, orderBy: Object.fromEntries(meta.primaryKeys.map((k) => [k, 'asc'])) as never });
    out[name] = rows.map((r) => JSON.parse(JSON.stringify(r, (k, v) => (typeof v === 'bigint' ? String(v) : k === 'version' || k === 'id' && typeof v === 'number' ? undefined : v))));
  }
  return out;
}
