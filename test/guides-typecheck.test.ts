// Docs that compile when copied: every ```ts block of every guide in docs/
// and of README.md is type-checked on its own, as a module of its own, with
// nothing declared for it: its imports must be complete, and it may use no
// name that an earlier block defined. The package's import paths are mapped
// to the sources (so the check runs without a build); a relative import
// (README's './line-protocol.js') resolves in docs/examples/, where the
// blocks are placed.
//
// The one exception: a block whose first line is "// from src/..." or
// "// from mechanisms/..." shows how saslkit itself does something (a method
// of a class); it is not code to copy, and test/docs-examples.test.ts checks
// that it is a verbatim excerpt of that file, which the project compiles.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { markdownBlocks, PACKAGE_SPECIFIERS } from './helpers/doc-quotes.js';

const ROOT = join(import.meta.dirname, '..');
const GUIDES = [
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
  'README.md',
];

/** The block as a module in docs/examples/, importing the sources instead of the package. */
function asModule(block: string): string {
  let code = block;
  for (const [source, published] of PACKAGE_SPECIFIERS) code = code.split(published).join(source);
  // A block with no import or export is a script to TypeScript; make it a module so blocks cannot see each other.
  return `${code}\nexport {};\n`;
}

/** The first line of an excerpt of saslkit's own source. */
const LIBRARY_EXCERPT = /^\/\/ from (?:src|mechanisms)\/\S+\n/;

const blockFile = (guide: string, i: number): string => join(ROOT, 'docs/examples', `guide-${guide.replace(/\W/g, '-')}-${i}.ts`);

/** Type errors per guide, from one program over every block. */
const problemsOf = new Map<string, string[]>();

/**
 * Type-check `virtual` (file name → text) against the project's options and
 * return the diagnostics of those files, as "file: message".
 */
export function typeCheckVirtual(virtual: ReadonlyMap<string, string>): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('cannot read tsconfig.json');
  // Snippets show a step, not a program: values they compute may go unused.
  // 'ws' is not a dependency: docs/xmpp.md's example gets a stand-in of its types.
  const paths = { ws: [join(ROOT, 'test/helpers/ws-module.d.ts')] };
  const options = { ...config.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false, baseUrl: ROOT, paths };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => virtual.get(f) ?? readFile(f);
  host.fileExists = (f) => virtual.has(f) || fileExists(f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = virtual.get(f);
    return text === undefined ? getSourceFile(f, lang, ...rest) : ts.createSourceFile(f, text, lang, true);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && virtual.has(d.file.fileName))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${d.file!.fileName.slice(ROOT.length + 1)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

beforeAll(() => {
  const virtual = new Map<string, string>();
  const guideOf = new Map<string, string>();
  for (const guide of GUIDES) {
    markdownBlocks(guide).forEach((block, i) => {
      if (LIBRARY_EXCERPT.test(block)) return;
      virtual.set(blockFile(guide, i), asModule(block));
      guideOf.set(blockFile(guide, i).slice(ROOT.length + 1), guide);
    });
    problemsOf.set(guide, []);
  }
  for (const problem of typeCheckVirtual(virtual)) problemsOf.get(guideOf.get(problem.slice(0, problem.indexOf(':')))!)!.push(problem);
}, 120_000);

describe('every ```ts block of the guides type-checks on its own', () => {
  it('finds the blocks of the guides that have code', () => {
    for (const guide of ['docs/imap.md', 'docs/smtp.md', 'docs/xmpp.md', 'docs/server.md', 'docs/channel-binding.md', 'docs/writing-a-mechanism.md', 'docs/protocol-adapter.md', 'README.md']) {
      expect(markdownBlocks(guide).length, guide).toBeGreaterThan(0);
    }
  });

  it.each(GUIDES)('%s', (guide) => {
    expect(problemsOf.get(guide)).toEqual([]);
  });

  it('reports a block that uses a name only an earlier block imported', () => {
    const virtual = new Map([
      [blockFile('self-check', 0), asModule("import { SASLServer } from 'saslkit/server';\nexport const a: SASLServer | null = null;")],
      [blockFile('self-check', 1), asModule('export const b: SASLServer | null = null;')],
    ]);
    const problems = typeCheckVirtual(virtual);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/guide-self-check-1\.ts:1: Cannot find name 'SASLServer'/);
  }, 120_000);
});
