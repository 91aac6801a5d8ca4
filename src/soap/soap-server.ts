/**
 * Mounts the SOAP endpoint: /soap/mktows/<version> for every supported version, its WSDL at
 * ?WSDL with soap:address set to the URL the client used, and the request path: one streaming
 * parse (request-reader.ts) that authenticates from the Header before the body is read, refuses
 * bad input (oversized, malformed, DTDs, bad encodings, unknown operations) with a Marketo fault
 * and builds the handlers' arguments; then the operation's handler, and its answer written as
 * node-soap's server wrote it (envelope.ts). Dispatch is on the body element (SPEC §5), never
 * on SOAPAction.
 */
import type { AuthThrottle } from "../auth-throttle";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Logger } from "../logger";
import type { SoapRefusal } from "../metrics";
import { parseTimestamp, verifyAuthenticationHeader, type ApiUser } from "./auth";
import type { CallLimiter } from "./call-limits";
import { faultEnvelope, successEnvelope } from "./envelope";
import { MarketoCodes, MarketoFault, toMarketoFault } from "./faults";
import type { HandlerContext } from "./handlers/context";
import type { Args } from "./mappers/args";
import { readSoapRequest, type HeadCredentials, type SoapRequest } from "./request-reader";
import { WsdlModel } from "./request-schema";
import { handlers } from "./service-definition";
import { supportedVersions, type ApiVersion, type Shapes } from "./versions";

export interface SoapServerOptions {
  readonly findUser: (id: string) => ApiUser | undefined;
  readonly timestampWindowSeconds: number;
  readonly maxBodyBytes: number;
  readonly publicUrl?: string;
  readonly trustProxy: boolean;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Per-user call limits (20023, 20024, 20015); none when absent. */
  readonly limiter?: Pick<CallLimiter, "acquire">;
  /** Failed signatures per source and user (20023 before checking when over the limit). */
  readonly throttle?: Pick<AuthThrottle, "refusal" | "failed">;
  /** Told of every operation's outcome and duration. */
  readonly onRequest?: (operation: string, outcome: "ok" | "fault", code: number | undefined, seconds: number) => void;
  /** A request answered with a fault before any operation ran (for /metrics). */
  readonly onRefused?: (reason: SoapRefusal, code: number) => void;
  readonly services: Omit<HandlerContext, "version" | "user" | "headers">;
}

/** wsdl/ sits at the project root: two levels above src/soap, three above dist/src/soap. */
export function wsdlDir(): string {
  for (const candidate of [path.resolve(__dirname, "../../wsdl"), path.resolve(__dirname, "../../../wsdl")]) {
    try {
      readFileSync(path.join(candidate, "mktows-2_2.wsdl"));
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error("wsdl/ folder not found next to src/ or dist/");
}

/** Mounts /soap once every version's WSDL is read. */
export async function mountSoap(app: Express, options: SoapServerOptions): Promise<void> {
  const dir = wsdlDir();
  const wsdlText = new Map<Shapes, string>();
  for (const v of supportedVersions) {
    if (!wsdlText.has(v.shapes)) wsdlText.set(v.shapes, readFileSync(path.join(dir, `mktows-${v.shapes}.wsdl`), "utf8"));
  }
  const models = new Map<Shapes, WsdlModel>();
  for (const [shapes, xml] of wsdlText) models.set(shapes, await WsdlModel.load(xml));
  const versionNames = supportedVersions.map((v) => v.name);

  app.use("/soap", express.raw({ type: () => true, limit: options.maxBodyBytes }));
  app.use("/soap", (req: Request, res: Response) => {
    const m = /^\/mktows\/([^/?]+)\/?$/.exec(req.path);
    const version = m ? supportedVersions.find((v) => v.name === m[1]) : undefined;
    if (!version) {
      options.onRefused?.("no_endpoint", MarketoCodes.requestNotUnderstood);
      sendFault(res, 404, new MarketoFault(MarketoCodes.requestNotUnderstood, `No SOAP endpoint here. Supported versions: ${versionNames.map((n) => `/soap/mktows/${n}`).join(", ")}`));
      return;
    }
    if (req.method === "GET" && Object.keys(req.query).some((k) => k.toLowerCase() === "wsdl")) {
      res.type("text/xml; charset=utf-8").send(withAddress(wsdlText.get(version.shapes) as string, `${baseUrl(req, options)}/soap/mktows/${version.name}`));
      return;
    }
    if (req.method !== "POST") {
      res.status(405).set("Allow", "POST").type("text/plain").send(`POST SOAP 1.1 requests here; the WSDL is at /soap/mktows/${version.name}?WSDL\n`);
      return;
    }
    const model = models.get(version.shapes) as WsdlModel;
    // One parse: authenticated from the Header first, so a refused request is never parsed further.
    const request = readSoapRequest(req.body, model, (head) => authenticateHead(head, req.ip ?? "", options));
    if (request.refused) {
      options.logger.log("info", "soap request refused", { version: version.name, code: request.fault.code, reason: request.fault.message });
      const code = request.fault.code;
      options.onRefused?.(request.refused === "unauthenticated" ? "unauthenticated" : code === MarketoCodes.unsupportedOperation ? "unknown_operation" : "malformed", code);
      sendFault(res, 500, request.fault);
      return;
    }
    answer(request, version, model, options).then(
      ({ status, xml }) => {
        // As node-soap's server answered: the request's content type (always this one), chunked
        // (write, then end). Corked, so that the head, the chunk and the last chunk leave in one
        // write to the socket instead of two: the same bytes, half the system calls.
        res.statusCode = status;
        res.setHeader("Content-Type", "text/xml; charset=utf-8");
        res.cork();
        res.write(xml);
        res.end();
        res.uncork();
      },
      (error: unknown) => {
        options.logger.log("error", "soap answer failed", { version: version.name, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
        if (!res.headersSent) sendFault(res, 500, new MarketoFault(MarketoCodes.internalError, "Internal error"));
        else res.destroy();
      },
    );
  });
}

type Accepted = Extract<SoapRequest, { refused?: undefined }>;

/** withFaults(withAuth(handler)): the one wrapper every operation gets; the answer's HTTP status and envelope. */
async function answer(request: Accepted, version: ApiVersion, model: WsdlModel, options: SoapServerOptions): Promise<{ status: number; xml: string }> {
  const started = process.hrtime.bigint();
  const requestId = randomUUID();
  const { operation: name, user } = request;
  const headers = (request.headers && typeof request.headers === "object" ? request.headers : {}) as Args;
  const args = (request.args && typeof request.args === "object" ? request.args : {}) as Args;
  let release: (() => Promise<void>) | undefined;
  try {
    const handler = handlers[name];
    if (!handler) throw new MarketoFault(MarketoCodes.unsupportedOperation, `${name} is not supported by this server`);
    release = await options.limiter?.acquire(user.id, user.limits);
    const body = await handler(args, { ...options.services, version, user, headers });
    const ms = elapsed(started);
    options.logger.log("info", "soap request", { requestId, operation: name, version: version.name, user: user.id, outcome: "ok", ms });
    options.onRequest?.(name, "ok", undefined, ms / 1000);
    return { status: 200, xml: successEnvelope(model, request.requestElement, body, request.timestamped) };
  } catch (error) {
    const { fault, internal } = toMarketoFault(error, name);
    options.onRequest?.(name, "fault", fault.code, elapsed(started) / 1000);
    options.logger.log(internal ? "error" : "info", "soap request", {
      requestId,
      operation: name,
      version: version.name,
      user: user.id,
      outcome: "fault",
      code: fault.code,
      ms: elapsed(started),
      ...(internal ? { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), stack: error instanceof Error ? error.stack : undefined } : {}),
    });
    return { status: 500, xml: faultEnvelope(model, fault, request.timestamped) };
  } finally {
    await release?.();
  }
}

/** The signature check on the request's head, behind the failed-attempt throttle; a fault to answer otherwise. */
function authenticateHead(header: HeadCredentials | MarketoFault, source: string, options: SoapServerOptions): ApiUser | MarketoFault {
  if (header instanceof MarketoFault) {
    if (header.code === MarketoCodes.authenticationFailed) options.throttle?.failed(source, "soap:");
    return header;
  }
  try {
    return authenticate(header, source, options);
  } catch (error) {
    if (error instanceof MarketoFault) return error;
    throw error;
  }
}

/**
 * Headers that verified, by their exact three values: a client signs once and sends the same
 * header for many calls (Marketo's own SDKs sign per second at most), and the HMAC and the
 * timestamp parsing were a tenth of a getLead's CPU. A hit is the same user object (a changed
 * key is a restart) and is checked against the window again; failures are never kept.
 */
const verified = new Map<string, { readonly user: ApiUser; readonly at: number }>();
const VERIFIED_MAX = 1024;

/** The signature check, behind the failed-attempt throttle. */
function authenticate(header: HeadCredentials, source: string, options: SoapServerOptions): ApiUser {
  const identity = `soap:${typeof header.mktowsUserId === "string" ? header.mktowsUserId.slice(0, 100) : ""}`;
  const refused = options.throttle?.refusal(source, identity);
  if (refused) {
    throw new MarketoFault(MarketoCodes.rateLimitExceeded, `Too many failed authentications; try again in ${refused.retryAfterSeconds} s`);
  }
  const now = options.now?.() ?? new Date();
  const key = `${header.mktowsUserId}\u0000${header.requestSignature}\u0000${header.requestTimestamp}`;
  const hit = verified.get(key);
  if (hit && options.findUser(hit.user.id) === hit.user && Math.abs(now.getTime() - hit.at) <= options.timestampWindowSeconds * 1000) return hit.user;
  try {
    const user = verifyAuthenticationHeader(header.mktowsUserId === undefined && header.requestSignature === undefined && header.requestTimestamp === undefined ? undefined : header, options.findUser, now, options.timestampWindowSeconds);
    if (verified.size >= VERIFIED_MAX) verified.clear();
    verified.set(key, { user, at: (parseTimestamp(header.requestTimestamp ?? "") as Date).getTime() });
    return user;
  } catch (error) {
    if (error instanceof MarketoFault && error.code === MarketoCodes.authenticationFailed) options.throttle?.failed(source, identity);
    throw error;
  }
}

function elapsed(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1000n) / 1000;
}

function sendFault(res: Response, status: number, fault: MarketoFault): void {
  res.status(status).type("text/xml; charset=utf-8").send(fault.toEnvelope());
}

function baseUrl(req: Request, options: SoapServerOptions): string {
  if (options.publicUrl) return options.publicUrl;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(",")[0]?.trim();
  const proto = (options.trustProxy && first(req.headers["x-forwarded-proto"])) || req.protocol;
  const host = (options.trustProxy && first(req.headers["x-forwarded-host"])) || req.headers.host || "localhost";
  const safeHost = /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? host : "localhost";
  return `${proto === "https" ? "https" : "http"}://${safeHost}`;
}

function withAddress(wsdl: string, url: string): string {
  return wsdl.replace(/(<soap:address\s+location=")[^"]*(")/, `$1${url.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}$2`);
}

/** Error middleware for /soap: an oversized or unreadable body gets a fault, not an HTML page. */
export function soapErrorHandler(onRefused?: SoapServerOptions["onRefused"]) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (!req.path.startsWith("/soap")) {
      next(error);
      return;
    }
    const e = error as { type?: string; status?: number };
    const tooLarge = e?.type === "entity.too.large";
    onRefused?.(tooLarge ? "too_large" : "unreadable", MarketoCodes.requestNotUnderstood);
    if (tooLarge) {
      sendFault(res, 413, new MarketoFault(MarketoCodes.requestNotUnderstood, "Request body too large"));
      return;
    }
    sendFault(res, e?.status && e.status >= 400 && e.status < 500 ? e.status : 500, new MarketoFault(MarketoCodes.requestNotUnderstood, "Unreadable request"));
  };
}
