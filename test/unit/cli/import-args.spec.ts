/** The import command's arguments (issue 12): strict switches, the delimiter, --allow-no-email. */
import { parseArgs, UsageError } from "../../../src/cli/import";

describe("npm run import arguments", () => {
  it("--dry-run=false is not a dry run; --dry-run and --dry-run=true are", () => {
    expect(parseArgs(["--leads", "a.csv", "--dry-run=false"]).dryRun).toBe(false);
    expect(parseArgs(["--leads", "a.csv", "--dry-run"]).dryRun).toBe(true);
    expect(parseArgs(["--leads", "a.csv", "--dry-run=true"]).dryRun).toBe(true);
  });

  it.each([["--dry-run=maybe"], ["--allow-no-email=sometimes"], ["--delimiter", "ab"], ["--delimiter", '"'], ["--help=please"]])("%s %s is a usage error", (...args) => {
    expect(() => parseArgs(["--leads", "a.csv", ...args])).toThrow(UsageError);
  });

  it("takes one-character delimiters, and 'tab'", () => {
    expect(parseArgs(["--leads", "a.csv", "--delimiter", ";"]).delimiter).toBe(";");
    expect(parseArgs(["--leads", "a.csv", "--delimiter=tab"]).delimiter).toBe("\t");
    expect(parseArgs(["--leads", "a.csv"]).delimiter).toBe(",");
    expect(parseArgs(["--leads", "a.csv", "--allow-no-email"]).allowNoEmail).toBe(true);
  });
});
