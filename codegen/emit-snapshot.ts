// Entry of the emitter's V8 startup snapshot (built at install by scripts/build.mjs): ts-morph
// and TypeScript are loaded and initialised while the snapshot is built, so a process started
// from it emits at once. Reads one plan as JSON on stdin, writes the migration on stdout.
import { startupSnapshot } from 'node:v8';
import { emitMigration } from './emit.ts';

// Touch the printer once so its lazy parts are in the snapshot too.
emitMigration({ id: '00000000000000_warm', parents: [], message: 'warm', up: [], down: [], warnings: [] });

startupSnapshot.setDeserializeMainFunction(() => {
  const chunks: Buffer[] = [];
  process.stdin.on('data', (c: Buffer) => chunks.push(c));
  process.stdin.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    if (text) process.stdout.write(emitMigration(JSON.parse(text)));
  });
});
