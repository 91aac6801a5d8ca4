/**
 * Authentication before the body (issue 10). A SOAP 1.1 Header comes before the Body: the
 * request is read with a streaming parser only as far as the end of the Header, the
 * AuthenticationHeader's three children are taken (any prefix, any order, attributes such as
 * SOAP::Lite's `xsi:type` ignored), and the signature is checked there. A request that fails is
 * answered 20014/20016 without parsing the rest, so an unauthenticated request costs at most
 * HEAD_LIMIT bytes of parsing whatever its size.
 *
 * A Body before the Header (which lenient parsers allow) is refused as unauthenticated: reading
 * on to find a Header after the Body would reopen the hole.
 */
import * as sax from "sax";
import { MarketoCodes, MarketoFault } from "./faults";

const SOAP_ENV_11 = "http://schemas.xmlsoap.org/soap/envelope/";
/** How far into a request its Header must have ended. */
export const HEAD_LIMIT = 64 * 1024;
const CHILDREN = new Set(["mktowsUserId", "requestSignature", "requestTimestamp"]);

export interface HeadCredentials {
  readonly mktowsUserId?: string;
  readonly requestSignature?: string;
  readonly requestTimestamp?: string;
}

/**
 * The AuthenticationHeader's children as text, read from the start of the request only; or a
 * fault when the request has no Header before its Body, or its head is not XML.
 */
export function readAuthenticationHead(body: Buffer): HeadCredentials | MarketoFault {
  const parser = sax.parser(true, { xmlns: true, position: false });
  const stack: { local: string; uri: string }[] = [];
  const found: Record<string, string> = {};
  let inAuth = false;
  let seenAuth = false;
  let field: string | undefined;
  let done = false;
  let problem: MarketoFault | undefined;
  const unauthenticated = (why: string) => new MarketoFault(MarketoCodes.authenticationFailed, `Authentication failed: ${why}`);

  parser.ondoctype = () => {
    if (done) return;
    problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, "DTDs and entity declarations are not accepted");
  };
  // Everything after the Header's end (in the same chunk) is the full parse's business.
  parser.onopentag = (tag) => {
    if (done) return;
    const t = tag as sax.QualifiedTag;
    if (stack.length === 0 && (t.local !== "Envelope" || t.uri !== SOAP_ENV_11)) problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, "Not a SOAP 1.1 Envelope");
    if (stack.length === 1 && t.uri === SOAP_ENV_11 && t.local === "Body") {
      problem ??= unauthenticated("the AuthenticationHeader is missing (a SOAP Header must come before the Body)");
    }
    if (stack.length === 1 && t.uri !== SOAP_ENV_11) problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, `'${t.local.slice(0, 40)}' is not a SOAP Header or Body`);
    if (stack.length === 2 && stack[1].local === "Header" && stack[1].uri === SOAP_ENV_11 && t.local === "AuthenticationHeader") {
      if (seenAuth) problem ??= unauthenticated("the AuthenticationHeader is given twice");
      seenAuth = true;
      inAuth = true;
    } else if (inAuth && stack.length === 3 && CHILDREN.has(t.local)) {
      if (found[t.local] !== undefined) problem ??= unauthenticated(`${t.local} is given twice`);
      field = t.local;
      found[t.local] = "";
    }
    stack.push({ local: t.local, uri: t.uri });
  };
  parser.onclosetag = () => {
    if (done) return;
    const closed = stack.pop();
    if (stack.length === 3) field = undefined;
    if (stack.length === 2 && closed?.local === "AuthenticationHeader") inAuth = false;
    if (stack.length === 1 && closed?.local === "Header" && closed.uri === SOAP_ENV_11) done = true;
  };
  parser.ontext = parser.oncdata = (text: string) => {
    if (done) return;
    if (field && stack.length === 4) found[field] = (found[field] ?? "") + text;
  };
  parser.onerror = (e) => {
    if (done) throw e;
    problem ??= new MarketoFault(MarketoCodes.requestNotUnderstood, `Malformed XML: ${e.message.split("\n")[0]}`);
    throw e;
  };
  // The head only: a character cut at the limit becomes U+FFFD, past any Header that counts.
  const head = body.toString("utf8", 0, Math.min(body.length, HEAD_LIMIT));
  try {
    for (let at = 0; at < head.length && !done && !problem; at += 4096) parser.write(head.slice(at, at + 4096));
  } catch {
    // reported through onerror
  }
  if (problem) return problem;
  if (!done) return unauthenticated(body.length > HEAD_LIMIT ? `no complete SOAP Header in the first ${HEAD_LIMIT / 1024} KB` : "the AuthenticationHeader is missing or incomplete");
  return { mktowsUserId: found.mktowsUserId?.trim(), requestSignature: found.requestSignature?.trim(), requestTimestamp: found.requestTimestamp?.trim() };
}
