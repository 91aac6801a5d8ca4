/**
 * The admin API's email-status search (issue 13): GET /admin/api/email-status with q,
 * unsubscribed and changedSince, keyset-paged with a cursor, a total on request, every address
 * listed once while writes go on between pages; `?unsubscribed=true` alone stays the streamed
 * suppression export.
 */
import { useTestApp } from "../support/use-test-app";
import type { LeadDriver } from "../support/lead-driver";
import type { TestApp } from "../support/test-app";

interface Page {
  statuses: { email: string | null; erased: boolean; unsubscribed: boolean; reason: string | null; channel: string | null; changedAt: string | null }[];
  nextCursor: string | null;
  total?: number;
}

describe("GET /admin/api/email-status (search)", () => {
  let app: TestApp;
  let d: LeadDriver;
  useTestApp((a, leads) => {
    app = a;
    d = leads;
  });

  const search = async (query: string): Promise<Page> => {
    const res = await app.admin("GET", `/email-status${query}`);
    expect(res.status).toBe(200);
    return res.body as Page;
  };
  const emails = (p: Page) => p.statuses.map((s) => s.email).sort();

  it("filters by a part of the address (any case, % and _ literal), unsubscribed and changedSince, with a total on request", async () => {
    await d.createDuplicates([
      { email: "Ann.Lee@Example.com" },
      { email: "bob@example.com", unsubscribed: true },
      { email: "cy_100%@example.org" },
      { email: "cyx100x@example.org" },
    ]);
    expect(emails(await search("?q=ann.lee"))).toEqual(["Ann.Lee@Example.com"]);
    // Case is folded once (by the database): an address is found as it was given.
    await d.createDuplicates([{ email: "İlke@example.net" }]);
    expect(emails(await search(`?q=${encodeURIComponent("İlke")}`))).toEqual(["İlke@example.net"]);
    expect(emails(await search("?q=example.net&count=true"))).toEqual(["İlke@example.net"]);
    expect(emails(await search("?q=EXAMPLE.ORG"))).toEqual(["cy_100%@example.org", "cyx100x@example.org"]);
    expect(emails(await search(`?q=${encodeURIComponent("_100%")}`))).toEqual(["cy_100%@example.org"]);
    const unsubscribed = await search("?unsubscribed=true&count=true");
    expect(unsubscribed.total).toBe(1);
    expect(unsubscribed.statuses[0]).toMatchObject({ email: "bob@example.com", erased: false, unsubscribed: true, channel: "soap" });
    expect((await search("?unsubscribed=false&count=true")).total).toBe(4);
    const all = await search("?count=true");
    expect(all.total).toBe(5);
    expect(all.nextCursor).toBeNull();
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await search(`?unsubscribed=true&changedSince=${encodeURIComponent(future)}`)).statuses).toEqual([]);
    for (const bad of ["?limit=0", "?limit=1001", "?unsubscribed=maybe", "?changedSince=yesterday", "?cursor=zz", "?colour=red", "?q=a&q=b"]) {
      expect((await app.admin("GET", `/email-status${bad}`)).status).toBe(400);
    }
  });

  it("pages by cursor: every address once while addresses are added and changed between pages", async () => {
    await d.createDuplicates(Array.from({ length: 9 }, (_, i) => ({ email: `p${i}@example.com` })));
    const before = emails(await search("?limit=1000"));
    const seen: string[] = [];
    let cursor: string | null = "";
    let round = 0;
    while (cursor !== null) {
      const page: Page = await search(`?limit=4${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.statuses.map((s) => s.email as string));
      cursor = page.nextCursor;
      if (round++ === 0) {
        await d.createDuplicates([{ email: "late1@example.com" }, { email: "p3@example.com", unsubscribed: true }]);
      }
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const email of before) expect(seen).toContain(email);
  });

  it("lists an erased address as erased, without its plaintext", async () => {
    await d.createDuplicates([{ email: "gone@example.com", unsubscribed: true }]);
    expect((await app.admin("POST", "/erase", { email: "gone@example.com" })).status).toBe(200);
    const page = await search("?unsubscribed=true&count=true");
    expect(page.statuses).toEqual([expect.objectContaining({ email: null, erased: true, unsubscribed: true })]);
    expect((await search("?q=gone")).statuses).toEqual([]);
  });

  it("keeps ?unsubscribed=true alone as the streamed suppression export", async () => {
    await d.createDuplicates([{ email: "out@example.com", unsubscribed: true }, { email: "in@example.com" }]);
    const res = await fetch(`${app.url}/admin/api/email-status?unsubscribed=true`, { headers: { authorization: `Bearer ${app.secrets.adminToken}` } });
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as { email: string });
    expect(lines.map((l) => l.email)).toEqual(["out@example.com"]);
  });
});
