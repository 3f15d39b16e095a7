import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { culprit } from '../../src/project/culprit.ts';

/** An error whose stack has these frames, as V8 prints them. */
const thrown = (...frames: string[]) => ({ stack: ['Error: boom', ...frames.map((f) => `    at ${f}`)].join('\n') });
const shown = (file: string) => relative(process.cwd(), file) || file;

const TIDEMARK = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const INTERNAL = 'ModuleJob.run (node:internal/modules/esm/module_job:274:25)';

describe('culprit', () => {
  test('POSIX frames: the first one outside node_modules, Node and tidemark', () => {
    const app = '/srv/app/src/entities/Post.ts';
    const error = thrown(
      INTERNAL,
      'new EntitySchema (/srv/app/node_modules/@mikro-orm/core/metadata/EntitySchema.js:40:13)',
      `loadEntities (${join(TIDEMARK, 'src/commands/entities.ts')}:120:7)`,
      `Object.<anonymous> (${app}:3:9)`,
      '/srv/app/src/other.ts:1:1',
    );
    expect(culprit(error)).toBe(shown(app));
    expect(culprit(thrown(`async file:///srv/app/src/entities/Post.ts:3:9`))).toBe(shown(app));
    expect(culprit(thrown(`/srv/my app/src/Post.ts:3:9`))).toBe(shown('/srv/my app/src/Post.ts'));
  });

  test('Windows frames: a path with a drive letter, a UNC path, a file URL with a drive letter', () => {
    const app = 'C:\\app\\src\\entities\\Post.ts';
    expect(culprit(thrown(INTERNAL, 'Module._compile (C:\\app\\node_modules\\x\\index.js:1:1)', `Object.<anonymous> (${app}:3:9)`))).toBe(shown(app));
    expect(culprit(thrown(`${app}:3:9`))).toBe(shown(app));
    expect(culprit(thrown('file:///C:/app/node_modules/x/index.js:1:1', 'f (file:///C:/app/src/entities/Post.ts:3:9)'))).toBe(shown(app));
    expect(culprit(thrown('C:\\Program Files\\app\\Post.ts:3:9'))).toBe(shown('C:\\Program Files\\app\\Post.ts'));
    expect(culprit(thrown('\\\\server\\share\\app\\Post.ts:3'))).toBe(shown('\\\\server\\share\\app\\Post.ts'));
  });

  test('undefined when the first app frame is the file the caller names, or when no frame is the app', () => {
    expect(culprit(thrown('/srv/app/src/a.ts:1:1', '/srv/app/src/b.ts:1:1'), '/srv/app/src/a.ts')).toBeUndefined();
    expect(culprit(thrown('C:\\app\\a.ts:1:1'), 'C:\\app\\a.ts')).toBeUndefined();
    expect(culprit(thrown(INTERNAL, 'f (/srv/app/node_modules/x/y.js:1:1)', 'new Promise (<anonymous>)'))).toBeUndefined();
    expect(culprit(new Error('no stack of the app').message)).toBeUndefined();
  });
});
