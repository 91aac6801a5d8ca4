/**
 * Server processes under test (the mktows server, the express + pg baseline) run as child
 * processes so their memory can be read from /proc: peak RSS per phase is the larger of the
 * sampled VmRSS and VmHWM after resetting it (clear_refs 5) at the start of the phase.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { get } from "./net";

export interface Child {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Starts a peak-RSS window; the returned function ends it and gives the peak in MiB. */
  watchRss(): () => number;
  /** User + system CPU seconds used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export async function startChild(name: string, script: string, env: Record<string, string>, port: number, cwd: string, nodeArgs: string[] = []): Promise<Child> {
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, script], { env: { PATH: process.env.PATH ?? "", ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (c: Buffer) => {
    output = (output + c.toString("utf8")).slice(-20000);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  let exited: number | null | undefined;
  proc.on("exit", (code) => {
    exited = code;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120000;
  for (;;) {
    if (exited !== undefined) throw new Error(`${name} exited (${exited}) during start:\n${output}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`${name} did not answer /healthz within 120 s:\n${output}`);
    }
    try {
      if ((await get(new URL("/healthz", url))).status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  const pid = proc.pid as number;
  return {
    name,
    url,
    pid,
    watchRss() {
      let reset = false;
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, "5");
        reset = true;
      } catch {
        // older kernel or not permitted: the sampled peak only
      }
      let peak = statusKb(pid, "VmRSS") ?? 0;
      const timer = setInterval(() => {
        peak = Math.max(peak, statusKb(pid, "VmRSS") ?? 0);
      }, 50);
      return () => {
        clearInterval(timer);
        peak = Math.max(peak, statusKb(pid, "VmRSS") ?? 0, reset ? (statusKb(pid, "VmHWM") ?? 0) : 0);
        return Math.round((peak / 1024) * 10) / 10;
      };
    },
    cpuSeconds() {
      return cpuSecondsOf(pid);
    },
    async stop() {
      if (exited !== undefined) return;
      const done = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 20000);
      await done;
      clearTimeout(timer);
    },
  };
}
