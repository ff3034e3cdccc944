/**
 * The hot paths' way to the database (init, details: docs/PERFORMANCE.md). Kysely's runtime
 * (building the query, its executor, plugins, the connection provider and transaction machinery,
 * several promises per statement) cost more than SQLite itself on these two requests. Here the
 * statements are compiled by Kysely once, in the store's own dialect (so the SQL stays portable),
 * and run as prepared statements of the driver:
 *
 * - `write(work)` runs `work` as one transaction (on SQLite: a savepoint of the group commit,
 *   sqlite-driver.ts) and resolves after its commit is durable, exactly as `db.transaction()`;
 * - `read(work)` runs `work` on the connection, outside any transaction.
 *
 * `work` is async so that another dialect can implement this over its client; on SQLite every
 * statement completes synchronously and the connection is taken without a turn of the event loop
 * when it is free. The store offers it as `store.hot`; the repositories of init and details are
 * given it when they are made (platform.ts).
 */
import type { Compilable } from 'kysely';

/** Stands for the query's argument `index` while the query is built. */
class Argument {
  constructor(readonly index: number) {}
}

/** A query compiled once: its SQL and, per parameter, the argument it takes (-1: a constant). */
export interface HotQuery<A extends unknown[], R> {
  readonly sql: string;
  readonly slots: readonly number[];
  readonly constants: readonly unknown[];
  /** Type only: the row type and the argument types. */
  readonly _types?: { args: A; row: R };
}

/**
 * `build` receives one marker per argument (typed as the argument) and returns the query; use
 * each argument as a value (`where(col, '=', arg)`), not as a column name or a list.
 */
export function hotQuery<A extends unknown[], R>(build: (...args: A) => Compilable<R>): HotQuery<A, R> {
  const markers = Array.from({ length: build.length }, (_, i) => new Argument(i)) as unknown as A;
  const compiled = build(...markers).compile();
  const slots = compiled.parameters.map((value) => (value instanceof Argument ? value.index : -1));
  for (let i = 0; i < build.length; i++) {
    if (!slots.includes(i)) throw new Error(`hot query: argument ${i} is not used as a value (${compiled.sql})`);
  }
  return { sql: compiled.sql, slots, constants: compiled.parameters };
}

/**
 * An INSERT of one row into `columns`; its arguments are the row's values in the order of
 * `columns` (`rowValues`).
 */
export function hotInsert<Row extends Record<string, unknown>>(
  build: (row: Row) => Compilable<unknown>,
  columns: readonly (keyof Row & string)[],
): HotQuery<unknown[], never> {
  const markers = Object.fromEntries(columns.map((c, i) => [c, new Argument(i)])) as unknown as Row;
  const compiled = build(markers).compile();
  const slots = compiled.parameters.map((value) => (value instanceof Argument ? value.index : -1));
  for (let i = 0; i < columns.length; i++) {
    if (!slots.includes(i)) throw new Error(`hot insert: column ${columns[i]} is not a value (${compiled.sql})`);
  }
  return { sql: compiled.sql, slots, constants: compiled.parameters };
}

export function bindArguments(query: HotQuery<unknown[], unknown>, args: readonly unknown[]): unknown[] {
  const { slots, constants } = query;
  const values = new Array<unknown>(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as number;
    values[i] = slot === -1 ? constants[i] : args[slot];
  }
  return values;
}

export interface HotConnection {
  all<A extends unknown[], R>(query: HotQuery<A, R>, ...args: A): Promise<R[]>;
  /** Runs a writing statement; resolves to the number of rows it changed. */
  run<A extends unknown[]>(query: HotQuery<A, unknown>, ...args: A): Promise<number>;
}

export interface HotPath {
  write<T>(work: (connection: HotConnection) => Promise<T>): Promise<T>;
  read<T>(work: (connection: HotConnection) => Promise<T>): Promise<T>;
}

/**
 * Whether a statement failed on a unique index or primary key (SQLite's extended result codes,
 * PostgreSQL's SQLSTATE 23505): init lets the unique indexes find duplicates (initiate-payment.ts).
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
