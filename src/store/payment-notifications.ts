/**
 * Payment changes across nodes (PostgreSQL only): the landing page and the app are pushed updates
 * (server-sent events) by the node that holds the browser's connection, whichever node changed
 * the payment. Each change this node emits is also sent with `pg_notify` on one channel; one
 * dedicated connection per node LISTENs and hands the other nodes' changes to the local
 * `PaymentEvents`, as if they had happened here.
 *
 * Why LISTEN/NOTIFY and not a poll: a notification arrives in about a millisecond after the
 * change's COMMIT and costs nothing while nothing changes; a poll of `payments.updated_at` would
 * trade its interval for load on every node. NOTIFY is delivered only to sessions listening at
 * that moment: a node that loses its listening connection reconnects (after LISTEN_RETRY_MS) and
 * misses what happened in between; the pages read the payment's state again when their event
 * stream reconnects, so they catch up.
 *
 * On SQLite (one node) nothing of this runs.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { PaymentChanged } from '../domain/payment-changed.js';
import type { Database } from './schema.js';

/** The channel of payment changes. Notifications are per database, so each schema gets its own. */
export const PAYMENT_CHANNEL = 'vipps_psp_payment_changed';
/** Wait before the listening connection is opened again after it failed. */
export const LISTEN_RETRY_MS = 1_000;

interface Envelope extends PaymentChanged {
  /** The node that made the change (it has delivered it locally already). */
  readonly node: string;
  /** The schema of the sender: nodes on other schemas of the same database ignore it. */
  readonly schema: string;
}

export interface PaymentNotifications {
  /** Sends a change of this node to the other nodes (fire and forget; failures are logged). */
  publish(change: PaymentChanged): void;
  close(): Promise<void>;
}

export async function startPaymentNotifications(options: {
  databaseUrl: string;
  /** Where the other nodes' changes go (the local PaymentEvents, without publishing them again). */
  deliver: (change: PaymentChanged) => void;
  /** The store's database, for the NOTIFY statements. */
  db: Kysely<Database>;
  log: { warn(obj: object, msg: string): void };
}): Promise<PaymentNotifications> {
  const { databaseUrl, deliver, db, log } = options;
  // Tells this process's own notifications apart (it has delivered them locally already).
  const nodeId = randomUUID();
  const schema = (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema ?? 'public';
  let listener: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const onNotification = (message: pg.Notification) => {
    if (message.channel !== PAYMENT_CHANNEL || !message.payload) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message.payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.node === nodeId || envelope.schema !== schema) return;
    deliver({ paymentId: envelope.paymentId, state: envelope.state, userPhone: envelope.userPhone });
  };

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('notification', onNotification);
    client.on('error', (error) => {
      if (closed) return;
      log.warn({ err: error }, 'payment notifications: the listening connection failed; reconnecting');
      listener = null;
      void client.end().catch(() => {});
      retry = setTimeout(() => void listen().catch(() => {}), LISTEN_RETRY_MS);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PAYMENT_CHANNEL}`);
      listener = client;
    } catch (error) {
      void client.end().catch(() => {});
      if (closed) return;
      log.warn({ err: error }, 'payment notifications: cannot listen; retrying');
      retry = setTimeout(() => void listen().catch(() => {}), LISTEN_RETRY_MS);
    }
  };
  await listen();

  return {
    publish(change) {
      const envelope: Envelope = { ...change, node: nodeId, schema };
      sql`select pg_notify(${PAYMENT_CHANNEL}, ${JSON.stringify(envelope)})`.execute(db).catch((error) => {
        if (!closed) log.warn({ err: error, paymentId: change.paymentId }, 'payment notifications: NOTIFY failed');
      });
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await listener?.end().catch(() => {});
    },
  };
}
