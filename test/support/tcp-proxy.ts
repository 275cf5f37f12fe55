/**
 * A TCP proxy in front of the PostgreSQL server, so a test can take "the database" away and bring it
 * back without touching the shared server: cut() drops every connection and refuses new ones, restore()
 * listens again on the same port.
 */
import net from 'node:net';

export interface TcpProxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const makeServer = () =>
    net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  const listen = (server: net.Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const stop = (server: net.Server) =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => {
        resolve();
      });
    });
  let server = makeServer();
  const port = await listen(server, 0);
  let up = true;
  return {
    port,
    async cut() {
      if (!up) return;
      up = false;
      await stop(server);
    },
    async restore() {
      if (up) return;
      server = makeServer();
      await listen(server, port);
      up = true;
    },
    async close() {
      if (up) await stop(server);
      up = false;
    },
  };
}
