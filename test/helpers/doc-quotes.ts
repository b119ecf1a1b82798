// The guides quote docs/examples/*.ts verbatim (with the repository's import
// paths replaced by the package's): helpers to read a region of an example
// file and the TypeScript blocks of a markdown file.
import { readFileSync } from 'node:fs';

/** How the examples' import specifiers read in the guides. */
export const PACKAGE_SPECIFIERS: ReadonlyArray<readonly [string, string]> = [
  ["'../../src/index.js'", "'saslkit'"],
  ["'../../src/server/index.js'", "'saslkit/server'"],
  ["'../../src/mechanism.js'", "'saslkit/mechanism'"],
  ["'../../src/gsasl.js'", "'saslkit/gsasl'"],
  ["'../../src/protocols/imap/index.js'", "'saslkit/imap'"],
  ["'../../src/protocols/smtp/index.js'", "'saslkit/smtp'"],
  ["'../../src/protocols/xmpp/index.js'", "'saslkit/xmpp'"],
  ["'../../src/node/index.js'", "'saslkit/node'"],
];

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The code between `// #region name` and `// #endregion name` of `file`, as a guide quotes it. */
export function exampleRegion(file: string, name: string): string {
  const m = new RegExp(`// #region ${name}\\n([\\s\\S]*?)// #endregion ${name}\\n`).exec(read(file));
  if (!m) throw new Error(`no region ${name} in ${file}`);
  let code = m[1]!;
  for (const [from, to] of PACKAGE_SPECIFIERS) code = code.split(from).join(to);
  return code;
}

/** The bodies of the ```ts blocks of a markdown file. */
export function markdownBlocks(markdownFile: string): string[] {
  return [...read(markdownFile).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}
