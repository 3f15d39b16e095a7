/**
 * How the app's TypeScript is turned into JavaScript. Legacy decorators need
 * `emitDecoratorMetadata`-style output for inferred types, which esbuild cannot produce; swc
 * can, and loads in ~25 ms (TypeScript takes ~100 ms), ~1 ms a file. Files importing the TC39
 * decorators get those. Imports used only as types are elided as tsc elides them (Node's type
 * stripping keeps them and fails on `import { Opt } from '@mikro-orm/core'`); enums compile.
 */
type Swc = typeof import('@swc/core');

export const CACHE_FORMAT = 'tidemark-transpile-swc-2';

/** `module` for ESM scopes, `commonjs` for CommonJS scopes (what tsc emits for each). */
export type OutputFormat = 'module' | 'commonjs';

export function usesEsDecorators(source: string): boolean {
  return /from\s+['"]@mikro-orm\/decorators\/es['"]/.test(source);
}

export function transpileWith(swc: Swc, file: string, source: string, format: OutputFormat): string {
  const es = usesEsDecorators(source);
  const run = (metadata: boolean, maps: boolean) =>
    swc.transformSync(source, {
      filename: file,
      swcrc: false,
      configFile: false,
      sourceMaps: maps ? 'inline' : false,
      inlineSourcesContent: false,
      // The annotation lets Node's ESM side see a CommonJS file's named exports.
      module: format === 'commonjs' ? { type: 'commonjs', exportInteropAnnotation: true } : { type: 'es6' },
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        target: 'es2022',
        transform: es
          ? { decoratorVersion: '2022-03', useDefineForClassFields: true }
          : { legacyDecorator: true, decoratorMetadata: metadata, useDefineForClassFields: false },
      },
    }).code;
  const code = run(true, true);
  if (format === 'commonjs') return exportsAsTscLeavesThem(code);
  if (es || !code.includes('_ts_metadata(')) return code;
  return metadataImportsAsNamespaces(code, importedLocals(run(false, false)));
}

const IMPORT = /^import (.+) from (["'][^"'\n]+["']);$/gm;

interface ImportClause {
  defaultLocal?: string;
  namespace?: string;
  named: { imported: string; local: string }[];
}

function parseClause(clause: string): ImportClause | undefined {
  const out: ImportClause = { named: [] };
  let rest = clause.trim();
  const def = /^([\w$]+)\s*(?:,\s*|$)/.exec(rest);
  if (def) {
    out.defaultLocal = def[1];
    rest = rest.slice(def[0].length);
  }
  const ns = /^\*\s+as\s+([\w$]+)$/.exec(rest);
  if (ns) {
    out.namespace = ns[1];
    return out;
  }
  if (!rest) return out;
  const braces = /^\{([^{}]*)\}$/.exec(rest);
  if (!braces) return undefined;
  for (const part of braces[1]!.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([\w$]+)(?:\s+as\s+([\w$]+))?$/.exec(p);
    if (!m) return undefined;
    out.named.push({ imported: m[1]!, local: m[2] ?? m[1]! });
  }
  return out;
}

function importedLocals(code: string): Set<string> {
  const out = new Set<string>();
  for (const m of code.matchAll(IMPORT)) {
    const c = parseClause(m[1]!);
    if (!c) continue;
    if (c.defaultLocal) out.add(c.defaultLocal);
    if (c.namespace) out.add(c.namespace);
    for (const n of c.named) out.add(n.local);
  }
  return out;
}

/**
 * swc keeps an import that only decorator metadata refers to (`pw: Hidden<string>` becomes
 * `typeof Hidden === "undefined" ? Object : Hidden`), and in ESM a named import of a type,
 * which has no run-time export, fails to link. Reading such names through a namespace import
 * gives `undefined`, hence `Object`, where tsc writes `Object` for a type, and the class itself
 * where the name is a class. `valueLocals` are the imports swc keeps without metadata.
 */
function metadataImportsAsNamespaces(code: string, valueLocals: Set<string>): string {
  const replace = new Map<string, string>();
  let n = 0;
  const rewritten = code.replace(IMPORT, (line, clauseText: string, from: string) => {
    const clause = parseClause(clauseText);
    if (!clause || clause.namespace) return line;
    const metaOnly = clause.named.filter((s) => !valueLocals.has(s.local));
    const defaultMetaOnly = clause.defaultLocal !== undefined && !valueLocals.has(clause.defaultLocal);
    if (metaOnly.length === 0 && !defaultMetaOnly) return line;
    const ns = `__tidemark_meta${n++}`;
    for (const s of metaOnly) replace.set(s.local, `${ns}.${s.imported}`);
    if (defaultMetaOnly) replace.set(clause.defaultLocal!, `${ns}.default`);
    const keptNamed = clause.named.filter((s) => valueLocals.has(s.local)).map((s) => (s.imported === s.local ? s.local : `${s.imported} as ${s.local}`));
    const keptDefault = defaultMetaOnly ? undefined : clause.defaultLocal;
    const parts = [keptDefault, keptNamed.length ? `{ ${keptNamed.join(', ')} }` : undefined].filter(Boolean);
    // The namespace import takes the original's place, so modules still evaluate in source order.
    return `import * as ${ns} from ${from};${parts.length ? ` import ${parts.join(', ')} from ${from};` : ''}`;
  });
  if (replace.size === 0) return code;
  return inMetadata(rewritten, (span) => renameOutsideStrings(span, replace));
}

/** `code` with each decorator-metadata call passed through `edit`. */
function inMetadata(code: string, edit: (call: string) => string): string {
  let out = '';
  let from = 0;
  for (const m of code.matchAll(/_ts_metadata\d*\("design:/g)) {
    if (m.index < from) continue;
    const end = closingParen(code, m.index + m[0].indexOf('(') + 1);
    out += code.slice(from, m.index) + edit(code.slice(m.index, end));
    from = end;
  }
  return out + code.slice(from);
}

/**
 * swc's CommonJS exports are getters over the module's own bindings, so a module that reads
 * an export of one still loading (user.entity.ts and post.entity.ts import each other, and the
 * decorator metadata of `author!: User` reads `User`; fine in a NestJS app) throws "Cannot
 * access 'User' before initialization". tsc's output assigns `exports.User` after the class and
 * the reader gets undefined; the getters here do the same. Lines stay where they are.
 */
function exportsAsTscLeavesThem(code: string): string {
  const safe = (_m: string, head: string, ref: string) => `${head}try { return ${ref}; } catch { return undefined; }`;
  const names: string[] = [];
  let out = code.replace(/Object\.defineProperty(\(exports, ("[^"\n]+"), \{\n {4}enumerable: true,\n {4}get: function\(\) \{\n {8})return ([\w$.]+);/g, (m, head: string, name: string, ref: string) => {
    names.push(name);
    // Spelled so that cjs-module-lexer (Node's ESM side) does not read it as an export with a
    // getter it cannot vouch for, which drops the name; the annotation below names it instead,
    // as swc's own does for its multi-export form.
    return safe(m, `(0, Object.defineProperty)${head}`, ref);
  });
  if (names.length > 0) {
    // On the directive's line, so no line moves and the source map still holds.
    const strict = /^"use strict";/m.exec(out);
    const at = strict ? strict.index + strict[0].length : 0;
    const keys = names.map((n) => (/^"[A-Za-z_$][\w$]*"$/.test(n) ? n.slice(1, -1) : n));
    out = `${out.slice(0, at)}0 && (module.exports = { ${keys.map((k) => `${k}: null`).join(', ')} });${out.slice(at)}`;
  }
  const start = out.indexOf('\n_export(exports, {\n');
  if (start >= 0) {
    const end = out.indexOf('\n});\n', start);
    const block = out.slice(start, end < 0 ? out.length : end).replace(/(\n {4}get [\w$]+ \(\) \{\n {8})return ([\w$.]+);/g, safe);
    out = out.slice(0, start) + block + (end < 0 ? '' : out.slice(end));
  }
  return out;
}

/** Index just past the `)` closing the call whose arguments start at `at`. */
function closingParen(code: string, at: number): number {
  let depth = 1;
  for (let i = at; i < code.length; i++) {
    const c = code[i];
    if (c === '"' || c === "'") {
      for (i++; i < code.length && code[i] !== c; i++) if (code[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return code.length;
}

function renameOutsideStrings(text: string, names: Map<string, string>): string {
  return text.replace(/"(?:[^"\\]|\\.)*"|(?<![\w$.])[A-Za-z_$][\w$]*/g, (token) => (token.startsWith('"') ? token : (names.get(token) ?? token)));
}
