/**
 * Injected faults (src/domain/faults.ts): rows in `faults`, per PSP. The table is the truth:
 * counts and the probability's draws are conditional writes, so two nodes never fire a
 * `count: 1` fault twice and draw one seeded sequence between them.
 *
 * The hot path asks `active(pspId)` on every PSP-facing request: that is served from memory, and
 * the memory is reloaded at once after a change made through this process and at most
 * `REFRESH_MS` after one made through another node (a stale read only delays a fault created
 * elsewhere by that much). With no faults, a request costs a map lookup.
 */
import type { Kysely } from 'kysely';
import type { Fault, FaultSpec } from '../domain/faults.js';
import { newRowId } from './ids.js';
import type { Database } from './schema.js';

export interface FaultsTable {
  id: string;
  psp_id: string;
  operation: string;
  kind: string;
  status: number | null;
  when_applied: string;
  delay_ms: number | null;
  delay_max_ms: number | null;
  retry_after_seconds: number | null;
  count: number | null;
  remaining: number | null;
  probability: number;
  seed: number;
  seen: number;
  fired: number;
  created_at: string;
}

export type FaultTables = { faults: FaultsTable };

const REFRESH_MS = 1000;

const toFault = (r: FaultsTable): Fault => ({
  id: r.id,
  pspId: r.psp_id,
  operation: r.operation as Fault['operation'],
  kind: r.kind as Fault['kind'],
  status: r.status as Fault['status'],
  when: r.when_applied as Fault['when'],
  delayMs: r.delay_ms,
  delayMaxMs: r.delay_max_ms,
  retryAfterSeconds: r.retry_after_seconds,
  count: r.count,
  remaining: r.remaining,
  probability: r.probability,
  seed: r.seed,
  seen: r.seen,
  fired: r.fired,
  createdAt: r.created_at,
});

/** The outcome of offering a matching request to a fault. */
export type FaultTrigger = { readonly fired: true; readonly n: number } | { readonly fired: false };

export class FaultRepository {
  private readonly db: Kysely<Database & FaultTables>;
  private byPsp = new Map<string, Fault[]>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<FaultTables>();
  }

  /** Reloads the memory from the table. */
  async reload(): Promise<void> {
    const rows = await this.db.selectFrom('faults').selectAll().orderBy('id').execute();
    const byPsp = new Map<string, Fault[]>();
    for (const r of rows) {
      const list = byPsp.get(r.psp_id) ?? [];
      list.push(toFault(r));
      byPsp.set(r.psp_id, list);
    }
    this.byPsp = byPsp;
    this.loadedAt = Date.now();
  }

  /** Whether any PSP has an active fault (as this process last read them). Synchronous. */
  any(): boolean {
    this.refreshIfStale();
    return this.byPsp.size > 0;
  }

  /** The PSP's active faults as this process last read them (oldest first). Synchronous. */
  active(pspId: string): readonly Fault[] {
    this.refreshIfStale();
    return this.byPsp.get(pspId) ?? [];
  }

  private refreshIfStale(): void {
    if (Date.now() - this.loadedAt > REFRESH_MS && !this.loading) {
      this.loading = this.reload()
        .catch(() => undefined)
        .finally(() => {
          this.loading = null;
        });
    }
  }

  async list(pspId?: string): Promise<Fault[]> {
    let q = this.db.selectFrom('faults').selectAll();
    if (pspId !== undefined) q = q.where('psp_id', '=', pspId);
    return (await q.orderBy('id').execute()).map(toFault);
  }

  async get(id: string, pspId: string): Promise<Fault | null> {
    const row = await this.db.selectFrom('faults').selectAll().where('id', '=', id).where('psp_id', '=', pspId).executeTakeFirst();
    return row ? toFault(row) : null;
  }

  async create(pspId: string, spec: FaultSpec, nowIso: string): Promise<Fault> {
    const row: FaultsTable = {
      id: newRowId(),
      psp_id: pspId,
      operation: spec.operation,
      kind: spec.kind,
      status: spec.status,
      when_applied: spec.when,
      delay_ms: spec.delayMs,
      delay_max_ms: spec.delayMaxMs,
      retry_after_seconds: spec.retryAfterSeconds,
      count: spec.count,
      remaining: spec.count,
      probability: spec.probability,
      seed: spec.seed,
      seen: 0,
      fired: 0,
      created_at: nowIso,
    };
    await this.db.insertInto('faults').values(row).execute();
    await this.reload();
    return toFault(row);
  }

  /** Deletes one fault of the PSP; false when there is none with this id (or it is another PSP's). */
  async delete(id: string, pspId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('faults').where('id', '=', id).where('psp_id', '=', pspId).executeTakeFirst();
    await this.reload();
    return Number(r.numDeletedRows) > 0;
  }

  /** Reset: every fault, or one PSP's. */
  async clear(pspId?: string): Promise<number> {
    let q = this.db.deleteFrom('faults');
    if (pspId !== undefined) q = q.where('psp_id', '=', pspId);
    const r = await q.executeTakeFirst();
    await this.reload();
    return Number(r.numDeletedRows);
  }

  /**
   * Offers one matching request to the fault: counts the draw, decides with the seeded sequence,
   * and takes one from the count, all as conditional writes. `n` is the firing's number (1, 2, …),
   * for a seeded latency. A fault whose count ran out is deleted.
   */
  async trigger(fault: Fault, decide: (seen: number) => boolean): Promise<FaultTrigger> {
    const result = await this.db.transaction().execute(async (trx): Promise<FaultTrigger> => {
      const seen = await trx
        .updateTable('faults')
        .set((eb) => ({ seen: eb('seen', '+', 1) }))
        .where('id', '=', fault.id)
        .executeTakeFirst();
      if (Number(seen.numUpdatedRows) === 0) return { fired: false }; // deleted meanwhile
      const row = await trx.selectFrom('faults').select(['seen', 'fired']).where('id', '=', fault.id).executeTakeFirstOrThrow();
      if (!decide(row.seen)) return { fired: false };
      const taken = await trx
        .updateTable('faults')
        .set((eb) => ({ fired: eb('fired', '+', 1), remaining: eb('remaining', '-', 1) }))
        .where('id', '=', fault.id)
        .where((eb) => eb.or([eb('remaining', 'is', null), eb('remaining', '>', 0)]))
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 0) return { fired: false };
      await trx.deleteFrom('faults').where('id', '=', fault.id).where('remaining', '=', 0).execute();
      return { fired: true, n: row.fired + 1 };
    });
    if (fault.remaining !== null) await this.reload();
    return result;
  }
}
