import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, string | { types?: string; default: string }> };
const built = existsSync(new URL('dist/index.mjs', root));

describe('package.json exports', () => {
  test.each(Object.entries(pkg.exports))('%s: its types file exists', (_key, target) => {
    if (typeof target === 'object' && target.types) expect(existsSync(fileURLToPath(new URL(target.types, root)))).toBe(true);
  });

  // Needs dist/ (`node scripts/build.mjs`, which `npm test` runs first).
  test.skipIf(!built).each(Object.entries(pkg.exports))('%s: the built file it points to exists', (_key, target) => {
    const file = typeof target === 'string' ? target : target.default;
    expect(existsSync(fileURLToPath(new URL(file, root))), file).toBe(true);
  });
});
