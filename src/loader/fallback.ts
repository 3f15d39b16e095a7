import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mappedPaths, pathMappingFor } from './tsconfig.ts';

/**
 * Where a specifier that Node could not resolve points, read the way tsc reads it in the
 * app's sources: `./user.entity` (no extension, dotted name), `./users` (a folder's
 * index.ts), `./user.entity.js` meaning the .ts file, and tsconfig `paths`/`baseUrl`.
 * Only consulted after Node's own resolution failed, so it never changes what Node finds; the
 * file returned may still not exist, which Node's resolution of it then says.
 */
export function fallbackFile(specifier: string, parentFile: string): string | undefined {
  if (/^\.{1,2}(\/|$)/.test(specifier) || specifier.startsWith('file:') || isAbsolute(specifier)) {
    const base = specifier.startsWith('file:') ? safePath(specifier) : resolve(dirname(parentFile), specifier);
    if (base === undefined) return undefined;
    const candidates = sourceCandidates(base);
    // One candidate: Node's resolution of it is the check.
    return candidates.length === 1 ? candidates[0] : firstFile(candidates);
  }
  if (specifier.startsWith('#') || specifier.startsWith('node:') || /^[a-z][a-z\d+.-]*:/i.test(specifier)) return undefined;
  const mapping = pathMappingFor(dirname(parentFile));
  if (!mapping) return undefined;
  for (const target of mappedPaths(specifier, mapping)) {
    // Node found nothing under this name at all, so the target may be any file tsc would pick.
    const found = firstFile([target, ...sourceCandidates(target), `${target}.js`, join(target, 'index.js')]);
    if (found) return found;
  }
  return undefined;
}

function sourceCandidates(base: string): string[] {
  const swapped = /\.(m|c)?js$/.exec(base);
  if (swapped) return [base.slice(0, -swapped[0].length) + `.${swapped[1] ?? ''}ts`];
  return [`${base}.ts`, join(base, 'index.ts')];
}

function firstFile(candidates: string[]): string | undefined {
  for (const c of candidates) if (statSync(c, { throwIfNoEntry: false })?.isFile()) return c;
  return undefined;
}

function safePath(url: string): string | undefined {
  try {
    return fileURLToPath(url.replace(/[?#].*$/, ''));
  } catch {
    return undefined;
  }
}
