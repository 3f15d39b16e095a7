import { describe, expect, it } from 'vitest';
import { freshDatabase, unavailable } from './servers.ts';

describe('servers', () => {
  it.each(['postgresql', 'mariadb'] as const)('%s', async (k) => {
    expect(await unavailable(k)).toBeUndefined();
    const d = await freshDatabase(k);
    await d.drop();
  });
});
