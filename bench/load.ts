// saslkit load benchmark (issue 7): N concurrent clients for S seconds per
// protocol against the Node IMAP, SMTP and XMPP servers at their defaults,
// mixing good logins with faults. Not a timed test: it prints what happened.
//
// Usage: npm run load                          (64 clients, 60 s per protocol)
//        npm run load -- --seconds 10 --clients 32 --protocols xmpp,imap
//
// Each server runs in a child process of its own (same file, `--child`), so
// its RSS and descriptors are measured apart from the clients'. Everything is
// over loopback (127.0.0.1) and the run stops by itself: after the S seconds
// no new connections are opened, the slow peers are waited for until the
// server drops them (bounded by its read deadline plus a margin), and the
// child is stopped.
//
// The client mix, by share of N:
//   good       SCRAM-SHA-256 logins with the library's clients (latency = connect → authenticated → server closed)
//   wrongpass  wrong passwords (kept apart from good logins: a throttle may slow them)
//   garbage    random bytes and lines
//   bigline    a 1 MB line without end
//   reset      start an exchange, read the challenge, reset the connection (RST)
//   slowloris  a partial command, 1 byte per second
//   silent     start an exchange, read the challenge, then say nothing
//   nonreader  pipeline commands and never read the replies
// Every client keeps at most one connection open; fault clients wait 20 ms
// between connections, good clients wait for the server's close.
//
// Good clients connect from 127.0.0.1 and every fault client from an address
// of its own in 127.0.0.0/8 (127.0.1.x), as attackers and the users they
// lock out are apart on a real network: the servers run with their default
// login throttle, which slows and then refuses an address that keeps
// failing, and must not refuse the good users while it does.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { SCRAM } from '../src/index.js';
import { MemoryCredentialStore, PLAINServer, SASLServer, scramServerMechanisms } from '../src/server/index.js';
import { ImapClientSession, connectSmtp, connectXmpp, startImapServer, startSmtpServer, startXmppServer, type RunningServer } from '../src/node/index.js';

type Protocol = 'imap' | 'smtp' | 'xmpp';
const PROTOCOLS: readonly Protocol[] = ['imap', 'smtp', 'xmpp'];

/** The servers' default deadlines, in seconds (see docs/server.md). */
const READ_DEADLINE_S = 60;
const WRITE_DEADLINE_S = 30;
/** How long past its deadline a slow peer is waited for before it is reported as never dropped. */
const SLOW_MARGIN_S = 15;

// ---------------------------------------------------------------- child ----

interface Stats {
  readonly rss: number;
  readonly peakRss: number;
  readonly fds: number;
  readonly connections: number;
  readonly unhandled: number;
  readonly sessionErrors: number;
}

function countFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

async function child(protocol: Protocol): Promise<void> {
  let unhandled = 0;
  let sessionErrors = 0;
  process.on('uncaughtException', (err) => {
    unhandled++;
    process.stderr.write(`uncaught: ${err.stack ?? String(err)}\n`);
  });
  process.on('unhandledRejection', (err) => {
    unhandled++;
    process.stderr.write(`unhandled rejection: ${String(err)}\n`);
  });
  const credentials = new MemoryCredentialStore();
  await credentials.addUser('user', 'pencil', { hashes: ['SHA-256'] });
  const sasl = new SASLServer({ mechanisms: [...scramServerMechanisms({ hashes: ['SHA-256'] }), new PLAINServer()], credentials, secret: new Uint8Array(32).fill(7) });
  const onError = (): void => void sessionErrors++;
  // The library's defaults: no maxConnections, timeouts or limits given.
  let server: RunningServer;
  if (protocol === 'imap') server = await startImapServer({ sasl, onError });
  else if (protocol === 'smtp') server = await startSmtpServer({ sasl, onError });
  else server = await startXmppServer({ sasl, domain: 'localhost' });
  let peakRss = process.memoryUsage().rss;
  setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100).unref();
  const stats = (): Stats => {
    const rss = process.memoryUsage().rss;
    peakRss = Math.max(peakRss, rss);
    return { rss, peakRss, fds: countFds(), connections: server.connections, unhandled, sessionErrors };
  };
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') process.send!({ type: 'stats', stats: stats() });
    if (m.type === 'stop') void server.close().then(() => process.exit(0));
  });
  process.send!({ type: 'ready', port: server.port, stats: stats() });
}

// --------------------------------------------------------------- parent ----

interface Options {
  readonly clients: number;
  readonly seconds: number;
  readonly protocols: readonly Protocol[];
}

function parseArgs(argv: readonly string[]): Options {
  let clients = 64;
  let seconds = 60;
  let protocols: readonly Protocol[] = PROTOCOLS;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--clients') clients = Number(value());
    else if (a === '--seconds') seconds = Number(value());
    else if (a === '--protocols') protocols = value().split(',') as Protocol[];
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run load -- [--clients N (64)] [--seconds S per protocol (60)] [--protocols imap,smtp,xmpp]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isSafeInteger(clients) || clients < 8) throw new Error('--clients must be an integer >= 8');
  if (!(seconds > 0)) throw new Error('--seconds must be positive');
  for (const p of protocols) if (!PROTOCOLS.includes(p)) throw new Error(`unknown protocol ${p}`);
  return { clients, seconds, protocols };
}

type Kind = 'good' | 'wrongpass' | 'garbage' | 'bigline' | 'reset' | 'slowloris' | 'silent' | 'nonreader';
const SHARES: Readonly<Record<Kind, number>> = { good: 32, wrongpass: 6, garbage: 4, bigline: 4, reset: 6, slowloris: 4, silent: 4, nonreader: 4 };
const SLOW: readonly Kind[] = ['slowloris', 'silent', 'nonreader'];

function mix(n: number): Kind[] {
  const kinds = Object.keys(SHARES) as Kind[];
  const out: Kind[] = [];
  for (const k of kinds) for (let i = 0; i < Math.max(1, Math.round((SHARES[k] * n) / 64)); i++) out.push(k);
  while (out.length > n) out.splice(out.indexOf('good'), 1);
  while (out.length < n) out.push('good');
  return out;
}

interface Tally {
  goodAttempted: number;
  goodSucceeded: number;
  goodFailures: Map<string, number>;
  latencies: number[];
  faults: Map<Kind, number>;
  /** Per slow kind: seconds from connect to the server's drop. */
  dropped: Map<Kind, number[]>;
  /** Slow peers still connected when the wait ended. */
  notDropped: Map<Kind, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw loopback socket; resolves once connected. */
function rawConnect(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when `s` closes or after `ms`; true if it closed. */
function closedWithin(s: net.Socket, ms: number): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Collects text until `pattern` matches; resolves false on close or after `ms`. */
function readUntil(s: net.Socket, pattern: RegExp, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    const done = (v: boolean): void => {
      clearTimeout(t);
      s.off('data', onData);
      s.off('close', onClose);
      resolve(v);
    };
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (pattern.test(text)) done(true);
    };
    const onClose = (): void => done(false);
    const t = setTimeout(() => done(false), ms);
    s.on('data', onData);
    s.once('close', onClose);
  });
}

const XMPP_HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
const SASL_NS = 'urn:ietf:params:xml:ns:xmpp-sasl';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Open a raw session up to where commands can be sent. */
async function rawSession(protocol: Protocol, port: number, localAddress: string): Promise<net.Socket> {
  const s = await rawConnect(port, localAddress);
  if (protocol === 'xmpp') {
    s.write(XMPP_HEADER);
    await readUntil(s, /<\/stream:features>/, 10_000);
  } else if (protocol === 'smtp') {
    await readUntil(s, /^220 /m, 10_000);
    s.write('EHLO load.test\r\n');
    await readUntil(s, /^250 /m, 10_000);
  } else {
    await readUntil(s, /^\* OK/m, 10_000);
  }
  return s;
}

/** Start a SCRAM exchange and read the challenge. */
async function halfExchange(protocol: Protocol, s: net.Socket): Promise<void> {
  const first = b64(`n,,n=user,r=${randomBytes(12).toString('base64')}`);
  if (protocol === 'xmpp') s.write(`<auth xmlns='${SASL_NS}' mechanism='SCRAM-SHA-256'>${first}</auth>`);
  else if (protocol === 'smtp') s.write(`AUTH SCRAM-SHA-256 ${first}\r\n`);
  else s.write(`a AUTHENTICATE SCRAM-SHA-256 ${first}\r\n`);
  await readUntil(s, protocol === 'xmpp' ? /<challenge/ : protocol === 'smtp' ? /^334 /m : /^\+ /m, 10_000);
}

async function goodLogin(protocol: Protocol, port: number, password: string, localAddress = '127.0.0.1'): Promise<void> {
  const mechanisms = [new SCRAM(() => ['user', password], { hashes: ['SHA-256'] })];
  const common = { host: '127.0.0.1', port, security: 'none' as const, localAddress };
  let socket: net.Socket;
  if (protocol === 'imap') {
    const session = await ImapClientSession.connect(common);
    socket = session.transport.socket;
    try {
      await session.authenticate(mechanisms);
      await session.logout();
    } finally {
      session.transport.close();
    }
  } else if (protocol === 'smtp') {
    const connection = await connectSmtp(common);
    socket = connection.transport.socket;
    try {
      await connection.authenticate(mechanisms);
      await connection.quit();
    } finally {
      connection.close();
    }
  } else {
    const connection = await connectXmpp({ ...common, domain: 'localhost' });
    socket = connection.transport.socket;
    try {
      await connection.authenticate(mechanisms);
    } finally {
      connection.close();
    }
  }
  // A polite client: the next connection once this one is gone.
  await closedWithin(socket, 3000);
}

async function fault(kind: Kind, protocol: Protocol, port: number, tally: Tally, localAddress: string): Promise<void> {
  if (kind === 'wrongpass') {
    await goodLogin(protocol, port, 'wrong-password', localAddress).catch(() => undefined);
    tally.faults.set(kind, (tally.faults.get(kind) ?? 0) + 1);
    return;
  }
  const s = await rawSession(protocol, port, localAddress);
  const t0 = Date.now();
  const slowDrop = async (): Promise<void> => {
    // Every slow peer must be gone by the read deadline (the longest one
    // that applies to it); wait that long plus a margin, then report it.
    if (await closedWithin(s, 1000 * (READ_DEADLINE_S + SLOW_MARGIN_S))) {
      const list = tally.dropped.get(kind) ?? [];
      list.push((Date.now() - t0) / 1000);
      tally.dropped.set(kind, list);
    } else {
      tally.notDropped.set(kind, (tally.notDropped.get(kind) ?? 0) + 1);
    }
  };
  try {
    switch (kind) {
      case 'garbage':
        for (let i = 0; i < 20 && !s.destroyed; i++) {
          s.write(i % 2 ? randomBytes(200) : `${randomBytes(30).toString('base64')}\r\n`);
          await sleep(10);
        }
        await closedWithin(s, 2000);
        break;
      case 'bigline':
        s.write(Buffer.alloc(1024 * 1024, protocol === 'xmpp' ? 'a' : 'A'));
        await closedWithin(s, 5000);
        break;
      case 'reset':
        await halfExchange(protocol, s);
        s.resetAndDestroy();
        break;
      case 'slowloris': {
        const partial = protocol === 'xmpp' ? `<auth xmlns='${SASL_NS}' mechanism='PLAIN'>AAAA` : protocol === 'smtp' ? 'NOOP and more' : 'a NOOP and more';
        let i = 0;
        const drip = setInterval(() => {
          if (s.writable) s.write(partial[i++ % partial.length]!);
        }, 1000);
        await slowDrop();
        clearInterval(drip);
        break;
      }
      case 'silent':
        await halfExchange(protocol, s);
        await slowDrop();
        break;
      case 'nonreader': {
        s.pause();
        const unit = protocol === 'xmpp' ? `<response xmlns='${SASL_NS}'/>` : protocol === 'smtp' ? `EHLO ${'d'.repeat(250)}\r\n` : `${'t'.repeat(16_000)} NOOP\r\n`;
        const pump = (): void => {
          while (s.writable && s.write(unit.repeat(50)));
          if (s.writable) s.once('drain', pump);
        };
        pump();
        await slowDrop();
        break;
      }
      default:
        break;
    }
  } finally {
    s.destroy();
  }
  tally.faults.set(kind, (tally.faults.get(kind) ?? 0) + 1);
}

async function runClient(kind: Kind, protocol: Protocol, port: number, until: number, tally: Tally, localAddress: string): Promise<void> {
  while (Date.now() < until) {
    if (kind === 'good') {
      tally.goodAttempted++;
      const t = performance.now();
      try {
        await goodLogin(protocol, port, 'pencil');
        tally.goodSucceeded++;
        tally.latencies.push(performance.now() - t);
      } catch (err) {
        const why = err instanceof Error ? err.message.slice(0, 60) : String(err);
        tally.goodFailures.set(why, (tally.goodFailures.get(why) ?? 0) + 1);
      }
    } else {
      await fault(kind, protocol, port, tally, localAddress).catch(() => undefined);
      await sleep(20);
    }
    // Slow peers connect once per run: their point is how long they last.
    if (SLOW.includes(kind)) break;
  }
}

interface ChildHandle {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly start: Stats;
  stats(): Promise<Stats>;
  exited: { code: number | null; signal: string | null } | null;
}

async function spawnServer(protocol: Protocol): Promise<ChildHandle> {
  const proc = fork(fileURLToPath(import.meta.url), ['--child', protocol], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle = await new Promise<ChildHandle>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`server child exited early (${code})`)));
    proc.once('message', (m: { type: string; port: number; stats: Stats }) => {
      const h: ChildHandle = {
        proc,
        port: m.port,
        start: m.stats,
        exited: null,
        stats: () =>
          new Promise<Stats>((res, rej) => {
            if (h.exited) {
              rej(new Error('server child exited'));
              return;
            }
            const fail = (): void => {
              clearTimeout(timer);
              proc.off('message', onMessage);
              rej(new Error('server child exited or did not answer'));
            };
            const onMessage = (r: { stats: Stats }): void => {
              clearTimeout(timer);
              proc.off('exit', fail);
              res(r.stats);
            };
            const timer = setTimeout(fail, 5000);
            proc.once('exit', fail);
            proc.once('message', onMessage);
            proc.send({ type: 'stats' });
          }),
      };
      resolve(h);
    });
  });
  proc.removeAllListeners('exit');
  proc.on('exit', (code, signal) => {
    handle.exited = { code, signal };
  });
  return handle;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;

async function runProtocol(protocol: Protocol, options: Options): Promise<string> {
  const server = await spawnServer(protocol);
  const tally: Tally = {
    goodAttempted: 0,
    goodSucceeded: 0,
    goodFailures: new Map(),
    latencies: [],
    faults: new Map(),
    dropped: new Map(),
    notDropped: new Map(),
  };
  const kinds = mix(options.clients);
  const t0 = Date.now();
  const until = t0 + options.seconds * 1000;
  process.stderr.write(`${protocol}: ${options.clients} clients for ${options.seconds} s (slow peers are then waited for until the server drops them)\n`);
  // Fault client i connects from 127.0.1.(i+1); good clients from 127.0.0.1.
  const clients = kinds.map((k, i) => runClient(k, protocol, server.port, until, tally, k === 'good' ? '127.0.0.1' : `127.0.1.${(i % 250) + 1}`));
  await Promise.all(clients);
  const leftAt = Date.now();
  // Back to baseline? Poll descriptors and counted connections for up to 10 s.
  let after: Stats = { ...server.start, fds: -1, connections: -1, unhandled: -1, sessionErrors: -1 };
  let settledMs = 0;
  try {
    while (Date.now() - leftAt < 10_000) {
      after = await server.stats();
      if (after.fds <= server.start.fds && after.connections === 0) break;
      await sleep(100);
    }
  } catch {
    // the child died: reported as a crash below
  }
  settledMs = Date.now() - leftAt;
  const crashed = server.exited !== null;
  if (!crashed) server.proc.send({ type: 'stop' });
  await new Promise((r) => {
    if (server.exited) {
      r(undefined);
      return;
    }
    const t = setTimeout(() => {
      server.proc.kill();
      r(undefined);
    }, 5000);
    server.proc.once('exit', () => {
      clearTimeout(t);
      r(undefined);
    });
  });

  const lat = [...tally.latencies].sort((a, b) => a - b);
  const pct = tally.goodAttempted ? ((100 * tally.goodSucceeded) / tally.goodAttempted).toFixed(2) : '–';
  const slowLines = SLOW.map((k) => {
    const d = tally.dropped.get(k) ?? [];
    const n = kinds.filter((x) => x === k).length;
    const deadline = k === 'nonreader' ? `write ${WRITE_DEADLINE_S} s or command bound` : `read ${READ_DEADLINE_S} s`;
    const range = d.length ? `after ${Math.min(...d).toFixed(1)}–${Math.max(...d).toFixed(1)} s` : '';
    return `| ${k} dropped (deadline: ${deadline}) | ${d.length}/${n} ${range}${tally.notDropped.get(k) ? `, **${tally.notDropped.get(k)} never**` : ''} |`;
  });
  const failures = [...tally.goodFailures].map(([why, n]) => `${n}× ${why}`).join('; ');
  return [
    `### ${protocol.toUpperCase()}: ${options.clients} clients, ${options.seconds} s, server defaults`,
    '',
    '| measure | value |',
    '|---|---|',
    `| good logins succeeded / attempted | ${tally.goodSucceeded} / ${tally.goodAttempted} (${pct} %)${failures ? ` — failures: ${failures}` : ''} |`,
    `| good login latency p50 / p99 | ${percentile(lat, 50).toFixed(1)} ms / ${percentile(lat, 99).toFixed(1)} ms |`,
    `| fault connections (wrongpass/garbage/bigline/reset) | ${(['wrongpass', 'garbage', 'bigline', 'reset'] as Kind[]).map((k) => tally.faults.get(k) ?? 0).join(' / ')} |`,
    `| crashes | ${crashed ? `1 (${JSON.stringify(server.exited)})` : 0} |`,
    `| unhandled errors (process) / session onError | ${after.unhandled} / ${after.sessionErrors} |`,
    `| RSS start / peak / end | ${mb(server.start.rss)} / ${mb(after.peakRss)} / ${mb(after.rss)} (peak ${(after.peakRss / server.start.rss).toFixed(2)}x start) |`,
    `| descriptors start / after all clients left | ${server.start.fds} / ${after.fds} (${settledMs} ms after the last client) |`,
    `| counted connections after all clients left | ${after.connections} |`,
    ...slowLines,
    `| wall time | ${((Date.now() - t0) / 1000).toFixed(0)} s |`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt >= 0) {
    await child(process.argv[childAt + 1] as Protocol);
    return;
  }
  const options = parseArgs(process.argv.slice(2));
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`load (client side) unhandled rejection: ${String(err)}\n`);
  });
  for (const p of options.protocols) process.stdout.write(`${await runProtocol(p, options)}\n`);
}

await main();
