/**
 * LISTEN on a PostgreSQL server over a dedicated connection (not one of the pool's: a pooled connection
 * goes back to the pool and stops hearing). When the connection is lost it reconnects with a growing delay,
 * and calls back once it is back, since notifications sent meanwhile are lost: the caller reloads anyway.
 */
import pg from 'pg';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;

export type Unlisten = () => Promise<void>;

export async function listenOnServer(connectionString: string, channel: string, onNotify: (payload: string | undefined) => void): Promise<Unlisten> {
  let client: pg.Client | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = FIRST_DELAY_MS;

  const lost = (c: pg.Client) => {
    if (client !== c) return;
    client = undefined;
    scheduleReconnect();
  };

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString });
    // An 'error' event without a listener would crash the process: a lost connection is expected here.
    c.on('error', () => {
      lost(c);
    });
    c.on('end', () => {
      lost(c);
    });
    c.on('notification', (n) => {
      if (n.channel === channel) onNotify(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
      throw err;
    }
    if (stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    delay = FIRST_DELAY_MS;
  }

  function scheduleReconnect() {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().then(
        () => {
          if (!stopped) onNotify(undefined);
        },
        () => {
          delay = Math.min(delay * 2, MAX_DELAY_MS);
          scheduleReconnect();
        },
      );
    }, delay);
    // A pending reconnect never keeps the process alive on its own.
    timer.unref();
  }

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };
}
