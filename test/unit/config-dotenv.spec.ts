/**
 * The `.env` file (SPEC §6 configuration contract; issue 13): read with Node's own parser, so an
 * inline comment is not part of a value, quotes and `export` work, and the real environment wins.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config";

describe(".env", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "mktows-env-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("drops inline comments, keeps # inside quotes, takes `export` lines, and lets the environment win", () => {
    writeFileSync(
      path.join(dir, ".env"),
      [
        "# a comment line",
        "ADMIN_TOKEN=s3cret-token-0123456789 # prod",
        'PUBLIC_URL="https://mktows.example.com" # the public one',
        "export LOG_LEVEL=warn",
        "EMAIL_HASH_KEY='hash # key 0123456789'",
        "PORT=9000",
      ].join("\n"),
    );
    const config = loadConfig({ PORT: "9100" }, dir);
    expect(config.adminToken).toBe("s3cret-token-0123456789");
    expect(config.publicUrl).toBe("https://mktows.example.com");
    expect(config.logLevel).toBe("warn");
    expect(config.emailHashKey).toBe("hash # key 0123456789");
    expect(config.port).toBe(9100);
  });
});
