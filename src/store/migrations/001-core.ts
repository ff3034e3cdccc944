import type { Kysely, Migration } from 'kysely';

/** The core tables: keys, PSPs, sales units, test users and cards, payments, idempotency keys. */
export const m001_core: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('private_jwk', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('psps')
      .addColumn('psp_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull().unique())
      .addColumn('client_secret_sha256', 'text', (c) => c.notNull())
      .addColumn('subscription_key_sha256', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('merchants')
      .addColumn('merchant_serial_number', 'text', (c) => c.primaryKey())
      .addColumn('psp_id', 'text', (c) => c.notNull().references('psps.psp_id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('company_name', 'text', (c) => c.notNull())
      .addColumn('organization_number', 'text', (c) => c.notNull())
      .addColumn('company_email', 'text')
      .addColumn('email', 'text')
      .addColumn('website', 'text')
      .addColumn('mcc_code', 'text')
      .addColumn('logo', 'text')
      .addColumn('address_json', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('skip_landing_page', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('terms_of_service_accepted', 'integer')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('merchants_psp').on('merchants').column('psp_id').execute();

    await db.schema
      .createTable('users')
      .addColumn('phone_number', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('birth_date', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('cards')
      .addColumn('card_id', 'text', (c) => c.primaryKey())
      .addColumn('phone_number', 'text', (c) => c.notNull().references('users.phone_number'))
      .addColumn('brand', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('bin', 'text', (c) => c.notNull())
      .addColumn('last4', 'text', (c) => c.notNull())
      .addColumn('expiry_month', 'text', (c) => c.notNull())
      .addColumn('expiry_year', 'text', (c) => c.notNull())
      .addColumn('token_eligible', 'integer', (c) => c.notNull())
      .addColumn('is_default', 'integer', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('cards_user').on('cards').column('phone_number').execute();

    await db.schema
      .createTable('payments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('psp_id', 'text', (c) => c.notNull().references('psps.psp_id'))
      .addColumn('psp_transaction_id', 'text', (c) => c.notNull())
      .addColumn('merchant_serial_number', 'text', (c) => c.notNull())
      .addColumn('merchant_order_id', 'text', (c) => c.notNull())
      .addColumn('amount_ore', 'integer', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('customer_mobile_number', 'text')
      .addColumn('psp_redirect_url', 'text', (c) => c.notNull())
      .addColumn('make_payment_url', 'text', (c) => c.notNull())
      .addColumn('make_payment_token_sealed', 'text')
      .addColumn('payment_text', 'text')
      .addColumn('is_app', 'integer', (c) => c.notNull())
      .addColumn('skip_landing_page', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('due_at', 'text')
      .addColumn('link_expires_at', 'text', (c) => c.notNull())
      .addColumn('user_phone', 'text')
      .addColumn('card_id', 'text')
      .addColumn('failure_reason', 'text')
      .addColumn('psp_error_id', 'text')
      .addColumn('psp_error_text', 'text')
      .addColumn('user_message', 'text')
      .addColumn('url_3d_secure', 'text')
      .addColumn('reserved_ore', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('captured_ore', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('refunded_ore', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cancelled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reserved_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('payments_psp_txn', ['psp_id', 'psp_transaction_id'])
      .addUniqueConstraint('payments_msn_order', ['merchant_serial_number', 'merchant_order_id'])
      .execute();
    await db.schema.createIndex('payments_due').on('payments').column('due_at').execute();
    await db.schema.createIndex('payments_user').on('payments').columns(['user_phone', 'created_at']).execute();

    await db.schema
      .createTable('payment_log')
      .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('operation', 'text', (c) => c.notNull())
      .addColumn('amount_ore', 'integer', (c) => c.notNull())
      .addColumn('payment_text', 'text')
      .addColumn('success', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('payment_log_pk', ['payment_id', 'seq'])
      .execute();

    await db.schema
      .createTable('payment_events')
      .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('detail_json', 'text')
      .addPrimaryKeyConstraint('payment_events_pk', ['payment_id', 'seq'])
      .execute();

    await db.schema
      .createTable('idempotency_keys')
      .addColumn('psp_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('request_sha256', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer', (c) => c.notNull())
      .addColumn('response_body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['psp_id', 'scope', 'idempotency_key'])
      .execute();
    await db.schema.createIndex('idempotency_expiry').on('idempotency_keys').column('expires_at').execute();
  },
};
