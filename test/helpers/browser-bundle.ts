// Bundling for the browser platform with esbuild, in memory, as a web app's
// build would: shared by the root-entry and saslkit/xmpp browser suites.
import { build, type BuildOptions, type Metafile } from 'esbuild';

/** One esbuild ESM bundle for `platform: 'browser'` of `input` (entry points or stdin), not written to disk; esbuild's errors reject. */
export async function bundleForBrowser(input: Pick<BuildOptions, 'entryPoints' | 'stdin'>): Promise<{ text: string; metafile: Metafile }> {
  const result = await build({
    ...input,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { text: result.outputFiles[0]!.text, metafile: result.metafile };
}
