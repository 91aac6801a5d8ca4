/**
 * Opaque stream positions. getMultipleLeads positions carry the paging state (the keys asked
 * for, the time range, the keyset cursor), so they are signed: `L2.<base64url JSON>.<mac>`, the
 * MAC an HMAC-SHA256 over the user id and the payload with a key of this database (every
 * process on it agrees). A position another user got, an edited one and a hand-made one are
 * fault 20122, and so is every value out of range. getLeadChanges offsets carry no state beyond
 * a place in the commit order, so they stay `<txid>:<id>`, checked to be in range.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { LeadStreamPosition } from "../../domain/lead-stream.service";
import type { ChangeCursor } from "../../domain/stream-ports";
import { MarketoCodes, MarketoFault } from "../faults";
import { MAX_SELECTOR_KEYS } from "./lead-selector.mapper";

const LEADS = "L2.";
const MAX_INT4 = 2147483647;
const MAX_INT8 = 9223372036854775807n;
const MAX_XID8 = 18446744073709551615n;

/** Signs and checks positions for one database. */
export interface PositionSigner {
  mac(userId: string, payload: string): string;
}

export function positionSigner(secret: string): PositionSigner {
  const key = createHmac("sha256", secret).update("mktows stream position v2").digest();
  return { mac: (userId, payload) => createHmac("sha256", key).update(`${userId}\n${payload}`, "utf8").digest("base64url").slice(0, 22) };
}

export function encodeLeadPosition(p: LeadStreamPosition, signer: PositionSigner, userId: string): string {
  const payload = Buffer.from(JSON.stringify(p), "utf8").toString("base64url");
  return `${LEADS}${payload}.${signer.mac(userId, payload)}`;
}

export function decodeLeadPosition(raw: string, signer: PositionSigner, userId: string): LeadStreamPosition {
  const bad = () => new MarketoFault(MarketoCodes.badStreamPosition, "streamPosition is not one this server handed out");
  const m = /^L2\.([A-Za-z0-9_-]{1,20000})\.([A-Za-z0-9_-]{22})$/.exec(raw);
  if (!m) throw bad();
  const [, payload, mac] = m;
  const expected = Buffer.from(signer.mac(userId, payload));
  if (!timingSafeEqual(Buffer.from(mac), expected)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  // Signed, so made by this server; checked all the same, so that a key leak is not a way in.
  if (!isLeadPosition(v)) throw bad();
  return v;
}

function isLeadPosition(v: unknown): v is LeadStreamPosition {
  if (v === null || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  const id = (x: unknown) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= MAX_INT4;
  const date = (x: unknown) => typeof x === "string" && x.length <= 40 && !Number.isNaN(Date.parse(x));
  switch (o.kind) {
    case "keys":
      return (
        typeof o.keyType === "string" &&
        /^[A-Z]{4,20}$/.test(o.keyType) &&
        Array.isArray(o.values) &&
        o.values.length <= MAX_SELECTOR_KEYS &&
        o.values.every((x) => typeof x === "string" && x.length <= 1000) &&
        id(o.afterId)
      );
    case "staticList":
      return id(o.listId) && id(o.afterId);
    case "updatedAt": {
      if (!date(o.since) || !date(o.until)) return false;
      const a = o.after as Record<string, unknown> | undefined;
      return a === undefined || (typeof a.updatedMicros === "string" && inRange(a.updatedMicros, -MAX_INT8 - 1n, MAX_INT8) && id(a.id));
    }
    default:
      return false;
  }
}

function inRange(digits: string, min: bigint, max: bigint): boolean {
  if (!/^-?\d{1,20}$/.test(digits)) return false;
  const n = BigInt(digits);
  return n >= min && n <= max;
}

/** getLeadChanges offsets: "<txid>:<id>" (commit order). */
export function encodeChangeOffset(c: ChangeCursor): string {
  return `${c.txId}:${c.id}`;
}

export function decodeChangeOffset(raw: string): ChangeCursor {
  const m = /^\s*(\d{1,20}):(\d{1,19})\s*$/.exec(raw);
  if (!m || !inRange(m[1], 0n, MAX_XID8) || !inRange(m[2], 0n, BigInt(Number.MAX_SAFE_INTEGER))) {
    throw new MarketoFault(MarketoCodes.badStreamPosition, `offset '${raw.slice(0, 40)}' is not a stream position of this server`);
  }
  return { txId: BigInt(m[1]).toString(), id: Number(m[2]) };
}
