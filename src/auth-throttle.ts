/**
 * Failed-authentication throttling (SOAP signatures, the admin bearer token, the web UI login).
 *
 * - A source (client IP) with `maxFailures` failed attempts in the last `windowMs` is refused
 *   before its credentials are checked, until the window has passed over them.
 * - An identity (a SOAP user id, or the admin token) with `maxFailures × 5` failures in the
 *   window from any number of sources is "under attack": every source that has failed for it
 *   in the window is then refused before checking. A source that has not failed — the real
 *   integration — is never refused because of the identity, so an attacker cannot lock it out.
 *
 * Counted per process (each process of a database keeps its own). Memory is bounded: at most
 * `maxTracked` (20,000) keys a map, the least recently failing dropped first.
 */
export interface ThrottleOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly maxTracked?: number;
  readonly now?: () => number;
}

export interface Refusal {
  readonly retryAfterSeconds: number;
  readonly reason: "source" | "identity";
}

export class AuthThrottle {
  private readonly bySource = new Map<string, number[]>();
  private readonly byIdentity = new Map<string, number[]>();
  private readonly bySourceIdentity = new Map<string, number[]>();

  constructor(private readonly options: ThrottleOptions) {}

  /** The refusal to answer before checking credentials, or undefined to go on. */
  refusal(source: string, identity: string): Refusal | undefined {
    const now = this.now();
    const own = this.recent(this.bySource, source, now);
    if (own.length >= this.options.maxFailures) return { reason: "source", retryAfterSeconds: this.retryAfter(own, now) };
    const attacked = this.recent(this.byIdentity, identity, now);
    if (attacked.length >= this.options.maxFailures * 5) {
      const mine = this.recent(this.bySourceIdentity, `${source}\n${identity}`, now);
      if (mine.length > 0) return { reason: "identity", retryAfterSeconds: this.retryAfter(mine, now) };
    }
    return undefined;
  }

  failed(source: string, identity: string): void {
    const now = this.now();
    const cap = this.options.maxFailures * 5;
    this.push(this.bySource, source, now, cap);
    this.push(this.byIdentity, identity, now, cap);
    this.push(this.bySourceIdentity, `${source}\n${identity}`, now, cap);
  }

  private push(map: Map<string, number[]>, key: string, now: number, cap: number): void {
    const list = this.recent(map, key, now);
    list.push(now);
    if (list.length > cap) list.splice(0, list.length - cap);
    map.delete(key); // re-insert: Map order is then oldest-touched first
    map.set(key, list);
    const max = this.options.maxTracked ?? 20_000;
    while (map.size > max) map.delete(map.keys().next().value as string);
  }

  private recent(map: Map<string, number[]>, key: string, now: number): number[] {
    const list = map.get(key);
    if (!list) return [];
    const from = now - this.options.windowMs;
    let i = 0;
    while (i < list.length && list[i] <= from) i++;
    if (i > 0) list.splice(0, i);
    if (list.length === 0) map.delete(key);
    return list;
  }

  private retryAfter(list: number[], now: number): number {
    // When the oldest failure that still counts leaves the window.
    return Math.max(1, Math.ceil((list[0] + this.options.windowMs - now) / 1000));
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
