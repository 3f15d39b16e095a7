// Kept apart from clipanion so that it loads (and is tested) without it.

/** What a value stands for, by option: clipanion itself only says `#0`. */
const PLACEHOLDERS: Record<string, string> = {
  '--config': 'file',
  '--url': 'url',
  '--to': 'id',
  '--from': 'id',
  '--step': 'n',
  '--lock-timeout': 'seconds',
  '--message': 'text',
  '--dialect': 'name',
  '--transaction': 'all|each',
  '--rename': 'old=new',
  '--no-rename': 'table[.column]',
  '--allow': 'code[:target]',
  '--allow-data-loss': 'code:target',
  '--mikro-orm': 'file',
  '--rev-range': 'range',
  '-r': 'range',
};

/** Replaces clipanion's `#0` value placeholders with a word saying what the value is. */
export function namePlaceholders(text: string): string {
  return text.replace(/((?:--?[\w-]+)(?:,--?[\w-]+)*)((?: #\d+)+)/g, (_, names: string) => {
    const word = names.split(',').map((n) => PLACEHOLDERS[n]).find(Boolean) ?? 'value';
    return `${names} <${word}>`;
  });
}

/** Colours only for a person at a terminal: never in a pipe, a file or a CI log, nor with NO_COLOR. */
export function colorsWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return !!stream.isTTY && env.TERM !== 'dumb';
}
