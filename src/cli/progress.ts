import { duration } from './output.ts';

export interface ProgressOptions {
  /** Where the progress line goes: stderr, so that stdout stays the per-migration lines and the summary. */
  stream: { write(text: string): unknown; isTTY?: boolean };
  now?: () => number;
  /** Calls `tick` every `ms`; the default timer never keeps the process alive. */
  every?: (tick: () => void, ms: number) => { stop(): void };
  /** Shown once more than this many migrations started... */
  few?: number;
  /** ...or the run has lasted this long. */
  afterMs?: number;
  /** On a terminal the line is redrawn in place this often. */
  liveEveryMs?: number;
  /** Elsewhere (a CI log, a file) a plain line is appended this often. */
  plainEveryMs?: number;
}

const defaultTimer = (tick: () => void, ms: number) => {
  const t = setInterval(tick, ms);
  t.unref();
  return { stop: () => clearInterval(t) };
};

/**
 * The progress line of a long run. Short runs (a few migrations, a couple of seconds) never show
 * it. On a terminal it is one line on stderr redrawn in place, cleared before any other output;
 * when stderr is not a terminal, redrawing would fill the log, so a plain line is appended every
 * `plainEveryMs` instead, which also shows that a long migration is still alive.
 */
export class Progress {
  private readonly now: () => number;
  private readonly startedAt: number;
  private current: { id: string; at: number } | undefined;
  private started = 0;
  private finished = 0;
  private live = false;
  private lastPlain: number;
  private readonly timer: { stop(): void };
  private readonly o: Required<Omit<ProgressOptions, 'stream' | 'now' | 'every'>>;

  private readonly verb: { running: string; done: string };
  private readonly options: ProgressOptions;

  constructor(verb: { running: string; done: string }, options: ProgressOptions) {
    this.verb = verb;
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.lastPlain = this.startedAt;
    this.o = { few: options.few ?? 3, afterMs: options.afterMs ?? 2000, liveEveryMs: options.liveEveryMs ?? 250, plainEveryMs: options.plainEveryMs ?? 10_000 };
    const tty = !!options.stream.isTTY;
    this.timer = (options.every ?? defaultTimer)(() => this.tick(), tty ? this.o.liveEveryMs : Math.min(this.o.liveEveryMs * 4, this.o.plainEveryMs));
  }

  start(id: string): void {
    this.started++;
    this.current = { id, at: this.now() };
  }

  done(): void {
    this.finished++;
    this.current = undefined;
  }

  /** The line as it reads now, or undefined while the run is still short. */
  line(): string | undefined {
    const t = this.now();
    // Before the first migration (connecting, waiting for the lock) other lines say what happens.
    if (this.started === 0 || (this.started <= this.o.few && t - this.startedAt < this.o.afterMs)) return undefined;
    const running = this.current ? `, ${this.verb.running} ${this.current.id} (${duration(t - this.current.at)})` : '';
    return `tidemark: ${this.finished} ${this.verb.done} in ${duration(t - this.startedAt)}${running}`;
  }

  tick(): void {
    const line = this.line();
    if (line === undefined) return;
    if (this.options.stream.isTTY) {
      this.options.stream.write(`\r\x1b[K${line}`);
      this.live = true;
    } else if (this.now() - this.lastPlain >= this.o.plainEveryMs) {
      this.lastPlain = this.now();
      this.options.stream.write(`${line}\n`);
    }
  }

  /** Removes the live line, so that the next line written to the terminal starts clean. */
  clear(): void {
    if (!this.live) return;
    this.options.stream.write('\r\x1b[K');
    this.live = false;
  }

  stop(): void {
    this.timer.stop();
    this.clear();
  }
}
