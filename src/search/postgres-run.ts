/**
 * Runs one search in one `REPEATABLE READ READ ONLY` transaction (page, total and facets see the same
 * snapshot) on a connection of its own, under three bounds: `statement_timeout`, set with `SET LOCAL`
 * to the remaining budget before every statement (in one round trip with a pending `BEGIN` or
 * `SAVEPOINT`); savepoints around the optional parts, so their timeout rolls back only them; and a client
 * deadline (budget + grace, or the caller's abort) that destroys the connection when the server does
 * not answer at all. A transaction is never left open: ROLLBACK in `finally`, and a connection in an
 * unknown state goes back to the pool as broken (`release(err)`), which closes it.
 */
import type { Clock } from '../core/clock.js';
import { StoreError } from '../core/errors.js';
import { InvalidQueryError, SearchTimeoutError } from './errors.js';
import type { PgPool, PgPoolClient, PgQueryResult } from './postgres-options.js';
import type { Statement } from './postgres-sql.js';

/** The part a statement belongs to, as named by timeouts. */
export type Part = 'page' | 'total' | 'facets';

/** The limits of one search. */
export interface Budget {
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly clock: Clock;
  readonly signal: AbortSignal;
}

/** The open transaction a search body runs in. */
export interface Snapshot {
  /**
   * Runs a statement with `statement_timeout` set to what is left (less `reserveMs`, kept for a later
   * fallback); its timeout throws `SearchTimeoutError(part)`.
   */
  run(part: Part, statement: Statement, reserveMs?: number): Promise<PgQueryResult['rows']>;
  /** Runs `body` under a savepoint: false (rolled back) when it ran out of time, true when it finished. */
  optional(body: () => Promise<void>): Promise<boolean>;
}

const KILLED = Symbol('killed');

interface DatabaseErrorLike {
  readonly code: string;
  readonly severity: string;
}

const isDatabaseError = (e: unknown): e is DatabaseErrorLike =>
  typeof e === 'object' &&
  e !== null &&
  typeof (e as { code?: unknown }).code === 'string' &&
  (e as { code: string }).code.length === 5 &&
  typeof (e as { severity?: unknown }).severity === 'string';

/** True for an error after which the connection is known to be fine (a plain SQL error). */
const leavesConnectionUsable = (e: unknown): boolean => isDatabaseError(e) && !/^(08|57P|XX|53)/.test(e.code);

/** Turns a driver error into the module's error for `part`. */
export function mapError(e: unknown, part: Part, timeoutMs: number): Error {
  if (e instanceof SearchTimeoutError || e instanceof StoreError || e instanceof InvalidQueryError) return e;
  if (isDatabaseError(e) && e.code === '57014') return new SearchTimeoutError(part, timeoutMs, { cause: e });
  // Data exceptions come from values (a string PostgreSQL cannot read as the column's type): the query's fault.
  if (isDatabaseError(e) && e.code.startsWith('22')) {
    return new InvalidQueryError('query', `holds a value PostgreSQL cannot use (SQLSTATE ${e.code})`);
  }
  const code = isDatabaseError(e) ? ` (SQLSTATE ${e.code})` : '';
  return new StoreError(`postgres search: the ${part} query failed${code}`, { cause: e });
}

/** The client deadline: one timer for the whole search, and the caller's abort signal. */
class Deadline {
  killed = false;
  private readonly stopTimer = new AbortController();
  private readonly kill: Promise<never>;
  private readonly fire: () => void;
  private onKill: () => void = () => {};

  constructor(private readonly budget: Budget) {
    let reject: (reason: unknown) => void = () => {};
    this.kill = new Promise<never>((_, r) => {
      reject = r;
    });
    this.kill.catch(() => {});
    const fire = () => {
      if (this.killed) return;
      this.killed = true;
      this.onKill();
      reject(KILLED);
    };
    budget.clock.sleep(budget.timeoutMs + budget.graceMs, this.stopTimer.signal).then(fire, () => {});
    if (budget.signal.aborted) fire();
    else budget.signal.addEventListener('abort', fire, { once: true });
    this.fire = fire;
  }

  /** What to do when it fires (destroy the connection). */
  whenKilled(action: () => void): void {
    this.onKill = action;
    if (this.killed) action();
  }

  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.kill]);
  }

  stop(): void {
    this.stopTimer.abort();
    this.budget.signal.removeEventListener('abort', this.fire);
  }
}

/** Checks a client out within the deadline; one that arrives after the deadline goes straight back. */
async function connect(pool: PgPool, deadline: Deadline, timeoutMs: number): Promise<PgPoolClient> {
  const pending = pool.connect();
  try {
    return await deadline.race(pending);
  } catch (e) {
    if (e === KILLED) {
      pending.then(
        (late) => late.release(),
        () => {},
      );
      throw new SearchTimeoutError('page', timeoutMs);
    }
    throw new StoreError('postgres search: could not get a connection', { cause: e });
  }
}

/** Runs `body` in a read-only repeatable-read transaction within `budget`. */
export async function withSnapshot<T>(
  pool: PgPool,
  budget: Budget,
  body: (snapshot: Snapshot, alive: () => boolean) => Promise<T>,
): Promise<T> {
  const deadline = new Deadline(budget);
  const endsAt = budget.clock.now() + budget.timeoutMs;
  try {
    const client = await connect(pool, deadline, budget.timeoutMs);
    const session = new Session(client, deadline, budget, endsAt);
    return await session.transaction(body);
  } finally {
    deadline.stop();
  }
}

const swallow = () => {};

class Session implements Snapshot {
  private part: Part = 'page';
  private open = false;
  private broken = false;
  /**
   * Statements owed before the next one (`BEGIN`, a `SAVEPOINT`): sent in the same round trip as the
   * next statement timeout, one simple query, so a page costs three round trips, not four.
   */
  private owed: string[] = [];

  constructor(
    private readonly client: PgPoolClient,
    private readonly deadline: Deadline,
    private readonly budget: Budget,
    private readonly endsAt: number,
  ) {
    // A checked-out pg client with no 'error' listener would crash the process on a connection error.
    client.on?.('error', swallow);
    deadline.whenKilled(() => this.destroy());
  }

  async transaction<T>(body: (snapshot: Snapshot, alive: () => boolean) => Promise<T>): Promise<T> {
    try {
      this.owed.push('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await body(this, () => !this.deadline.killed);
      if (!this.deadline.killed && this.open) {
        await this.exec('COMMIT');
        this.open = false;
      }
      return result;
    } finally {
      await this.finish();
    }
  }

  async run(part: Part, statement: Statement, reserveMs = 0): Promise<PgQueryResult['rows']> {
    this.part = part;
    const leftMs = Math.ceil(this.endsAt - this.budget.clock.now() - reserveMs);
    if (leftMs <= 0) throw new SearchTimeoutError(part, this.budget.timeoutMs);
    // `leftMs` is an integer computed here, never input: safe to write into the simple query that also
    // carries the owed BEGIN or SAVEPOINT.
    const setup = [...this.owed, `SET LOCAL statement_timeout = ${leftMs}`].join('; ');
    if (this.owed.length > 0 && this.owed[0]?.startsWith('BEGIN')) this.open = true;
    this.owed = [];
    await this.exec(setup);
    return (await this.exec(statement.sql, statement.values)).rows;
  }

  async optional(body: () => Promise<void>): Promise<boolean> {
    if (this.deadline.killed || this.endsAt - this.budget.clock.now() <= 0) return false;
    this.owed.push('SAVEPOINT bp_search_part');
    // The savepoint is sent with the part's first statement; a part that sent nothing owes nothing.
    const sent = () => !this.owed.includes('SAVEPOINT bp_search_part');
    try {
      await body();
    } catch (e) {
      if (this.deadline.killed) return false;
      if (!(e instanceof SearchTimeoutError)) throw e;
      if (sent()) await this.exec('ROLLBACK TO SAVEPOINT bp_search_part');
      else this.owed.pop();
      return false;
    }
    if (sent()) await this.exec('RELEASE SAVEPOINT bp_search_part');
    else this.owed.pop();
    return true;
  }

  private async exec(sql: string, values?: unknown[]): Promise<PgQueryResult> {
    try {
      return await this.deadline.race(this.client.query(sql, values));
    } catch (e) {
      if (e === KILLED) throw new SearchTimeoutError(this.part, this.budget.timeoutMs);
      if (!leavesConnectionUsable(e)) this.broken = true;
      throw mapError(e, this.part, this.budget.timeoutMs);
    }
  }

  private destroy(): void {
    this.client.removeListener?.('error', swallow);
    this.client.release(new Error('postgres search: the server did not answer within the deadline'));
  }

  private async finish(): Promise<void> {
    if (this.deadline.killed) return;
    if (this.open && !this.broken) {
      try {
        await this.deadline.race(this.client.query('ROLLBACK'));
        this.open = false;
      } catch {
        this.broken = true;
      }
    }
    if (this.deadline.killed) return;
    this.client.removeListener?.('error', swallow);
    this.client.release(
      this.broken || this.open ? new Error('postgres search: connection state unknown') : undefined,
    );
  }
}
