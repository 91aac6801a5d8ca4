/**
 * Salesforce Outbound Messages on the wire: reads a `notifications` request (SOAP 1.1,
 * namespace http://soap.sforce.com/2005/09/outbound) into the domain's SfdcOutboundMessage,
 * and writes the `notificationsResponse` Ack and SOAP faults. Parsing is lenient as to
 * prefixes, order and unknown children, and strict as to safety: UTF-8 only, no DTD (so no
 * entity expansion), bounded depth and notification count. No business decision is made here.
 */
import { badCharacter, badTextMessage } from "../domain/text";
import { mask } from "../domain/one-click.service";
import * as sax from "sax";
import type { SfdcNotification, SfdcOutboundMessage, UnusableNotification } from "../domain/sfdc-sync.service";

export const OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound";
const SOAP_ENV_11 = "http://schemas.xmlsoap.org/soap/envelope/";
const XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";
const MAX_DEPTH = 32;
/** Salesforce sends at most 100 notifications per message; a little room above that. */
export const MAX_NOTIFICATIONS = 500;

/** The request cannot be read as an outbound message. The message is safe to show the sender. */
export class OutboundMessageError extends Error {}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface XmlElement {
  readonly local: string;
  readonly uri: string;
  /** Attributes by `{uri}local`. */
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

export function parseOutboundMessage(body: unknown): SfdcOutboundMessage {
  const root = parseXml(body);
  if (root.local !== "Envelope" || root.uri !== SOAP_ENV_11) throw new OutboundMessageError("Not a SOAP 1.1 Envelope");
  const message = child(child(root, "Body"), "notifications");
  if (!message) throw new OutboundMessageError("The SOAP Body holds no notifications element");
  const organizationId = textOf(child(message, "OrganizationId"));
  if (!organizationId) throw new OutboundMessageError("OrganizationId is missing");
  const items = message.children.filter((c) => c.local === "Notification");
  if (items.length > MAX_NOTIFICATIONS) throw new OutboundMessageError(`More than ${MAX_NOTIFICATIONS} notifications in one message`);
  // A notification that can never apply is set aside (acknowledged and kept), not a fault for
  // the whole message that Salesforce would retry for a day.
  const notifications: SfdcNotification[] = [];
  const unusable: UnusableNotification[] = [];
  items.forEach((item, index) => {
    try {
      notifications.push(toNotification(item, index));
    } catch (error) {
      if (!(error instanceof OutboundMessageError)) throw error;
      const sObject = child(item, "sObject");
      const type = sObject?.attributes[`{${XSI_NS}}type`];
      unusable.push({
        notificationId: textOf(child(item, "Id")).slice(0, 64) || undefined,
        sobjectId: textOf(child(sObject, "Id")).slice(0, 64) || undefined,
        sobjectType: type ? type.slice(type.indexOf(":") + 1).trim().slice(0, 40) : undefined,
        problem: error.message,
        // The address masked: erasure cannot find it here.
        excerpt: JSON.stringify(Object.fromEntries((sObject?.children ?? []).map((c) => [c.local, c.local === "Email" ? mask(c.text.trim()) : c.text.slice(0, 200)]))).slice(0, 2000),
      });
    }
  });
  return { organizationId, notifications, unusable };
}

/** sObject fields a notification can do without. */
const OPTIONAL = new Set(["FirstName", "LastName"]);

function toNotification(n: XmlElement, index: number): SfdcNotification {
  const where = `Notification ${index + 1}`;
  // NUL, lone surrogates and the like can never be stored: in a key field (Id, Email, the
  // opt-out, the time) the notification cannot apply; in a name it is left out and the rest (an
  // opt-out above all) still applies.
  for (const e of [child(n, "Id"), ...(child(n, "sObject")?.children ?? [])]) {
    const character = e ? badCharacter(e.text) : undefined;
    if (e && character && !OPTIONAL.has(e.local)) throw new OutboundMessageError(`${where}: ${badTextMessage({ path: e.local, character })}`);
  }
  const notificationId = textOf(child(n, "Id"));
  if (!notificationId) throw new OutboundMessageError(`${where}: Id is missing`);
  if (notificationId.length > 64) throw new OutboundMessageError(`${where}: Id is too long`);
  const sObject = child(n, "sObject");
  if (!sObject) throw new OutboundMessageError(`${where}: sObject is missing`);
  const sobjectId = textOf(child(sObject, "Id"));
  if (!sobjectId) throw new OutboundMessageError(`${where}: sObject Id is missing`);
  const type = sObject.attributes[`{${XSI_NS}}type`];
  const optedOut = valueOf(sObject, "HasOptedOutOfEmail");
  const modifiedAt = valueOf(sObject, "SystemModstamp");
  const out: Mutable<SfdcNotification> = {
    notificationId,
    // xsi:type="sf:Lead": the local part names the sObject type.
    sobjectType: type ? type.slice(type.indexOf(":") + 1).trim() : typeFromId(sobjectId),
    sobjectId,
  };
  const email = valueOf(sObject, "Email");
  if (email !== undefined) out.email = email;
  if (optedOut !== undefined) {
    if (!/^(true|false|1|0)$/i.test(optedOut)) throw new OutboundMessageError(`${where}: HasOptedOutOfEmail '${optedOut.slice(0, 20)}' is not a boolean`);
    out.optedOut = /^(true|1)$/i.test(optedOut);
  }
  const firstName = valueOf(sObject, "FirstName");
  if (firstName && !badCharacter(firstName)) out.firstName = firstName;
  const lastName = valueOf(sObject, "LastName");
  if (lastName && !badCharacter(lastName)) out.lastName = lastName;
  if (modifiedAt) {
    const d = new Date(modifiedAt);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(modifiedAt) || Number.isNaN(d.getTime())) throw new OutboundMessageError(`${where}: SystemModstamp '${modifiedAt.slice(0, 40)}' is not a dateTime`);
    out.modifiedAt = d;
  }
  return out;
}

/** Record id prefixes, for a message without xsi:type. */
function typeFromId(id: string): string {
  if (id.startsWith("00Q")) return "Lead";
  if (id.startsWith("003")) return "Contact";
  return "unknown";
}

/** The text of a field; undefined when absent or xsi:nil. */
function valueOf(parent: XmlElement, local: string): string | undefined {
  const e = child(parent, local);
  if (!e) return undefined;
  if (/^(true|1)$/.test(e.attributes[`{${XSI_NS}}nil`] ?? "")) return undefined;
  return e.text.trim();
}

function child(parent: XmlElement | undefined, local: string): XmlElement | undefined {
  return parent?.children.find((c) => c.local === local);
}

function textOf(e: XmlElement | undefined): string {
  return e?.text.trim() ?? "";
}

function parseXml(body: unknown): XmlElement {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new OutboundMessageError("Empty request body");
  let xml: string;
  try {
    xml = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new OutboundMessageError("The request is not valid UTF-8");
  }
  const parser = sax.parser(true, { xmlns: true, position: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let problem: string | undefined;
  parser.ondoctype = () => {
    problem ??= "DTDs and entity declarations are not accepted";
  };
  parser.onopentag = (tag) => {
    const t = tag as sax.QualifiedTag;
    const attributes: Record<string, string> = {};
    for (const a of Object.values(t.attributes)) attributes[`{${a.uri}}${a.local}`] = a.value;
    const e: XmlElement = { local: t.local, uri: t.uri, attributes, children: [], text: "" };
    if (stack.length === 0) {
      if (root) problem ??= "More than one root element";
      root = e;
    } else {
      stack[stack.length - 1].children.push(e);
    }
    stack.push(e);
    if (stack.length > MAX_DEPTH) problem ??= `XML nested deeper than ${MAX_DEPTH} levels`;
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  parser.ontext = parser.oncdata = (text: string) => {
    if (stack.length > 0) stack[stack.length - 1].text += text;
  };
  parser.onerror = (e) => {
    problem ??= `Malformed XML: ${e.message.split("\n")[0]}`;
    throw e;
  };
  try {
    parser.write(xml).close();
  } catch {
    // reported through onerror
  }
  if (problem) throw new OutboundMessageError(problem);
  if (!root) throw new OutboundMessageError("Not an XML document");
  return root;
}

const envelope = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="${SOAP_ENV_11}"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

/** The answer Salesforce needs to consider the message delivered (otherwise it retries). */
export function ackEnvelope(): string {
  return envelope(`<notificationsResponse xmlns="${OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>`);
}

/** A SOAP 1.1 fault: Client for a request we refuse, Server for our own failure (text kept opaque). */
export function faultEnvelope(code: "Client" | "Server", message: string): string {
  return envelope(`<soapenv:Fault><faultcode>soapenv:${code}</faultcode><faultstring>${escapeXml(message)}</faultstring></soapenv:Fault>`);
}

function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "");
}
