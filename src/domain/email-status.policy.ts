/**
 * The durable-unsubscribe rules of SPEC §2 as pure decisions. No I/O: the caller reads the
 * master status (under a lock) and applies what comes back, in the same transaction.
 *
 * A decision says what the lead's own flag ends as, why it changed (the request, or a rule:
 * D3/D5's resetLeadEmailStatus row), and whether the master status of the lead's (new) email
 * key changes, which propagates to every other lead with that key (D1/D2).
 */
export type FlagCause = "request" | "rule";

export interface FlagDecision {
  /** The lead's Unsubscribed after the write. */
  readonly unsubscribed: boolean;
  /** Why the lead's flag changed; null when it did not change. */
  readonly cause: FlagCause | null;
  /** The master status of the lead's email key after the write, when it changes. */
  readonly masterUnsubscribed?: boolean;
}

export interface CreateFacts {
  /** The new lead's email key; null when it has no email. */
  readonly key: string | null;
  /** The master status of that key (a missing row counts as subscribed). */
  readonly masterUnsubscribed: boolean;
  /** Unsubscribed as the request set it; undefined when the request did not set it. */
  readonly requested?: boolean;
}

/** D3: a create never re-subscribes; a create with Unsubscribed=true is an unsubscribe (D1). */
export function decideOnCreate(f: CreateFacts): FlagDecision {
  if (f.key === null) {
    // D7: a lead with no email has only its own flag.
    const unsubscribed = f.requested ?? false;
    return { unsubscribed, cause: unsubscribed ? "request" : null };
  }
  if (f.masterUnsubscribed) {
    return { unsubscribed: true, cause: f.requested === true ? "request" : "rule" };
  }
  if (f.requested === true) {
    return { unsubscribed: true, cause: "request", masterUnsubscribed: true };
  }
  return { unsubscribed: false, cause: null };
}

export interface UpdateFacts {
  /** The lead's key and flag before the write (read under the lock). */
  readonly before: { readonly key: string | null; readonly unsubscribed: boolean };
  /** The lead's key after the write. An email is never removed, so null only if it was null. */
  readonly afterKey: string | null;
  /** Master status of the key before the write (null key: ignored). */
  readonly masterBefore: boolean;
  /** Master status of the key after the write (same as masterBefore when the key is unchanged). */
  readonly masterAfter: boolean;
  /** Unsubscribed as the request set it; undefined when the request did not set it. */
  readonly requested?: boolean;
}

export function decideOnUpdate(f: UpdateFacts): FlagDecision {
  const { before, afterKey, requested } = f;
  const keyChanged = afterKey !== null && afterKey !== before.key;

  if (!keyChanged) {
    if (before.key === null) {
      // D7: own flag only.
      const unsubscribed = requested ?? before.unsubscribed;
      return { unsubscribed, cause: unsubscribed !== before.unsubscribed ? "request" : null };
    }
    const master = f.masterBefore;
    if (requested === undefined || requested === master) {
      // D6: nothing to do. (A lead that disagrees with its master is brought back to it.)
      return before.unsubscribed === master
        ? { unsubscribed: master, cause: null }
        : { unsubscribed: master, cause: "rule" };
    }
    // D1 (requested true) or D2 (requested false): the address changes, every lead follows.
    return { unsubscribed: requested, cause: "request", masterUnsubscribed: requested };
  }

  // D5: the email key changes to afterKey (B).
  const masterB = f.masterAfter;
  if (requested === true) {
    // An unsubscribe of B in the same request.
    return {
      unsubscribed: true,
      cause: before.unsubscribed ? null : "request",
      ...(masterB ? {} : { masterUnsubscribed: true }),
    };
  }
  if (before.key === null && before.unsubscribed && !masterB) {
    // A lead with no email and its own unsubscribe carries it to B (D1).
    return { unsubscribed: true, cause: null, masterUnsubscribed: true };
  }
  // Adopt B's status. An Unsubscribed=false sent with the change does not re-subscribe B.
  return { unsubscribed: masterB, cause: masterB !== before.unsubscribed ? "rule" : null };
}
