// The emitter as a process of its own: started by the CLI the moment gen-migration begins, it
// loads ts-morph (TypeScript inside, the slowest step of generating) on another core while
// the main process loads the entities and diffs them; then it reads one plan as JSON on
// stdin and writes the migration's text on stdout.
import module from 'node:module';

module.enableCompileCache?.();
const { emitMigration } = await import('./emit.ts');

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const text = Buffer.concat(chunks).toString('utf8');
if (text) process.stdout.write(emitMigration(JSON.parse(text)));
