/**
 * The import phase of the benchmark: `npm run import` (the compiled CLI, as a user runs it) on a
 * generated Marketo "export all people" file, dry run then real run, beside a plain-pg baseline
 * that writes the same rows (master rows, one multi-row INSERT … SELECT of leads and their New
 * Lead rows per 500) without our code in between.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import type { Dataset, Row } from "./data";

const run = promisify(execFile);

export interface ImportResult {
  readonly rows: number;
  readonly dryRunRowsPerSecond: number;
  readonly importRowsPerSecond: number;
  readonly baselineRowsPerSecond: number;
  readonly summary: string;
}

/** A Marketo export: Ids kept, 1 in 20 rows unsubscribed, 1 in 10 addresses on two leads (Marketo duplicates). */
function exportFile(rows: number, file: string): void {
  const lines = ["Id,Email Address,First Name,Last Name,Company Name,Unsubscribed"];
  const addresses = Math.ceil(rows * 0.9);
  for (let i = 0; i < rows; i++) {
    lines.push(`${80_000_000 + i},imp-${i % addresses}@bench.example.com,First${i},"Last, ${i}",Company ${i % 97},${i % 20 === 7 ? "true" : "false"}`);
  }
  writeFileSync(file, lines.join("\r\n") + "\r\n");
}

export async function measureImport(
  rows: number,
  env: Record<string, string>,
  root: string,
  workDir: string,
  ds: Dataset,
  log: (m: string) => void,
): Promise<ImportResult> {
  const file = path.join(workDir, "export.csv");
  exportFile(rows, file);
  const cli = path.join(root, "dist/src/cli/import.js");
  const timed = async (args: string[]) => {
    const t0 = performance.now();
    const { stdout } = await run(process.execPath, [cli, "--leads", file, ...args], { cwd: workDir, env: { PATH: process.env.PATH ?? "", ...env }, maxBuffer: 64 * 2 ** 20 });
    return { seconds: (performance.now() - t0) / 1000, stdout };
  };
  log(`import: ${rows.toLocaleString("en")} rows, dry run …`);
  const dry = await timed(["--dry-run"]);
  log(`  ${(rows / dry.seconds).toFixed(0)} rows/s`);
  log(`import: real run (4 workers, 1,000 rows a transaction) …`);
  const real = await timed([]);
  log(`  ${(rows / real.seconds).toFixed(0)} rows/s`);
  log(`import baseline: plain pg, 500 rows a transaction …`);
  const t0 = performance.now();
  for (let i = 0; i < rows; i += 500) {
    const chunk: Row[] = [];
    for (let j = i; j < Math.min(rows, i + 500); j++) chunk.push({ email: `imp-pg-${j}@bench.example.com`, fields: { FirstName: `First${j}`, LastName: `Last, ${j}`, Company: `Company ${j % 97}` } });
    await ds.insert(chunk);
  }
  const baselineSeconds = (performance.now() - t0) / 1000;
  log(`  ${(rows / baselineSeconds).toFixed(0)} rows/s`);
  return {
    rows,
    dryRunRowsPerSecond: Math.round(rows / dry.seconds),
    importRowsPerSecond: Math.round(rows / real.seconds),
    baselineRowsPerSecond: Math.round(rows / baselineSeconds),
    summary: real.stdout.split("\n").filter((l) => /created|updated|rejected/i.test(l)).slice(0, 4).join(" | "),
  };
}
