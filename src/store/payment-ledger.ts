/**
 * The money columns of a payment (captured_ore, refunded_ore, cancelled) and its PSP-visible log,
 * as the status batch job writes them (docs/status-updates.md). The ledger write is conditional
 * and its SQL carries the money rules (GUIDE practice 2); it says which payments it could not
 * write, so the caller can treat that as the bug it is.
 *
 * This is the job's hot path (≥ 50 000 items/s): loads, ledger writes and log entries go 500 rows
 * per statement, and a full chunk's statement is compiled once (see ChunkStatements).
 */
import assert from 'node:assert/strict';
import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import type { Ore } from '../domain/money.js';
import type { LogOperation } from '../domain/payment.js';
import type { PaymentState } from '../domain/payment-lifecycle.js';
import type { Ledger } from '../domain/payment-money.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per statement: ids per `IN (…)` list, rows per multi-row INSERT or UPDATE (≤ 3 501 parameters). */
export const CHUNK = 500;

/**
 * Multi-row statements, compiled once. Kysely takes 1–3 µs per row to build and compile a
 * 500-row statement — more than SQLite takes to run it — while its SQL text depends only on the
 * row count. So a full chunk's statement is compiled once, by the database's own dialect (its
 * placeholders and quoting), checked to take exactly the parameters given, in that order, and
 * then run with each chunk's parameters. Partial chunks are compiled each time (their texts
 * would fill memory for little gain). `build` must give the same SQL for every full chunk: only
 * the row count may shape it, never the values.
 */
export class ChunkStatements {
  private readonly texts = new Map<string, string>();
  constructor(private readonly db: Kysely<Database>) {}

  query(name: string, rows: number, parameters: readonly unknown[], build: (db: Kysely<Database>) => CompiledQuery): CompiledQuery {
    if (rows !== CHUNK) return build(this.db);
    let text = this.texts.get(name);
    if (text === undefined) {
      const compiled = build(this.db);
      assert.deepEqual(compiled.parameters, parameters, `${name}: the parameters are not the compiled statement's`);
      text = compiled.sql;
      this.texts.set(name, text);
    }
    return CompiledQuery.raw(text, parameters as unknown[]);
  }
}

export interface PaymentLedger {
  readonly paymentId: string;
  readonly pspTransactionId: string;
  readonly ledger: Ledger;
  /** The last seq of the payment's log (0 when empty), for appending. */
  readonly lastLogSeq: number;
}

/** A payment whose ledger the job changed: as it was loaded, and as the rules left it. */
export interface LedgerChange {
  readonly paymentId: string;
  readonly before: Ledger;
  readonly after: Ledger;
}

export interface NewLogEntry {
  readonly paymentId: string;
  readonly operation: LogOperation;
  readonly amount: Ore;
  readonly paymentText: string | null;
  readonly success: boolean;
  readonly at: string;
}

interface LedgerRow {
  id: string;
  psp_transaction_id: string;
  state: string;
  reserved_ore: number;
  captured_ore: number;
  refunded_ore: number;
  cancelled: number;
  reserved_at: string | null;
  last_log_seq: number | null;
}

const bit = (b: boolean) => (b ? 1 : 0);

export class PaymentLedgerRepository {
  private readonly statements: ChunkStatements;
  constructor(db: Kysely<Database>) {
    this.statements = new ChunkStatements(db);
  }

  /**
   * Loads the ledgers (and last log seq) of one PSP's payments by pspTransactionId. A payment of
   * another PSP is not found, exactly like an unknown id.
   */
  async load(trx: Db, pspId: string, pspTransactionIds: readonly string[]): Promise<Map<string, PaymentLedger>> {
    const found = new Map<string, PaymentLedger>();
    for (let start = 0; start < pspTransactionIds.length; start += CHUNK) {
      const ids = pspTransactionIds.slice(start, start + CHUNK);
      const query = this.statements.query('load', ids.length, [pspId, ...ids], (db) =>
        db
          .selectFrom('payments')
          .select(['id', 'psp_transaction_id', 'state', 'reserved_ore', 'captured_ore', 'refunded_ore', 'cancelled', 'reserved_at'])
          .select((eb) =>
            eb
              .selectFrom('payment_log')
              .select((l) => l.fn.max('seq').as('seq'))
              .whereRef('payment_log.payment_id', '=', 'payments.id')
              .as('last_log_seq'),
          )
          .where('psp_id', '=', pspId)
          .where('psp_transaction_id', 'in', ids)
          .compile(),
      );
      const { rows } = await trx.executeQuery<LedgerRow>(query);
      for (const r of rows) {
        found.set(r.psp_transaction_id, {
          paymentId: r.id,
          pspTransactionId: r.psp_transaction_id,
          ledger: {
            state: r.state as PaymentState,
            reservedOre: r.reserved_ore,
            capturedOre: r.captured_ore,
            refundedOre: r.refunded_ore,
            cancelled: r.cancelled === 1,
            reservedAt: r.reserved_at,
          },
          lastLogSeq: Number(r.last_log_seq ?? 0),
        });
      }
    }
    return found;
  }

  /**
   * Writes the new ledgers of a batch's payments, 500 per statement, each row a conditional write:
   * it applies only if the payment is still reserved and still has the ledger the rules started
   * from (compare-and-set), and the SQL repeats the money rules, so no write can break them
   * whatever the caller computed: nothing decreases, a cancel is one-way and leaves something
   * uncaptured, nothing is captured after a cancel, captured ≤ reserved, refunded ≤ captured.
   * A row that is written holds exactly `after` (SET takes it as is). Answers the ids of the
   * payments whose guard failed (none, unless there is a bug or a second writer).
   */
  async write(trx: Db, changes: readonly LedgerChange[], nowIso: string): Promise<string[]> {
    const failed: string[] = [];
    for (let start = 0; start < changes.length; start += CHUNK) {
      const chunk = changes.slice(start, start + CHUNK);
      const rowOf = (c: LedgerChange) => [
        c.paymentId,
        c.before.capturedOre,
        c.before.refundedOre,
        bit(c.before.cancelled),
        c.after.capturedOre,
        c.after.refundedOre,
        bit(c.after.cancelled),
      ];
      // Built in place (no array per row): this runs for every chunk, `rowOf` only when compiling.
      const parameters: unknown[] = [nowIso];
      for (const c of chunk) {
        parameters.push(
          c.paymentId,
          c.before.capturedOre,
          c.before.refundedOre,
          bit(c.before.cancelled),
          c.after.capturedOre,
          c.after.refundedOre,
          bit(c.after.cancelled),
        );
      }
      const query = this.statements.query('write', chunk.length, parameters, (db) => {
        // The first row's casts type the VALUES columns (PostgreSQL would take bare parameters as text).
        const values = sql.join(
          chunk.map((c, i) => {
            const [id, ...numbers] = rowOf(c);
            return sql`(${id}, ${sql.join(numbers.map((n) => (i === 0 ? sql`CAST(${n} AS INTEGER)` : sql`${n}`)))})`;
          }),
        );
        // v.column1 = id; column2..4 = captured, refunded, cancelled as loaded; column5..7 = new.
        // The unary `+` keeps the planner from indexing v on the compare-and-set columns: it must
        // walk v and find each payment by its primary key (else SQLite scans payments: 500× slower).
        return sql`
          UPDATE payments
          SET captured_ore = v.column5, refunded_ore = v.column6, cancelled = v.column7, updated_at = ${nowIso}
          FROM (VALUES ${values}) AS v
          WHERE payments.id = v.column1 AND payments.state = 'RESERVED'
            AND +payments.captured_ore = +v.column2 AND +payments.refunded_ore = +v.column3 AND +payments.cancelled = +v.column4
            AND v.column5 >= v.column2 AND v.column6 >= v.column3 AND v.column7 >= v.column4
            AND v.column5 <= payments.reserved_ore AND v.column6 <= v.column5
            AND (v.column4 = 0 OR v.column5 = v.column2)
            AND (v.column7 = v.column4 OR v.column5 < payments.reserved_ore)`.compile(db);
      });
      const result = await trx.executeQuery(query);
      if (Number(result.numAffectedRows ?? 0) !== chunk.length) failed.push(...(await this.notWritten(trx, chunk)));
    }
    return failed;
  }

  /** The changes of a chunk whose payment does not hold `after` (the error path of `write`). */
  private async notWritten(trx: Db, chunk: readonly LedgerChange[]): Promise<string[]> {
    const rows = await trx
      .selectFrom('payments')
      .select(['id', 'captured_ore', 'refunded_ore', 'cancelled'])
      .where(
        'id',
        'in',
        chunk.map((c) => c.paymentId),
      )
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return chunk
      .filter((c) => {
        const r = byId.get(c.paymentId);
        return (
          !r || r.captured_ore !== c.after.capturedOre || r.refunded_ore !== c.after.refundedOre || r.cancelled !== bit(c.after.cancelled)
        );
      })
      .map((c) => c.paymentId);
  }

  /**
   * Appends entries to the PSP-visible log (details' transactionLogHistory), in order: the same
   * rows and numbering as `PaymentRepository.appendLog` (seq = the payment's last seq + 1), 500
   * entries per INSERT instead of two queries per entry. `lastSeq` is each payment's last seq as
   * loaded in this transaction.
   */
  async appendLog(trx: Db, entries: readonly NewLogEntry[], lastSeq: ReadonlyMap<string, number>): Promise<void> {
    const seqs = new Map(lastSeq);
    // The parameters are built in place (no object per row); the rows only when compiling.
    const parameters: unknown[] = [];
    for (const e of entries) {
      const seq = (seqs.get(e.paymentId) ?? 0) + 1;
      seqs.set(e.paymentId, seq);
      parameters.push(e.paymentId, seq, e.operation, e.amount, e.paymentText, bit(e.success), e.at);
    }
    const COLUMNS = 7;
    for (let start = 0; start < entries.length; start += CHUNK) {
      const rows = Math.min(CHUNK, entries.length - start);
      const chunk = parameters.slice(start * COLUMNS, (start + rows) * COLUMNS);
      await trx.executeQuery(
        this.statements.query('appendLog', rows, chunk, (db) => {
          const values = [];
          for (let i = 0; i < chunk.length; i += COLUMNS) {
            const [payment_id, seq, operation, amount_ore, payment_text, success, at] = chunk.slice(i, i + COLUMNS) as [
              string,
              number,
              LogOperation,
              number,
              string | null,
              number,
              string,
            ];
            values.push({ payment_id, seq, operation, amount_ore, payment_text, success, at });
          }
          return db.insertInto('payment_log').values(values).compile();
        }),
      );
    }
  }
}
