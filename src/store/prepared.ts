/**
 * Queries of the hot paths (init, details), built and compiled by Kysely once instead of on every
 * request. Building a query is most of Kysely's cost (immutable nodes, then a compile pass: the
 * benchmark's CPU profile put it at about an eighth of an init, docs/PERFORMANCE.md); the SQL and
 * the parameter order do not change between calls, only the values. So the query is built with
 * markers where the arguments go, compiled once, and each call sends the compiled SQL with the
 * markers replaced by the call's values. The SQL is the dialect's own, so this stays portable.
 */
import type { Compilable, CompiledQuery, Kysely, Transaction } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: any database type: the compiled SQL is what runs.
type AnyExecutor = Kysely<any> | Transaction<any>;

/** Stands for the query's argument `index` while the query is built. */
class Argument {
  constructor(readonly index: number) {}
}

interface Template {
  readonly compiled: CompiledQuery;
  /** For each parameter of the compiled query: the argument it takes, or -1 for a constant. */
  readonly slots: readonly number[];
}

function template(compilable: Compilable<unknown>, argumentCount: number): Template {
  const compiled = compilable.compile();
  const slots = compiled.parameters.map((value) => (value instanceof Argument ? value.index : -1));
  for (let i = 0; i < argumentCount; i++) {
    if (!slots.includes(i)) throw new Error(`prepared query: argument ${i} is not used as a value (${compiled.sql})`);
  }
  return { compiled, slots };
}

function bind(t: Template, values: readonly unknown[]): CompiledQuery {
  const parameters = t.slots.map((slot, i) => (slot === -1 ? t.compiled.parameters[i] : values[slot]));
  return { ...t.compiled, parameters };
}

/**
 * `build` receives one marker per argument (typed as the argument) and returns the query; use
 * each argument as a value (`where(col, '=', arg)`), not as a column name or a list.
 */
export function prepareQuery<A extends unknown[], R>(
  build: (...args: A) => Compilable<R>,
): (executor: AnyExecutor, ...args: A) => Promise<R[]> {
  const markers = Array.from({ length: build.length }, (_, i) => new Argument(i)) as unknown as A;
  const t = template(build(...markers), build.length);
  return async (executor, ...args) => (await executor.executeQuery<R>(bind(t, args))).rows;
}

/** An INSERT of one row into `columns`, given the row as an object with those keys. */
export function prepareInsert<Row extends Record<string, unknown>>(
  build: (row: Row) => Compilable<unknown>,
  columns: readonly (keyof Row & string)[],
): (executor: AnyExecutor, row: Row) => Promise<void> {
  const markers = Object.fromEntries(columns.map((c, i) => [c, new Argument(i)])) as unknown as Row;
  const t = template(build(markers), columns.length);
  return async (executor, row) => {
    await executor.executeQuery(
      bind(
        t,
        columns.map((c) => row[c]),
      ),
    );
  };
}
