/**
 * Mounts the SOAP endpoint: /soap/mktows/<version> for every supported version, its WSDL at
 * ?WSDL with soap:address set to the URL the client used, and a preflight that answers bad
 * input (oversized, malformed, DTDs, bad encodings, unknown operations) with a Marketo fault
 * before node-soap sees it. node-soap then dispatches on the body element (SOAPAction is
 * dropped), parses the arguments and wraps the `$xml` the handlers build.
 */
import type { AuthThrottle } from "../auth-throttle";
import { badCharacter, badTextMessage } from "../domain/text";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import * as sax from "sax";
import * as soap from "soap";
import type { Logger } from "../logger";
import type { SoapRefusal } from "../metrics";
import { verifyAuthenticationHeader, type ApiUser } from "./auth";
import { readAuthenticationHead, type HeadCredentials } from "./auth-head";
import type { CallLimiter } from "./call-limits";
import { MarketoCodes, MarketoFault, toMarketoFault } from "./faults";
import type { HandlerContext } from "./handlers/context";
import type { Args } from "./mappers/args";
import { handlers, operationByRequestElement, operationNames, type OperationName } from "./service-definition";
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

const SOAP_ENV_11 = "http://schemas.xmlsoap.org/soap/envelope/";
const XSI = "http://www.w3.org/2001/XMLSchema-instance";
const MAX_DEPTH = 64;

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

export function mountSoap(app: Express, options: SoapServerOptions): void {
  const dir = wsdlDir();
  const wsdlText = new Map<Shapes, string>();
  for (const v of supportedVersions) {
    if (!wsdlText.has(v.shapes)) wsdlText.set(v.shapes, readFileSync(path.join(dir, `mktows-${v.shapes}.wsdl`), "utf8"));
  }
  const versionNames = supportedVersions.map((v) => v.name);

  app.use("/soap", express.raw({ type: () => true, limit: options.maxBodyBytes }));
  app.use("/soap", (req: Request, res: Response, next: NextFunction) => {
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
    // Authenticate first, from the Header only: a refused request is never parsed further.
    const user = Buffer.isBuffer(req.body) && req.body.length > 0 ? authenticateHead(req.body, req.ip ?? "", options) : undefined;
    if (user instanceof MarketoFault) {
      options.logger.log("info", "soap request refused", { version: version.name, code: user.code, reason: user.message });
      options.onRefused?.("unauthenticated", user.code);
      sendFault(res, 500, user);
      return;
    }
    if (user) authenticated.set(req, user);
    const problem = preflight(req.body);
    if (problem) {
      options.logger.log("info", "soap request refused", { version: version.name, code: problem.code, reason: problem.message });
      options.onRefused?.(problem.code === MarketoCodes.unsupportedOperation ? "unknown_operation" : "malformed", problem.code);
      sendFault(res, 500, problem);
      return;
    }
    // Dispatch on the body element only (SPEC §5), and answer as Marketo did.
    delete req.headers.soapaction;
    req.headers["content-type"] = "text/xml; charset=utf-8";
    next();
  });

  for (const version of supportedVersions) {
    const services = { MktMktowsApiService: { MktowsApiSoapPort: serviceFor(version, options) } };
    // customDeserializer is read by node-soap's WSDL parser for servers too, but typed for clients only.
    const listenOptions: soap.IServerOptions & Pick<soap.IOptions, "customDeserializer"> = {
      path: `/soap/mktows/${version.name}`,
      services,
      xml: wsdlText.get(version.shapes) as string,
      envelopeKey: "SOAP-ENV",
      suppressStack: true,
      handleNilAsNull: true,
      customDeserializer: keepText,
      callback: (err: unknown, server: unknown) => {
        if (err) throw err;
        // node-soap never declares xsi (stack notes §2): declare it on every envelope.
        const s = server as NodeSoapServerInternals;
        s.wsdl.xmlnsInEnvelope += ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
        answerOwnFailuresAsMarketo(s, options, version.name);
      },
    };
    soap.listen(app, listenOptions);
  }
}

interface NodeSoapServerInternals {
  wsdl: { xmlnsInEnvelope: string };
  _sendError(fault: Record<string, unknown>, callback: unknown, includeTimestamp: unknown): unknown;
}

/**
 * The handlers' faults reach node-soap as SOAP 1.1 faults (with faultcode). Any other fault is
 * node-soap's own failure on a request it could not process, which it would answer in SOAP 1.2
 * style with the JavaScript error's text: answer 20012 instead, and log the text.
 */
function answerOwnFailuresAsMarketo(server: NodeSoapServerInternals, options: Pick<SoapServerOptions, "logger" | "onRefused">, version: string): void {
  const sendError = server._sendError.bind(server);
  server._sendError = (fault, callback, includeTimestamp) => {
    if ("faultcode" in fault) return sendError(fault, callback, includeTimestamp);
    const reason = (fault.Reason as { Text?: unknown } | undefined)?.Text;
    options.logger.log("warn", "soap request refused", { version, code: MarketoCodes.requestNotUnderstood, reason: String(reason ?? "node-soap fault").slice(0, 300) });
    options.onRefused?.("not_understood", MarketoCodes.requestNotUnderstood);
    return sendError(new MarketoFault(MarketoCodes.requestNotUnderstood, "The request could not be processed").toNodeSoapFault().Fault, callback, includeTimestamp);
  };
}

/**
 * node-soap turns xs:boolean "maybe" into false and xs:int "12abc" into 12. Keep the text of
 * numbers and booleans instead, so that the mappers (asInt, asBool) refuse bad values (20110).
 */
const asReceived = (text: string): string => text;
const keepText: Record<string, (text: string) => string> = Object.fromEntries(
  ["int", "integer", "short", "long", "double", "float", "decimal", "bool", "boolean"].map((t) => [t, asReceived]),
);

type SoapOperation = (args: unknown, callback: unknown, headers: unknown, req: Request) => Promise<{ $xml: string }>;

function serviceFor(version: ApiVersion, options: SoapServerOptions): Record<string, SoapOperation> {
  const ops: Record<string, SoapOperation> = {};
  for (const name of operationNames) ops[name] = operation(name, version, options);
  return ops;
}

/** withFaults(withAuth(handler)): the one wrapper every operation gets. */
function operation(name: OperationName, version: ApiVersion, options: SoapServerOptions): SoapOperation {
  return async (args, _callback, headers, req) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    const headerArgs = (headers && typeof headers === "object" ? headers : {}) as Args;
    let user: ApiUser | undefined;
    let release: (() => Promise<void>) | undefined;
    try {
      user = req ? authenticated.get(req) : undefined;
      if (!user) throw new MarketoFault(MarketoCodes.authenticationFailed, "Authentication failed: the AuthenticationHeader is missing or incomplete");
      const handler = handlers[name];
      if (!handler) throw new MarketoFault(MarketoCodes.unsupportedOperation, `${name} is not supported by this server`);
      release = await options.limiter?.acquire(user.id, user.limits);
      const body = await handler((args && typeof args === "object" ? args : {}) as Args, { ...options.services, version, user, headers: headerArgs });
      const ms = elapsed(started);
      options.logger.log("info", "soap request", { requestId, operation: name, version: version.name, user: user.id, outcome: "ok", ms });
      options.onRequest?.(name, "ok", undefined, ms / 1000);
      return { $xml: body };
    } catch (error) {
      const { fault, internal } = toMarketoFault(error, name);
      options.onRequest?.(name, "fault", fault.code, elapsed(started) / 1000);
      options.logger.log(internal ? "error" : "info", "soap request", {
        requestId,
        operation: name,
        version: version.name,
        user: user?.id,
        outcome: "fault",
        code: fault.code,
        ms: elapsed(started),
        ...(internal ? { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), stack: error instanceof Error ? error.stack : undefined } : {}),
      });
      throw fault.toNodeSoapFault();
    } finally {
      // Before the answer goes out: the caller's next call must not find this one still counted.
      await release?.();
    }
  };
}

/** The user each request authenticated as, from its Header (authenticateHead). */
const authenticated = new WeakMap<Request, ApiUser>();

/** The signature check on the request's head, behind the failed-attempt throttle; a fault to answer otherwise. */
function authenticateHead(body: Buffer, source: string, options: SoapServerOptions): ApiUser | MarketoFault {
  const header = readAuthenticationHead(body);
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

/** The signature check, behind the failed-attempt throttle. */
function authenticate(header: HeadCredentials, source: string, options: SoapServerOptions): ApiUser {
  const identity = `soap:${typeof header.mktowsUserId === "string" ? header.mktowsUserId.slice(0, 100) : ""}`;
  const refused = options.throttle?.refusal(source, identity);
  if (refused) {
    throw new MarketoFault(MarketoCodes.rateLimitExceeded, `Too many failed authentications; try again in ${refused.retryAfterSeconds} s`);
  }
  try {
    return verifyAuthenticationHeader(header.mktowsUserId === undefined && header.requestSignature === undefined && header.requestTimestamp === undefined ? undefined : header, options.findUser, options.now?.() ?? new Date(), options.timestampWindowSeconds);
  } catch (error) {
    if (error instanceof MarketoFault && error.code === MarketoCodes.authenticationFailed) options.throttle?.failed(source, identity);
    throw error;
  }
}

function elapsed(started: bigint): number {
  return Number((process.hrtime.bigint() - started) / 1000n) / 1000;
}

/**
 * Checks a request before node-soap parses it: well-formed UTF-8 XML, no DTD (so no entity
 * expansion or external entities), bounded depth, a SOAP 1.1 Envelope whose Body names one of
 * the 23 operations. Returns the fault to answer, or undefined.
 */
export function preflight(body: unknown): MarketoFault | undefined {
  if (!Buffer.isBuffer(body) || body.length === 0) return new MarketoFault(MarketoCodes.requestNotUnderstood, "Empty request body");
  if (!isUtf8(body)) return new MarketoFault(MarketoCodes.requestNotUnderstood, "The request is not valid UTF-8");
  const xml = body.toString("utf8");
  const parser = sax.parser(true, { xmlns: true, position: false });
  const stack: string[] = [];
  // Per open element: holds non-blank text / child elements. node-soap crashes on mixed content
  // ("Cannot use 'in' operator …") and on names like __proto__ or constructor, answering with
  // its internal message as text, so both are refused here.
  const hasText: boolean[] = [];
  const hasChild: boolean[] = [];
  const mixed = () => new MarketoFault(MarketoCodes.requestNotUnderstood, "Text mixed with child elements is not accepted");
  let problem: MarketoFault | undefined;
  let operationElement: string | undefined;
  let envelopeSeen = false;
  // node-soap fails with a TypeError on a second Body or Header, and on xsi:nil on the Envelope,
  // Header or Body (it reads them as null).
  const envelopeParts = new Map<string, number>();
  parser.ondoctype = () => {
    problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, "DTDs and entity declarations are not accepted");
  };
  parser.onopentag = (tag) => {
    const t = tag as sax.QualifiedTag;
    if (stack.length === 0) {
      if (t.local !== "Envelope" || t.uri !== SOAP_ENV_11) problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, "Not a SOAP 1.1 Envelope");
      envelopeSeen = true;
    } else if (stack.length === 2 && stack[1] === "Body" && operationElement === undefined) {
      operationElement = t.local;
    }
    if (stack.length <= 1 && Object.values(t.attributes).some((a) => a.uri === XSI && a.local === "nil")) {
      problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, `xsi:nil is not accepted on ${t.local.slice(0, 40)}`);
    }
    if (stack.length === 1 && t.uri === SOAP_ENV_11 && (t.local === "Body" || t.local === "Header")) {
      const seen = (envelopeParts.get(t.local) ?? 0) + 1;
      envelopeParts.set(t.local, seen);
      if (seen > 1) problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, `The Envelope has more than one ${t.local}`);
    }
    if (hasText[stack.length - 1]) problem ??= mixed();
    hasChild[stack.length - 1] = true;
    for (const name of [t.local, ...Object.values(t.attributes).map((a) => a.local)]) {
      if (name in Object.prototype) problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, `The name '${name}' is not accepted`);
    }
    stack.push(t.local);
    hasText[stack.length - 1] = false;
    hasChild[stack.length - 1] = false;
    if (stack.length > MAX_DEPTH) problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, `XML nested deeper than ${MAX_DEPTH} levels`);
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  // Characters XML 1.0 does not allow, which sax lets through as raw text (a NUL would reach
  // PostgreSQL, which refuses it in text): 20110 naming the element (and the attribute's name).
  let attrName = "";
  parser.ontext = parser.oncdata = (text: string) => {
    const character = badCharacter(text);
    if (character && stack.length > 0) {
      const where = stack[stack.length - 1] === "attrValue" && attrName ? `attrValue of ${attrName}` : stack.slice(-2).join("/");
      problem ??= new MarketoFault(MarketoCodes.badParameter, badTextMessage({ path: where, character }));
    }
    if (stack[stack.length - 1] === "attrName") attrName = text.trim().slice(0, 40);
    if (stack.length === 0 || text.trim() === "") return;
    if (hasChild[stack.length - 1]) problem ??= mixed();
    hasText[stack.length - 1] = true;
  };
  parser.onerror = (e) => {
    problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, `Malformed XML: ${e.message.split("\n")[0]}`);
    throw e;
  };
  try {
    parser.write(xml).close();
  } catch {
    // reported through onerror
  }
  if (problem) return problem;
  // eslint-disable-next-line no-control-regex -- the same characters anywhere else (names, attributes)
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(xml)) {
    return new MarketoFault(MarketoCodes.requestNotUnderstood, "The request contains characters that XML does not allow");
  }
  if (!envelopeSeen) return new MarketoFault(MarketoCodes.requestNotUnderstood, "Not a SOAP Envelope");
  if (!operationElement) return new MarketoFault(MarketoCodes.requestNotUnderstood, "The SOAP Body names no operation");
  if (!operationByRequestElement.has(operationElement)) {
    return new MarketoFault(MarketoCodes.unsupportedOperation, `'${operationElement.slice(0, 80)}' is not an operation of the Marketo API`);
  }
  return undefined;
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
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
