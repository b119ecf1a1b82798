// The guides whose code blocks are not quoted from docs/examples (IMAP, SMTP,
// channel binding) are still compiled: every ```ts block is type-checked
// against the sources, with the package's import paths mapped to them and
// the few names a snippet leaves to the reader (a key, a socket, a
// SASLServer, ...) declared with their types.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { markdownBlocks, PACKAGE_SPECIFIERS } from './helpers/doc-quotes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GUIDES = ['docs/imap.md', 'docs/smtp.md', 'docs/channel-binding.md', 'docs/performance.md'];

/** Names a snippet may use without defining them, and their declarations. */
const FREE_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['sasl', "declare const sasl: import('../../src/server/index.js').SASLServer;"],
  ['key', 'declare const key: string;'],
  ['cert', 'declare const cert: string;'],
  ['socket', "declare const socket: import('node:tls').TLSSocket;"],
  ['credentials', 'declare const credentials: () => readonly [string, string];'],
  ['deliver', 'declare function deliver(message: unknown): void;'],
];

/** The block as a module in docs/examples/, importing the sources instead of the package. */
function asModule(block: string): string {
  let code = block;
  for (const [source, published] of PACKAGE_SPECIFIERS) code = code.split(published).join(source);
  const declarations = FREE_NAMES.filter(
    ([name]) =>
      new RegExp(`\\b${name}\\b`).test(code) &&
      !new RegExp(`\\b(?:const|let|var|function)\\s+${name}\\b`).test(code) &&
      !new RegExp(`^import .*\\b${name}\\b`, 'm').test(code),
  ).map(([, d]) => d);
  const lines = code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const rest = lines.filter((l) => !l.startsWith('import '));
  return [...imports, ...declarations, ...rest, 'export {};', ''].join('\n');
}

describe('guide code blocks type-check', () => {
  it('every ```ts block of the IMAP, SMTP and channel-binding guides compiles', () => {
    const virtual = new Map<string, string>();
    for (const guide of GUIDES) {
      const blocks = markdownBlocks(guide);
      expect(blocks.length, guide).toBeGreaterThan(0);
      blocks.forEach((block, i) => virtual.set(join(ROOT, 'docs/examples', `guide-${guide.replace(/\W/g, '-')}-${i}.ts`), asModule(block)));
    }
    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    if (!config) throw new Error('cannot read tsconfig.json');
    // Snippets show a step, not a program: values they compute may go unused.
    const options = { ...config.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
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
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && virtual.has(d.file.fileName))
      .map((d) => `${d.file!.fileName.slice(ROOT.length + 1)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });
});
