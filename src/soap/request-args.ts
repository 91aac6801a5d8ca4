/**
 * The handlers' arguments, built from the events of the request's one parse (request-reader.ts)
 * the way node-soap 1.13's server built them (its `xmlToObject`, with the options this server
 * gave it: `handleNilAsNull`, numbers and booleans kept as text), so that handlers and mappers
 * see exactly what they saw before the server-side parse was replaced:
 *
 * - an element is keyed by its local name; its attributes other than xmlns declarations are
 *   kept under `attributes` by their written names, with its text then under `$value`;
 * - text is trimmed; an element with no text, children or attributes is `null`, or `""` when
 *   the schema types it xs:string; `xsi:nil="true"` (or "1") is `null`;
 * - xs:dateTime and xs:date become a Date (`new Date(text)`); every other simple type is text;
 * - an element the schema declares with maxOccurs > 1 is an array even when it occurs once, and
 *   any element repeated under one parent becomes an array;
 * - the schema of an element is its parent's, or the type named by its `xsi:type`; the body's
 *   first element takes the schema of the message of that name.
 *
 * Namespace prefixes are looked up, as node-soap did, in one map of every declaration seen so
 * far in the document (not scoped to elements). What is left out: SOAP-encoding `href`/`id`
 * references and XML nested in CDATA, which no Marketo client sends.
 */
import type { RequestSchema, SchemaNode } from "./request-schema";

const XSI = "http://www.w3.org/2001/XMLSchema-instance";
const TNS_PREFIX = "__tns__";

/** The schema node-soap starts from: the envelope's own parts. */
const ENVELOPE_SCHEMA: SchemaNode = {
  Envelope: { Header: { Security: { UsernameToken: { Username: "string", Password: "string" } } }, Body: { Fault: { faultcode: "string", faultstring: "string", detail: "string" } } },
};

interface Frame {
  readonly name: string | null;
  object: unknown;
  readonly schema: unknown;
  readonly nil: boolean;
}

/** node-soap's splitQName: the name before any `|`, split at its first colon. */
function splitQName(qname: unknown): { prefix: string; name: unknown } {
  if (typeof qname !== "string") return { prefix: TNS_PREFIX, name: qname };
  const bar = qname.indexOf("|");
  const top = bar < 0 ? qname : qname.slice(0, bar);
  const colon = top.indexOf(":");
  return { prefix: top.slice(0, colon < 0 ? 0 : colon) || TNS_PREFIX, name: top.slice(colon + 1) };
}

const TEXT_TYPES = new Set(["int", "integer", "short", "long", "double", "float", "decimal", "bool", "boolean"]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function child(schema: unknown, key: string): unknown {
  return schema !== null && typeof schema === "object" ? (schema as Record<string, unknown>)[key] : undefined;
}

/** One request's argument tree; fed open/text/close in document order. */
export class ArgsBuilder {
  private readonly root: Record<string, unknown> = {};
  private readonly stack: Frame[] = [{ name: null, object: this.root, schema: ENVELOPE_SCHEMA, nil: false }];
  private readonly xmlns = new Map<string, string>();
  private readonly xsiPrefixes: string[] = [];
  private bodyElementSeen = false;

  constructor(private readonly schema: RequestSchema) {}

  /** An element opens: `qname` as written, `attributes` as written (name → value), xmlns declarations included. */
  open(qname: string, attributes: Readonly<Record<string, { value: string }>>): void {
    const name = splitQName(qname).name as string;
    const top = this.stack[this.stack.length - 1];
    let topSchema = top.schema;
    let own: Record<string, string> | undefined;
    for (const attr in attributes) {
      const value = attributes[attr].value;
      if (attr === "xmlns" || attr.startsWith("xmlns:")) {
        const prefix = attr === "xmlns" ? "xmlns" : attr.slice(6);
        this.xmlns.set(prefix, value);
        if (value === XSI && !this.xsiPrefixes.includes(prefix)) this.xsiPrefixes.push(prefix);
        continue;
      }
      (own ??= {})[attr] = value;
    }
    let nil = false;
    if (own) {
      for (const attr in own) {
        const q = splitQName(attr);
        const v = own[attr];
        if (q.name === "nil" && this.xmlns.get(q.prefix) === XSI && v && (v.toLowerCase() === "true" || v === "1")) {
          nil = true;
          break;
        }
      }
    }
    const object: Record<string, unknown> = {};
    if (own) object.attributes = own;
    if (!this.bodyElementSeen && top.name === "Body" && name !== "Fault") {
      topSchema = this.schema.message(name);
      this.bodyElementSeen = true;
    }
    let xsiTypeSchema: unknown;
    if (own) {
      for (const prefix of this.xsiPrefixes) {
        const xsiType = own[`${prefix}:type`];
        if (xsiType === undefined) continue;
        if (xsiType) {
          const type = splitQName(xsiType);
          const uri = type.prefix === TNS_PREFIX ? (this.xmlns.get(type.prefix) ?? this.xmlns.get("xmlns")) : this.xmlns.get(type.prefix);
          xsiTypeSchema = uri ? this.schema.type(uri, type.name as string) : undefined;
        }
        break;
      }
    }
    const arrayName = `${name}[]`;
    const fromParent = child(topSchema, name) || child(topSchema, arrayName);
    let schema = xsiTypeSchema || fromParent;
    if (!schema) {
      const response = this.schema.message(name);
      schema = response && (child(response, name) || child(response, arrayName));
    }
    this.stack.push({ name, object, schema, nil });
  }

  /** A text node or CDATA section of the open element (whole, as one event). */
  text(raw: string): void {
    const text = raw.trim();
    if (text.length === 0) return;
    const top = this.stack[this.stack.length - 1];
    const type = splitQName(top.schema).name;
    let value: unknown;
    if (typeof type === "string" && TEXT_TYPES.has(type)) value = text;
    else if (type === "dateTime" || type === "date") value = new Date(text);
    else value = typeof top.object === "string" ? top.object + text : text;
    const object = top.object as Record<string, unknown> | null;
    if (object !== null && typeof object === "object" && object.attributes) object.$value = value;
    else top.object = value;
  }

  close(): void {
    const cur = this.stack.pop() as Frame;
    const top = this.stack[this.stack.length - 1];
    let obj = cur.object;
    const name = cur.name as string;
    if (typeof cur.schema === "string" && splitQName(cur.schema).name === "string" && typeof obj === "object" && obj !== null && Object.keys(obj).length === 0) obj = "";
    if (cur.nil) obj = null;
    if (isPlainObject(obj) && Object.keys(obj).length === 0) obj = null;
    const parent = top.object as Record<string, unknown>;
    if (child(top.schema, `${name}[]`)) {
      if (!parent[name]) parent[name] = [];
      (parent[name] as unknown[]).push(obj);
    } else if (name in parent) {
      if (!Array.isArray(parent[name])) parent[name] = [parent[name]];
      (parent[name] as unknown[]).push(obj);
    } else {
      parent[name] = obj;
    }
  }

  /** What node-soap handed over: the Envelope's Header (the handlers' headers) and Body. */
  result(): { header: unknown; body: unknown } {
    const envelope = this.root.Envelope as Record<string, unknown> | null | undefined;
    return { header: envelope?.Header, body: envelope?.Body };
  }
}
