// Installs the package as a user would and fails unless it works: `npm pack`
// into a temporary directory, `npm install <tarball>` into a fresh project
// there, then import every entry point (ESM import, and require() as Node
// >= 20.19 allows for ESM), and run the `saslkit` bin with --version.
// Every step has a time limit; the temporary directory is removed at the end.
//
//   node scripts/check-install.mjs            (packs this checkout)
//   node scripts/check-install.mjs FILE.tgz   (checks an existing tarball)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const entries = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));

const work = mkdtempSync(join(tmpdir(), 'saslkit-install-'));
let failed = false;

function run(what, command, args, cwd, timeoutMs) {
  const started = Date.now();
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: 'false' } });
  const ms = Date.now() - started;
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(`${what} failed after ${ms} ms: ${why}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  console.log(`ok   ${what} (${ms} ms)`);
  return r.stdout;
}

try {
  let tarball = process.argv[2] ? resolve(process.argv[2]) : null;
  if (!tarball) {
    const out = run('npm pack', 'npm', ['pack', '--json', '--pack-destination', work], ROOT, 300_000);
    tarball = join(work, JSON.parse(out.slice(out.indexOf('[')))[0].filename);
  }
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'saslkit-install-check', version: '1.0.0', private: true, type: 'module' }));
  run('npm install <tarball>', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app, 300_000);

  const esm = entries.map((e) => `const m${entries.indexOf(e)} = await import(${JSON.stringify(e)}); if (Object.keys(m${entries.indexOf(e)}).length === 0) throw new Error(${JSON.stringify(`${e}: no exports`)});`).join('\n');
  writeFileSync(join(app, 'esm.mjs'), `${esm}\nconsole.log('imported ${entries.join(', ')}');\n`);
  run(`import ${entries.join(', ')}`, process.execPath, ['esm.mjs'], app, 60_000);

  const cjs = entries.map((e) => `if (Object.keys(require(${JSON.stringify(e)})).length === 0) throw new Error(${JSON.stringify(`${e}: no exports`)});`).join('\n');
  writeFileSync(join(app, 'cjs.cjs'), `${cjs}\n`);
  run('require() every entry (Node >= 20.19)', process.execPath, ['cjs.cjs'], app, 60_000);

  const version = run('saslkit --version', join(app, 'node_modules', '.bin', 'saslkit'), ['--version'], app, 60_000);
  if (version.trim() !== `saslkit ${pkg.version}`) throw new Error(`saslkit --version printed ${JSON.stringify(version)}`);
} catch (err) {
  failed = true;
  console.error(`FAIL ${err instanceof Error ? err.message : String(err)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
