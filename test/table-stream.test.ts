/**
 * The streaming of exports (src/http/table-stream.ts) over a real socket, with pages from a generator that counts
 * what it was asked for: a slow client holds the reading back (backpressure), a client that goes away stops it
 * (the pages are returned), a failure after the file started breaks the download (never a file that looks
 * complete), a failure on the first page is a JSON error. The database side of exports is test/exports.test.ts;
 * here the page source is the thing observed, so it is a generator.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { sendTable, type Column, type TableFormat } from '../src/http/table-stream.js';

interface Row {
  n: number;
  text: string;
}
const COLUMNS: Column<Row>[] = [
  { vi: 'Số', en: 'No', width: 8, value: (r) => r.n },
  { vi: 'Chữ', en: 'Text', width: 40, value: (r) => r.text },
  { vi: 'Ngày', en: 'Date', width: 12, date: true, value: () => '2026-01-31' },
];
const PAGE = 1000;

/** Pages of rows, counting those read, noting whether the consumer returned it; `failAfter` pages, then an error. */
function source(opts: { pages: number; failAfter?: number }) {
  const state = { read: 0, returned: false };
  async function* pages() {
    try {
      for (let i = 0; i < opts.pages; i++) {
        if (opts.failAfter !== undefined && i >= opts.failAfter) throw new Error('database connection lost');
        state.read++;
        await new Promise((r) => setImmediate(r));
        // Random text: the zip cannot shrink it much, so a few MB of socket buffers hold a few dozen pages.
        yield Array.from({ length: PAGE }, (_, j) => ({ n: i * PAGE + j, text: `hàng ${i}-${j} ${randomBytes(20).toString('hex')}` }));
      }
    } finally {
      state.returned = true;
    }
  }
  return { state, pages: pages() };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(format: TableFormat, src: ReturnType<typeof source>): Promise<string> {
  app = Fastify();
  app.get('/file', (request, reply) =>
    sendTable(request, reply, { format, lang: 'vi', fileName: 'f', sheet: { vi: 'Trang', en: 'Sheet' }, columns: COLUMNS, pages: src.pages }),
  );
  // A Unix socket: its kernel buffers are a few hundred kB, where loopback TCP grows to tens of MB, which would
  // hide what the server itself holds back.
  const socketPath = path.join(os.tmpdir(), `an-sinh-table-${process.pid}-${sockets++}.sock`);
  await app.listen({ path: socketPath });
  return socketPath;
}
let sockets = 0;

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

/** The whole response: status, bytes, and whether it ended properly or was cut. */
function fetchAll(url: string): Promise<{ status: number; body: Buffer; complete: boolean }> {
  return new Promise((resolve) => {
    http.get({ socketPath: url, path: '/file' }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const done = (complete: boolean) => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), complete });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        done(res.complete);
      });
      res.on('aborted', () => {
        done(false);
      });
      res.on('error', () => {
        done(false);
      });
      res.on('close', () => {
        done(res.complete);
      });
    });
  });
}

describe.each(['csv', 'xlsx'] as const)('streaming %s', (format) => {
  it('a client that stops reading holds the reading back; one that goes away stops it', async () => {
    const src = source({ pages: 500 });
    const url = await serve(format, src);
    const seen: number[] = [];
    await new Promise<void>((resolve) => {
      const req = http.get({ socketPath: url, path: '/file' }, (res) => {
        res.once('data', () => {
          // Reading no more: the server fills the sockets' buffers (the kernel's, a few MB on loopback), then waits.
          res.pause();
          void (async () => {
            // Sampled until two readings 400 ms apart agree (the buffers are full) or 8 s have passed.
            let before = -1;
            for (let i = 0; i < 20 && before !== src.state.read; i++) {
              before = src.state.read;
              await new Promise((r) => setTimeout(r, 400));
            }
            seen.push(before, src.state.read, src.state.returned ? 1 : 0);
            req.destroy();
            resolve();
          })();
        });
      });
      req.on('error', () => undefined);
    });
    const [early = 0, late, returnedWhilePaused] = seen;
    // Stalled, far short of the table, and still open while the client was merely slow.
    expect(late).toBe(early);
    expect(early).toBeLessThan(100);
    expect(returnedWhilePaused).toBe(0);
    // Gone: the pages are returned once the server sees the socket closed (what it wrote in between went into the
    // closing socket), far short of the table, and none are read after.
    await until(() => src.state.returned);
    expect(src.state.returned).toBe(true);
    const atClose = src.state.read;
    expect(atClose).toBeLessThan(150);
    await new Promise((r) => setTimeout(r, 300));
    expect(src.state.read).toBe(atClose);
  });

  it('a failure after the file started cuts the download instead of ending it', async () => {
    const src = source({ pages: 50, failAfter: 20 });
    const res = await fetchAll(await serve(format, src));
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    expect(src.state.returned).toBe(true);
  });

  it('a failure on the first page is an error answer, not a file', async () => {
    const src = source({ pages: 5, failAfter: 0 });
    const res = await fetchAll(await serve(format, src));
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ statusCode: 500 });
  });

  it('a complete file ends properly and holds every row', async () => {
    const src = source({ pages: 3 });
    const res = await fetchAll(await serve(format, src));
    expect(res.complete).toBe(true);
    if (format === 'csv') {
      const lines = res.body.toString('utf8').trimEnd().split('\r\n');
      expect(lines[0]).toBe('\uFEFFSố,Chữ,Ngày');
      expect(lines).toHaveLength(1 + 3 * PAGE);
      expect(lines[1]).toMatch(/^0,hàng 0-0 [0-9a-f]{40},31\/01\/2026$/);
    } else {
      expect(res.body.subarray(0, 2).toString('latin1')).toBe('PK');
    }
  });
});
