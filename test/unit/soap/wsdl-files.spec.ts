/**
 * Our WSDL files (wsdl/mktows-<version>.wsdl) must carry exactly the shapes of Marketo's WSDLs,
 * because every existing client was generated from those. The only intended differences are
 * the prefix of the Marketo namespace (`ns1`, which node-soap reuses for the response body
 * element, as Marketo did), the soap:address and the leading comment.
 */
import { existsSync, readFileSync } from "node:fs";
import path, { join } from "node:path";
import { WSDL } from "soap";
import { ChildElementModel, parseWsdl, WsdlModel } from "../../support/wsdl-model";

const MKTOWS_NS = "http://www.marketo.com/mktows/";
const XS = (local: string): string => `{http://www.w3.org/2001/XMLSchema}${local}`;
const MKTO = (local: string): string => `{${MKTOWS_NS}}${local}`;

const OURS_DIR = join(__dirname, "..", "..", "..", "wsdl");
// The reference copies live outside the repository (see SPEC.md); overridable for other checkouts.
const REFERENCE_DIR = path.resolve(__dirname, "../../fixtures/reference-wsdl");

interface Case {
  version: string;
  reference: string;
  /** Turns the reference model into what our file must equal (2_3 has no reference of its own). */
  adjust?: (reference: WsdlModel) => WsdlModel;
}

/** 2_3 = 2_2 plus the two changes of the reference README, shaped as in the 2_7 file. */
function apply23Changes(model: WsdlModel): WsdlModel {
  const copy: WsdlModel = structuredClone(model);
  const changes = copy.complexTypes.ParamsGetLeadChanges.elements;
  const at = changes.findIndex((e) => e.name === "activityFilter");
  if (at < 0 || changes.some((e) => e.name === "activityNameFilter")) {
    throw new Error("2_2 reference is not what the 2_3 expectation assumes");
  }
  const activityNameFilter: ChildElementModel = {
    name: "activityNameFilter",
    type: MKTO("ArrayOfString"),
    minOccurs: 0,
    maxOccurs: 1,
    nillable: true,
  };
  changes.splice(at + 1, 0, activityNameFilter);

  const listOp = copy.complexTypes.ParamsListOperation;
  const before = listOp.elements.length;
  listOp.elements = listOp.elements.filter((e) => e.name !== "skipActivityLog");
  if (listOp.elements.length !== before - 1) {
    throw new Error("2_2 reference has no skipActivityLog to remove");
  }
  return copy;
}

const CASES: Case[] = [
  { version: "2_1", reference: "mktows-2_1.wsdl" },
  { version: "2_2", reference: "mktows-2_2.wsdl" },
  { version: "2_3", reference: "mktows-2_2.wsdl", adjust: apply23Changes },
  { version: "2_7", reference: "mktows-2_7.RECONSTRUCTED.wsdl" },
  { version: "3_1", reference: "mktows-3_1.RECONSTRUCTED.wsdl" },
];

function read(path: string): string {
  if (!existsSync(path)) throw new Error(`missing WSDL file ${path}`);
  return readFileSync(path, "utf8");
}

function oursPath(version: string): string {
  return join(OURS_DIR, `mktows-${version}.wsdl`);
}

/** Loads a WSDL text the way the server will (node-soap's own parser). */
function loadWithNodeSoap(xml: string): Promise<WSDL> {
  return new Promise((resolve, reject) => {
    const wsdl = new WSDL(xml, "", {});
    wsdl.onReady((err) => (err ? reject(err) : resolve(wsdl)));
  });
}

/** Swaps the first two child elements of a complexType in WSDL text (a deliberate breakage). */
function swapFirstTwoElements(text: string, typeName: string): string {
  const start = text.indexOf(`<xs:complexType name="${typeName}">`);
  const element = /<xs:element\b[^>]*\/>/g;
  element.lastIndex = start;
  const a = element.exec(text);
  const b = element.exec(text);
  if (start < 0 || !a || !b) throw new Error(`cannot find two elements in ${typeName}`);
  const aEnd = a.index + a[0].length;
  const bEnd = b.index + b[0].length;
  return text.slice(0, a.index) + b[0] + text.slice(aEnd, b.index) + a[0] + text.slice(bEnd);
}

/** Reads one property of a value of unknown shape. */
function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object" && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

describe.each(CASES)("wsdl/mktows-$version.wsdl", ({ version, reference, adjust }) => {
  const ours = parseWsdl(read(oursPath(version)));
  const referenceModel = parseWsdl(read(join(REFERENCE_DIR, reference)));
  const expected = adjust ? adjust(referenceModel) : referenceModel;

  it("binds the Marketo namespace to ns1 only", () => {
    expect(ours.targetNamespace).toBe(MKTOWS_NS);
    expect(ours.targetNamespacePrefixes).toEqual(["ns1"]);
    // Guards against a half-done rename: the reference uses tns, and nothing may still say so.
    expect(read(oursPath(version))).not.toMatch(/\btns:/);
  });

  it("has a placeholder soap:address and a one-line comment naming the version", () => {
    expect(ours.service.address).toBe(`http://localhost/soap/mktows/${version}`);
    expect(ours.leadingComments).toHaveLength(1);
    expect(ours.leadingComments[0]).toContain(version);
    expect(ours.leadingComments[0]).not.toContain("\n");
    if (version === "2_7" || version === "3_1") {
      expect(ours.leadingComments[0]).toMatch(/reconstructed/i);
    }
  });

  it("has the reference's definitions, service, port, binding and portType names", () => {
    const pick = (m: WsdlModel): unknown => ({
      definitionsName: m.definitionsName,
      targetNamespace: m.targetNamespace,
      schemaTargetNamespace: m.schemaTargetNamespace,
      elementFormDefault: m.elementFormDefault,
      service: { ...m.service, address: null },
      portType: m.portType,
      binding: m.binding,
    });
    expect(pick(ours)).toEqual(pick(expected));
  });

  it("has the same 23 operations, soapActions, messages and header bindings", () => {
    expect(Object.keys(ours.operations)).toHaveLength(23);
    expect(ours.operations).toEqual(expected.operations);
  });

  it("has the same messages and parts", () => {
    expect(ours.messages).toEqual(expected.messages);
  });

  it("has the same global elements", () => {
    expect(ours.elements).toEqual(expected.elements);
  });

  it("has the same complexTypes, children in the same order", () => {
    expect(Object.keys(ours.complexTypes).sort()).toEqual(Object.keys(expected.complexTypes).sort());
    // One assertion per type, so a failure names the type.
    for (const [name, type] of Object.entries(expected.complexTypes)) {
      expect({ [name]: ours.complexTypes[name] }).toEqual({ [name]: type });
    }
  });

  it("has the same simpleTypes and enumeration values", () => {
    expect(ours.simpleTypes).toEqual(expected.simpleTypes);
  });

  it("loads in node-soap with 23 operations whose responses are named ns1:", async () => {
    const wsdl = await loadWithNodeSoap(read(oursPath(version)));
    const port = field(field(wsdl.describeServices(), "MktMktowsApiService"), "MktowsApiSoapPort");
    expect(port !== null && typeof port === "object" ? Object.keys(port).sort() : []).toEqual(
      Object.keys(ours.operations).sort(),
    );

    const methods = wsdl.definitions.bindings.MktowsApiSoapBinding.methods;
    expect(Object.keys(methods)).toHaveLength(23);
    for (const [name, method] of Object.entries(methods)) {
      expect({ name, alias: method.output.targetNSAlias }).toEqual({ name, alias: "ns1" });
    }
    // What the server will write for a response body element.
    const out = methods.getLead.output;
    const xml: unknown = wsdl.objectToDocumentXML(
      out.$name ?? "",
      { result: { count: 0 } },
      out.targetNSAlias ?? "",
      out.targetNamespace,
    );
    expect(xml).toMatch(/^<ns1:successGetLead xmlns:ns1="http:\/\/www\.marketo\.com\/mktows\/">/);
  });
});

describe("wsdl-model", () => {
  it("compares QNames by namespace URI, not prefix", () => {
    const withTns = read(join(REFERENCE_DIR, "mktows-2_2.wsdl"));
    const model = parseWsdl(withTns);
    expect(model.targetNamespacePrefixes).toEqual(["tns"]);
    expect(model.complexTypes.ParamsGetLead.elements[0]).toEqual({
      name: "leadKey",
      type: MKTO("LeadKey"),
      minOccurs: 1,
      maxOccurs: 1,
      nillable: false,
    });
    expect(model.simpleTypes.LeadSyncStatus).toEqual({
      restrictionBase: XS("string"),
      enumeration: ["CREATED", "UPDATED", "FAILED"],
    });
  });

  it("sees a swapped pair of elements as a difference", () => {
    const text = read(oursPath("2_2"));
    const swapped = swapFirstTwoElements(text, "ResultGetLead");
    expect(swapped).not.toBe(text);
    expect(parseWsdl(swapped).complexTypes.ResultGetLead).not.toEqual(
      parseWsdl(text).complexTypes.ResultGetLead,
    );
  });

  it("rejects schema constructs it does not model", () => {
    const text = read(oursPath("2_2"));
    const withAttribute = text.replace(
      /(<xs:complexType name="ResultGetLead">[\s\S]*?<\/xs:sequence>)/,
      '$1<xs:attribute name="x" type="xs:string"/>',
    );
    expect(withAttribute).not.toBe(text);
    expect(() => parseWsdl(withAttribute)).toThrow(/unexpected <xs:attribute/);
  });
});
