import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TestProject } from './project.ts';

/** `--sql`: the script a run would execute, per dialect, for a DBA to review. No database is touched. */
describe('migrate --sql on the example history', () => {
  const p = new TestProject(null as unknown as string);
  cpSync(join(ROOT, 'tidemark.config.ts'), join(p.dir, 'tidemark.config.ts'));
  cpSync(join(ROOT, 'migrations'), join(p.dir, 'migrations'), { recursive: true });
  afterAll(() => p.dispose());

  for (const dialect of ['sqlite', 'postgresql', 'mysql', 'mariadb']) {
    it(`up and down for ${dialect}`, async () => {
      await expect(p.ok(['migrate', 'up', '--sql', '--dialect', dialect])).toMatchFileSnapshot(`../snapshots/sql/example-up.${dialect}.sql`);
      await expect(p.ok(['migrate', 'down', '--sql', '--to', 'base', '--dialect', dialect])).toMatchFileSnapshot(`../snapshots/sql/example-down.${dialect}.sql`);
    });
  }

  it('takes the dialect from the URL, and never connects or creates anything', () => {
    const out = p.ok(['migrate', 'up', '--sql', '--url', 'postgres://app:secret@127.0.0.1:1/nowhere']);
    expect(out).toContain('(postgresql)');
    expect(out).not.toContain('secret');
    p.ok(['migrate', 'up', '--sql']);
    expect(existsSync(join(p.dir, 'webdemo.db'))).toBe(false);
  });

  it('--from and --to select a range; down defaults to one step from the head', () => {
    const ids = ['20261124090333_create_user_table', '20261124090337_create_project_table', '20261124090338_add_user_age'];
    const up = p.ok(['migrate', 'up', '--sql', '--dialect', 'postgresql', '--from', ids[0]!, '--to', ids[1]!]);
    expect(up).toContain(`-- apply ${ids[1]}`);
    expect(up).not.toContain(`-- apply ${ids[0]}`);
    expect(up).not.toContain(`-- apply ${ids[2]}`);
    const down = p.ok(['migrate', 'down', '--sql', '--dialect', 'mysql']);
    expect(down).toContain(`-- revert ${ids[2]}`);
    expect(down).toContain('alter table `user` drop column `age`');
    expect(down).not.toContain(`-- revert ${ids[1]}`);
  });

  it('without any dialect it says how to give one', () => {
    const r = p.run(['migrate', 'up', '--sql', '--config', 'tidemark.config.ts'], { DATABASE_URL: '' });
    expect(r.code).toBe(0);
    const bad = p.run(['migrate', 'up', '--sql', '--dialect', 'oracle']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('tidemark: --dialect oracle: expected one of sqlite, postgresql, mysql, mariadb');
  });
});
