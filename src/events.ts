/**
 * In-process notifications of payment changes: the simulated app's push and the landing page's
 * live status subscribe here (server-sent events), so no page has to poll the database.
 */
import { EventEmitter } from 'node:events';
import type { PaymentState } from './domain/payment-lifecycle.js';

export interface PaymentChanged {
  readonly paymentId: string;
  readonly state: PaymentState;
  readonly userPhone: string | null;
}

export class PaymentEvents {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  emit(change: PaymentChanged): void {
    this.emitter.emit('changed', change);
  }
  subscribe(listener: (change: PaymentChanged) => void): () => void {
    this.emitter.on('changed', listener);
    return () => this.emitter.off('changed', listener);
  }
}
