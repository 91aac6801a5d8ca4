/**
 * Issue 11 item 2: generated secrets cannot be lost. A first start that fails after creating
 * the database (here: the port is taken) still prints what it generated; `npm run secrets`
 * shows them again from the database, and `npm run secrets -- rotate …` replaces the admin
 * token or the SOAP key, which the next start uses. On the embedded database, as `npm start`
 * makes it without configuration.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildServer, spawnServer } from "../support/server-process";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a built script with only `env` (and PATH/HOME), in the data directory's parent (no .env there). */
function run(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const cwd = path.dirname(env.DATA_DIR);
    execFile(process.execPath, [script, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env }, cwd, timeout: 60000 }, (error, stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code;
      resolve({ code: error ? (typeof code === "number" ? code : -1) : 0, stdout, stderr });
    });
  });
}

describe("instance secrets: shown after a failed first start, shown again, rotated (issue 11 item 2)", () => {
  let dir: string;
  let blocker: net.Server;
  let main: string;
  let secretsCli: string;
  const env = () => ({ DATA_DIR: path.join(dir, "data"), HOST: "127.0.0.1", LOG_LEVEL: "warn" });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "mktows-secrets-"));
    main = buildServer();
    secretsCli = path.join(path.dirname(main), "cli", "secrets.js");
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the generated secrets even when the first start then fails, and `secrets` shows the same", async () => {
    const port = (blocker.address() as net.AddressInfo).port;
    const failed = await run(main, [], { ...env(), PORT: String(port) });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/EADDRINUSE|address already in use/);
    const token = /ADMIN_TOKEN=(\S+)/.exec(failed.stderr)?.[1];
    const userId = /MKTOWS_USER_ID=(\S+)/.exec(failed.stderr)?.[1];
    const key = /MKTOWS_ENCRYPTION_KEY=(\S+)/.exec(failed.stderr)?.[1];
    expect(token).toBeDefined();

    const shown = await run(secretsCli, [], env());
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`ADMIN_TOKEN=${token} `);
    expect(shown.stdout).toContain(`MKTOWS_USER_ID=${userId} `);
    expect(shown.stdout).toContain(`MKTOWS_ENCRYPTION_KEY=${key} `);
    expect(shown.stdout).toMatch(/EMAIL_HASH_KEY=[0-9a-f]{64} /);
    expect(shown.stdout).toContain("generated, stored in the database");
  });

  it("rotates the admin token: the next start takes the new one and refuses the old", async () => {
    const before = /ADMIN_TOKEN=(\S+)/.exec((await run(secretsCli, [], env())).stdout)?.[1] as string;
    const rotated = await run(secretsCli, ["rotate", "admin-token"], env());
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toMatch(/Restart every server process/);
    const after = /^ADMIN_TOKEN=(\S+)$/m.exec(rotated.stdout)?.[1] as string;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect((await run(secretsCli, [], env())).stdout).toContain(`ADMIN_TOKEN=${after} `);

    const server = await spawnServer({ ...env(), LOG_LEVEL: "info", MKTOWS_USER_ID: "", MKTOWS_ENCRYPTION_KEY: "", ADMIN_TOKEN: "", EMAIL_HASH_KEY: "" });
    try {
      const ask = (t: string) => fetch(`${server.url}/admin/api/leads/1`, { headers: { authorization: `Bearer ${t}` } });
      expect((await ask(after)).status).toBe(404);
      expect((await ask(before)).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it("rotates the SOAP key; refuses to rotate a secret set in the environment, and unknown arguments", async () => {
    const before = /MKTOWS_ENCRYPTION_KEY=(\S+)/.exec((await run(secretsCli, [], env())).stdout)?.[1];
    const rotated = await run(secretsCli, ["rotate", "soap-key"], env());
    expect(rotated.code).toBe(0);
    expect(/^MKTOWS_ENCRYPTION_KEY=(\S+)$/m.exec(rotated.stdout)?.[1]).not.toBe(before);

    const fromEnv = await run(secretsCli, ["rotate", "admin-token"], { ...env(), ADMIN_TOKEN: "an-admin-token-from-env" });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/ADMIN_TOKEN is set in the environment; change it there/);
    expect((await run(secretsCli, ["rotate", "everything"], env())).code).toBe(2);
  });
});
