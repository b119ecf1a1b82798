// @ts-check
// TypeDoc plugin for saslkit's docs build.
//
// 1. Names each documented module after its import path (`saslkit`,
//    `saslkit/server`, ...) from package.json "exports", whether or not the
//    entry file carries a `@module` tag: TypeDoc would otherwise call them
//    `index`, `server`, `protocols/imap`.
// 2. Resolves `{@link Name}` across entry points. TypeDoc resolves an
//    unqualified `{@link SASLError}` only inside the entry point that exports
//    it, so a comment in saslkit/server naming a class of the root entry would
//    fail validation unless written `{@link saslkit!SASLError}`. This looks such
//    names up in the documented modules instead, the root entry first. A name
//    found nowhere stays unresolved, so TypeDoc still reports broken links.
import { readFileSync } from 'node:fs';
import { Converter } from 'typedoc';

/** TypeDoc's default module name (path under src/, `index` for the root) → import path. */
function moduleNames() {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  /** @type {Map<string, string>} */
  const names = new Map();
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    const types = typeof target === 'object' && target !== null ? target.types : undefined;
    // ./dist/src/index.d.ts → index, ./dist/src/server/index.d.ts → server, ./dist/src/mechanism.d.ts → mechanism
    const m = typeof types === 'string' ? /^\.\/dist\/src\/(.+)\.d\.ts$/.exec(types) : null;
    if (m) names.set(m[1] === 'index' ? 'index' : m[1].replace(/\/index$/, ''), pkg.name + key.slice(1));
  }
  return names;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  const names = moduleNames();
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.children ?? []) {
      const name = names.get(module.name);
      if (name) module.name = name;
    }
  });

  app.converter.addUnknownSymbolResolver((ref, reflection) => {
    if (ref.moduleSource !== undefined || ref.resolutionStart !== 'local') return undefined;
    const path = ref.symbolReference?.path;
    if (!path || path.length === 0) return undefined;
    const wanted = path.map((part) => part.path);
    const modules = [...(reflection.project.children ?? [])].sort((a, b) => a.name.length - b.name.length);
    for (const module of modules) {
      const target = module.getChildByName(wanted);
      if (target) return { target, caption: wanted.join('.') };
    }
    return undefined;
  });
}
