import { afterAll, describe, expect, it } from 'vitest';
import { CHAIN, writeChain } from './commands-fixture.ts';
import { TestProject } from './project.ts';

const [c1, c2, c3, c4] = CHAIN;
const ids = (out: string) => out.trim().split('\n').map((l) => l.split(/\s+/)[1]);

describe('history: messages, dates, --verbose, -r ranges, --json', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());
  writeChain(p);

  it('one line per migration with its date and message (doc comment, static message); --json pinned', async () => {
    p.ok(['migrate', 'up', '--to', 'add_person_age']);
    await expect(p.ok(['history'])).toMatchFileSnapshot('../snapshots/commands/history.txt');
    await expect(p.ok(['history', '--verbose'])).toMatchFileSnapshot('../snapshots/commands/history-verbose.txt');
    const json = p.ok(['history', '--json']);
    await expect(json).toMatchFileSnapshot('../snapshots/commands/history.json');
    const doc = JSON.parse(json);
    expect(doc.migrations.map((m: { id: string }) => m.id)).toEqual([c4, c3, c2, c1]);
    expect(doc.migrations[1]).toMatchObject({ id: c3, message: 'notes per person, with a welcome note', parents: [c2], children: [c4], isHead: false, isBase: false, applied: false });
    expect(doc.migrations[2]).toMatchObject({ message: 'add person age, which the sign-up form asks for', date: '2026-05-02T09:00:00Z', applied: true, current: true });
    // --offline: nothing known about the database.
    expect(JSON.parse(p.ok(['history', '--json', '--offline'])).migrations[0]).toMatchObject({ applied: null, current: null });
  });

  it('-r base:head, <id>:, :<id>, <a>:<b> (ids, prefixes, slugs), both ends included', () => {
    expect(ids(p.ok(['history', '-r', 'base:head']))).toEqual([c4, c3, c2, c1]);
    expect(ids(p.ok(['history', '-r', 'add_person_age:']))).toEqual([c4, c3, c2]);
    expect(ids(p.ok(['history', '-r', ':add_person_age']))).toEqual([c2, c1]);
    expect(ids(p.ok(['history', '-r', '20260502:create_note', '--offline']))).toEqual([c3, c2]);
    expect(ids(p.ok(['history', '--rev-range', `${c4}:${c4}`]))).toEqual([c4]);
    expect(JSON.parse(p.ok(['history', '-r', 'create_note:', '--json'])).migrations.map((m: { id: string }) => m.id)).toEqual([c4, c3]);
  });

  it('a bad range is one line naming it: no colon (exit 2), unknown or ambiguous end, ends out of order (exit 1)', () => {
    const bad = (range: string, code: number, text: string) => {
      const r = p.run(['history', '-r', range]);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`tidemark: ${text}\n`);
    };
    bad('create_note', 2, '-r create_note: expected <from>:<to>, e.g. base:head, <id>:, :<id> or <a>:<b>');
    bad('nope:', 1, "-r nope:: no such migration (no id, id prefix or slug matches); see 'tidemark history --offline'");
    bad(':2026', 1, `-r :2026: ambiguous, it matches ${c1}, ${c2}, ${c3}, ${c4}; give more of the id`);
    bad('create_note:add_person_age', 1, `-r create_note:add_person_age: ${c3} is not an ancestor of ${c2}, so nothing lies between them`);
  });
});

describe('show <id>: message, parents, children, operations in words, SQL per dialect', () => {
  const p = new TestProject();
  afterAll(() => p.dispose());
  writeChain(p);

  it('by slug on the URL dialect; --json pinned', async () => {
    const text = p.ok(['show', 'create_note']);
    expect(text).toContain(`${c3}\nMessage:  notes per person, with a welcome note\nDate:     2026-05-03 09:00:00 UTC\nFile:     migrations/${c3}.ts\nParents:  ${c2}\nChildren: ${c4}\n`);
    expect(text).toContain(
      "Up:\n  create table note\n  sql: insert into note (person_id, body) select id, 'welcome' from person\n  data step (count the notes): runs only live\nDown:\n  drop table note\n",
    );
    expect(text).toContain('SQL (sqlite):\n');
    expect(text).toContain('create table "note" (');
    expect(text).not.toContain('create table if not exists');
    await expect(p.ok(['show', 'create_note', '--json'])).toMatchFileSnapshot('../snapshots/commands/show.json');
    // Shown without a database: none was created.
    expect(p.files()['app.db']).toBeUndefined();
  });

  it('--dialect postgresql / mysql; a prefix, head; the first migration is a base', () => {
    const pg = p.ok(['show', '20260504', '--dialect', 'postgresql']);
    expect(pg).toContain('SQL (postgresql):\n');
    expect(pg).toContain('create index "person_name_index" on "person" ("name");');
    expect(pg).toContain(`assumes it stands at ${c3}`);
    expect(p.ok(['show', 'head', '--dialect', 'mysql'])).toContain('create index `person_name_index` on `person` (`name`);');
    expect(p.ok(['show', c1])).toContain(`${c1}  (base)\n`);
  });

  it('an unknown or ambiguous id, a bad dialect: one line, non-zero, nothing written', () => {
    const before = p.files();
    const unknown = p.run(['show', 'add_person_height']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("tidemark: show add_person_height: no such migration (no id, id prefix or slug matches); see 'tidemark history --offline'\n");
    const ambiguous = p.run(['show', '2026']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(`tidemark: show 2026: ambiguous, it matches ${CHAIN.join(', ')}; give more of the id\n`);
    const dialect = p.run(['show', 'create_note', '--dialect', 'oracle']);
    expect(dialect.code).toBe(2);
    expect(dialect.stderr).toBe('tidemark: --dialect oracle: expected one of sqlite, postgresql, mysql, mariadb\n');
    expect(p.files()).toEqual(before);
  });
});
