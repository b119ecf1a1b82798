/**
 * `saslkit mechanisms`: the SASL mechanisms this build of saslkit can use,
 * as a client (`saslkit client -m`) and as a server (`saslkit server -m`),
 * and the TLS channel-binding types for the -PLUS ones.
 *
 * @module
 */
import { EXIT, parseOptions, type OptionSpec } from './args.js';
import { CLIENT_MECHANISMS } from './client-mechanisms.js';
import type { Command, CommandIO } from './io.js';
import { serverMechanismNames } from './server.js';

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** The channel-binding types the Node TLS helpers give (RFC 9266, RFC 5929). */
const CHANNEL_BINDINGS = ['tls-exporter', 'tls-unique', 'tls-server-end-point'];

/** Server mechanisms saslkit/server has (CRAMMD5Server, OAUTHBEARERServer, XOAUTH2Server) that `saslkit server` does not offer. */
const LIBRARY_ONLY_SERVER = ['CRAM-MD5', 'OAUTHBEARER', 'XOAUTH2'];

const USAGE = `Usage: saslkit mechanisms [--json]

List the SASL mechanisms this build supports: one line per mechanism with
"client" and/or "server" (the library's saslkit/server; a note marks those
"saslkit server" itself does not offer), then the channel-binding types for -PLUS.

  --json                 one JSON object: { client: [...], server: [...] (saslkit/server),
                         saslkitServer: [...] (what "saslkit server" offers), channelBindings: [...] }
  -h, --help             this text
`;

async function run(argv: readonly string[], io: CommandIO): Promise<number> {
  const values = parseOptions(argv, OPTIONS);
  if (values.help === true) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const client = [...CLIENT_MECHANISMS];
  const saslkitServer = serverMechanismNames();
  // saslkit/server has these too; `saslkit server` does not offer them (they need a
  // plaintext password store or a token verifier the command has no option for).
  const server = [...saslkitServer, ...LIBRARY_ONLY_SERVER.filter((n) => !saslkitServer.includes(n))];
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ client, server, saslkitServer, channelBindings: CHANNEL_BINDINGS })}\n`);
    return EXIT.ok;
  }
  const names = [...client, ...server.filter((n) => !client.includes(n))];
  const width = Math.max(...names.map((n) => n.length)) + 2;
  for (const name of names) {
    const sides = [client.includes(name) ? 'client' : '', server.includes(name) ? 'server' : ''].filter((x) => x !== '').join(' ');
    const note = server.includes(name) && !saslkitServer.includes(name) ? '  (library only: saslkit server does not offer it)' : '';
    io.stdout.write(`${name.padEnd(width)}${sides}${note}\n`);
  }
  io.stdout.write(`channel bindings (-PLUS): ${CHANNEL_BINDINGS.join(' ')}\n`);
  return EXIT.ok;
}

/** The `mechanisms` command. */
export const mechanismsCommand: Command = {
  name: 'mechanisms',
  summary: 'list the SASL mechanisms this build supports, client and server',
  usage: USAGE,
  run,
};
