/**
 * The first hour (issue 13): `/` says what this server is and links its endpoints, and the
 * start's log line says where everything is, as one JSON object per stdout line.
 */
import { spawnServer } from "../support/server-process";
import { startTestApp, type TestApp } from "../support/test-app";
import { onRealPostgres, testDatabaseUrl } from "../support/test-env";

describe("GET / and the start's log line", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it("/ is a small page that names the server and links every endpoint, each of which answers", async () => {
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const body = await res.text();
    expect(body).toContain("A drop-in server for the Marketo SOAP API");
    const links = [...body.matchAll(/href="(\/[^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, "&"));
    for (const expected of ["/soap/mktows/2_0?WSDL", "/soap/mktows/2_2?WSDL", "/soap/mktows/3_1?WSDL", "/ui/", "/healthz", "/metrics"]) expect(links).toContain(expected);
    for (const link of links) {
      const target = await fetch(`${app.url}${link}`, { redirect: "manual" });
      expect([200, 303]).toContain(target.status);
    }
  });

  (onRealPostgres() ? it : it.skip)("the start prints one JSON line naming the SOAP endpoint, WSDL, /ui, the admin API, /metrics and /healthz", async () => {
    const server = await spawnServer({ DATABASE_URL: testDatabaseUrl(), DB_POOL_SIZE: "2" });
    try {
      const started = server.logs.find((l) => l.message === "mktows started");
      expect(started).toMatchObject({
        wsdl: expect.stringMatching(/\/soap\/mktows\/2_2\?WSDL$/),
        soap: expect.stringContaining("/soap/mktows/"),
        ui: expect.stringMatching(/\/ui\/$/),
        admin: expect.stringMatching(/\/admin\/api$/),
        metrics: expect.stringMatching(/\/metrics$/),
        health: expect.stringMatching(/\/healthz$/),
      });
    } finally {
      await server.stop();
    }
    // Every stdout line was JSON (spawnServer keeps a line that is not as { message: <line> } without a level).
    expect(server.logs.every((l) => typeof l.level === "string" && typeof l.time === "string")).toBe(true);
  });
});
