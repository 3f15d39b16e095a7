import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSnapshotInBackground, snapshotBlobPath } from './emitter-snapshot.ts';
import type { EmitInput } from './emit.ts';
import type { Answer, RequestBody } from './emit-service.ts';

declare const TIDEMARK_BUNDLED: boolean | undefined;

/**
 * gen-migration's helper process: it loads ts-morph while the main process loads entities,
 * then renders the migration. Emission falls back to this process if the helper is not there.
 */
export interface Emitter {
  emit(input: EmitInput): Promise<string>;
  close(): void;
}

let prewarmed: ChildProcess | undefined;

// TIDEMARK_TIMING=1 says which way the migration was rendered.
const timing = (what: string) => {
  if (process.env.TIDEMARK_TIMING) process.stderr.write(`[timing] ${performance.now().toFixed(1).padStart(7)} ms ${what}\n`);
};

/** How the helper was started, for TIDEMARK_TIMING. */
let started = '';

function spawnHelper(): ChildProcess | undefined {
  try {
    let args: string[];
    if (typeof TIDEMARK_BUNDLED !== 'boolean') {
      args = [fileURLToPath(new URL('./emit-process.ts', import.meta.url))];
      started = 'from source';
    } else {
      const blob = snapshotBlobPath();
      if (blob && existsSync(blob)) {
        args = ['--snapshot-blob', blob];
        started = `from its startup snapshot ${blob}`;
      } else {
        // Bundled, this code may sit in dist/ or in dist/chunks/; the entries are in dist/.
        args = [fileURLToPath(new URL(import.meta.url.includes('/chunks/') ? '../emit-process.mjs' : './emit-process.mjs', import.meta.url))];
        started = blob ? 'loading ts-morph (its startup snapshot is being built for next time)' : 'loading ts-morph';
        if (blob) buildSnapshotInBackground(blob);
      }
    }
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    child.on('error', () => undefined);
    idle(child);
    return child;
  } catch {
    return undefined;
  }
}

/** An idle helper must never keep the process alive. */
function idle(child: ChildProcess): void {
  child.unref();
  for (const s of [child.stdin, child.stdout]) (s as unknown as { unref?(): void })?.unref?.();
}

function busy(child: ChildProcess): void {
  child.ref();
  for (const s of [child.stdin, child.stdout]) (s as unknown as { ref?(): void })?.ref?.();
}

/** Called by the CLI's entry for `gen-migration`, before anything else loads. */
export function prewarmEmitter(): void {
  prewarmed ??= spawnHelper();
}

export function startEmitter(): Emitter {
  const child = prewarmed ?? spawnHelper();
  prewarmed = undefined;
  const pending = new Map<number, { resolve(v: string): void; reject(e: Error): void }>();
  let nextId = 1;
  let dead = !child;
  if (child) {
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const answer = JSON.parse(buffered.slice(0, nl)) as Answer;
        buffered = buffered.slice(nl + 1);
        const p = pending.get(answer.id);
        pending.delete(answer.id);
        if (answer.error !== undefined) p?.reject(new Error(answer.error));
        else p?.resolve(answer.value!);
        if (pending.size === 0) idle(child);
      }
    });
    const fail = () => {
      dead = true;
      for (const p of pending.values()) p.reject(new Error('emitter process ended'));
      pending.clear();
    };
    child.on('close', fail);
    child.stdin!.on('error', fail);
  }
  const ask = (req: RequestBody): Promise<string> => {
    if (dead || !child) return Promise.reject(new Error('no emitter process'));
    busy(child);
    const id = nextId++;
    return new Promise<string>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.stdin!.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  };
  return {
    async emit(input) {
      try {
        const text = await ask({ op: 'emit', input });
        timing(`emitted in the helper process, started ${started}`);
        return text;
      } catch (error) {
        timing(`emitting in this process (helper: ${(error as Error).message})`);
        return (await import('./emit.ts')).emitMigration(input);
      }
    },
    close() {
      if (child && child.exitCode === null) child.kill();
    },
  };
}
