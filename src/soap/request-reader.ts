/**
 * One streaming parse per SOAP request (issue 10). A single sax pass does, in document order:
 *
 * 1. authentication before the body: the AuthenticationHeader's children (any prefix, any
 *    order, attributes such as SOAP::Lite's xsi:type ignored) are taken as the Header is read,
 *    and the signature is checked when the Header ends. The Header must end within the first
 *    HEAD_LIMIT bytes, before the Body; a request that fails is answered 20014/20016 and the
 *    rest is never parsed, so an unauthenticated request costs at most 64 KB of parsing;
 * 2. input safety: well-formed UTF-8 XML, no DTD (so no entity expansion or external entities),
 *    depth ≤ 64, no text mixed with elements, no names of JavaScript's object machinery, no
 *    characters XML does not allow, a SOAP 1.1 Envelope with one Header and one Body (neither
 *    nil), whose Body names one of the 23 operations;
 * 3. the handlers' arguments and headers, built as node-soap built them (request-args.ts).
 *
 * Faults are the ones the three separate passes gave before (the header pass, the preflight
 * and node-soap's parse), in the same precedence: a fault of the head, then the signature,
 * then bad UTF-8, then the first problem in document order, then the Body's operation.
 */
import { isUtf8 } from "node:buffer";
import * as sax from "sax";
import { badCharacter, badTextMessage } from "../domain/text";
import type { ApiUser } from "./auth";
import { MarketoCodes, MarketoFault } from "./faults";
import { ArgsBuilder } from "./request-args";
import type { RequestSchema } from "./request-schema";
import { operationByRequestElement, type OperationName } from "./service-definition";
import { NamespaceScopes, type NamedElement } from "./xml-names";

const SOAP_ENV_11 = "http://schemas.xmlsoap.org/soap/envelope/";
const XSI = "http://www.w3.org/2001/XMLSchema-instance";
const MAX_DEPTH = 64;
/** How far into a request its Header must have ended. */
export const HEAD_LIMIT = 64 * 1024;
/** The head is fed in pieces of this many characters, so that a refused one stops early. */
const HEAD_CHUNK = 4096;
const AUTH_CHILDREN = new Set(["mktowsUserId", "requestSignature", "requestTimestamp"]);
// eslint-disable-next-line no-control-regex -- characters XML 1.0 does not allow, in names and attributes too
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** The AuthenticationHeader's children as sent, trimmed. */
export interface HeadCredentials {
  readonly mktowsUserId?: string;
  readonly requestSignature?: string;
  readonly requestTimestamp?: string;
}

/** Checks the head's credentials (or is told why there are none); a user or the fault to answer. */
export type HeadCheck = (head: HeadCredentials | MarketoFault) => ApiUser | MarketoFault;

export type SoapRequest =
  | { readonly refused: "unauthenticated" | "request"; readonly fault: MarketoFault }
  | {
      readonly refused?: undefined;
      readonly user: ApiUser;
      readonly operation: OperationName;
      /** The Body's operation element, e.g. paramsGetLead. */
      readonly requestElement: string;
      readonly args: unknown;
      /** The parsed Header (node-soap's third handler argument). */
      readonly headers: unknown;
      /** The Header carries a WS-Security Timestamp (node-soap then adds one to the answer). */
      readonly timestamped: boolean;
    };

const refusedRequest = (message: string) => ({ refused: "request" as const, fault: new MarketoFault(MarketoCodes.requestNotUnderstood, message) });
const unauthenticated = (why: string) => new MarketoFault(MarketoCodes.authenticationFailed, `Authentication failed: ${why}`);

/** Thrown out of sax to stop a pass whose outcome is known. */
const STOP = new Error("stop");

export function readSoapRequest(body: unknown, schema: RequestSchema, checkHead: HeadCheck): SoapRequest {
  if (!Buffer.isBuffer(body) || body.length === 0) return refusedRequest("Empty request body");
  return new RequestPass(body, schema).run(checkHead);
}

class RequestPass {
  private readonly parser = sax.parser(true, { position: false });
  private readonly names = new NamespaceScopes();
  private readonly args: ArgsBuilder;
  /** Local names of the open elements. */
  private readonly stack: string[] = [];
  private readonly hasText: boolean[] = [];
  private readonly hasChild: boolean[] = [];
  private pendingText = "";
  private pendingCdata: string | undefined;
  private attrName = "";
  private errored = false;
  /** The first problem in document order (the preflight's rule); parsing may stop once it is known and the head is done. */
  private problem: MarketoFault | undefined;
  private operationElement: string | undefined;
  private envelopeSeen = false;
  private headers = 0;
  private bodies = 0;
  // The head: until the Header ends.
  private headDone = false;
  private headProblem: MarketoFault | undefined;
  private headSeenAuth = false;
  private inAuth = false;
  private authField: string | undefined;
  private readonly credentials: Record<string, string> = {};

  constructor(
    private readonly body: Buffer,
    schema: RequestSchema,
  ) {
    this.args = new ArgsBuilder(schema);
    const p = this.parser;
    p.ondoctype = () => this.onDoctype();
    p.onopentag = (tag) => {
      const named = this.names.open(tag.name, (tag as sax.Tag).attributes);
      if (typeof named === "string") this.fail(named);
      else this.onOpen(named);
    };
    p.onclosetag = () => this.onClose();
    p.ontext = (text) => {
      this.pendingText += text;
    };
    p.onopencdata = () => {
      this.flushText();
      this.pendingCdata = "";
    };
    p.oncdata = (text) => {
      this.pendingCdata = (this.pendingCdata ?? "") + text;
    };
    p.onclosecdata = () => {
      const text = this.pendingCdata ?? "";
      this.pendingCdata = undefined;
      this.onText(text);
    };
    p.oncomment = p.onprocessinginstruction = () => this.flushText();
    p.onerror = (e) => this.fail(e.message);
  }

  run(checkHead: HeadCheck): SoapRequest {
    const body = this.body;
    let cut = Math.min(body.length, HEAD_LIMIT);
    while (cut > 0 && cut < body.length && (body[cut] & 0xc0) === 0x80) cut--; // a character boundary
    const head = body.toString("utf8", 0, cut);
    for (let at = 0; at < head.length && !this.headDone && !this.headProblem && !this.errored; at += HEAD_CHUNK) {
      this.write(head.slice(at, at + HEAD_CHUNK));
    }
    const user = checkHead(this.headProblem ?? (this.headDone ? this.headCredentials() : unauthenticated(body.length > HEAD_LIMIT ? `no complete SOAP Header in the first ${HEAD_LIMIT / 1024} KB` : "the AuthenticationHeader is missing or incomplete")));
    if (user instanceof MarketoFault) return { refused: "unauthenticated", fault: user };
    if (!isUtf8(body)) return refusedRequest("The request is not valid UTF-8");
    // The rest of the request, in one piece.
    const tail = cut < body.length ? body.toString("utf8", cut) : "";
    if (!this.errored && !this.problem) {
      this.write(head.slice(this.headFed));
      if (!this.errored && !this.problem && tail) this.write(tail);
      if (!this.errored && !this.problem) this.close();
    }
    if (this.problem) return { refused: "request", fault: this.problem };
    if (NOT_XML.test(head) || NOT_XML.test(tail)) return refusedRequest("The request contains characters that XML does not allow");
    if (!this.envelopeSeen) return refusedRequest("Not a SOAP Envelope");
    const requestElement = this.operationElement;
    if (!requestElement) return refusedRequest("The SOAP Body names no operation");
    const operation = operationByRequestElement.get(requestElement);
    if (!operation) return { refused: "request", fault: new MarketoFault(MarketoCodes.unsupportedOperation, `'${requestElement.slice(0, 80)}' is not an operation of the Marketo API`) };
    const { header, body: soapBody } = this.args.result();
    const bodyObject = (soapBody ?? {}) as Record<string, unknown>;
    const keys = Object.keys(bodyObject);
    const first = keys[0] === "attributes" ? keys[1] : keys[0];
    const security = (header as { Security?: { Timestamp?: unknown } } | null | undefined)?.Security;
    return { user, operation, requestElement, args: first === undefined ? undefined : bodyObject[first], headers: header, timestamped: !!security?.Timestamp };
  }

  /** Characters of the head fed to sax so far. */
  private headFed = 0;

  private write(chunk: string): void {
    if (!this.headDone) this.headFed += chunk.length;
    try {
      this.parser.write(chunk);
    } catch (error) {
      if (error !== STOP && !this.errored) throw error;
    }
  }

  private close(): void {
    try {
      this.parser.close();
    } catch (error) {
      if (error !== STOP && !this.errored) throw error;
    }
  }

  /** The XML is not well-formed (or its names are not): the parse ends here. */
  private fail(message: string): never {
    this.errored = true;
    const fault = new MarketoFault(MarketoCodes.requestNotUnderstood, `Malformed XML: ${message.split("\n")[0]}`);
    if (this.headDone) this.problem ??= fault;
    else this.headProblem ??= fault;
    throw STOP;
  }

  private headCredentials(): HeadCredentials {
    const c = this.credentials;
    return { mktowsUserId: c.mktowsUserId?.trim(), requestSignature: c.requestSignature?.trim(), requestTimestamp: c.requestTimestamp?.trim() };
  }

  private report(fault: MarketoFault): void {
    this.problem ??= fault;
  }

  private onDoctype(): void {
    const fault = new MarketoFault(MarketoCodes.requestNotUnderstood, "DTDs and entity declarations are not accepted");
    if (!this.headDone) this.headProblem ??= fault;
    this.report(fault);
  }

  private onOpen(t: NamedElement): void {
    this.flushText();
    const depth = this.stack.length;
    if (!this.headDone) this.headOpen(t, depth);
    if (depth === 0) {
      if (t.local !== "Envelope" || t.uri !== SOAP_ENV_11) this.report(new MarketoFault(MarketoCodes.requestNotUnderstood, "Not a SOAP 1.1 Envelope"));
      this.envelopeSeen = true;
    } else if (depth === 2 && this.stack[1] === "Body" && this.operationElement === undefined) {
      this.operationElement = t.local;
    }
    const attrs = t.attributes;
    if (depth <= 1) {
      for (const k in attrs) {
        if (attrs[k].uri === XSI && attrs[k].local === "nil") this.report(new MarketoFault(MarketoCodes.requestNotUnderstood, `xsi:nil is not accepted on ${t.local.slice(0, 40)}`));
      }
    }
    if (depth === 1 && t.uri === SOAP_ENV_11 && (t.local === "Body" || t.local === "Header")) {
      const seen = t.local === "Body" ? ++this.bodies : ++this.headers;
      if (seen > 1) this.report(new MarketoFault(MarketoCodes.requestNotUnderstood, `The Envelope has more than one ${t.local}`));
    }
    // node-soap crashed on mixed content and on names such as __proto__ or constructor; both stay refused.
    if (this.hasText[depth - 1]) this.report(mixed());
    this.hasChild[depth - 1] = true;
    if (t.local in Object.prototype) this.report(badName(t.local));
    for (const k in attrs) if (attrs[k].local in Object.prototype) this.report(badName(attrs[k].local));
    this.stack.push(t.local);
    this.hasText[depth] = false;
    this.hasChild[depth] = false;
    if (depth + 1 > MAX_DEPTH) this.report(new MarketoFault(MarketoCodes.requestNotUnderstood, `XML nested deeper than ${MAX_DEPTH} levels`));
    this.stopOnProblem();
    // An Envelope child outside the SOAP namespace after the Header is ignored: the Body is the SOAP one.
    if (depth === 1) this.foreign = t.uri !== SOAP_ENV_11;
    if (this.feeding()) this.args.open(t.name, attrs);
  }

  /** Inside an Envelope child that is not a SOAP Header or Body. */
  private foreign = false;

  /** The arguments are built until a problem is known (node-soap never saw such requests: a string with children made it throw). */
  private feeding(): boolean {
    return !this.foreign && !this.problem && !this.headProblem;
  }

  private headOpen(t: NamedElement, depth: number): void {
    if (depth === 0 && (t.local !== "Envelope" || t.uri !== SOAP_ENV_11)) this.headProblem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, "Not a SOAP 1.1 Envelope");
    if (depth === 1 && t.uri === SOAP_ENV_11 && t.local === "Body") this.headProblem ??= unauthenticated("the AuthenticationHeader is missing (a SOAP Header must come before the Body)");
    if (depth === 1 && t.uri !== SOAP_ENV_11) this.headProblem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, `'${t.local.slice(0, 40)}' is not a SOAP Header or Body`);
    if (depth === 2 && this.headerOpen && t.local === "AuthenticationHeader") {
      if (this.headSeenAuth) this.headProblem ??= unauthenticated("the AuthenticationHeader is given twice");
      this.headSeenAuth = true;
      this.inAuth = true;
    } else if (this.inAuth && depth === 3 && AUTH_CHILDREN.has(t.local)) {
      if (this.credentials[t.local] !== undefined) this.headProblem ??= unauthenticated(`${t.local} is given twice`);
      this.authField = t.local;
      this.credentials[t.local] = "";
    }
    if (depth === 1) this.headerOpen = t.local === "Header" && t.uri === SOAP_ENV_11;
    if (this.headProblem) throw STOP;
  }

  /** The element open at depth 1 is the SOAP Header. */
  private headerOpen = false;

  private onClose(): void {
    this.flushText();
    this.names.close();
    const closed = this.stack.pop();
    const depth = this.stack.length;
    if (!this.headDone) {
      if (depth === 3) this.authField = undefined;
      if (depth === 2 && closed === "AuthenticationHeader") this.inAuth = false;
      if (depth === 1 && this.headerOpen) this.headDone = true;
    }
    if (this.feeding()) this.args.close();
    if (depth === 1) this.foreign = false;
  }

  private flushText(): void {
    if (this.pendingText === "") return;
    const text = this.pendingText;
    this.pendingText = "";
    this.onText(text);
  }

  /** One text node or CDATA section, whole. */
  private onText(text: string): void {
    const stack = this.stack;
    const depth = stack.length;
    if (!this.headDone && this.authField && depth === 4) this.credentials[this.authField] += text;
    // A NUL would reach PostgreSQL, which refuses it in text: 20110 naming the element (and the attribute's name).
    const character = badCharacter(text);
    if (character && depth > 0) {
      const where = stack[depth - 1] === "attrValue" && this.attrName ? `attrValue of ${this.attrName}` : stack.slice(-2).join("/");
      this.report(new MarketoFault(MarketoCodes.badParameter, badTextMessage({ path: where, character })));
    }
    if (stack[depth - 1] === "attrName") this.attrName = text.trim().slice(0, 40);
    if (depth === 0 || text.trim() === "") return;
    if (this.hasChild[depth - 1]) this.report(mixed());
    this.hasText[depth - 1] = true;
    this.stopOnProblem();
    if (this.feeding()) this.args.text(text);
  }

  /** Once the head is done, the first problem decides the answer: the rest need not be read. */
  private stopOnProblem(): void {
    if (this.problem && this.headDone) throw STOP;
  }
}

const mixed = () => new MarketoFault(MarketoCodes.requestNotUnderstood, "Text mixed with child elements is not accepted");
const badName = (name: string) => new MarketoFault(MarketoCodes.requestNotUnderstood, `The name '${name}' is not accepted`);
