/**
 * A Kysely driver for better-sqlite3 with group commit and a statement cache.
 *
 * Group commit (durability without the cost, GUIDE "Performance"): SQLite runs one transaction at
 * a time on its one connection. Each Kysely transaction here runs as a SAVEPOINT inside an outer
 * transaction (the group); when the connection is free, the group is committed with one fsync,
 * and only then do the transactions of that group return to their callers. So no write is
 * acknowledged before it is durable (synchronous=FULL), but writes that arrive together share an
 * fsync. A failing transaction rolls back to its savepoint without touching the others.
 *
 * Reads outside a transaction may see the writes of the open group before their fsync (they run
 * on the same connection); that is the only difference from one COMMIT per transaction.
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

const STATEMENT_CACHE_LIMIT = 1000;

class CachedConnection implements DatabaseConnection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  constructor(private readonly db: BetterSqlite3.Database) {}

  private statement(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.statement(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(...parameters) as R[] });
    const { changes, lastInsertRowid } = stmt.run(...parameters);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  /** Runs a control statement (BEGIN, SAVEPOINT …) without caching. */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  // biome-ignore lint/correctness/useYield: streaming is not used by this project
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported');
  }
}

class Mutex {
  private tail: Promise<void> = Promise.resolve();
  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const acquired = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return acquired;
  }
}

interface Group {
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => undefined); // observed by the transactions that wait on it
  return { done, resolve, reject };
}

export class GroupCommitDriver implements Driver {
  private readonly mutex = new Mutex();
  private readonly connection: CachedConnection;
  private release: (() => void) | null = null;
  private group: Group | null = null;
  private committedInGroup = false;
  private commitScheduled = false;
  /** Number of fsyncs (group commits) so far, for the benchmark and tests. */
  commits = 0;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.connection = new CachedConnection(db);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    this.release = await this.mutex.lock();
    return this.connection;
  }

  async beginTransaction(): Promise<void> {
    if (!this.group) {
      this.connection.exec('BEGIN');
      this.group = newGroup();
    }
    this.connection.exec('SAVEPOINT kysely_tx');
  }

  async commitTransaction(): Promise<void> {
    this.connection.exec('RELEASE kysely_tx');
    this.committedInGroup = true;
  }

  async rollbackTransaction(): Promise<void> {
    this.connection.exec('ROLLBACK TO kysely_tx');
    this.connection.exec('RELEASE kysely_tx');
  }

  async savepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.connection.exec(`SAVEPOINT "${name.replace(/"/g, '')}"`);
  }

  async rollbackToSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.connection.exec(`ROLLBACK TO "${name.replace(/"/g, '')}"`);
  }

  async releaseSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.connection.exec(`RELEASE "${name.replace(/"/g, '')}"`);
  }

  /** Frees the connection; a transaction that committed into the group waits for its fsync here. */
  async releaseConnection(): Promise<void> {
    const wait = this.committedInGroup ? this.group : null;
    this.committedInGroup = false;
    const release = this.release;
    this.release = null;
    if (this.group) this.scheduleCommit();
    release?.();
    if (wait) await wait.done;
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => void this.commitGroup());
  }

  private async commitGroup(): Promise<void> {
    const release = await this.mutex.lock();
    this.commitScheduled = false;
    const group = this.group;
    this.group = null;
    try {
      if (group) {
        this.connection.exec('COMMIT');
        this.commits++;
        group.resolve();
      }
    } catch (error) {
      try {
        this.connection.exec('ROLLBACK');
      } catch {
        // already rolled back by SQLite
      }
      group?.reject(error);
    } finally {
      release();
    }
  }

  async destroy(): Promise<void> {
    // Commit what is open before closing.
    if (this.group) await this.commitGroup();
    this.db.close();
  }
}

export class GroupCommitDialect implements Dialect {
  readonly driver: GroupCommitDriver;
  constructor(db: BetterSqlite3.Database) {
    this.driver = new GroupCommitDriver(db);
  }
  createDriver(): Driver {
    return this.driver;
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}
