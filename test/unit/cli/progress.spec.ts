import { duration, Progress } from "../../../src/cli/progress";

function output(isTTY: boolean) {
  const writes: string[] = [];
  return { out: { isTTY, write: (t: string) => writes.push(t) }, writes };
}

describe("Progress", () => {
  it("redraws a bar in place on a terminal, with share, rows, rate and ETA", () => {
    let now = 0;
    const { out, writes } = output(true);
    const p = new Progress({ label: "leads", totalBytes: 1000, out, now: () => now });
    now = 10_000;
    p.update(5000, 250);
    expect(writes[0]).toBe("\rleads  [######------------------]  25%  5,000 rows  500 rows/s  ETA 0:30\x1b[K");
    now = 10_050;
    p.update(5010, 251);
    expect(writes).toHaveLength(1); // at most every 100 ms
    now = 40_000;
    p.finish(20000);
    expect(writes[1]).toBe("\rleads  [########################]  100%  20,000 rows  500 rows/s  in 0:40\x1b[K\n");
    expect(p.seconds()).toBe(40);
  });

  it("writes plain lines now and then elsewhere (a log, CI)", () => {
    let now = 0;
    const { out, writes } = output(false);
    const p = new Progress({ label: "unsubscribes", totalBytes: 0, out, now: () => now, lineEveryMs: 5000 });
    now = 1000;
    p.update(100, 10);
    now = 2000;
    p.update(200, 20);
    now = 7000;
    p.update(700, 70);
    expect(writes).toEqual(["unsubscribes  100 rows  100 rows/s  0:01\n", "unsubscribes  700 rows  100 rows/s  0:07\n"]);
  });

  it("formats durations", () => {
    expect([duration(0), duration(75), duration(3725)]).toEqual(["0:00", "1:15", "1:02:05"]);
  });
});
