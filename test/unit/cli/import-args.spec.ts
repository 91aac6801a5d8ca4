/** The import command's arguments (issue 12): strict switches, the delimiter, --encoding, --allow-no-email; the text of a stop. */
import { parseArgs, stopText, UsageError } from "../../../src/cli/import";
import { ImportStoppedError, type ImportSummary } from "../../../src/domain/import.service";

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

  it("--encoding takes the labels a decoder knows, by their canonical names", () => {
    expect(parseArgs(["--leads", "a.csv", "--encoding", "Windows-1252"]).encoding).toBe("windows-1252");
    expect(parseArgs(["--leads", "a.csv", "--encoding=latin1"]).encoding).toBe("windows-1252");
    expect(parseArgs(["--leads", "a.csv", "--encoding", "utf-32be"]).encoding).toBe("utf-32be");
    expect(parseArgs(["--leads", "a.csv"]).encoding).toBeUndefined();
    expect(() => parseArgs(["--leads", "a.csv", "--encoding", "ebcdic-ish"])).toThrow(UsageError);
  });
});

describe("the text of a stopped run", () => {
  it("says what was committed, up to which line, and that the counts are the committed ones", () => {
    const summary: ImportSummary = {
      dryRun: false,
      rejects: [],
      warnings: [],
      leads: { rows: 9, created: 9, updated: 0, unchanged: 0, unsubscribed: 0, keptUnsubscribed: 0, otherId: 0, rejected: 0, warnedRows: 0, warnings: 0 },
      stop: { part: "leads", firstNotApplied: 1201, committedAfter: [1203, 1207], cause: "Connection terminated unexpectedly" },
    };
    const stopped = new ImportStoppedError("leads", 1201, summary, new Error("Connection terminated unexpectedly"));
    expect(stopText(summary, stopped, false)).toBe(
      "import: stopped at leads line 1,201: Connection terminated unexpectedly\n" +
        "Committed: every leads row before line 1,201, and 2 rows after it (other transactions of the same batch; --report lists their lines). The counts above are what was committed.\n" +
        "Fix the cause and run the same command again (re-runs are safe).\n",
    );
    expect(stopText(summary, stopped, true)).toContain("Dry run: nothing was kept.");
  });
});
