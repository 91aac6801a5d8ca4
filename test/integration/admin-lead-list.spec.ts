/**
 * The admin API's lead list (issue 13): GET /admin/api/leads with filters (email, q, partition,
 * unsubscribed, updatedSince), keyset-paged by id with a cursor, a total on request, and every
 * lead listed once while writes go on between pages.
 */
import { useTestApp } from "../support/use-test-app";
import type { LeadDriver } from "../support/lead-driver";
import type { TestApp } from "../support/test-app";

interface Page {
  leads: { id: number; email: string; unsubscribed: boolean; partition: string; fields: Record<string, string> }[];
  nextCursor: string | null;
  total?: number;
}

describe("GET /admin/api/leads", () => {
  let app: TestApp;
  let d: LeadDriver;
  useTestApp((a, leads) => {
    app = a;
    d = leads;
  });

  const list = async (query: string): Promise<Page> => {
    const res = await app.admin("GET", `/leads${query}`);
    expect(res.status).toBe(200);
    return res.body as Page;
  };

  it("filters by email (every partition), text, partition, unsubscribed and updatedSince, with a total on request", async () => {
    const [ann1] = await d.createDuplicates([{ email: "ann@example.com", fields: { FirstName: "Ann", LastName: "Lee" } }]);
    const ann2 = await d.adminCreate({ email: "ANN@example.com", partition: "EMEA", createPartition: true });
    await d.createDuplicates([{ email: "bob@example.com", unsubscribed: true }, { email: "cy@example.com" }]);
    expect((await list("?email=Ann@Example.com")).leads.map((l) => l.id).sort()).toEqual([ann1, ann2].sort());
    expect((await list("?q=lee")).leads.map((l) => l.id)).toEqual([ann1]);
    expect((await list("?q=bob@")).leads.map((l) => l.email)).toEqual(["bob@example.com"]);
    expect((await list("?partition=EMEA")).leads.map((l) => [l.id, l.partition])).toEqual([[ann2, "EMEA"]]);
    expect((await list("?partition=Nowhere")).leads).toEqual([]);
    expect((await list("?unsubscribed=true&count=true")).total).toBe(1);
    const all = await list("?count=true");
    expect(all.total).toBe(4);
    expect(all.nextCursor).toBeNull();
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await list(`?updatedSince=${encodeURIComponent(future)}`)).leads).toEqual([]);
    for (const bad of ["?limit=abc", "?unsubscribed=maybe", "?updatedSince=yesterday", "?cursor=x", "?email=nope", "?colour=red"]) {
      expect((await app.admin("GET", `/leads${bad}`)).status).toBe(400);
    }
  });

  it("pages by cursor: every lead once, in id order, while leads are created and deleted between pages", async () => {
    const ids = await d.createDuplicates(Array.from({ length: 7 }, (_, i) => ({ email: `p${i}@example.com` })));
    const seen: number[] = [];
    let cursor: string | null = "";
    let round = 0;
    while (cursor !== null) {
      const page: Page = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.leads.map((l) => l.id));
      cursor = page.nextCursor;
      if (round++ === 0) {
        await d.adminDelete(ids[5]);
        ids.push(...(await d.createDuplicates([{ email: "late@example.com" }])));
      }
    }
    expect(seen).toEqual(ids.filter((id) => id !== ids[5]));
  });
});
