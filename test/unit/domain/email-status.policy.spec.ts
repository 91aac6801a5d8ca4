/**
 * The durable-unsubscribe decisions (SPEC §2) as a table: every branch of decideOnCreate and
 * decideOnUpdate, each row naming the rule it exercises.
 */
import { decideOnCreate, decideOnUpdate, type CreateFacts, type FlagDecision, type UpdateFacts } from "../../../src/domain/email-status.policy";

const A = "a@example.com";
const B = "b@example.com";

interface CreateRow {
  rule: string;
  title: string;
  facts: CreateFacts;
  expected: FlagDecision;
}

const createRows: CreateRow[] = [
  { rule: "D7", title: "no email, Unsubscribed not given: subscribed, nothing changes", facts: { key: null, masterUnsubscribed: false }, expected: { unsubscribed: false, cause: null } },
  { rule: "D7", title: "no email, Unsubscribed=true: only its own flag, no master", facts: { key: null, masterUnsubscribed: false, requested: true }, expected: { unsubscribed: true, cause: "request" } },
  { rule: "D7", title: "no email, Unsubscribed=false: subscribed", facts: { key: null, masterUnsubscribed: false, requested: false }, expected: { unsubscribed: false, cause: null } },
  { rule: "D7", title: "no email ignores a (meaningless) unsubscribed master flag", facts: { key: null, masterUnsubscribed: true }, expected: { unsubscribed: false, cause: null } },
  { rule: "D3", title: "unsubscribed master, Unsubscribed not given: starts unsubscribed by the rule", facts: { key: A, masterUnsubscribed: true }, expected: { unsubscribed: true, cause: "rule" } },
  { rule: "D3", title: "unsubscribed master, Unsubscribed=false: a create never re-subscribes", facts: { key: A, masterUnsubscribed: true, requested: false }, expected: { unsubscribed: true, cause: "rule" } },
  { rule: "D3", title: "unsubscribed master, Unsubscribed=true: the request's own value, master unchanged", facts: { key: A, masterUnsubscribed: true, requested: true }, expected: { unsubscribed: true, cause: "request" } },
  { rule: "D3+D1", title: "subscribed master, Unsubscribed=true: an unsubscribe of the address", facts: { key: A, masterUnsubscribed: false, requested: true }, expected: { unsubscribed: true, cause: "request", masterUnsubscribed: true } },
  { rule: "D3", title: "subscribed master, Unsubscribed=false: subscribed, nothing changes", facts: { key: A, masterUnsubscribed: false, requested: false }, expected: { unsubscribed: false, cause: null } },
  { rule: "D3", title: "subscribed master, Unsubscribed not given: subscribed, nothing changes", facts: { key: A, masterUnsubscribed: false }, expected: { unsubscribed: false, cause: null } },
];

interface UpdateRow {
  rule: string;
  title: string;
  facts: UpdateFacts;
  expected: FlagDecision;
}

const keep = (key: string | null, unsubscribed: boolean, master: boolean, requested?: boolean): UpdateFacts => ({
  before: { key, unsubscribed },
  afterKey: key,
  masterBefore: master,
  masterAfter: master,
  ...(requested === undefined ? {} : { requested }),
});

const change = (from: string | null, unsubscribed: boolean, masterA: boolean, masterB: boolean, requested?: boolean): UpdateFacts => ({
  before: { key: from, unsubscribed },
  afterKey: B,
  masterBefore: masterA,
  masterAfter: masterB,
  ...(requested === undefined ? {} : { requested }),
});

const updateRows: UpdateRow[] = [
  // D7: no email, the lead's own flag only.
  { rule: "D7", title: "no email, Unsubscribed=true: own flag set by the request, no master", facts: keep(null, false, false, true), expected: { unsubscribed: true, cause: "request" } },
  { rule: "D7", title: "no email, Unsubscribed=false on an unsubscribed lead: own flag cleared, no master", facts: keep(null, true, false, false), expected: { unsubscribed: false, cause: "request" } },
  { rule: "D7+D6", title: "no email, Unsubscribed=true on an unsubscribed lead: silent no-op", facts: keep(null, true, false, true), expected: { unsubscribed: true, cause: null } },
  { rule: "D7+D6", title: "no email, Unsubscribed not given: flag kept", facts: keep(null, true, false), expected: { unsubscribed: true, cause: null } },
  { rule: "D7", title: "no email ignores the master flags it is handed", facts: keep(null, false, true), expected: { unsubscribed: false, cause: null } },
  // D6: no-ops on a lead with an email.
  { rule: "D6", title: "Unsubscribed=true on an unsubscribed lead: silent", facts: keep(A, true, true, true), expected: { unsubscribed: true, cause: null } },
  { rule: "D6", title: "Unsubscribed=false on a subscribed lead: silent", facts: keep(A, false, false, false), expected: { unsubscribed: false, cause: null } },
  { rule: "D6", title: "Unsubscribed not given, lead agrees with master (unsubscribed): silent", facts: keep(A, true, true), expected: { unsubscribed: true, cause: null } },
  { rule: "D6", title: "Unsubscribed not given, lead agrees with master (subscribed): silent", facts: keep(A, false, false), expected: { unsubscribed: false, cause: null } },
  { rule: "invariant", title: "Unsubscribed not given, lead disagrees with an unsubscribed master: brought back by the rule", facts: keep(A, false, true), expected: { unsubscribed: true, cause: "rule" } },
  { rule: "invariant", title: "Unsubscribed not given, lead disagrees with a subscribed master: brought back by the rule", facts: keep(A, true, false), expected: { unsubscribed: false, cause: "rule" } },
  { rule: "invariant", title: "Unsubscribed equal to master but not to the lead: brought back by the rule", facts: keep(A, false, true, true), expected: { unsubscribed: true, cause: "rule" } },
  // D1 / D2 on an unchanged key.
  { rule: "D1", title: "Unsubscribed false→true: the address is unsubscribed", facts: keep(A, false, false, true), expected: { unsubscribed: true, cause: "request", masterUnsubscribed: true } },
  { rule: "D2", title: "Unsubscribed true→false: the address is re-subscribed", facts: keep(A, true, true, false), expected: { unsubscribed: false, cause: "request", masterUnsubscribed: false } },
  { rule: "D5", title: "email removed (afterKey null) is not an email change: the key stays", facts: { before: { key: A, unsubscribed: true }, afterKey: null, masterBefore: true, masterAfter: true }, expected: { unsubscribed: true, cause: null } },
  // D5: the key changes from A (or none) to B.
  { rule: "D5", title: "A(subscribed)→B(unsubscribed): adopts B's status by the rule", facts: change(A, false, false, true), expected: { unsubscribed: true, cause: "rule" } },
  { rule: "D5", title: "A(unsubscribed)→B(subscribed): adopts B's status by the rule", facts: change(A, true, true, false), expected: { unsubscribed: false, cause: "rule" } },
  { rule: "D5", title: "A(subscribed)→B(subscribed): nothing changes", facts: change(A, false, false, false), expected: { unsubscribed: false, cause: null } },
  { rule: "D5", title: "A(unsubscribed)→B(unsubscribed): nothing changes", facts: change(A, true, true, true), expected: { unsubscribed: true, cause: null } },
  { rule: "D5", title: "A(subscribed)→B(unsubscribed) with Unsubscribed=false: does not re-subscribe B", facts: change(A, false, false, true, false), expected: { unsubscribed: true, cause: "rule" } },
  { rule: "D5", title: "A(unsubscribed)→B(subscribed) with Unsubscribed=false: adopts B by the rule, master unchanged", facts: change(A, true, true, false, false), expected: { unsubscribed: false, cause: "rule" } },
  { rule: "D5+D1", title: "A(subscribed)→B(subscribed) with Unsubscribed=true: an unsubscribe of B", facts: change(A, false, false, false, true), expected: { unsubscribed: true, cause: "request", masterUnsubscribed: true } },
  { rule: "D5+D1", title: "A(unsubscribed)→B(subscribed) with Unsubscribed=true: B unsubscribed, the lead's flag unchanged", facts: change(A, true, true, false, true), expected: { unsubscribed: true, cause: null, masterUnsubscribed: true } },
  { rule: "D5", title: "A(subscribed)→B(unsubscribed) with Unsubscribed=true: the request's value, B already unsubscribed", facts: change(A, false, false, true, true), expected: { unsubscribed: true, cause: "request" } },
  { rule: "D5+D1", title: "no email and unsubscribed, gets B (subscribed): unsubscribes B", facts: change(null, true, false, false), expected: { unsubscribed: true, cause: null, masterUnsubscribed: true } },
  { rule: "D5+D1", title: "no email and unsubscribed, gets B with Unsubscribed=false: still unsubscribes B", facts: change(null, true, false, false, false), expected: { unsubscribed: true, cause: null, masterUnsubscribed: true } },
  { rule: "D5", title: "no email and unsubscribed, gets B (unsubscribed): nothing changes", facts: change(null, true, false, true), expected: { unsubscribed: true, cause: null } },
  { rule: "D5", title: "no email and subscribed, gets B (unsubscribed): adopts B by the rule", facts: change(null, false, false, true), expected: { unsubscribed: true, cause: "rule" } },
  { rule: "D5", title: "no email and subscribed, gets B (subscribed): nothing changes", facts: change(null, false, false, false), expected: { unsubscribed: false, cause: null } },
];

describe("decideOnCreate", () => {
  it.each(createRows.map((r) => [`${r.rule}: ${r.title}`, r] as const))("%s", (_name, row) => {
    expect(decideOnCreate(row.facts)).toStrictEqual(row.expected);
  });
});

describe("decideOnUpdate", () => {
  it.each(updateRows.map((r) => [`${r.rule}: ${r.title}`, r] as const))("%s", (_name, row) => {
    expect(decideOnUpdate(row.facts)).toStrictEqual(row.expected);
  });
});
