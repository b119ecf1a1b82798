// The Node line transports: StreamLineTransport (pipes), ChildProcessLineTransport
// (real child processes) and SocketLineTransport (loopback sockets), which
// share LineBuffer.
import { once } from 'node:events';
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildProcessLineTransport, SocketLineTransport, TransportError } from '../src/node/index.js';
import { StreamLineTransport } from '../src/node/transport/stream-line-transport.js';

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

describe('StreamLineTransport', () => {
  it('reads LF and CRLF lines across chunk boundaries, and keeps lines received before the end', async () => {
    const input = new PassThrough();
    const t = new StreamLineTransport(input, null, { readTimeoutMs: 2000 });
    input.write('one\r');
    input.write('\ntw');
    input.write('o\n\nthree\n');
    input.end('partial');
    expect(await t.readLine()).toBe('one');
    expect(await t.readLine()).toBe('two');
    expect(await t.readLine()).toBe('');
    expect(await t.readLine()).toBe('three');
    await expect(t.readLine()).rejects.toThrow(/stream ended by peer/);
    await expect(t.readLine()).rejects.toBeInstanceOf(TransportError);
  });

  it('writes LF-terminated lines by default, CRLF on request, and refuses CR/LF inside a line', async () => {
    const out1 = new PassThrough();
    const got1 = collect(out1);
    const t1 = new StreamLineTransport(new PassThrough(), out1);
    await t1.writeLine('abc');
    await t1.writeLine('');
    expect(got1()).toBe('abc\n\n');
    await expect(t1.writeLine('a\nb')).rejects.toBeInstanceOf(TransportError);

    const out2 = new PassThrough();
    const got2 = collect(out2);
    const t2 = new StreamLineTransport(new PassThrough(), out2, { lineTerminator: '\r\n' });
    await t2.writeLine('abc');
    expect(got2()).toBe('abc\r\n');
  });

  it('bounds line length, with or without a terminator in sight', async () => {
    const a = new PassThrough();
    const t = new StreamLineTransport(a, null, { maxLineLength: 8 });
    const pending = t.readLine();
    a.write('123456789');
    await expect(pending).rejects.toThrow(/longer than 8 bytes/);

    const b = new PassThrough();
    const u = new StreamLineTransport(b, null, { maxLineLength: 8 });
    b.write('ok\n0123456789abc\n');
    expect(await u.readLine()).toBe('ok');
    await expect(u.readLine()).rejects.toThrow(/longer than 8 bytes/);
  });

  it('times out a read, and the error is sticky', async () => {
    const t = new StreamLineTransport(new PassThrough(), null, { readTimeoutMs: 50 });
    await expect(t.readLine()).rejects.toThrow(/timed out after 50 ms/);
    await expect(t.readLine()).rejects.toThrow(/timed out/);
  });

  it('refuses a second concurrent read and writes on a read-only transport', async () => {
    const input = new PassThrough();
    const t = new StreamLineTransport(input, null, { readTimeoutMs: 1000 });
    const first = t.readLine();
    await expect(t.readLine()).rejects.toThrow(/concurrent reads/);
    await expect(t.writeLine('x')).rejects.toThrow(/read-only/);
    input.write('done\n');
    expect(await first).toBe('done');
  });

  it('close() ends the writable side (the peer sees end of input) and fails reads', async () => {
    const out = new PassThrough();
    const ended = once(out, 'finish');
    const t = new StreamLineTransport(new PassThrough(), out);
    t.close();
    await ended;
    await expect(t.readLine()).rejects.toThrow(/transport closed/);
    await expect(t.writeLine('late')).rejects.toBeInstanceOf(TransportError);
  });

  it('rejects invalid bounds', () => {
    expect(() => new StreamLineTransport(new PassThrough(), null, { readTimeoutMs: 0 })).toThrow(/positive/);
  });
});

describe('ChildProcessLineTransport', () => {
  const started: ChildProcessLineTransport[] = [];
  const spawn = (command: string, args: string[], stopGraceMs = 2000): ChildProcessLineTransport => {
    const c = ChildProcessLineTransport.spawn(command, args, { readTimeoutMs: 5000, stopGraceMs });
    started.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(started.map((c) => c.stop()));
  });

  it('talks to a child in lines (stdin/stdout) and reads its stderr separately', async () => {
    const script = 'let b="";process.stdin.on("data",d=>{b+=d;let i;while((i=b.indexOf("\\n"))>=0){const l=b.slice(0,i);b=b.slice(i+1);process.stdout.write("echo:"+l+"\\n");process.stderr.write("saw "+l.length+"\\n")}});';
    const c = spawn(process.execPath, ['-e', script]);
    await c.writeLine('hello');
    expect(await c.readLine()).toBe('echo:hello');
    expect(await c.diagnostics.readLine()).toBe('saw 5');
    await c.writeLine('');
    expect(await c.readLine()).toBe('echo:');
    const exit = await c.stop(); // end of input ends the child
    expect(exit).toMatchObject({ code: 0, signal: null, spawnError: null });
  });

  it('reports a child that exits: reads fail, writes fail without crashing (EPIPE)', async () => {
    const c = spawn(process.execPath, ['-e', 'process.stdout.write("bye\\n"); process.exit(3)']);
    expect(await c.readLine()).toBe('bye');
    await expect(c.readLine()).rejects.toBeInstanceOf(TransportError);
    expect((await c.exited).code).toBe(3);
    let writeError: unknown = null;
    for (let i = 0; i < 5 && writeError === null; i++) {
      await c.writeLine('x'.repeat(65536)).catch((err: unknown) => {
        writeError = err;
      });
    }
    expect(writeError).toBeInstanceOf(TransportError);
  });

  it('stop() kills a child that ignores end of input', async () => {
    const c = spawn(process.execPath, ['-e', 'process.stdin.resume(); process.stdin.on("end", () => {}); setInterval(() => {}, 1000)'], 200);
    const exit = await c.stop();
    expect(exit.signal).toBe('SIGKILL');
  });

  it('reports a command that cannot start', async () => {
    const c = spawn('/nonexistent/saslkit-no-such-program', []);
    const exit = await c.exited;
    expect(exit.code).toBeNull();
    expect(exit.spawnError).toBeInstanceOf(Error);
    await expect(c.writeLine('x')).rejects.toThrow(/could not start/);
    await expect(c.readLine()).rejects.toBeInstanceOf(TransportError);
  });
});

describe('SocketLineTransport (shares LineBuffer)', () => {
  async function pair(options = {}): Promise<{ client: SocketLineTransport; peer: net.Socket; close: () => Promise<void> }> {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const accepted = once(server, 'connection');
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const [peer] = (await accepted) as [net.Socket];
    return {
      client: new SocketLineTransport(socket, options),
      peer,
      close: async () => {
        peer.destroy();
        socket.destroy();
        server.close();
        await once(server, 'close');
      },
    };
  }

  it('reads CRLF lines, writes CRLF, and keeps buffered lines after the peer closed', async () => {
    const { client, peer, close } = await pair({ readTimeoutMs: 2000 });
    try {
      const got: Buffer[] = [];
      peer.on('data', (d: Buffer) => got.push(d));
      peer.end('a\r\nb\n');
      expect(await client.readLine()).toBe('a');
      expect(await client.readLine()).toBe('b');
      await expect(client.readLine()).rejects.toThrow(/closed by peer/);
    } finally {
      await close();
    }
  });

  it('times out and bounds lines', async () => {
    const { client, peer, close } = await pair({ readTimeoutMs: 50, maxLineLength: 4 });
    try {
      await expect(client.readLine()).rejects.toThrow(/timed out/);
    } finally {
      await close();
    }
    const second = await pair({ readTimeoutMs: 2000, maxLineLength: 4 });
    try {
      second.peer.write('toolong\n');
      await expect(second.client.readLine()).rejects.toThrow(/longer than 4 bytes/);
    } finally {
      await second.close();
    }
    void peer;
  });

  it('writes lines with CRLF', async () => {
    const { client, peer, close } = await pair();
    try {
      const data = once(peer, 'data');
      await client.writeLine('hello');
      expect(String((await data)[0])).toBe('hello\r\n');
    } finally {
      client.close();
      await close();
    }
  });

  it('writes LF-only lines for a peer that wants them (lineTerminator), and still reads both', async () => {
    const { client, peer, close } = await pair({ lineTerminator: '\n', readTimeoutMs: 2000 });
    try {
      const data = once(peer, 'data');
      await client.writeLine('hello');
      expect(String((await data)[0])).toBe('hello\n');
      peer.write('a\r\nb\n');
      expect(await client.readLine()).toBe('a');
      expect(await client.readLine()).toBe('b');
    } finally {
      client.close();
      await close();
    }
  });
});
