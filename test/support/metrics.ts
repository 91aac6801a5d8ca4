/** Reads the server's /metrics counters that the tests check. */

/** mktows_standby_reads_total: reads answered by the standby, and by the primary for each reason. */
export async function standbyReads(url: string): Promise<{ standby: number; lag: number; error: number; paused: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = { standby: 0, lag: 0, error: 0, paused: 0 };
  for (const line of text.split("\n")) {
    const m = /^mktows_standby_reads_total\{([^}]*)\} (\d+)/.exec(line);
    if (!m) continue;
    const reason = /reason="(\w+)"/.exec(m[1])?.[1];
    if (/where="standby"/.test(m[1])) out.standby += Number(m[2]);
    else if (reason === "lag" || reason === "error" || reason === "paused") out[reason] += Number(m[2]);
  }
  return out;
}
