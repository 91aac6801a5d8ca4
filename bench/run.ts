/**
 * `npm run bench`: throughput, latency, propagation cost and memory of the server on
 * PostgreSQL, each beside a plain baseline measured in the same run (see the issue "npm run
 * bench"). PostgreSQL comes from DATABASE_URL, or a private one is started and removed.
 *
 *   npm run bench                 full run (10k → 100k → 1M leads)
 *   npm run bench -- --quick      smoke run (10k leads only, 5 s runs)
 *
 * Options: --duration=S --warmup=S --concurrency=N --batch-concurrency=N --runs=N --out=FILE
 * --reset (empty the leads of a DATABASE_URL database that has some; it never does so unasked).
 * --only=getLead,syncLead,syncMultipleLeads,import,propagation runs those phases only;
 * --cpu-prof=DIR runs the server with `node --cpu-prof` (a .cpuprofile in DIR when it stops);
 * --before=FILE adds a "before" column from an earlier run's results JSON.
 */
import { cpus, freemem, totalmem, tmpdir } from "node:os";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Pool } from "pg";
import { plainBatch, plainSyncLead } from "./baselines";
import { startChild, type Child } from "./child";
import { Dataset, fieldsFor, uniqueEmail, type Group, type Row } from "./data";
import { closedLoop, median, percentile, round, type LoadResult } from "./load";
import { freePort, freshSockets, post } from "./net";
import { measureImport, type ImportResult } from "./import";
import { measureLimitCost, type LimitCostResult } from "./limits";
import { startPrivatePostgres, type Postgres } from "./postgres";
import { getLeadByEmail, SoapClient, syncLeadBody, syncMultipleBody } from "./soap";

const SECRETS = {
  MKTOWS_USER_ID: "bench_user_0123456789ABCDEF",
  MKTOWS_ENCRYPTION_KEY: "BENCH0123456789ABCDEF0123456789ABCDEF01",
  ADMIN_TOKEN: "bench-admin-token-0123456789",
  EMAIL_HASH_KEY: "bench-email-hash-key-not-for-production",
};

const TARGETS = {
  getLeadRatio: 0.6,
  syncLeadRatio: 0.5,
  batchRatio: 0.25,
  propagationMs: 150,
  propagationSpread: 0.3,
  rssMiB: 300,
  importRowsPerSecond: 10_000,
  dryRunRowsPerSecond: 5_000,
};

interface Options {
  quick: boolean;
  /** --fsync: the private PostgreSQL runs with fsync, synchronous_commit and full_page_writes on. */
  durable: boolean;
  importRows: number;
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  batchSize: number;
  batchConcurrency: number;
  runs: number;
  groupSizes: number[];
  smallDb: number;
  getLeadDb: number;
  largeDb?: number;
  out: string;
  reset: boolean;
  only: ReadonlySet<Phase>;
  cpuProfDir?: string;
  before?: string;
}

const PHASES = ["getLead", "syncLead", "syncMultipleLeads", "import", "limits", "propagation"] as const;
type Phase = (typeof PHASES)[number];

function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument '${a}' (see bench/run.ts)`);
    flags.set(m[1], m[2] ?? "true");
  }
  const known = ["quick", "duration", "warmup", "concurrency", "batch-concurrency", "runs", "out", "reset", "fsync", "import-rows", "only", "cpu-prof", "before"];
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k} (known: ${known.map((n) => `--${n}`).join(" ")})`);
  const quick = flags.has("quick");
  const num = (name: string, fallback: number) => {
    const v = flags.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const only = (flags.get("only") ?? PHASES.join(",")).split(",").map((p) => p.trim());
  for (const p of only) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only: unknown phase '${p}' (known: ${PHASES.join(", ")})`);
  return {
    quick,
    durationMs: num("duration", quick ? 5 : 10) * 1000,
    warmupMs: num("warmup", quick ? 1 : 2) * 1000,
    concurrency: num("concurrency", 16),
    batchSize: 300,
    batchConcurrency: num("batch-concurrency", 1),
    runs: num("runs", 20),
    groupSizes: [10, 100, 1000],
    smallDb: 10_000,
    getLeadDb: quick ? 10_000 : 100_000,
    largeDb: quick ? undefined : 1_000_000,
    out: flags.get("out") ?? (quick ? "bench-results-quick.json" : "bench-results.json"),
    reset: flags.has("reset"),
    durable: flags.has("fsync"),
    importRows: num("import-rows", quick ? 20_000 : 100_000),
    only: new Set(only as Phase[]),
    cpuProfDir: flags.get("cpu-prof") === "true" ? "bench-profiles" : flags.get("cpu-prof"),
    before: flags.get("before"),
  };
}

const log = (m: string) => process.stderr.write(`${m}\n`);

interface Comparison {
  readonly server: LoadResult;
  readonly baseline: LoadResult;
  readonly serverRssMiB: number;
  readonly baselineRssMiB?: number;
  /** CPU of the process serving the requests (warm-up included), per request. */
  readonly serverCpuMsPerRequest: number;
  readonly baselineCpuMsPerRequest?: number;
  /** pg_stat_database deltas over the server's run: rollbacks or deadlocks mean retried transactions. */
  readonly serverDbStats: DbStats;
}

interface DbStats {
  commits: number;
  rollbacks: number;
  deadlocks: number;
}

async function dbStats(pool: Pool): Promise<DbStats> {
  await pool.query(`SELECT pg_stat_clear_snapshot()`);
  const r = await pool.query(`SELECT xact_commit::bigint AS c, xact_rollback::bigint AS r, deadlocks::bigint AS d FROM pg_stat_database WHERE datname = current_database()`);
  return { commits: Number(r.rows[0].c), rollbacks: Number(r.rows[0].r), deadlocks: Number(r.rows[0].d) };
}

/** Runs a load against a child, measuring its peak RSS, its CPU per request and the database's commits/rollbacks. */
async function measured(child: Child, pool: Pool, run: () => Promise<LoadResult>): Promise<{ result: LoadResult; rssMiB: number; cpuMsPerRequest: number; db: DbStats }> {
  freshSockets();
  const before = await dbStats(pool);
  const cpu0 = child.cpuSeconds();
  const done = child.watchRss();
  const result = await run();
  const rssMiB = done();
  const cpu = child.cpuSeconds() - cpu0;
  await new Promise((r) => setTimeout(r, 600)); // statistics are sent every 500 ms
  const after = await dbStats(pool);
  return {
    result,
    rssMiB,
    cpuMsPerRequest: round((cpu * 1000) / Math.max(result.allRequests, 1), 2),
    db: { commits: after.commits - before.commits, rollbacks: after.rollbacks - before.rollbacks, deadlocks: after.deadlocks - before.deadlocks },
  };
}

interface PropagationResult {
  readonly dbLeads: number;
  readonly k: number;
  readonly unsubscribeMs: { median: number; min: number; p90: number; max: number; runs: number[] };
  readonly resubscribeMedianMs: number;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const root = path.resolve(__dirname, "../..");
  const serverScript = path.join(root, "dist/src/main.js");
  const workDir = mkdtempSync(path.join(tmpdir(), "mktows-bench-"));

  let pg: Postgres | undefined;
  const children: Child[] = [];
  let pool: Pool | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const c of children) await c.stop().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    pg?.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      log(`\n${sig}: stopping`);
      void cleanup().then(() => process.exit(130));
    });
  }

  try {
    const envUrl = process.env.DATABASE_URL?.trim();
    pg = envUrl ? { url: envUrl, description: "DATABASE_URL", stop: () => undefined } : await startPrivatePostgres(log, { durable: opts.durable });
    pool = new Pool({ connectionString: pg.url, max: Math.max(opts.concurrency, 4) });
    const pgVersion = String((await pool.query(`SHOW server_version`)).rows[0].server_version);
    const pgSettings = Object.fromEntries(
      (await pool.query(`SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'max_connections')`)).rows.map((r) => [
        r.name,
        r.setting,
      ]),
    );

    const serverEnv = {
      DATABASE_URL: pg.url,
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      DB_POOL_SIZE: String(opts.concurrency),
      ...SECRETS,
    };
    log("starting the server (node dist/src/main.js) …");
    const serverPort = await freePort();
    const profDir = opts.cpuProfDir ? path.resolve(process.cwd(), opts.cpuProfDir) : undefined;
    if (profDir) mkdirSync(profDir, { recursive: true });
    const server = await startChild("mktows", serverScript, { ...serverEnv, PORT: String(serverPort) }, serverPort, workDir, profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []);
    children.push(server);

    const partitionId = Number((await pool.query(`SELECT id FROM partition WHERE name = 'Default'`)).rows[0].id);
    const existing = Number((await pool.query(`SELECT count(*)::int AS n FROM lead`)).rows[0].n);
    if (existing > 0) {
      if (!opts.reset) throw new Error(`the database has ${existing} leads; the benchmark needs an empty one (or pass --reset to empty it)`);
      log(`--reset: emptying ${existing} leads`);
      await pool.query(`TRUNCATE lead, activity, email_status_history, email_status, static_list, campaign RESTART IDENTITY CASCADE`);
    }
    const ds = new Dataset(pool, SECRETS.EMAIL_HASH_KEY, partitionId);
    const soap = new SoapClient(server.url, { userId: SECRETS.MKTOWS_USER_ID, encryptionKey: SECRETS.MKTOWS_ENCRYPTION_KEY });
    const rssPeaks: Record<string, number> = {};
    const loads: { toLeads: number; seconds: number }[] = [];
    const grow = async (target: number) => {
      log(`loading to ${target.toLocaleString("en")} leads …`);
      const t0 = performance.now();
      await ds.grow(target, opts.groupSizes, log);
      loads.push({ toLeads: target, seconds: round((performance.now() - t0) / 1000, 1) });
    };

    // 1. Propagation on the small database.
    await grow(opts.smallDb);
    const propagation: PropagationResult[] = [];
    if (opts.only.has("propagation")) {
      const done = server.watchRss();
      for (const k of opts.groupSizes) propagation.push(await measurePropagation(soap, pool, ds.groups.get(k) as Group, opts.runs, await ds.leadCount()));
      rssPeaks[`propagation ${label(opts.smallDb)}`] = done();
    }

    // 2. Throughput on the getLead-sized database.
    await grow(opts.getLeadDb);
    const getLeadDbLeads = await ds.leadCount();
    const getLead = opts.only.has("getLead") ? await compareGetLead(opts, server, soap, pool, ds, { ...serverEnv }, workDir, children) : undefined;
    if (getLead) rssPeaks.getLead = getLead.serverRssMiB;
    const syncLead = opts.only.has("syncLead") ? await compareSyncLead(opts, server, soap, pool, ds) : undefined;
    if (syncLead) rssPeaks.syncLead = syncLead.serverRssMiB;
    const batch = opts.only.has("syncMultipleLeads") ? await compareBatch(opts, server, soap, pool, ds) : undefined;
    if (batch) rssPeaks.syncMultipleLeads = batch.serverRssMiB;

    // 3. The import command on a Marketo export.
    const imported = opts.only.has("import") ? await measureImport(opts.importRows, { DATABASE_URL: pg.url, LOG_LEVEL: "warn", ...SECRETS }, root, workDir, ds, log) : undefined;

    // 4. The cost of the shared call limits (issue 15), on the same PostgreSQL.
    const limits = opts.only.has("limits") ? await measureLimitCost(pool, loadTiming(opts), log) : undefined;

    // 5. Propagation on the large database.
    if (opts.largeDb && opts.only.has("propagation")) {
      await grow(opts.largeDb);
      const done = server.watchRss();
      for (const k of opts.groupSizes) propagation.push(await measurePropagation(soap, pool, ds.groups.get(k) as Group, opts.runs, await ds.leadCount()));
      rssPeaks[`propagation ${label(opts.largeDb)}`] = done();
    }

    const machine = {
      nproc: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      memTotalMiB: Math.round(totalmem() / 2 ** 20),
      memFreeMiBAtEnd: Math.round(freemem() / 2 ** 20),
      loadAverage: readFileSync("/proc/loadavg", "utf8").trim(),
      node: process.version,
      postgres: pgVersion,
      database: pg.description,
      postgresSettings: pgSettings,
    };
    const config = {
      concurrency: opts.concurrency,
      serverDbPoolSize: opts.concurrency,
      warmupSeconds: opts.warmupMs / 1000,
      durationSeconds: opts.durationMs / 1000,
      batchSize: opts.batchSize,
      batchConcurrency: opts.batchConcurrency,
      propagationRuns: opts.runs,
      getLeadDbLeads,
      quick: opts.quick,
      phases: [...opts.only],
    };
    const rows = table(opts, { getLead, syncLead, batch, propagation, rss: rssPeaks, imported, limits }, opts.before ? beforeRows(opts.before) : undefined);
    await server.stop();
    if (profDir) log(`CPU profile of the server written to ${profDir}`);
    printTable(rows, machine, config);
    const out = path.resolve(process.cwd(), opts.out);
    writeFileSync(
      out,
      JSON.stringify({ generatedAt: new Date().toISOString(), machine, config, targets: TARGETS, table: rows, results: { getLead, syncLead, syncMultipleLeads: batch, import: imported, callLimits: limits, propagation, rssPeaksMiB: rssPeaks, loads } }, null, 2) + "\n",
    );
    log(`\nwritten: ${out}`);
  } finally {
    await cleanup();
  }
}

/** getLead by EMAIL through SOAP, beside the express + pg endpoint (a child process too). */
async function compareGetLead(opts: Options, server: Child, soap: SoapClient, pool: Pool, ds: Dataset, env: Record<string, string>, cwd: string, children: Child[]): Promise<Comparison> {
  const pick = prng(7);
  const email = () => uniqueEmail(Math.floor(pick() * ds.uniqueCount));
  log(`getLead by EMAIL: mktows, ${opts.concurrency} connections …`);
  const ours = await measured(server, pool, () =>
    closedLoop({
      ...loadTiming(opts),
      request: async () => {
        const r = await soap.call(getLeadByEmail(email()));
        if (!r.body.includes("<count>1</count>")) throw new Error(`unexpected getLead answer: ${r.body.slice(0, 300)}`);
      },
    }),
  );
  log(`  ${fmtLoad(ours.result)}; server CPU ${ours.cpuMsPerRequest} ms/request`);

  log(`getLead baseline: express + pg, ${opts.concurrency} connections …`);
  const port = await freePort();
  const baselineChild = await startChild("express+pg baseline", path.resolve(__dirname, "baseline-server.js"), { ...env, PORT: String(port) }, port, cwd);
  children.push(baselineChild);
  const url = new URL("/lead", baselineChild.url);
  const baseline = await measured(baselineChild, pool, () =>
    closedLoop({
      ...loadTiming(opts),
      request: async () => {
        const r = await post(url, JSON.stringify({ email: email() }), "application/json");
        if (r.status !== 200 || !r.body.startsWith(`{"count":1,`)) throw new Error(`baseline answered ${r.status}: ${r.body.slice(0, 200)}`);
      },
    }),
  );
  await baselineChild.stop();
  children.splice(children.indexOf(baselineChild), 1);
  log(`  ${fmtLoad(baseline.result)}; baseline CPU ${baseline.cpuMsPerRequest} ms/request`);
  return {
    server: ours.result,
    baseline: baseline.result,
    serverRssMiB: ours.rssMiB,
    baselineRssMiB: baseline.rssMiB,
    serverCpuMsPerRequest: ours.cpuMsPerRequest,
    baselineCpuMsPerRequest: baseline.cpuMsPerRequest,
    serverDbStats: ours.db,
  };
}

/** syncLead creating new leads, beside the same transaction in plain pg at the same concurrency. */
async function compareSyncLead(opts: Options, server: Child, soap: SoapClient, pool: Pool, ds: Dataset): Promise<Comparison> {
  log(`syncLead (create): mktows, ${opts.concurrency} connections …`);
  const ours = await measured(server, pool, () =>
    closedLoop({
      ...loadTiming(opts),
      request: async (seq) => {
        const r = await soap.call(syncLeadBody({ email: `s-srv-${seq}@bench.example.com`, attributes: fieldsFor(seq) }));
        if (!r.body.includes("<status>CREATED</status>")) throw new Error(`unexpected syncLead answer: ${r.body.slice(0, 300)}`);
      },
    }),
  );
  log(`  ${fmtLoad(ours.result)}; server CPU ${ours.cpuMsPerRequest} ms/request; db ${JSON.stringify(ours.db)}`);
  log(`syncLead baseline: plain pg transactions, ${opts.concurrency} at a time …`);
  const baseline = await closedLoop({
    ...loadTiming(opts),
    request: (seq) => plainSyncLead(pool, ds, { email: `s-pg-${seq}@bench.example.com`, fields: fieldsFor(seq) }),
  });
  log(`  ${fmtLoad(baseline)}`);
  return { server: ours.result, baseline, serverRssMiB: ours.rssMiB, serverCpuMsPerRequest: ours.cpuMsPerRequest, serverDbStats: ours.db };
}

/** syncMultipleLeads of new leads, beside one multi-row INSERT … SELECT of the same rows. */
async function compareBatch(opts: Options, server: Child, soap: SoapClient, pool: Pool, ds: Dataset): Promise<Comparison> {
  const rowsOf = (prefix: string, seq: number): Row[] =>
    Array.from({ length: opts.batchSize }, (_, i) => ({ email: `${prefix}-${seq}-${i}@bench.example.com`, fields: fieldsFor(seq * opts.batchSize + i) }));
  const perLead = (r: LoadResult): LoadResult => ({ ...r, perSecond: round(r.perSecond * opts.batchSize, 1) });
  const timing = { concurrency: opts.batchConcurrency, warmupMs: opts.warmupMs, durationMs: opts.durationMs, minRequests: 3 };
  log(`syncMultipleLeads (${opts.batchSize} new leads a call, ${opts.batchConcurrency} call(s) at a time): mktows …`);
  const ours = await measured(server, pool, () =>
    closedLoop({
      ...timing,
      request: async (seq) => {
        const r = await soap.call(syncMultipleBody(rowsOf("m-srv", seq).map((row) => ({ email: row.email, attributes: row.fields }))));
        const created = r.body.split("<status>CREATED</status>").length - 1;
        if (created !== opts.batchSize) throw new Error(`syncMultipleLeads created ${created} of ${opts.batchSize}: ${r.body.slice(0, 300)}`);
      },
    }),
  );
  log(`  ${fmtLoad(perLead(ours.result))} (leads/s); server CPU ${ours.cpuMsPerRequest} ms/call; db ${JSON.stringify(ours.db)}`);
  log(`syncMultipleLeads baseline: multi-row INSERT … SELECT …`);
  const baseline = await closedLoop({ ...timing, request: (seq) => plainBatch(ds, rowsOf("m-pg", seq)) });
  log(`  ${fmtLoad(perLead(baseline))} (leads/s)`);
  return { server: perLead(ours.result), baseline: perLead(baseline), serverRssMiB: ours.rssMiB, serverCpuMsPerRequest: ours.cpuMsPerRequest, serverDbStats: ours.db };
}

/**
 * Unsubscribes the group's first lead by Id (syncLead, Unsubscribed=true) and times the call;
 * every other lead of the address must follow. Re-subscribed (untimed for the result) between runs.
 */
async function measurePropagation(soap: SoapClient, pool: Pool, group: Group, runs: number, dbLeads: number): Promise<PropagationResult> {
  freshSockets();
  const flip = async (unsubscribed: boolean): Promise<number> => {
    const t0 = performance.now();
    await soap.call(syncLeadBody({ id: group.leadId, attributes: { Unsubscribed: String(unsubscribed) } }));
    const ms = performance.now() - t0;
    const r = await pool.query(`SELECT count(*) FILTER (WHERE unsubscribed = $2)::int AS n FROM lead WHERE email_hash = $1`, [group.hash, unsubscribed]);
    if (r.rows[0].n !== group.k) throw new Error(`propagation k=${group.k}: ${r.rows[0].n} leads have Unsubscribed=${unsubscribed}`);
    return ms;
  };
  for (let i = 0; i < 2; i++) {
    await flip(true);
    await flip(false);
  }
  const unsub: number[] = [];
  const resub: number[] = [];
  for (let i = 0; i < runs; i++) {
    unsub.push(await flip(true));
    resub.push(await flip(false));
  }
  const sorted = [...unsub].sort((a, b) => a - b);
  const result = {
    dbLeads,
    k: group.k,
    unsubscribeMs: {
      median: round(median(unsub), 1),
      min: round(sorted[0], 1),
      p90: round(percentile(sorted, 0.9), 1),
      max: round(sorted[sorted.length - 1], 1),
      runs: unsub.map((v) => round(v, 1)),
    },
    resubscribeMedianMs: round(median(resub), 1),
  };
  log(`propagation k=${group.k} in ${dbLeads.toLocaleString("en")} leads: median ${result.unsubscribeMs.median} ms (min ${result.unsubscribeMs.min}, max ${result.unsubscribeMs.max}); re-subscribe median ${result.resubscribeMedianMs} ms`);
  return result;
}

interface TableRow {
  /** Stable across runs (sizes and options left out), for --before. */
  key: string;
  metric: string;
  before?: string;
  mktows: string;
  baseline: string;
  ratio: string;
  target: string;
  result: "PASS" | "MISS" | "";
}

interface Measured {
  getLead?: Comparison;
  syncLead?: Comparison;
  batch?: Comparison;
  propagation: PropagationResult[];
  rss: Record<string, number>;
  imported?: ImportResult;
  limits?: LimitCostResult;
}

/** The mktows column of an earlier run's table (its results JSON), by row key; "ratio" rows give their ratio. */
function beforeRows(file: string): Map<string, string> {
  if (!existsSync(file)) throw new Error(`--before: ${file} not found`);
  const rows = (JSON.parse(readFileSync(file, "utf8")) as { table: TableRow[] }).table;
  return new Map(rows.filter((r) => r.key).map((r) => [r.key, r.ratio ? `${r.mktows} (${r.ratio}×)` : r.mktows]));
}

function table(opts: Options, m: Measured, before?: Map<string, string>): TableRow[] {
  const rows: TableRow[] = [];
  const { getLead, syncLead, batch, propagation, rss, imported } = m;
  const ratioRow = (key: string, metric: string, c: Comparison, target: number, unit: string) => {
    const ratio = c.server.perSecond / c.baseline.perSecond;
    const errors = c.server.errors + c.baseline.errors;
    rows.push({
      key,
      metric: `${metric}${errors ? ` [${errors} errors]` : ""}`,
      mktows: `${fmt(c.server.perSecond)} ${unit}`,
      baseline: `${fmt(c.baseline.perSecond)} ${unit}`,
      ratio: ratio.toFixed(2),
      target: `≥ ${target.toFixed(2)}×`,
      result: ratio >= target && errors === 0 ? "PASS" : "MISS",
    });
  };
  const cpuRow = (key: string, metric: string, c: Comparison) => {
    const base = c.baselineCpuMsPerRequest;
    rows.push({
      key,
      metric,
      mktows: `${c.serverCpuMsPerRequest} ms`,
      baseline: base !== undefined ? `${base} ms` : "",
      ratio: base !== undefined ? (c.serverCpuMsPerRequest / base).toFixed(2) : "",
      target: "",
      result: "",
    });
  };
  const latencyRow = (key: string, metric: string, c: Comparison) =>
    rows.push({ key, metric, mktows: `${c.server.p50Ms} / ${c.server.p99Ms} ms`, baseline: `${c.baseline.p50Ms} / ${c.baseline.p99Ms} ms`, ratio: "", target: "", result: "" });
  if (getLead) {
    ratioRow("getLead", `getLead EMAIL, ${opts.concurrency} conn, ${label(opts.getLeadDb)} leads`, getLead, TARGETS.getLeadRatio, "req/s");
    latencyRow("getLead latency", "  getLead latency p50 / p99", getLead);
    cpuRow("getLead cpu", "  server CPU per getLead (baseline: the express + pg process)", getLead);
  }
  if (syncLead) {
    ratioRow("syncLead", `syncLead create, ${opts.concurrency} conn`, syncLead, TARGETS.syncLeadRatio, "req/s");
    latencyRow("syncLead latency", "  syncLead latency p50 / p99", syncLead);
    cpuRow("syncLead cpu", "  server CPU per syncLead", syncLead);
  }
  if (batch) {
    ratioRow("syncMultipleLeads", `syncMultipleLeads ${opts.batchSize}/call`, batch, TARGETS.batchRatio, "leads/s");
    cpuRow("syncMultipleLeads cpu", `  server CPU per syncMultipleLeads call (${opts.batchSize} leads)`, batch);
  }
  if (imported) {
    rows.push({
      key: "import",
      metric: `npm run import, ${label(imported.rows)}-row export`,
      mktows: `${fmt(imported.importRowsPerSecond)} rows/s (dry run ${fmt(imported.dryRunRowsPerSecond)})`,
      baseline: `${fmt(imported.baselineRowsPerSecond)} rows/s`,
      ratio: (imported.importRowsPerSecond / imported.baselineRowsPerSecond).toFixed(2),
      target: `≥ ${fmt(TARGETS.importRowsPerSecond)} rows/s; dry run ≥ ${fmt(TARGETS.dryRunRowsPerSecond)}`,
      result: imported.importRowsPerSecond >= TARGETS.importRowsPerSecond && imported.dryRunRowsPerSecond >= TARGETS.dryRunRowsPerSecond ? "PASS" : "MISS",
    });
  }
  if (m.limits) {
    const limits = m.limits;
    rows.push({
      key: "limits serial",
      metric: "shared call limits: acquire + release per call, 1 conn (vs SELECT 1)",
      mktows: `p50 ${limits.serial.p50Ms} / p99 ${limits.serial.p99Ms} ms (${fmt(limits.serial.perSecond)} calls/s)`,
      baseline: `p50 ${limits.selectOneSerial.p50Ms} / p99 ${limits.selectOneSerial.p99Ms} ms`,
      ratio: "",
      target: "",
      result: "",
    });
    rows.push({
      key: "limits many users",
      metric: `  acquire + release, ${opts.concurrency} conn, 2,000 users (vs SELECT 1)`,
      mktows: `${fmt(limits.manyUsers.perSecond)} calls/s, p50 ${limits.manyUsers.p50Ms} / p99 ${limits.manyUsers.p99Ms} ms`,
      baseline: `${fmt(limits.selectOne.perSecond)}/s, p50 ${limits.selectOne.p50Ms} / p99 ${limits.selectOne.p99Ms} ms`,
      ratio: (limits.manyUsers.perSecond / limits.selectOne.perSecond).toFixed(2),
      target: "",
      result: "",
    });
    rows.push({
      key: "limits one user",
      metric: `  one user on all ${opts.concurrency} conn (its row serializes them; past 100 refused)`,
      mktows: `${fmt(limits.oneUser.perSecond)} calls/s, p50 ${limits.oneUser.p50Ms} / p99 ${limits.oneUser.p99Ms} ms (${fmt(limits.oneUserRefused)} refused)`,
      baseline: "",
      ratio: "",
      target: "",
      result: "",
    });
  }
  const small = (k: number) => propagation.find((p) => p.k === k && p.dbLeads < (opts.largeDb ?? Infinity));
  for (const p of propagation) {
    const large = p.dbLeads >= (opts.largeDb ?? Infinity);
    const base = large ? small(p.k) : undefined;
    const checks: string[] = [];
    let pass = true;
    if (p.k === 1000) {
      checks.push(`< ${TARGETS.propagationMs} ms`);
      pass &&= p.unsubscribeMs.median < TARGETS.propagationMs;
    }
    let ratio = "";
    if (base) {
      const r = p.unsubscribeMs.median / base.unsubscribeMs.median;
      ratio = r.toFixed(2);
      if (p.k === 1000) {
        checks.push(`±${TARGETS.propagationSpread * 100}% vs ${label(base.dbLeads)}`);
        pass &&= Math.abs(r - 1) <= TARGETS.propagationSpread;
      }
    }
    rows.push({
      key: `propagation k=${p.k}${large ? " large" : ""}`,
      metric: `propagation k=${p.k}, ${label(p.dbLeads)} leads (median of ${p.unsubscribeMs.runs.length})`,
      mktows: `${p.unsubscribeMs.median} ms`,
      baseline: base ? `${base.unsubscribeMs.median} ms @${label(base.dbLeads)}` : "",
      ratio,
      target: checks.join(", "),
      result: checks.length ? (pass ? "PASS" : "MISS") : "",
    });
  }
  for (const [phase, mib] of Object.entries(rss)) {
    rows.push({ key: `rss ${phase}`, metric: `server peak RSS: ${phase}`, mktows: `${mib} MiB`, baseline: "", ratio: "", target: `< ${TARGETS.rssMiB} MB`, result: mib * 1.048576 < TARGETS.rssMiB ? "PASS" : "MISS" });
  }
  if (before) for (const r of rows) r.before = before.get(r.key) ?? "–";
  return rows;
}

function printTable(rows: TableRow[], machine: Record<string, unknown>, config: Record<string, unknown>): void {
  const cols: (keyof TableRow)[] = rows.some((r) => r.before !== undefined) ? ["metric", "before", "mktows", "baseline", "ratio", "target", "result"] : ["metric", "mktows", "baseline", "ratio", "target", "result"];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join(" | ");
  const out = [
    "",
    `machine: ${machine.nproc} × ${machine.cpuModel}, ${machine.memTotalMiB} MiB RAM, load ${machine.loadAverage}; node ${machine.node}; PostgreSQL ${machine.postgres} (${machine.database})`,
    `config: ${JSON.stringify(config)}`,
    "",
    line(cols),
    width.map((w) => "-".repeat(w)).join("-|-"),
    ...rows.map((r) => line(cols.map((c) => r[c] ?? ""))),
  ];
  process.stdout.write(out.join("\n") + "\n");
}

function loadTiming(opts: Options) {
  return { concurrency: opts.concurrency, warmupMs: opts.warmupMs, durationMs: opts.durationMs };
}

function fmtLoad(r: LoadResult): string {
  return `${fmt(r.perSecond)}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.requests} requests in ${r.seconds} s${r.errors ? `, ${r.errors} ERRORS (first: ${r.firstError})` : ""}`;
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString("en") : n.toFixed(1);
}

function label(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}

function prng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
}

main().catch((error: unknown) => {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
