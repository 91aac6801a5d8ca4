/**
 * Opaque stream positions: the domain's keyset cursors as base64url JSON behind a version tag.
 * Anything else a client sends back is fault 20122.
 */
import type { LeadStreamPosition } from "../../domain/lead-stream.service";
import type { ChangeCursor } from "../../domain/stream-ports";
import { MarketoCodes, MarketoFault } from "../faults";

const LEADS = "L1.";

export function encodeLeadPosition(p: LeadStreamPosition): string {
  return LEADS + Buffer.from(JSON.stringify(p), "utf8").toString("base64url");
}

export function decodeLeadPosition(raw: string): LeadStreamPosition {
  const bad = () => new MarketoFault(MarketoCodes.badStreamPosition, "streamPosition is not one this server handed out");
  if (!raw.startsWith(LEADS) || raw.length > 20000) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(raw.slice(LEADS.length), "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  const o = v as Record<string, unknown>;
  const isInt = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  if (o?.kind === "keys" && typeof o.keyType === "string" && Array.isArray(o.values) && o.values.every((x) => typeof x === "string") && isInt(o.afterId)) {
    return o as unknown as LeadStreamPosition;
  }
  if (o?.kind === "staticList" && isInt(o.listId) && isInt(o.afterId)) return o as unknown as LeadStreamPosition;
  if (o?.kind === "updatedAt" && typeof o.since === "string" && typeof o.until === "string" && !Number.isNaN(Date.parse(o.since)) && !Number.isNaN(Date.parse(o.until))) {
    const a = o.after as Record<string, unknown> | undefined;
    if (a === undefined || (typeof a.updatedMicros === "string" && /^-?\d{1,20}$/.test(a.updatedMicros) && isInt(a.id))) return o as unknown as LeadStreamPosition;
  }
  throw bad();
}

/** getLeadChanges offsets: "<txid>:<id>" (commit order). */
export function encodeChangeOffset(c: ChangeCursor): string {
  return `${c.txId}:${c.id}`;
}

export function decodeChangeOffset(raw: string): ChangeCursor {
  const m = /^\s*(\d{1,20}):(\d{1,18})\s*$/.exec(raw);
  if (!m) throw new MarketoFault(MarketoCodes.badStreamPosition, `offset '${raw.slice(0, 40)}' is not a stream position of this server`);
  return { txId: m[1], id: Number(m[2]) };
}
