/**
 * In-process notifications of payment changes: the simulated app's push and the landing page's
 * live status subscribe here (server-sent events), so no page has to poll the database.
 */
import { EventEmitter } from 'node:events';
import type { PaymentChanged } from './domain/payment-changed.js';

export type { PaymentChanged };

export class PaymentEvents {
  private readonly emitter = new EventEmitter();
  /** Sends this node's changes to the other nodes (PostgreSQL: store/payment-notifications.ts). */
  private relay: ((change: PaymentChanged) => void) | null = null;
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  /** A change made by this node: to the local subscribers and to the other nodes. */
  emit(change: PaymentChanged): void {
    this.emitter.emit('changed', change);
    this.relay?.(change);
  }
  /** A change made by another node: to the local subscribers only. */
  deliverFromOtherNode(change: PaymentChanged): void {
    this.emitter.emit('changed', change);
  }
  relayTo(relay: (change: PaymentChanged) => void): void {
    this.relay = relay;
  }
  subscribe(listener: (change: PaymentChanged) => void): () => void {
    this.emitter.on('changed', listener);
    return () => this.emitter.off('changed', listener);
  }
}
