/**
 * What a change of a payment tells its live pages (events.ts in one process; on PostgreSQL also
 * sent to the other nodes, store/payment-notifications.ts).
 */
import type { PaymentState } from './payment-lifecycle.js';

export interface PaymentChanged {
  readonly paymentId: string;
  readonly state: PaymentState;
  readonly userPhone: string | null;
}
