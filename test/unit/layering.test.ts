/**
 * The layering, written down and checked: which part of the tree may import
 * which. Pages render what src/web hands them; src/web is the one HTTP edge
 * and calls the services in src/server; core and protocol are pure and
 * import nothing of the app; the runner shares only the protocol.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The parts of the tree, by path prefix (longest first wins). */
const PARTS: [string, string][] = [
  ['src/core/', 'core'],
  ['src/protocol/', 'protocol'],
  ['src/server/', 'server'],
  ['src/web/', 'web'],
  ['src/pages/', 'pages'],
  ['src/components/', 'pages'],
  ['src/layouts/', 'pages'],
  ['src/middleware.ts', 'web'],
  ['src/cli/', 'cli'],
  ['src/client/', 'client'],
  ['runner/', 'runner'],
];

/** What each part may import at run time. Type-only imports are erased and may also reach `types`. */
export const RULES: Record<string, { values: string[]; types?: string[] }> = {
  core: { values: ['core'] },
  protocol: { values: ['protocol'] },
  server: { values: ['server', 'core', 'protocol'] },
  web: { values: ['web', 'server', 'core', 'protocol'] },
  pages: { values: ['pages', 'web', 'core', 'protocol', 'client'], types: ['server'] },
  // The commands start the HTTP server (its headers) and the local runner.
  cli: { values: ['cli', 'web', 'server', 'core', 'protocol', 'runner'] },
  client: { values: ['client', 'core', 'protocol'], types: ['server'] },
  runner: { values: ['runner', 'protocol'] },
};

function partOf(file: string): string | undefined {
  return PARTS.filter(([prefix]) => file.startsWith(prefix)).sort((a, b) => b[0].length - a[0].length)[0]?.[1];
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|astro)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The script parts of a file: all of a .ts; an .astro file's frontmatter and its <script> blocks. */
function scriptOf(file: string, text: string): string {
  if (!file.endsWith('.astro')) return text;
  const front = text.match(/^---\n([\s\S]*?)\n---/)?.[1] ?? '';
  const scripts = [...text.matchAll(/<script(?![^>]*is:inline)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  return [front, ...scripts].join('\n');
}

export interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** The app-internal imports of one file's code (relative specifiers only; packages are not the app). */
export function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, scriptOf(file, text), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (spec.startsWith('.')) found.push({ from: file, to: relative(ROOT, resolve(ROOT, dirname(file), spec)), typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0]!)) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Each import that breaks a rule, as "from → to (why)". */
export function breaches(imports: Import[]): string[] {
  return imports.flatMap((i) => {
    const from = partOf(i.from);
    const to = partOf(i.to);
    if (!from || !to) return [];
    const rule = RULES[from]!;
    if (rule.values.includes(to) || (i.typeOnly && rule.types?.includes(to))) return [];
    return [`${i.from} → ${i.to} (${from} may not import ${to}${rule.types?.includes(to) ? ' except as a type' : ''})`];
  });
}

const allImports = () => ['src', 'runner'].flatMap(sources).flatMap((f) => importsOf(f, readFileSync(join(ROOT, f), 'utf8')));

describe('the layering', () => {
  it('holds across the tree', () => {
    const imports = allImports();
    expect(imports.length).toBeGreaterThan(100);
    expect(breaches(imports)).toEqual([]);
  });

  it('keeps pages off the services they cannot import, too: no page reaches into locals.app but the API adapters', () => {
    const reaching = ['src/pages', 'src/components', 'src/layouts']
      .flatMap(sources)
      .filter((f) => !f.startsWith('src/pages/api/') && /locals\.app\b/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(reaching).toEqual([]);
  });

  it('keeps HTTP out of the services: no HTTP error, no Response built for a client (the GitHub client builds its own requests)', () => {
    const speaking = sources('src/server')
      .filter((f) => f !== 'src/server/git/github.ts')
      .filter((f) => /\bHttpError\b|new Response\(|web\/http\.ts/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(speaking).toEqual([]);
  });

  it('catches a page that calls a service, a core that reaches into the app, and a runner beyond the protocol', () => {
    const page = importsOf('src/pages/x.astro', "---\nimport { savePage } from '../server/pages/actions.ts';\nimport type { PageView } from '../server/pages/view.ts';\n---\n<p/>");
    const core = importsOf('src/core/x.ts', "import { openDatabase } from '../server/db.ts';");
    const runner = importsOf('runner/x.ts', "import { x } from '../src/core/fields.ts';\nimport { y } from '../src/protocol/index.ts';");
    const client = importsOf('src/client/x.ts', "import type { RunJson } from '../server/runs/read.ts';\nimport { z } from '../web/routes.ts';");
    expect(breaches([...page, ...core, ...runner, ...client])).toEqual([
      'src/pages/x.astro → src/server/pages/actions.ts (pages may not import server except as a type)',
      'src/core/x.ts → src/server/db.ts (core may not import server)',
      'runner/x.ts → src/core/fields.ts (runner may not import core)',
      'src/client/x.ts → src/web/routes.ts (client may not import web)',
    ]);
  });
});

/** The import circles among the files under `within` (type-only imports included: they tie the modules' meaning together all the same). */
export function circles(imports: Import[], within: string): string[][] {
  const next = new Map<string, string[]>();
  for (const i of imports) if (i.from.startsWith(within) && i.to.startsWith(within)) next.set(i.from, [...(next.get(i.from) ?? []), i.to]);
  const found: string[][] = [];
  const visit = (file: string, path: string[]) => {
    for (const to of next.get(file) ?? []) {
      if (to === path[0]) found.push([...path, to]);
      else if (!path.includes(to) && to > path[0]!) visit(to, [...path, to]);
    }
  };
  for (const file of [...next.keys()].sort()) visit(file, [file]);
  return found;
}

describe('the run modules', () => {
  it('import one another without a circle', () => {
    expect(circles(allImports(), 'src/server/runs/')).toEqual([]);
    expect(circles(importsOf('src/server/runs/a.ts', "import type { B } from './b.ts';").concat(importsOf('src/server/runs/b.ts', "import { a } from './a.ts';")), 'src/server/runs/')).toEqual([
      ['src/server/runs/a.ts', 'src/server/runs/b.ts', 'src/server/runs/a.ts'],
    ]);
  });
});
