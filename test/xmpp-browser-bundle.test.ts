// saslkit/xmpp must run in browsers (XMPP over WebSocket): it bundles for the
// browser platform with esbuild, saxes included and no Node builtin pulled in,
// and the bundle works on its own.
import { describe, expect, it } from 'vitest';
import { bundleForBrowser } from './helpers/browser-bundle.js';

describe('saslkit/xmpp in a browser bundle', () => {
  it('bundles without Node builtins and parses, serializes and frames on its own', async () => {
    const result = await bundleForBrowser({
      stdin: {
        contents: "export * from './src/protocols/xmpp/index.ts';\nexport { decodeSaslPayload } from './src/protocols/xmpp/wire.ts';",
        resolveDir: process.cwd(),
        loader: 'ts',
      },
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes('node_modules/saxes/'))).toBe(true);
    expect(inputs.filter((i) => i.startsWith('node:') || /^(net|tls|fs|crypto|buffer)$/.test(i))).toEqual([]);
    const code = result.text;
    expect(code).not.toMatch(/from\s*["']node:/);
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as typeof import('../src/protocols/xmpp/index.js') & typeof import('../src/protocols/xmpp/wire.js');
    const el = mod.parseXmlElement("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>=</auth>");
    expect(mod.decodeSaslPayload(el)).toEqual(new Uint8Array(0));
    expect(mod.serializeElement(el)).toBe("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>=</auth>");
    expect(() => mod.parseXmlElement("<!DOCTYPE a [<!ENTITY b 'c'>]><a>&b;</a>")).toThrow(mod.XmppStreamError);
  });
});
