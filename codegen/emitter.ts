import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { EmitInput } from './emit.ts';

declare const TIDEMARK_BUNDLED: boolean | undefined;

export interface Emitter {
  emit(input: EmitInput): Promise<string>;
  /** Stops the emitter process when there turned out to be nothing to emit. */
  close(): void;
}

let prewarmed: ChildProcess | undefined;

function spawnEmitter(): ChildProcess | undefined {
  try {
    // Bundled, this code may sit in dist/ or in dist/chunks/; the entries are in dist/.
    const dist = new URL(import.meta.url.includes('/chunks/') ? '../' : './', import.meta.url);
    // A V8 startup snapshot with ts-morph already loaded (built at install for this Node)
    // starts in a fraction of the time; a blob from another Node version makes the child
    // fail, and the plan is then emitted in this process.
    const blob = new URL('emitter.blob', dist);
    const args =
      typeof TIDEMARK_BUNDLED !== 'boolean'
        ? [new URL('./emit-process.ts', import.meta.url).pathname]
        : existsSync(blob)
          ? ['--snapshot-blob', blob.pathname]
          : [new URL('emit-process.mjs', dist).pathname];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.on('error', () => undefined);
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?(): void })?.unref?.();
    return child;
  } catch {
    return undefined;
  }
}

/** Called by the CLI's entry for `gen-migration`, before anything else loads. */
export function prewarmEmitter(): void {
  prewarmed ??= spawnEmitter();
}

/**
 * Starts the emitter now (unless the CLI already did) and returns a handle to use once the
 * plan is ready. If the emitter process fails, emission happens in this process instead.
 */
export function startEmitter(): Emitter {
  const child = prewarmed ?? spawnEmitter();
  prewarmed = undefined;
  const inProcess = async (input: EmitInput) => (await import('./emit.ts')).emitMigration(input);
  return {
    async emit(input) {
      if (!child || child.exitCode !== null) return inProcess(input);
      try {
        // Held unreferenced while idle, so a run with nothing to emit never waits for it.
        child.ref();
        for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { ref?(): void })?.ref?.();
        const out: Buffer[] = [];
        child.stdout!.on('data', (d: Buffer) => out.push(d));
        const done = new Promise<number | null>((resolve) => child.on('close', resolve));
        child.stdin!.end(JSON.stringify(input));
        const code = await done;
        const text = Buffer.concat(out).toString('utf8');
        if (code !== 0 || !text) return inProcess(input);
        return text;
      } catch {
        return inProcess(input);
      }
    },
    close() {
      if (child && child.exitCode === null) child.kill();
    },
  };
}
