import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, unavailable } from '../db/servers.ts';
import { appliedIn, CHAIN } from './commands-fixture.ts';
import { writeChain } from './commands-fixture.ts';
import { applied, TestProject } from './project.ts';

const [c1, c2, c3, c4] = CHAIN;
const oneLine = (s: string) => s.trim().split('\n').length === 1;

/**
 * Every way of naming a target, run against one database: relative steps, `head`, prefixes and
 * slugs; each refusal is one line, exit 1 or 2, and leaves the database as it was.
 */
function targets(name: string, setup: () => Promise<{ p: TestProject; url: string[]; dispose(): Promise<void> }>) {
  describe(`migrate targets by step, +N/-N, head, prefix and slug (${name})`, () => {
    let ctx: Awaited<ReturnType<typeof setup>>;
    afterAll(async () => ctx?.dispose());

    const at = () => appliedIn(ctx.p, ctx.url);
    const refused = (args: string[], code: number, text: string) => {
      const before = at();
      const r = ctx.p.run([...args, ...ctx.url]);
      expect(r.code, r.stderr).toBe(code);
      expect(oneLine(r.stderr), r.stderr).toBe(true);
      expect(r.stderr).toContain(text);
      expect(at()).toEqual(before);
    };

    it('up --step N and --to +N apply the next N; down --to -N reverts N', async () => {
      ctx = await setup();
      const { p, url } = ctx;
      expect(p.ok(['migrate', 'current', ...url])).toBe('base\n');
      expect(p.ok(['migrate', 'heads', ...url])).toBe(`${c4}\n`);
      p.ok(['migrate', 'up', '--step', '1', ...url]);
      expect(at()).toEqual([c1]);
      expect(p.ok(['migrate', 'current', ...url])).toBe(`${c1}\n`);
      p.ok(['migrate', 'up', '--to', '+2', ...url]);
      expect(at()).toEqual([c1, c2, c3]);
      p.ok(['migrate', 'down', '--to', '-2', ...url]);
      expect(at()).toEqual([c1]);
      // More steps than are pending: what is pending, as down --step does.
      p.ok(['migrate', 'up', '--step', '9', ...url]);
      expect(at()).toEqual([...CHAIN]);
      expect(p.ok(['migrate', 'current', ...url])).toBe(`${c4}\n`);
    });

    it('--to head, a slug and a unique prefix name a migration everywhere', () => {
      const { p, url } = ctx;
      p.ok(['migrate', 'down', '--to', 'add_person_age', ...url]);
      expect(at()).toEqual([c1, c2]);
      p.ok(['migrate', 'up', '--to', 'create_note', ...url]);
      expect(at()).toEqual([c1, c2, c3]);
      p.ok(['migrate', 'up', '--to', 'head', ...url]);
      expect(at()).toEqual([...CHAIN]);
      p.ok(['migrate', 'down', '--to', '20260501', ...url]);
      expect(at()).toEqual([c1]);
      p.ok(['migrate', 'up', '--to', '2026050209', ...url]);
      expect(at()).toEqual([c1, c2]);
      const current = JSON.parse(p.ok(['migrate', 'current', '--json', ...url]));
      expect(current).toMatchObject({ command: 'migrate current', current: [c2] });
      p.ok(['migrate', 'down', '--to', 'base', ...url]);
      expect(at()).toEqual([]);
    });

    it('refused: an ambiguous prefix (naming the candidates), no match, base for up, the wrong sign, --step 0, both --to and --step', () => {
      const { p, url } = ctx;
      p.ok(['migrate', 'up', '--to', 'create_note', ...url]);
      refused(['migrate', 'up', '--to', '202605'], 1, `--to 202605: ambiguous, it matches ${c1}, ${c2}, ${c3}, ${c4}; give more of the id`);
      refused(['migrate', 'down', '--to', '202605'], 1, `ambiguous, it matches ${c1}, ${c2}, ${c3}, ${c4}`);
      refused(['migrate', 'up', '--to', 'add_person_height'], 1, '--to add_person_height: no such migration (no id, id prefix or slug matches)');
      refused(['migrate', 'up', '--to', 'base'], 2, "--to base: up cannot end at base; 'tidemark migrate down --to base' reverts everything");
      refused(['migrate', 'up', '--to', '-1'], 2, "--to -1: up only moves forward; 'tidemark migrate down --to -1' reverts");
      refused(['migrate', 'down', '--to', '+1'], 2, "--to +1: down only moves back; 'tidemark migrate up --to +1' applies");
      refused(['migrate', 'up', '--step', '0'], 2, '--step 0: must be a whole number of at least 1');
      refused(['migrate', 'up', '--step', 'two'], 2, '--step two: must be a whole number of at least 1');
      refused(['migrate', 'up', '--step', '1', '--to', c4], 2, 'give either --to or --step, not both');
      refused(['migrate', 'down', '--to', 'index_person_name'], 1, `--to ${c4}: that migration is not applied, so down cannot stop at it`);
    });
  });
}

targets('SQLite', async () => {
  const p = new TestProject();
  writeChain(p);
  return { p, url: [], dispose: async () => p.dispose() };
});

const pgSkip = await unavailable('postgresql');
describe.skipIf(Boolean(pgSkip))(`PostgreSQL${pgSkip ? ` (skipped: ${pgSkip})` : ''}`, () => {
  targets('PostgreSQL', async () => {
    const p = new TestProject();
    writeChain(p);
    const db = await freshDatabase('postgresql');
    return {
      p,
      url: ['--url', db.url],
      dispose: async () => {
        p.dispose();
        await db.drop();
      },
    };
  });
});

describe('resolve and baseline take a slug or prefix too', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());
  writeChain(p);

  it('resolve --applied by slug records the full id (an applied file that was edited)', () => {
    p.ok(['migrate', 'up', '--to', 'add_person_age']);
    const file = `migrations/${c2}.ts`;
    p.write(file, p.read(file).replace('add person age, which', 'add person age (edited), which'));
    expect(p.run(['migrate', 'up']).code).toBe(1);
    expect(p.ok(['migrate', 'resolve', 'add_person_age', '--applied'])).toBe(`Recorded ${c2} as applied.\n`);
    const ambiguous = p.run(['migrate', 'resolve', '2026', '--applied']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(`tidemark: migrate resolve 2026: ambiguous, it matches ${CHAIN.join(', ')}; give more of the id\n`);
  });

  it('baseline by slug adopts a database at that revision', () => {
    p.ok(['migrate', 'up', '--to', 'create_note', '--url', 'sqlite:./other.db']);
    const db = p.db('other.db');
    db.exec('drop table tidemark_migrations');
    db.close();
    const ambiguous = p.run(['baseline', '202605', '--url', 'sqlite:./other.db']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(`tidemark: 202605: ambiguous, it matches ${CHAIN.join(', ')}; give more of the id\n`);
    expect(p.ok(['baseline', 'create_note', '--url', 'sqlite:./other.db'])).toContain(`at ${c3}`);
    expect(applied(p.db('other.db'))).toEqual([c1, c2, c3]);
  });
});

describe('migrate heads and current, one line each', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());

  it('an empty history: base; two heads: both on one line; --json pinned', async () => {
    p.write('migrations/.keep', '');
    expect(p.ok(['migrate', 'heads'])).toBe('base\n');
    writeChain(p);
    p.write(
      `migrations/20260505090000_other_branch.ts`,
      p.read(`migrations/${c4}.ts`).replace(/20260504090000_index_person_name/g, '20260505090000_other_branch').replace('IndexPersonName', 'OtherBranch').replace(/person_name_index/g, 'person_name_other').replace(c4, c3),
    );
    expect(p.ok(['migrate', 'heads'])).toBe(`${c4} 20260505090000_other_branch\n`);
    await expect(p.ok(['migrate', 'heads', '--json'])).toMatchFileSnapshot('../snapshots/commands/heads.json');
    p.ok(['migrate', 'up', '--to', c4]);
    p.ok(['migrate', 'up', '--to', 'other_branch']);
    expect(p.ok(['migrate', 'current'])).toBe(`${c4} 20260505090000_other_branch\n`);
    await expect(p.ok(['migrate', 'current', '--json'])).toMatchFileSnapshot('../snapshots/commands/current.json');
    // head is refused by name when there are two.
    const head = p.run(['show', 'head']);
    expect(head.code).toBe(1);
    expect(head.stderr).toBe(`tidemark: show head: the history has 2 heads (${c4}, 20260505090000_other_branch): name one, or join them with 'tidemark merge'\n`);
  });
});
