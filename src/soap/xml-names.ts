/**
 * Namespace resolution for the request parse, as sax's `xmlns: true` mode does it (the same
 * scoping, the same bound `xml` and `xmlns` prefixes, the same errors in the same order), done
 * on sax's plain mode: sax's namespace mode made its parse a third slower, allocating scope and
 * attribute objects for every element of every request.
 */
const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/";

export interface NamedAttribute {
  readonly name: string;
  readonly value: string;
  readonly local: string;
  readonly uri: string;
}

export interface NamedElement {
  /** As written, with its prefix. */
  readonly name: string;
  readonly local: string;
  readonly uri: string;
  /** By written name, in document order (xmlns declarations included). */
  readonly attributes: Readonly<Record<string, NamedAttribute>>;
}

type Scope = Record<string, string>;

/** sax's qname(): the parts around the first colon, the local part ending at a second one. */
function split(name: string, attribute: boolean): [string, string] {
  if (attribute && name === "xmlns") return ["xmlns", ""];
  const i = name.indexOf(":");
  if (i < 0) return ["", name];
  const j = name.indexOf(":", i + 1);
  return [name.slice(0, i), name.slice(i + 1, j < 0 ? undefined : j)];
}

const NO_ATTRIBUTES: Readonly<Record<string, NamedAttribute>> = Object.freeze({});

/** The open elements' namespace bindings. */
export class NamespaceScopes {
  private readonly scopes: Scope[] = [Object.create({ xml: XML_NAMESPACE, xmlns: XMLNS_NAMESPACE }) as Scope];

  /** An element opens; its names resolved, or the error sax would have raised (its first line). */
  open(name: string, attributes: Readonly<Record<string, string>>): NamedElement | string {
    const parent = this.scopes[this.scopes.length - 1];
    let scope = parent;
    let any = false;
    for (const attr in attributes) {
      any = true;
      const [prefix, local] = split(attr, true);
      if (prefix !== "xmlns") continue;
      const value = attributes[attr];
      if (local === "xml" && value !== XML_NAMESPACE) return `xml: prefix must be bound to ${XML_NAMESPACE}`;
      if (local === "xmlns" && value !== XMLNS_NAMESPACE) return `xmlns: prefix must be bound to ${XMLNS_NAMESPACE}`;
      if (scope === parent) scope = Object.create(parent) as Scope;
      scope[local] = value;
    }
    const [prefix, local] = split(name, false);
    const uri = scope[prefix] || "";
    if (prefix && !uri) return `Unbound namespace prefix: ${JSON.stringify(name)}`;
    let named = NO_ATTRIBUTES;
    if (any) {
      const out: Record<string, NamedAttribute> = {};
      for (const attr in attributes) {
        const [p, l] = split(attr, true);
        const u = p === "" ? "" : scope[p] || "";
        if (p && p !== "xmlns" && !u) return `Unbound namespace prefix: ${JSON.stringify(p)}`;
        out[attr] = { name: attr, value: attributes[attr], local: l, uri: u };
      }
      named = out;
    }
    this.scopes.push(scope);
    return { name, local, uri, attributes: named };
  }

  close(): void {
    this.scopes.pop();
  }
}
