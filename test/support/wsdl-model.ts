/**
 * Turns a WSDL 1.1 document (one inline XML Schema, SOAP 1.1 binding, as Marketo's MktowsAPI
 * WSDLs are) into a plain object that tests can compare with `toEqual`.
 *
 * Every QName is resolved against the namespaces in scope and written in Clark notation
 * (`{uri}local`), so two files that bind the same namespace to different prefixes (`tns:` in
 * Marketo's files, `ns1:` in ours) give equal models. Schema constructs the Marketo WSDLs do not
 * use (choice, all, attributes, groups, …) make the parser throw rather than be silently left
 * out, so an equal model really means an equal shape.
 */
import { DOMParser } from "@xmldom/xmldom";

export const WSDL_NS = "http://schemas.xmlsoap.org/wsdl/";
export const SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/";
export const XSD_NS = "http://www.w3.org/2001/XMLSchema";

/** A resolved QName, `{namespace-uri}local-name`. */
export type ClarkName = string;

export interface HeaderBinding {
  message: ClarkName;
  part: string;
  use: string;
}

export interface OperationModel {
  soapAction: string;
  /** From the portType. */
  input: ClarkName;
  output: ClarkName;
  /** From the binding's input. */
  headers: HeaderBinding[];
  inputBodyUse: string;
  outputBodyUse: string;
}

export interface PartModel {
  name: string;
  element: ClarkName | null;
  type: ClarkName | null;
}

export interface ChildElementModel {
  name: string;
  type: ClarkName;
  minOccurs: number;
  maxOccurs: number | "unbounded";
  nillable: boolean;
}

export interface ComplexTypeModel {
  abstract: boolean;
  /** Base type of a complexContent extension, null for a plain sequence. */
  extensionBase: ClarkName | null;
  /** The sequence's elements, in schema order. */
  elements: ChildElementModel[];
}

export interface SimpleTypeModel {
  restrictionBase: ClarkName;
  enumeration: string[];
}

export interface WsdlModel {
  definitionsName: string;
  targetNamespace: string;
  /** Prefixes the definitions element binds to the target namespace, e.g. `["ns1"]`. */
  targetNamespacePrefixes: string[];
  /** Text of the XML comments before the definitions element. */
  leadingComments: string[];
  schemaTargetNamespace: string;
  /** `elementFormDefault` of the schema, "unqualified" when absent. */
  elementFormDefault: string;
  service: { name: string; port: string; binding: ClarkName; address: string };
  portType: string;
  binding: { name: string; type: ClarkName; style: string; transport: string };
  /** Keyed by operation name; binding and portType must list the same operations. */
  operations: Record<string, OperationModel>;
  messages: Record<string, PartModel[]>;
  /** Global element declarations: name → type. */
  elements: Record<string, ClarkName>;
  complexTypes: Record<string, ComplexTypeModel>;
  simpleTypes: Record<string, SimpleTypeModel>;
}

const ELEMENT_NODE = 1;
const COMMENT_NODE = 8;

function isElement(node: Node): node is Element {
  return node.nodeType === ELEMENT_NODE;
}

function childElements(parent: Element): Element[] {
  const out: Element[] = [];
  for (let i = 0; i < parent.childNodes.length; i++) {
    const node = parent.childNodes.item(i);
    if (node && isElement(node)) out.push(node);
  }
  return out;
}

function is(el: Element, ns: string, local: string): boolean {
  return el.namespaceURI === ns && el.localName === local;
}

function label(el: Element): string {
  const name = el.getAttribute("name");
  return `<${el.tagName}${name ? ` name="${name}"` : ""}>`;
}

function unexpected(el: Element, where: string): Error {
  return new Error(`wsdl-model: unexpected ${label(el)} in ${where}`);
}

function attr(el: Element, name: string): string {
  const value = el.hasAttribute(name) ? el.getAttribute(name) : null;
  if (value === null) throw new Error(`wsdl-model: ${label(el)} has no ${name}=`);
  return value;
}

function optionalAttr(el: Element, name: string): string | null {
  return el.hasAttribute(name) ? el.getAttribute(name) : null;
}

/** Resolves a QName-valued attribute with the namespaces in scope at `el`. */
function qname(el: Element, value: string): ClarkName {
  const colon = value.indexOf(":");
  const prefix = colon < 0 ? null : value.slice(0, colon);
  const local = colon < 0 ? value : value.slice(colon + 1);
  const uri = el.lookupNamespaceURI(prefix);
  if (!uri) throw new Error(`wsdl-model: unbound prefix in "${value}" on ${label(el)}`);
  return `{${uri}}${local}`;
}

function qnameAttr(el: Element, name: string): ClarkName {
  return qname(el, attr(el, name));
}

function only(parent: Element, ns: string, local: string): Element {
  const found = childElements(parent).filter((c) => is(c, ns, local));
  if (found.length !== 1) {
    throw new Error(`wsdl-model: expected one ${local} in ${label(parent)}, found ${found.length}`);
  }
  return found[0];
}

function parseOccurs(el: Element, name: "minOccurs" | "maxOccurs"): number | "unbounded" {
  const raw = optionalAttr(el, name);
  if (raw === null) return 1; // XSD default for both
  if (raw === "unbounded") return "unbounded";
  if (!/^\d+$/.test(raw)) throw new Error(`wsdl-model: bad ${name}="${raw}" on ${label(el)}`);
  return Number(raw);
}

function parseBoolean(el: Element, name: string): boolean {
  const raw = optionalAttr(el, name);
  if (raw === null || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw new Error(`wsdl-model: bad ${name}="${raw}" on ${label(el)}`);
}

function parseSequence(seq: Element, where: string): ChildElementModel[] {
  return childElements(seq).map((child) => {
    if (!is(child, XSD_NS, "element") || child.hasAttribute("ref")) throw unexpected(child, where);
    const minOccurs = parseOccurs(child, "minOccurs");
    if (minOccurs === "unbounded") throw new Error(`wsdl-model: minOccurs unbounded in ${where}`);
    return {
      name: attr(child, "name"),
      type: qnameAttr(child, "type"),
      minOccurs,
      maxOccurs: parseOccurs(child, "maxOccurs"),
      nillable: parseBoolean(child, "nillable"),
    };
  });
}

function parseComplexType(ct: Element): ComplexTypeModel {
  const where = label(ct);
  const model: ComplexTypeModel = {
    abstract: parseBoolean(ct, "abstract"),
    extensionBase: null,
    elements: [],
  };
  const children = childElements(ct);
  if (children.length === 0) return model;
  if (children.length !== 1) throw unexpected(children[1], where);
  const [content] = children;
  if (is(content, XSD_NS, "sequence")) {
    model.elements = parseSequence(content, where);
  } else if (is(content, XSD_NS, "complexContent")) {
    const ext = only(content, XSD_NS, "extension");
    if (childElements(content).length !== 1) throw unexpected(content, where);
    model.extensionBase = qnameAttr(ext, "base");
    const extChildren = childElements(ext);
    if (extChildren.length > 1 || (extChildren[0] && !is(extChildren[0], XSD_NS, "sequence"))) {
      throw unexpected(ext, where);
    }
    if (extChildren[0]) model.elements = parseSequence(extChildren[0], where);
  } else {
    throw unexpected(content, where);
  }
  return model;
}

function parseSimpleType(st: Element): SimpleTypeModel {
  const where = label(st);
  if (childElements(st).length !== 1) throw unexpected(st, where);
  const restriction = only(st, XSD_NS, "restriction");
  const enumeration = childElements(restriction).map((facet) => {
    if (!is(facet, XSD_NS, "enumeration")) throw unexpected(facet, where);
    return attr(facet, "value");
  });
  return { restrictionBase: qnameAttr(restriction, "base"), enumeration };
}

function parseBindingOperation(op: Element): Omit<OperationModel, "input" | "output"> {
  const where = label(op);
  let soapAction: string | null = null;
  let input: Element | null = null;
  let output: Element | null = null;
  for (const child of childElements(op)) {
    if (is(child, SOAP_NS, "operation")) soapAction = attr(child, "soapAction");
    else if (is(child, WSDL_NS, "input")) input = child;
    else if (is(child, WSDL_NS, "output")) output = child;
    else throw unexpected(child, where);
  }
  if (soapAction === null || !input || !output) throw new Error(`wsdl-model: incomplete ${where}`);

  const headers: HeaderBinding[] = [];
  let inputBodyUse: string | null = null;
  for (const child of childElements(input)) {
    if (is(child, SOAP_NS, "header")) {
      headers.push({
        message: qnameAttr(child, "message"),
        part: attr(child, "part"),
        use: attr(child, "use"),
      });
    } else if (is(child, SOAP_NS, "body")) {
      inputBodyUse = attr(child, "use");
    } else {
      throw unexpected(child, `${where} input`);
    }
  }
  const outputChildren = childElements(output);
  if (outputChildren.length !== 1 || !is(outputChildren[0], SOAP_NS, "body")) {
    throw unexpected(output, where);
  }
  if (inputBodyUse === null) throw new Error(`wsdl-model: no soap:body in ${where} input`);
  return { soapAction, headers, inputBodyUse, outputBodyUse: attr(outputChildren[0], "use") };
}

/** Parses WSDL text into a comparable model; throws on XML errors and on unknown constructs. */
export function parseWsdl(xmlText: string): WsdlModel {
  const problems: string[] = [];
  const report = (msg: string): void => {
    problems.push(msg);
  };
  const doc = new DOMParser({
    errorHandler: { warning: report, error: report, fatalError: report },
  }).parseFromString(xmlText, "text/xml");
  if (problems.length > 0) throw new Error(`wsdl-model: XML problems: ${problems.join("; ")}`);

  const root = doc.documentElement;
  if (!root || !is(root, WSDL_NS, "definitions")) throw new Error("wsdl-model: not a wsdl:definitions");

  const leadingComments: string[] = [];
  for (let i = 0; i < doc.childNodes.length; i++) {
    const node = doc.childNodes.item(i);
    if (node === root) break;
    if (node && node.nodeType === COMMENT_NODE) leadingComments.push((node.nodeValue ?? "").trim());
  }

  const targetNamespace = attr(root, "targetNamespace");
  const targetNamespacePrefixes: string[] = [];
  for (let i = 0; i < root.attributes.length; i++) {
    const a = root.attributes.item(i);
    if (a && a.name.startsWith("xmlns:") && a.value === targetNamespace) {
      targetNamespacePrefixes.push(a.name.slice("xmlns:".length));
    }
  }

  const model: WsdlModel = {
    definitionsName: attr(root, "name"),
    targetNamespace,
    targetNamespacePrefixes,
    leadingComments,
    schemaTargetNamespace: "",
    elementFormDefault: "unqualified",
    service: { name: "", port: "", binding: "", address: "" },
    portType: "",
    binding: { name: "", type: "", style: "", transport: "" },
    operations: {},
    messages: {},
    elements: {},
    complexTypes: {},
    simpleTypes: {},
  };

  const portTypeOps = new Map<string, { input: ClarkName; output: ClarkName }>();
  const bindingOps = new Map<string, Omit<OperationModel, "input" | "output">>();
  const seen = (kind: string, name: string, record: Record<string, unknown>): void => {
    if (name in record) throw new Error(`wsdl-model: duplicate ${kind} ${name}`);
  };

  for (const section of childElements(root)) {
    if (is(section, WSDL_NS, "types")) {
      const schema = only(section, XSD_NS, "schema");
      model.schemaTargetNamespace = attr(schema, "targetNamespace");
      model.elementFormDefault = optionalAttr(schema, "elementFormDefault") ?? "unqualified";
      for (const decl of childElements(schema)) {
        const name = attr(decl, "name");
        if (is(decl, XSD_NS, "element")) {
          seen("element", name, model.elements);
          if (childElements(decl).length > 0) throw unexpected(decl, "schema (anonymous type)");
          model.elements[name] = qnameAttr(decl, "type");
        } else if (is(decl, XSD_NS, "complexType")) {
          seen("complexType", name, model.complexTypes);
          model.complexTypes[name] = parseComplexType(decl);
        } else if (is(decl, XSD_NS, "simpleType")) {
          seen("simpleType", name, model.simpleTypes);
          model.simpleTypes[name] = parseSimpleType(decl);
        } else {
          throw unexpected(decl, "schema");
        }
      }
    } else if (is(section, WSDL_NS, "message")) {
      const name = attr(section, "name");
      seen("message", name, model.messages);
      model.messages[name] = childElements(section).map((part) => {
        if (!is(part, WSDL_NS, "part")) throw unexpected(part, label(section));
        const element = optionalAttr(part, "element");
        const type = optionalAttr(part, "type");
        return {
          name: attr(part, "name"),
          element: element === null ? null : qname(part, element),
          type: type === null ? null : qname(part, type),
        };
      });
    } else if (is(section, WSDL_NS, "portType")) {
      model.portType = attr(section, "name");
      for (const op of childElements(section)) {
        if (!is(op, WSDL_NS, "operation")) throw unexpected(op, "portType");
        const name = attr(op, "name");
        for (const child of childElements(op)) {
          if (!["documentation", "input", "output"].some((l) => is(child, WSDL_NS, l))) {
            throw unexpected(child, `portType ${name}`);
          }
        }
        if (portTypeOps.has(name)) throw new Error(`wsdl-model: duplicate portType operation ${name}`);
        portTypeOps.set(name, {
          input: qnameAttr(only(op, WSDL_NS, "input"), "message"),
          output: qnameAttr(only(op, WSDL_NS, "output"), "message"),
        });
      }
    } else if (is(section, WSDL_NS, "binding")) {
      const soapBinding = only(section, SOAP_NS, "binding");
      model.binding = {
        name: attr(section, "name"),
        type: qnameAttr(section, "type"),
        style: attr(soapBinding, "style"),
        transport: attr(soapBinding, "transport"),
      };
      for (const op of childElements(section)) {
        if (op === soapBinding) continue;
        if (!is(op, WSDL_NS, "operation")) throw unexpected(op, "binding");
        const name = attr(op, "name");
        if (bindingOps.has(name)) throw new Error(`wsdl-model: duplicate binding operation ${name}`);
        bindingOps.set(name, parseBindingOperation(op));
      }
    } else if (is(section, WSDL_NS, "service")) {
      const port = only(section, WSDL_NS, "port");
      model.service = {
        name: attr(section, "name"),
        port: attr(port, "name"),
        binding: qnameAttr(port, "binding"),
        address: attr(only(port, SOAP_NS, "address"), "location"),
      };
    } else if (!is(section, WSDL_NS, "documentation")) {
      throw unexpected(section, "definitions");
    }
  }

  // The binding and the portType must describe the same operations.
  const bindingNames = [...bindingOps.keys()].sort();
  const portTypeNames = [...portTypeOps.keys()].sort();
  if (bindingNames.join() !== portTypeNames.join()) {
    throw new Error("wsdl-model: binding and portType list different operations");
  }
  for (const [name, fromBinding] of bindingOps) {
    const fromPortType = portTypeOps.get(name);
    if (!fromPortType) throw new Error(`wsdl-model: ${name} missing from portType`);
    model.operations[name] = { ...fromBinding, ...fromPortType };
  }
  return model;
}
