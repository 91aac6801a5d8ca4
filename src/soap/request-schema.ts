/**
 * What the request path takes from node-soap's model of a version's WSDL, read once at start:
 * the schema of each body element and xsi:type (its `description()`, which request-args.ts
 * walks as node-soap's own parse did), and the exact text of the envelope around answers
 * (the namespaces it declares, each operation's success element, its fault serializer).
 * node-soap no longer parses requests; see README, Decisions.
 */
import * as soap from "soap";

/** A node-soap schema description: child name (`name[]` for maxOccurs > 1) → a type name or a nested description. */
export type SchemaNode = Readonly<Record<string, unknown>>;

export interface RequestSchema {
  /** The description of the message of that element name (the body's operation element), if any. */
  message(name: string): unknown;
  /** The description of a type named by xsi:type, if the WSDL defines it. */
  type(uri: string, name: string): unknown;
}

const XSI_DECLARATION = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const SENTINEL = "\u0000body\u0000";

interface WsdlInternals {
  definitions: {
    messages: Record<string, { description(definitions: unknown): unknown } | undefined>;
    services: Record<string, { ports: Record<string, { binding: Binding }> }>;
  };
  options: { envelopeKey?: string; attributesKey?: string };
  xmlnsInEnvelope: string;
  findSchemaObject(uri: string, name: string): { description(definitions: unknown): unknown } | null | undefined;
  objectToDocumentXML(name: string, params: unknown, nsPrefix?: string, nsURI?: string): string;
}

interface Binding {
  topElements: Record<string, { methodName: string; outputName: string } | undefined>;
  methods: Record<string, { output?: { targetNSAlias?: string; targetNamespace?: string } } | undefined>;
}

/** One version's WSDL as node-soap reads it, for parsing requests and writing answers. */
export class WsdlModel implements RequestSchema {
  private readonly messages = new Map<string, unknown>();
  private readonly types = new Map<string, unknown>();
  private readonly wrappers = new Map<string, readonly [string, string]>();
  /** `<?xml …?><SOAP-ENV:Envelope …>` exactly as node-soap's server wrote it (xmlns:xsi added, stack notes §2). */
  readonly envelopeOpen: string;

  private constructor(private readonly wsdl: WsdlInternals) {
    wsdl.options.envelopeKey = "SOAP-ENV";
    wsdl.options.attributesKey = "attributes";
    this.envelopeOpen = `<?xml version="1.0" encoding="utf-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" ${wsdl.xmlnsInEnvelope}${XSI_DECLARATION}>`;
  }

  static load(xml: string): Promise<WsdlModel> {
    return new Promise((resolve, reject) => {
      const wsdl = new soap.WSDL(xml, "", { envelopeKey: "SOAP-ENV", handleNilAsNull: true } as soap.IOptions);
      wsdl.onReady((error) => (error ? reject(error) : resolve(new WsdlModel(wsdl as unknown as WsdlInternals))));
    });
  }

  message(name: string): unknown {
    if (!this.messages.has(name)) {
      const message = Object.hasOwn(this.wsdl.definitions.messages, name) ? this.wsdl.definitions.messages[name] : undefined;
      this.messages.set(name, message?.description(this.wsdl.definitions));
    }
    return this.messages.get(name);
  }

  type(uri: string, name: string): unknown {
    const key = `${uri}\n${name}`;
    if (!this.types.has(key)) this.types.set(key, name ? this.wsdl.findSchemaObject(uri, name)?.description(this.wsdl.definitions) : undefined);
    return this.types.get(key);
  }

  /** The success element around a handler's body, e.g. `<ns1:successGetLead xmlns:ns1="…">` and its end tag. */
  successElement(requestElement: string): readonly [string, string] {
    let wrapper = this.wrappers.get(requestElement);
    if (!wrapper) {
      const binding = this.binding();
      const pair = binding.topElements[requestElement];
      const output = pair ? binding.methods[pair.methodName]?.output : undefined;
      if (!pair || !output) throw new Error(`${requestElement} is not an operation of this WSDL`);
      const xml = this.wsdl.objectToDocumentXML(pair.outputName, { $xml: SENTINEL }, output.targetNSAlias, output.targetNamespace);
      const at = xml.indexOf(SENTINEL);
      wrapper = [xml.slice(0, at), xml.slice(at + SENTINEL.length)] as const;
      this.wrappers.set(requestElement, wrapper);
    }
    return wrapper;
  }

  /** A SOAP 1.1 fault element, serialized by node-soap as its server did. */
  faultElement(fault: Record<string, unknown>): string {
    return this.wsdl.objectToDocumentXML("SOAP-ENV:Fault", fault, undefined);
  }

  private binding(): Binding {
    const service = Object.values(this.wsdl.definitions.services)[0];
    const port = service && Object.values(service.ports)[0];
    if (!port) throw new Error("the WSDL has no service port");
    return port.binding;
  }
}
