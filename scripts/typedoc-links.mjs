// @ts-check
// TypeDoc plugin: resolve `{@link Name}` across entry points.
//
// TypeDoc resolves an unqualified `{@link SASLError}` only inside the entry
// point (module) that exports it, so a comment in saslkit/server that names a
// class of the root entry would fail validation unless written
// `{@link saslkit!SASLError}`. This resolver looks such names up in the
// documented modules instead, the root entry first. A name found nowhere is
// left unresolved, so TypeDoc still reports genuinely broken links.

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.addUnknownSymbolResolver((ref, reflection) => {
    if (ref.moduleSource !== undefined || ref.resolutionStart !== 'local') return undefined;
    const path = ref.symbolReference?.path;
    if (!path || path.length === 0) return undefined;
    const names = path.map((part) => part.path);
    const modules = [...(reflection.project.children ?? [])].sort((a, b) => a.name.length - b.name.length);
    for (const module of modules) {
      const target = module.getChildByName(names);
      if (target) return { target, caption: names.join('.') };
    }
    return undefined;
  });
}
