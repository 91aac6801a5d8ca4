/**
 * The Salesforce outbound-message endpoint (SPEC §6): POST /sfdc/outbound/<SFDC_OUTBOUND_TOKEN>
 * takes a `notifications` message and answers its Ack; GET with ?wsdl serves the WSDL of such
 * messages for Lead and Contact. A wrong token, or an endpoint not configured, answers 404 and
 * reads nothing more. The handler translates: parse, one service call, answer.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { BlockList, isIP } from "node:net";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { DomainError } from "../domain/errors";
import type { SfdcSyncService } from "../domain/sfdc-sync.service";
import type { Logger } from "../logger";
import { ackEnvelope, faultEnvelope, OutboundMessageError, parseOutboundMessage } from "./outbound-message.mapper";

export interface SfdcRouterOptions {
  /** SFDC_OUTBOUND_TOKEN; undefined: the endpoint is disabled (every path answers 404). */
  readonly outboundToken?: string;
  readonly sync?: Pick<SfdcSyncService, "receive">;
  readonly maxBodyBytes: number;
  readonly publicUrl?: string;
  readonly logger: Logger;
  /** Sender authentication: source networks and/or client-certificate fingerprints (SFDC_ALLOWED_NETWORKS, SFDC_CLIENT_CERT_SHA256). */
  readonly senders?: { readonly networks?: readonly string[]; readonly certFingerprints?: readonly string[] };
}

const WSDL_FILE = "sfdc-outbound-message.wsdl";

/**
 * Domain errors that refuse the whole message (a Client fault); a notification that cannot apply
 * is acknowledged and kept instead (SfdcSyncService). Any other error is our failure.
 */
const REFUSALS = new Set(["foreignOrganization"]);

export function createSfdcRouter(options: SfdcRouterOptions): Router {
  const router = express.Router();
  const { outboundToken, sync } = options;
  if (!outboundToken || !sync) {
    router.use((_req, res) => notFound(res));
    return router;
  }
  const wsdl = readFileSync(path.join(wsdlDir(), WSDL_FILE), "utf8");
  const tokenDigest = digest(outboundToken);
  const senderProblem = senderCheck(options.senders);

  router.all(
    "/outbound/:token",
    (req: Request, res: Response, next: NextFunction) => {
      // Constant-time on digests, so neither the token's content nor its length leaks.
      if (!timingSafeEqual(digest(String(req.params.token)), tokenDigest)) {
        notFound(res);
        return;
      }
      if (req.method === "GET" && Object.keys(req.query).some((k) => k.toLowerCase() === "wsdl")) {
        res.type("text/xml; charset=utf-8").send(withAddress(wsdl, `${baseUrl(req, options.publicUrl)}/sfdc/outbound/${outboundToken}`));
        return;
      }
      if (req.method !== "POST") {
        res.status(405).set("Allow", "POST").type("text/plain").send("POST Salesforce outbound messages here; the WSDL is at this path with ?wsdl\n");
        return;
      }
      // The token is in every URL Salesforce is configured with; the sender proves itself too.
      const refused = senderProblem(req);
      if (refused) {
        options.logger.log("warn", "sfdc outbound message refused", { reason: refused, ip: req.ip });
        sendFault(res, 403, "Client", "This sender is not allowed");
        return;
      }
      next();
    },
    express.raw({ type: () => true, limit: options.maxBodyBytes }),
    async (req: Request, res: Response) => {
      const started = process.hrtime.bigint();
      try {
        const message = parseOutboundMessage(req.body);
        const receipt = await sync.receive(message);
        options.logger.log("info", "sfdc outbound message", { notifications: message.notifications.length, ...receipt, ms: elapsed(started) });
        res.type("text/xml; charset=utf-8").send(ackEnvelope());
      } catch (error) {
        if (error instanceof OutboundMessageError || (error instanceof DomainError && REFUSALS.has(error.kind))) {
          options.logger.log("info", "sfdc outbound message refused", { reason: error.message, ms: elapsed(started) });
          sendFault(res, 500, "Client", error.message);
          return;
        }
        options.logger.log("error", "sfdc outbound message failed", {
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          stack: error instanceof Error ? error.stack : undefined,
          ms: elapsed(started),
        });
        sendFault(res, 500, "Server", "Internal error");
      }
    },
  );
  router.use((_req, res) => notFound(res));
  // An oversized or unreadable body gets a fault, not an HTML page.
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = error as { type?: string; status?: number };
    if (e?.type === "entity.too.large") sendFault(res, 413, "Client", "Request body too large");
    else sendFault(res, e?.status && e.status >= 400 && e.status < 500 ? e.status : 400, "Client", "Unreadable request");
  });
  return router;
}

/** Why a request's sender is not allowed, or undefined; every configured check must pass. */
function senderCheck(senders: SfdcRouterOptions["senders"]): (req: Request) => string | undefined {
  const networks = senders?.networks?.length ? new BlockList() : undefined;
  for (const n of senders?.networks ?? []) {
    const [address, bits] = n.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (bits === undefined) networks?.addAddress(address, family);
    else networks?.addSubnet(address, Number(bits), family);
  }
  const prints = senders?.certFingerprints ?? [];
  return (req) => {
    if (networks) {
      const ip = (req.ip ?? "").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
      if (!isIP(ip) || !networks.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4")) return `source ${ip.slice(0, 60)} is not in SFDC_ALLOWED_NETWORKS`;
    }
    if (prints.length > 0) {
      const socket = req.socket as Partial<TLSSocket>;
      const cert = typeof socket.getPeerCertificate === "function" ? socket.getPeerCertificate() : undefined;
      const print = cert?.fingerprint256?.replace(/:/g, "").toLowerCase();
      if (!print) return "no client certificate";
      if (!prints.includes(print)) return "client certificate not in SFDC_CLIENT_CERT_SHA256";
    }
    return undefined;
  };
}

function notFound(res: Response): void {
  res.status(404).type("text/plain").send("Not found\n");
}

function sendFault(res: Response, status: number, code: "Client" | "Server", message: string): void {
  res.status(status).type("text/xml; charset=utf-8").send(faultEnvelope(code, message));
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

function elapsed(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1000n) / 1000;
}

/** The URL the sender used: PUBLIC_URL, else the request's (X-Forwarded-* only behind a trusted proxy). */
function baseUrl(req: Request, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl;
  const host = req.host ?? "localhost";
  const safeHost = /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : "localhost";
  return `${req.protocol === "https" ? "https" : "http"}://${safeHost}`;
}

function withAddress(wsdl: string, url: string): string {
  return wsdl.replace(/(<soap:address\s+location=")[^"]*(")/, `$1${url.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}$2`);
}

/** wsdl/ sits at the project root: two levels above src/sfdc, three above dist/src/sfdc. */
function wsdlDir(): string {
  for (const candidate of [path.resolve(__dirname, "../../wsdl"), path.resolve(__dirname, "../../../wsdl")]) {
    try {
      readFileSync(path.join(candidate, WSDL_FILE));
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error("wsdl/ folder not found next to src/ or dist/");
}
