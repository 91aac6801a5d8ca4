import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readUsersFile, UsersFileError } from "../../src/api-users";
import { loadConfig, ConfigError } from "../../src/config";

describe("MKTOWS_USERS_FILE", () => {
  let dir: string;
  const write = (content: unknown) => {
    const file = path.join(dir, `users-${Math.random()}.json`);
    writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "mktows-users-unit-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads users with workspaces, limits and the re-subscribe permission (allowed by default)", () => {
    const users = readUsersFile(
      write([
        { id: "a", key: "key-aaaaaaaa", workspaces: ["Default", "EMEA"], limits: { callsPer20Seconds: 100, concurrentCalls: 10, dailyQuota: 10000 } },
        { id: "b", encryptionKey: "key-bbbbbbbb", mayResubscribe: false },
      ]),
    );
    expect(users).toEqual([
      { id: "a", encryptionKey: "key-aaaaaaaa", workspaces: ["Default", "EMEA"], limits: { callsPer20Seconds: 100, concurrentCalls: 10, dailyQuota: 10000 }, mayResubscribe: true },
      { id: "b", encryptionKey: "key-bbbbbbbb", workspaces: undefined, limits: undefined, mayResubscribe: false },
    ]);
  });

  it.each([
    ["not JSON", "{", /Unexpected|JSON/],
    ["not an array", { id: "a" }, /JSON array/],
    ["no id", [{ key: "key-aaaaaaaa" }], /"id"/],
    ["short key", [{ id: "a", key: "short" }], /"key"/],
    ["duplicate ids", [{ id: "a", key: "key-aaaaaaaa" }, { id: "a", key: "key-bbbbbbbb" }], /twice/],
    ["empty workspaces", [{ id: "a", key: "key-aaaaaaaa", workspaces: [] }], /workspaces/],
    ["bad limit", [{ id: "a", key: "key-aaaaaaaa", limits: { callsPer20Seconds: 0 } }], /callsPer20Seconds/],
    ["unknown limit", [{ id: "a", key: "key-aaaaaaaa", limits: { perHour: 5 } }], /unknown limits/],
    ["unknown property", [{ id: "a", key: "key-aaaaaaaa", admin: true }], /unknown properties/],
    ["bad permission", [{ id: "a", key: "key-aaaaaaaa", mayResubscribe: "no" }], /mayResubscribe/],
  ])("refuses %s", (_name, content, message) => {
    expect(() => readUsersFile(write(content))).toThrow(UsersFileError);
    expect(() => readUsersFile(write(content))).toThrow(message);
  });

  it("makes a bad file a configuration error that stops the start", () => {
    const file = write([{ id: "a" }]);
    expect(() => loadConfig({ MKTOWS_USERS_FILE: file }, dir)).toThrow(ConfigError);
  });
});
