// What the emitter process does: one JSON request per line on stdin, one JSON answer per line
// on stdout.
import { emitMigration, type EmitInput } from './emit.ts';

export type RequestBody = { op: 'emit'; input: EmitInput };
export type Request = { id: number } & RequestBody;
export type Answer = { id: number; value?: string; error?: string };

export function handle(req: Request): Answer {
  try {
    const value = emitMigration(req.input);
    return { id: req.id, value };
  } catch (error) {
    return { id: req.id, error: String((error as Error)?.stack ?? error) };
  }
}

export function serve(): void {
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line) process.stdout.write(`${JSON.stringify(handle(JSON.parse(line)))}\n`);
    }
  });
}
