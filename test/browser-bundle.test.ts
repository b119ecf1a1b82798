// The root entry runs in browsers: built with tsc, installed as a package,
// bundled by esbuild for the browser platform (which must honour the
// package.json `browser` swap of the SASLprep backend), then run in a realm
// with only browser globals: a PLAIN message and an RFC 7677 SCRAM-SHA-256
// exchange byte for byte. Plus a static check that code meant for browsers
// imports no Node builtin, so the rule holds as the codebase grows.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { webcrypto } from 'node:crypto';
import type { BuildFailure, Metafile } from 'esbuild';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from './helpers/browser-bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
/** Node-only code behind its own entry points (DESIGN.md): the Node helpers, the TLS channel-binding providers and the CLI. */
const NODE_ONLY_DIRS = new Set([join('src', 'node'), join('src', 'cli'), join('src', 'channel-binding', 'tls')]);

/** Files meant for every runtime: src/ (less the Node-only src/node/, src/channel-binding/tls/, src/cli/ and *.node.ts) and mechanisms/. */
function browserSourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!NODE_ONLY_DIRS.has(relative(root, path))) walk(path);
      } else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !/\.node\.(ts|mts|js|mjs)$/.test(entry.name)) {
        out.push(path);
      }
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'mechanisms'));
  return out;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split('/')[0]!);
}

describe('code meant for browsers imports no Node builtin', () => {
  it('no file under src/ (outside src/node/, src/cli/ and *.node.ts) or mechanisms/ imports node:* or a builtin', () => {
    const files = browserSourceFiles();
    expect(files.length).toBeGreaterThan(10);
    const offences: string[] = [];
    for (const file of files) {
      // TypeScript's own scanner: static imports, export-from, import(), require().
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        if (isNodeBuiltin(fileName)) offences.push(`${relative(root, file).split(sep).join('/')} imports '${fileName}'`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('no such file imports a Node-only module (src/node/, src/channel-binding/tls/, src/cli/) either', () => {
    const offences: string[] = [];
    for (const file of browserSourceFiles()) {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName } of importedFiles) {
        if (!fileName.startsWith('.')) continue;
        const target = relative(root, join(dirname(file), fileName));
        if ([...NODE_ONLY_DIRS].some((dir) => target === dir || target.startsWith(dir + sep))) {
          offences.push(`${relative(root, file).split(sep).join('/')} imports '${fileName}'`);
        }
      }
    }
    expect(offences).toEqual([]);
  });
});

describe('browser bundle of the root entry', () => {
  let work: string;
  let pkgDir: string;

  // The package as a user installs it: its package.json, dist/ built by tsc,
  // its dependencies; plus an app that imports 'saslkit' by name.
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'saslkit-bundle-'));
    pkgDir = join(work, 'pkg');
    mkdirSync(pkgDir);
    cpSync(join(root, 'package.json'), join(pkgDir, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(pkgDir, 'node_modules'), 'dir');
    const tsc = spawnSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        join(root, 'tsconfig.build.json'),
        '--outDir',
        join(pkgDir, 'dist'),
        '--declaration',
        'false',
        '--declarationMap',
        'false',
        '--sourceMap',
        'false',
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    // Type errors are the type check's business (npm run typecheck); tsc still
    // emits then, and a module the root entry cannot resolve fails the bundle.
    if (!existsSync(join(pkgDir, 'dist', 'src', 'index.js'))) {
      throw new Error(`tsc emitted no dist/src/index.js (${tsc.status ?? tsc.signal}):\n${tsc.stdout}${tsc.stderr}`);
    }
    makeApp(join(work, 'app'), pkgDir);
  }, 60_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** An app whose entry imports 'saslkit' and 'saslkit/mechanism' and hands them to the page's global scope. */
  function makeApp(appDir: string, packageDir: string): string {
    mkdirSync(join(appDir, 'node_modules'), { recursive: true });
    symlinkSync(packageDir, join(appDir, 'node_modules', 'saslkit'), 'dir');
    const entry = join(appDir, 'entry.js');
    writeFileSync(entry, "import * as saslkit from 'saslkit';\nimport * as mechanism from 'saslkit/mechanism';\nglobalThis.saslkit = { ...saslkit, ...mechanism };\n");
    return entry;
  }

  const bundle = (entry: string): Promise<{ text: string; metafile: Metafile }> => bundleForBrowser({ entryPoints: [entry] });

  it('bundles with esbuild for the browser, without Node builtins or the saslprep package', async () => {
    let bundled: { text: string; metafile: Metafile };
    try {
      bundled = await bundle(join(work, 'app', 'entry.js'));
    } catch (err) {
      const errors = (err as BuildFailure).errors ?? [];
      throw new Error(`esbuild failed:\n${errors.map((e) => `${e.location?.file ?? ''}: ${e.text}`).join('\n') || String(err)}`);
    }
    const { text, metafile } = bundled;
    expect(text).not.toMatch(/\brequire\(\s*["'`]/);
    expect(text).not.toMatch(/["'`]node:/);
    expect(text).not.toContain('code-points.mem');
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((p) => p.endsWith('core/saslprep-backend.browser.js'))).toBe(true);
    // package.json's #crypto-backend import: the portable backend, never node:crypto's.
    expect(inputs.some((p) => p.endsWith('crypto/backend-portable.js'))).toBe(true);
    expect(inputs.filter((p) => p.endsWith('crypto/backend.node.js'))).toEqual([]);
    expect(inputs.filter((p) => /saslprep-backend\.js$|node_modules\/(saslprep|sparse-bitfield|memory-pager)\//.test(p))).toEqual([]);
  });

  it('without the package.json browser swap, the bundle fails on the saslprep package', async () => {
    // Proves both that the `browser` field is what makes the bundle work and
    // that a Node builtin reaching the bundle is caught.
    const bare = join(work, 'pkg-no-browser-field');
    mkdirSync(bare);
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.browser;
    writeFileSync(join(bare, 'package.json'), JSON.stringify(manifest));
    cpSync(join(pkgDir, 'dist'), join(bare, 'dist'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(bare, 'node_modules'), 'dir');
    const entry = makeApp(join(work, 'app-no-browser-field'), bare);
    const failure = await bundle(entry).then(
      () => null,
      (err: BuildFailure) => err,
    );
    expect(failure).not.toBeNull();
    expect(failure!.errors.map((e) => e.text).join('\n')).toMatch(/Could not resolve "(fs|path)"/);
  });

  it('runs in a realm with only browser globals: saslprep, PLAIN and an RFC 7677 SCRAM-SHA-256 exchange', async () => {
    const { text } = await bundle(join(work, 'app', 'entry.js'));
    // A fresh realm: its own Object, Uint8Array, Promise...; of the host only
    // what a browser also has. No process, require, Buffer, module.
    const context = vm.createContext({ crypto: webcrypto, TextEncoder, TextDecoder });
    // Host TextEncoder/TextDecoder would hand out the host realm's Uint8Array;
    // wrap them so bytes are of the page's own realm, as in a browser.
    vm.runInContext(
      `{
        const HostEncoder = TextEncoder, HostDecoder = TextDecoder;
        globalThis.TextEncoder = class TextEncoder {
          #e = new HostEncoder();
          get encoding() { return this.#e.encoding; }
          encode(s) { return new Uint8Array(this.#e.encode(s)); }
        };
        globalThis.TextDecoder = class TextDecoder {
          #d;
          constructor(label, options) { this.#d = new HostDecoder(label, options); }
          get encoding() { return this.#d.encoding; }
          decode(bytes, options) { return this.#d.decode(bytes, options); }
        };
      }`,
      context,
    );
    vm.runInContext(text, context, { filename: 'bundle.js', timeout: 10_000 });
    const run = vm.runInContext(
      `(async () => {
        const k = globalThis.saslkit;
        const out = {
          globals: [typeof process, typeof require, typeof Buffer, typeof module].join(','),
          saslprep: k.saslprep('I\\u00ADX'),
          saslprepRoman: k.saslprep('\\u2168'),
        };
        try { k.saslprep('\\u0007'); out.prohibited = 'accepted'; }
        catch (e) { out.prohibited = e instanceof k.SASLFailure ? 'SASLFailure' : String(e); }
        out.plain = Array.from(k.encodePlainMessage('tim', 'tanstaaftanstaaf', 'admin')).join(',');

        const enc = new TextEncoder(), dec = new TextDecoder();
        const script = [
          ['n,,n=user,r=rOprNGfwEbeRWgbNEkqO', 'challenge',
           'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'],
          ['c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
           'success', 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='],
        ];
        const sent = [];
        class Scripted extends k.SASLInterface {
          async #step(payload) {
            const got = payload === null ? null : dec.decode(payload);
            sent.push(got);
            const step = script.shift();
            if (!step || step[0] !== got) throw new k.SASLFailure('malformed-request', 'unexpected client message');
            return [step[1], enc.encode(step[2])];
          }
          initiate(mechanism, payload = null) { return this.#step(payload); }
          respond(payload) { return this.#step(payload); }
          async abort() { return ['failure', null]; }
        }
        const scram = new k.SCRAM(() => ['user', 'pencil'], { generateNonce: () => 'rOprNGfwEbeRWgbNEkqO' });
        const intf = new Scripted();
        out.mechanism = await k.authenticate(intf, ['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], [scram]);
        out.sent = sent.length;
        out.left = script.length;
        return out;
      })()`,
      context,
      { timeout: 10_000 },
    ) as Promise<Record<string, unknown>>;
    const out = await run;
    expect(out).toEqual({
      globals: 'undefined,undefined,undefined,undefined',
      saslprep: 'IX',
      saslprepRoman: 'IX',
      prohibited: 'SASLFailure',
      plain: Array.from(new TextEncoder().encode('admin\0tim\0tanstaaftanstaaf')).join(','),
      mechanism: 'SCRAM-SHA-256',
      sent: 2,
      left: 0,
    });
  });
});
