import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/cli/progress.ts';
import { colorsWanted, namePlaceholders } from '../../src/cli/help-text.ts';

/** A clock and a timer the test moves by hand: no sleeps. */
function harness(isTTY: boolean) {
  let now = 0;
  let tick: () => void = () => {};
  const written: string[] = [];
  const stream = { isTTY, write: (t: string) => written.push(t) };
  const progress = new Progress(
    { running: 'applying', done: 'applied' },
    { stream, now: () => now, every: (t) => ((tick = t), { stop: () => (tick = () => {}) }), plainEveryMs: 10_000 },
  );
  const advance = (ms: number) => {
    now += ms;
    tick();
  };
  return { progress, written, advance };
}

describe('the progress line of a long run', () => {
  it('stays silent on a short run: a few migrations, under two seconds', () => {
    const { progress, written, advance } = harness(true);
    for (const id of ['a', 'b', 'c']) {
      progress.start(id);
      advance(300);
      progress.done();
    }
    progress.stop();
    expect(written).toEqual([]);
  });

  it('on a terminal: one line redrawn in place once the run is long, cleared at the end', () => {
    const { progress, written, advance } = harness(true);
    progress.start('20260101000000_slow');
    advance(1000);
    expect(written).toEqual([]);
    advance(1500);
    expect(written).toEqual(['\r\x1b[Ktidemark: 0 applied in 2.5 s, applying 20260101000000_slow (2.5 s)']);
    progress.clear();
    expect(written.at(-1)).toBe('\r\x1b[K');
    progress.done();
    advance(250);
    expect(written.at(-1)).toBe('\r\x1b[Ktidemark: 1 applied in 2.8 s');
    progress.stop();
    expect(written.at(-1)).toBe('\r\x1b[K');
  });

  it('more than a few migrations show it even when each is quick', () => {
    const { progress, written, advance } = harness(true);
    for (const id of ['a', 'b', 'c', 'd']) {
      progress.start(id);
      progress.done();
    }
    progress.start('e');
    advance(100);
    expect(written).toEqual(['\r\x1b[Ktidemark: 4 applied in 100 ms, applying e (100 ms)']);
  });

  it('in a log (not a terminal): a plain line every ten seconds, never a carriage return', () => {
    const { progress, written, advance } = harness(false);
    progress.start('20260101000000_backfill');
    for (let i = 0; i < 25; i++) advance(1000);
    expect(written).toEqual([
      'tidemark: 0 applied in 10.0 s, applying 20260101000000_backfill (10.0 s)\n',
      'tidemark: 0 applied in 20.0 s, applying 20260101000000_backfill (20.0 s)\n',
    ]);
    progress.stop();
    expect(written).toHaveLength(2);
  });
});

describe('help text', () => {
  it("names clipanion's #0 placeholders after what the value is", () => {
    expect(namePlaceholders('tidemark migrate up [--config #0] [--to #0] [--sql] [-m,--message #0] [--weird #0]')).toBe(
      'tidemark migrate up [--config <file>] [--to <id>] [--sql] [-m,--message <text>] [--weird <value>]',
    );
  });

  it('colours only on a terminal, never with NO_COLOR; FORCE_COLOR decides when set', () => {
    expect(colorsWanted({ isTTY: false }, {})).toBe(false);
    expect(colorsWanted({ isTTY: true }, {})).toBe(true);
    expect(colorsWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorsWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorsWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorsWanted({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });
});
