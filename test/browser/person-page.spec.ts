/**
 * The person page in a real browser (Debian's Chromium driven by playwright-core): an operator
 * logs in, finds an address shared by two leads in two partitions, clears Unsubscribed on one,
 * is told that 2 leads share the address, confirms, and both are re-subscribed (D2) with the
 * change recorded as a manual person edit. Skipped with a message where /usr/bin/chromium is
 * missing; a failure in CI (CI=true), where .ci/run installs it.
 *
 * The screenshot of the person page goes to a temporary folder; with UPDATE_SCREENSHOTS=1 it
 * replaces docs/person-page.png (the README's picture), so ordinary runs leave the tree clean.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startTestApp, TEST_ADMIN_TOKEN, type TestApp } from "../support/test-app";
import { describeWithTool } from "../support/test-env";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = path.join(__dirname, "..", "..", "docs", "person-page.png");

/**
 * The flags this machine needs (no network beyond loopback, running as root). Playwright gives
 * every launch a new empty --user-data-dir of its own and refuses one in `args`.
 */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describeWithTool("person page in Chromium (SPEC §4 person page)", existsSync(CHROMIUM), "Debian's chromium (apt-get install chromium)", () => {
  let app: TestApp;
  let browser: Browser;
  let shots: string;

  beforeAll(async () => {
    app = await startTestApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60000 });
    shots = mkdtempSync(path.join(tmpdir(), "mktows-shots-"));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (shots) rmSync(shots, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await app.reset();
  });

  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    return page;
  };

  const logIn = async (page: Page, token: string): Promise<void> => {
    await page.goto(`${app.url}/ui/`);
    expect(new URL(page.url()).pathname).toBe("/ui/login");
    await page.fill("#token", token);
    await page.click("button[type=submit]");
  };

  it("clearing Unsubscribed re-subscribes both leads with the address after a confirmation that says 2 leads", async () => {
    const create = async (partition: string, email: string, fields: Record<string, string>): Promise<number> => {
      const res = await app.admin("POST", "/leads", { email, partition, createPartition: true, fields });
      expect(res.status).toBe(201);
      return res.body.id as number;
    };
    const emea = await create("EMEA", "Ada.Lovelace@Example.com", { FirstName: "Ada", LastName: "Lovelace", Company: "Analytical Engines Ltd", Title: "Analyst", City: "London", Country: "United Kingdom" });
    const americas = await create("Americas", "ada.lovelace@example.com", { FirstName: "Ada", LastName: "Lovelace", Company: "Analytical Engines Inc" });
    expect((await app.admin("PATCH", `/leads/${emea}`, { unsubscribed: true })).status).toBe(200);
    for (const id of [emea, americas]) expect((await app.admin("GET", `/leads/${id}`)).body.unsubscribed).toBe(true);

    const page = await newPage();
    await logIn(page, TEST_ADMIN_TOKEN);
    expect(new URL(page.url()).pathname).toBe("/ui/");

    await page.fill("input[name=q]", "ada.lovelace@example.com");
    await page.press("input[name=q]", "Enter");
    await page.waitForURL(/\/ui\/\?q=/);
    expect(await page.locator("tbody tr").count()).toBe(2);
    await page.click(`a[href="/ui/leads/${emea}"] >> nth=0`);
    await page.waitForURL(new RegExp(`/ui/leads/${emea}$`));

    const box = page.locator("#unsubscribed");
    expect(await box.isChecked()).toBe(true);
    await box.uncheck();
    await page.click("text=Save");
    await page.waitForURL(new RegExp(`/ui/leads/${emea}/resubscribe$`));
    const confirmation = await page.locator("main").innerText();
    expect(confirmation).toContain("2 leads share the address Ada.Lovelace@Example.com");
    expect(confirmation).toContain("(in 2 partitions)");
    // Nothing happens before the confirmation.
    expect((await app.admin("GET", `/leads/${americas}`)).body.unsubscribed).toBe(true);

    await page.click("button:has-text('Re-subscribe 2 leads')");
    await page.waitForURL(new RegExp(`/ui/leads/${emea}\\?done=resubscribed`));
    expect(await page.locator(".flash").innerText()).toBe("Re-subscribed: 2 leads with this address are now subscribed.");
    expect(await page.locator("#unsubscribed").isChecked()).toBe(false);
    await page.screenshot({ path: path.join(shots, "person-page.png") });
    if (process.env.UPDATE_SCREENSHOTS === "1") copyFileSync(path.join(shots, "person-page.png"), SCREENSHOT);

    for (const id of [emea, americas]) expect((await app.admin("GET", `/leads/${id}`)).body.unsubscribed).toBe(false);
    await page.goto(`${app.url}/ui/leads/${americas}`);
    expect(await page.locator("#unsubscribed").isChecked()).toBe(false);
    expect(await page.locator("h1 .badge").innerText()).toBe("Subscribed");

    await page.click("text=Email status");
    await page.waitForURL(new RegExp(`/ui/leads/${americas}/email-status$`));
    const newest = await page.locator("tbody tr").first().innerText();
    expect(newest).toMatch(/Re-subscribed\s+Person page\s+Manual person edit\s+Lead update\s+/);
    expect(newest).toContain(String(emea));
    const older = await page.locator("tbody tr").nth(1).innerText();
    expect(older).toMatch(/Unsubscribed\s+Admin API\s+Admin API/);
    expect(await page.locator("main").innerText()).toMatch(/is\s+Subscribed\s+since .* by the channel Person page \(reason “Manual person edit”, source “Lead update”/);

    await page.click("text=Activity log");
    // The fan-out row on the other lead: the rule's Reason, the person page's Source (SPEC §3).
    expect(await page.locator("tbody tr").first().innerText()).toMatch(/Change Data Value\s+Unsubscribed\s+true\s+false\s+System flow action sysActionChangeDataValue updateLeadEmailStatus\s+Lead update/);

    // Readable on a phone: nothing wider than the screen (tables scroll inside their box).
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${app.url}/ui/leads/${americas}/email-status`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  });

  it("pages a long search with its next-page link, and looks up an address that has no lead (issue 13)", async () => {
    for (let i = 0; i < 53; i++) expect((await app.admin("POST", "/leads", { email: `row${String(i).padStart(2, "0")}@example.com` })).status).toBe(201);
    const gone = (await app.admin("POST", "/leads", { email: "left@example.com", unsubscribed: true })).body.id as number;
    expect((await app.admin("DELETE", `/leads/${gone}`)).status).toBe(204);
    const page = await newPage();
    await logIn(page, TEST_ADMIN_TOKEN);
    await page.fill("input[name=q]", "row");
    await page.click("button:has-text('Search')");
    expect(await page.locator("tbody tr").count()).toBe(50);
    expect(await page.locator("#result-count").innerText()).toMatch(/^Leads 1–50 \(more match: next page\)/);
    await page.click("text=next page");
    expect(await page.locator("tbody tr").count()).toBe(3);
    expect(await page.locator("#result-count").innerText()).toMatch(/^Leads 51–53/);

    await page.fill("input[name=q]", "left@example.com");
    await page.click("button:has-text('Search')");
    expect(await page.locator("main").innerText()).toContain("No lead matches");
    expect(await page.locator("#address-status").innerText()).toMatch(/The address left@example\.com\s+Unsubscribed since .* by the channel Admin API/);
    await page.click("#address-status >> text=Its history");
    expect(await page.locator("h1").innerText()).toMatch(/left@example\.com\s+Unsubscribed/);
    expect(await page.locator("tbody tr").first().innerText()).toMatch(/Unsubscribed\s+Admin API\s+Admin API\s+Admin API/);
  });

  it("a wrong token is refused at login and gives no session", async () => {
    const page = await newPage();
    await logIn(page, "not-the-admin-token");
    expect(new URL(page.url()).pathname).toBe("/ui/login");
    expect(await page.locator(".flash").innerText()).toBe("That is not the admin token.");
    expect(await page.context().cookies()).toEqual([]);
    await page.goto(`${app.url}/ui/`);
    expect(new URL(page.url()).pathname).toBe("/ui/login");
  });
});
