/**
 * A Kysely driver for better-sqlite3 with group commit and a statement cache.
 *
 * Group commit (durability without the cost, GUIDE "Performance"): SQLite runs one transaction at
 * a time on its one connection. Each Kysely transaction here runs as a SAVEPOINT inside an outer
 * transaction (the group); when the connection is free, the group is committed, made durable by
 * one sync (`CommitSync`, wal-sync.ts: an fdatasync of the WAL on libuv's thread pool, so the
 * event loop goes on serving and the next group fills up meanwhile), and only then do the
 * transactions of that group return to their callers. So no write is acknowledged before it is
 * durable, but writes that arrive together share a sync. A failing transaction rolls back to its
 * savepoint without touching the others. A write outside a transaction (a bare UPDATE) joins the
 * group the same way, in a savepoint of its own, and returns after the sync too.
 *
 * Reads outside a transaction may see the writes of the open group before their sync (they run
 * on the same connection); that is the only difference from one synced COMMIT per transaction.
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
import type { CommitSync } from './wal-sync.js';

const STATEMENT_CACHE_LIMIT = 1000;

class CachedConnection implements DatabaseConnection {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  constructor(
    private readonly db: BetterSqlite3.Database,
    /** Runs a writing statement that is not part of a transaction (the driver puts it in the group). */
    private readonly bareWrite: <T>(run: () => T) => T,
  ) {}

  /** Whether a Kysely transaction is open on this connection. */
  inTransaction = false;

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
    const execute = (): QueryResult<R> => {
      if (stmt.reader) return { rows: stmt.all(...parameters) as R[] };
      const { changes, lastInsertRowid } = stmt.run(...parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    };
    try {
      return Promise.resolve(stmt.readonly || this.inTransaction ? execute() : this.bareWrite(execute));
    } catch (error) {
      return Promise.reject(error);
    }
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
  /** The sync of the last committed group, while it runs: the next group fills up meanwhile. */
  private syncing: Promise<void> | null = null;
  /** Set when a sync failed: nothing is acknowledged any more (the disk may have lost writes). */
  private failure: unknown = null;
  /** Number of group commits so far, for the benchmark and tests. */
  commits = 0;

  constructor(
    private readonly db: BetterSqlite3.Database,
    /** Makes a committed group durable; null where SQLite's own commit is all there is (memory, NORMAL). */
    private readonly commitSync: CommitSync | null,
  ) {
    this.connection = new CachedConnection(db, (run) => this.bareWrite(run));
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    this.release = await this.mutex.lock();
    return this.connection;
  }

  private openGroup(): void {
    if (this.failure) throw new Error('the database is unavailable: a sync to disk failed', { cause: this.failure });
    if (!this.group) {
      // IMMEDIATE: the group takes the database's write lock when it opens (waiting up to the busy
      // timeout for another process's group), so a transaction that reads and then writes never
      // fails to upgrade a stale read snapshot (SQLITE_BUSY_SNAPSHOT) when two processes share
      // the file.
      this.connection.exec('BEGIN IMMEDIATE');
      this.group = newGroup();
    }
  }

  private bareWrite<T>(run: () => T): T {
    this.openGroup();
    this.connection.exec('SAVEPOINT kysely_bare');
    try {
      const result = run();
      this.connection.exec('RELEASE kysely_bare');
      this.committedInGroup = true;
      return result;
    } catch (error) {
      this.connection.exec('ROLLBACK TO kysely_bare');
      this.connection.exec('RELEASE kysely_bare');
      throw error;
    }
  }

  async beginTransaction(): Promise<void> {
    this.openGroup();
    this.connection.exec('SAVEPOINT kysely_tx');
    this.connection.inTransaction = true;
  }

  async commitTransaction(): Promise<void> {
    this.connection.inTransaction = false;
    this.connection.exec('RELEASE kysely_tx');
    this.committedInGroup = true;
  }

  async rollbackTransaction(): Promise<void> {
    this.connection.inTransaction = false;
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

  /** Frees the connection; a transaction that committed into the group waits for its sync here. */
  async releaseConnection(): Promise<void> {
    const wait = this.committedInGroup ? this.group : null;
    this.committedInGroup = false;
    const release = this.release;
    this.release = null;
    if (this.group) this.scheduleCommit();
    release?.();
    if (wait) await wait.done;
  }

  /**
   * The open group is committed on the next turn of the event loop, or, while the previous
   * group's sync runs, as soon as it has finished: the transactions that arrive meanwhile share
   * the next COMMIT and sync (fewer WAL frames and syncs under load, no added wait when idle).
   */
  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    const commit = () => setImmediate(() => void this.commitGroup());
    if (this.syncing) void this.syncing.then(commit, commit);
    else commit();
  }

  /** Commits the open group, frees the connection for the next group, then syncs. */
  private async commitGroup(): Promise<void> {
    const release = await this.mutex.lock();
    this.commitScheduled = false;
    const group = this.group;
    this.group = null;
    if (!group) {
      release();
      return;
    }
    try {
      this.connection.exec('COMMIT');
      this.commits++;
    } catch (error) {
      try {
        this.connection.exec('ROLLBACK');
      } catch {
        // already rolled back by SQLite
      }
      group.reject(error);
      return;
    } finally {
      release();
    }
    if (!this.commitSync) {
      group.resolve();
      return;
    }
    const syncing = this.commitSync.sync();
    this.syncing = syncing;
    try {
      await syncing;
      group.resolve();
    } catch (error) {
      this.failure = error;
      group.reject(new Error('the commit could not be made durable: a sync to disk failed', { cause: error }));
    } finally {
      if (this.syncing === syncing) this.syncing = null;
    }
  }

  async destroy(): Promise<void> {
    // Commit (and sync) what is open before closing.
    if (this.group) await this.commitGroup();
    await this.commitSync?.close();
    this.db.close();
  }
}

export class GroupCommitDialect implements Dialect {
  readonly driver: GroupCommitDriver;
  constructor(db: BetterSqlite3.Database, commitSync: CommitSync | null) {
    this.driver = new GroupCommitDriver(db, commitSync);
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
