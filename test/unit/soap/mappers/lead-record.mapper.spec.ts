/** LeadRecord ⇄ domain (reference §4 LeadRecord, SPEC §5 "Lead fields"). */
import { DOMParser } from "@xmldom/xmldom";
import { FieldCatalogue } from "../../../../src/domain/lead-fields";
import type { Lead } from "../../../../src/domain/types";
import { MarketoFault } from "../../../../src/soap/faults";
import { decodeLeadKey, decodeLeadRecord, encodeLeadRecord } from "../../../../src/soap/mappers/lead-record.mapper";

const catalogue = new FieldCatalogue();
const XSI = "http://www.w3.org/2001/XMLSchema-instance";

function makeLead(overrides: Partial<Lead> = {}): Lead {
  return {
    id: 42,
    email: "Ann@Example.com",
    emailKey: "ann@example.com",
    emailHash: "hash",
    foreignSysPersonId: null,
    foreignSysType: null,
    partitionId: 1,
    unsubscribed: false,
    unsubscribedReason: null,
    fields: {},
    createdAt: new Date("2024-01-01T00:00:00Z"),
    updatedAt: new Date("2024-01-01T00:00:00Z"),
    ...overrides,
  };
}

/** Reads written XML back the way node-soap hands arguments over (text, null for nil, arrays for repeats). */
function toArgs(xml: string): unknown {
  const doc = new DOMParser().parseFromString(`<root xmlns:xsi="${XSI}">${xml}</root>`, "text/xml");
  const convert = (el: Element): unknown => {
    if (el.getAttributeNS(XSI, "nil") === "true") return null;
    const children = Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1);
    if (children.length === 0) return el.textContent ?? "";
    const out: Record<string, unknown> = {};
    for (const c of children) {
      const v = convert(c);
      const prev = out[c.localName];
      out[c.localName] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  };
  const root = doc.documentElement as Element;
  return convert(Array.from(root.childNodes).find((n): n is Element => n.nodeType === 1) as Element);
}

function faultCode(fn: () => unknown): number | "no fault" {
  try {
    fn();
    return "no fault";
  } catch (error) {
    if (error instanceof MarketoFault) return error.code;
    throw error;
  }
}

describe("encodeLeadRecord", () => {
  it("writes children in schema order, nil for missing nillables, Unsubscribed as 1, attributes sorted", () => {
    const lead = makeLead({
      foreignSysPersonId: "00Q123",
      foreignSysType: "SFDC",
      unsubscribed: true,
      unsubscribedReason: "asked <by> mail & phone",
      fields: { LastName: "Lee", FirstName: "Ann", NumberOfEmployees: "10", DoNotCall: "false" },
    });
    expect(encodeLeadRecord(lead, catalogue)).toBe(
      "<leadRecord><Id>42</Id><Email>Ann@Example.com</Email><ForeignSysPersonId>00Q123</ForeignSysPersonId><ForeignSysType>SFDC</ForeignSysType>" +
        "<leadAttributeList>" +
        "<attribute><attrName>Unsubscribed</attrName><attrType>boolean</attrType><attrValue>1</attrValue></attribute>" +
        "<attribute><attrName>UnsubscribedReason</attrName><attrType>text</attrType><attrValue>asked &lt;by&gt; mail &amp; phone</attrValue></attribute>" +
        "<attribute><attrName>DoNotCall</attrName><attrType>boolean</attrType><attrValue>0</attrValue></attribute>" +
        "<attribute><attrName>FirstName</attrName><attrType>string</attrType><attrValue>Ann</attrValue></attribute>" +
        "<attribute><attrName>LastName</attrName><attrType>string</attrType><attrValue>Lee</attrValue></attribute>" +
        "<attribute><attrName>NumberOfEmployees</attrName><attrType>integer</attrType><attrValue>10</attrValue></attribute>" +
        "</leadAttributeList></leadRecord>",
    );
  });

  it("writes nil Email and foreign ids, Unsubscribed 0, and leaves empty strings out", () => {
    const lead = makeLead({ email: null, emailKey: null, unsubscribedReason: "", fields: { FirstName: "", City: "Oslo" } });
    expect(encodeLeadRecord(lead, catalogue)).toBe(
      '<leadRecord><Id>42</Id><Email xsi:nil="true"/><ForeignSysPersonId xsi:nil="true"/><ForeignSysType xsi:nil="true"/>' +
        "<leadAttributeList>" +
        "<attribute><attrName>Unsubscribed</attrName><attrType>boolean</attrType><attrValue>0</attrValue></attribute>" +
        "<attribute><attrName>City</attrName><attrType>string</attrType><attrValue>Oslo</attrValue></attribute>" +
        "</leadAttributeList></leadRecord>",
    );
  });

  it("writes leadAttributeList nil when includeAttributes selects nothing present", () => {
    const xml = encodeLeadRecord(makeLead({ fields: { FirstName: "Ann" } }), catalogue, "leadRecord", { include: new Set(["lastname"]) });
    expect(xml).toBe('<leadRecord><Id>42</Id><Email>Ann@Example.com</Email><ForeignSysPersonId xsi:nil="true"/><ForeignSysType xsi:nil="true"/><leadAttributeList xsi:nil="true"/></leadRecord>');
  });
});

describe("decodeLeadRecord", () => {
  it("reads what node-soap hands over, ignoring unknown children", () => {
    expect(
      decodeLeadRecord({
        Id: 7,
        Email: " Ann@Example.com ",
        ForeignSysPersonId: " 00Q1 ",
        ForeignSysType: "SFDC",
        foreignSysPersonId: "ignored: wrong case",
        Bogus: "ignored",
        leadAttributeList: { attribute: { attrName: " FirstName ", attrType: "string", attrValue: "Ann" } },
      }),
    ).toStrictEqual({ id: 7, email: " Ann@Example.com ", foreignSysPersonId: "00Q1", foreignSysType: "SFDC", fields: { FirstName: "Ann" } });
  });

  it("reads Id given as text, several attributes, and a nil or missing attrValue as empty", () => {
    expect(
      decodeLeadRecord({
        Id: "12",
        leadAttributeList: { attribute: [{ attrName: "Unsubscribed", attrValue: "TRUE" }, { attrName: "City", attrValue: null }, { attrName: "State" }] },
      }),
    ).toStrictEqual({ id: 12, fields: { Unsubscribed: "TRUE", City: "", State: "" } });
  });

  it("reads text from elements that carry attributes", () => {
    expect(decodeLeadRecord({ Email: { attributes: { "xsi:type": "xsd:string" }, $value: "a@example.com" }, ForeignSysType: { attributes: { a: "b" } } })).toStrictEqual({
      email: "a@example.com",
      fields: {},
    });
  });

  it("leaves out blank foreign ids and keeps an empty Email as given (not given is decided later)", () => {
    expect(decodeLeadRecord({ Email: "", ForeignSysPersonId: "  ", ForeignSysType: "" })).toStrictEqual({ email: "", fields: {} });
  });

  it.each<[string, unknown, number]>([
    ["a missing leadRecord", undefined, 20109],
    ["a nil leadRecord", null, 20109],
    ["a text leadRecord", "abc", 20109],
    ["Id 'abc'", { Id: "abc" }, 20110],
    ["Id 1.5", { Id: "1.5" }, 20110],
    ["Id beyond xs:int", { Id: "2147483648" }, 20110],
    ["an attribute without attrName", { leadAttributeList: { attribute: [{ attrValue: "x" }] } }, 20110],
    ["an attribute with a blank attrName", { leadAttributeList: { attribute: { attrName: " ", attrValue: "x" } } }, 20110],
    ["a repeated Email", { Email: ["a@example.com", "b@example.com"] }, 20110],
    ["an Email with child elements", { Email: { x: "1" } }, 20110],
    ["a ForeignSysPersonId with child elements", { ForeignSysPersonId: { x: "1" } }, 20110],
    ["an attrValue with child elements", { leadAttributeList: { attribute: { attrName: "FirstName", attrValue: { x: "1" } } } }, 20110],
  ])("answers %s with %i", (_title, raw, code) => {
    expect(faultCode(() => decodeLeadRecord(raw))).toBe(code);
  });
});

describe("LeadRecord round trip", () => {
  it("decodes what it encodes: ids, email, foreign ids, and every non-empty attribute (booleans as 1/0)", () => {
    const lead = makeLead({
      id: 9,
      foreignSysPersonId: "003X",
      foreignSysType: "SFDC",
      unsubscribed: true,
      unsubscribedReason: "r",
      fields: { FirstName: "Zoë", Company: "A & B <Ltd>", DoNotCall: "true", Title: "" },
    });
    expect(decodeLeadRecord(toArgs(encodeLeadRecord(lead, catalogue)))).toStrictEqual({
      id: 9,
      email: "Ann@Example.com",
      foreignSysPersonId: "003X",
      foreignSysType: "SFDC",
      fields: { Unsubscribed: "1", UnsubscribedReason: "r", Company: "A & B <Ltd>", DoNotCall: "1", FirstName: "Zoë" },
    });
  });

  it("keeps nil Email and foreign ids out of the decoded input", () => {
    const lead = makeLead({ email: null, emailKey: null });
    expect(decodeLeadRecord(toArgs(encodeLeadRecord(lead, catalogue)))).toStrictEqual({ id: 42, fields: { Unsubscribed: "0" } });
  });
});

describe("decodeLeadKey", () => {
  it("reads keyType and a trimmed keyValue", () => {
    expect(decodeLeadKey({ keyType: " EMAIL ", keyValue: " Ann@Example.com " })).toStrictEqual({ type: "EMAIL", value: "Ann@Example.com" });
    expect(decodeLeadKey({ keyType: "IDNUM", keyValue: 17 })).toStrictEqual({ type: "IDNUM", value: "17" });
  });

  it.each<[string, unknown, number]>([
    ["a missing leadKey", undefined, 20101],
    ["a nil leadKey", null, 20101],
    ["a leadKey without keyType", { keyValue: "a@b.c" }, 20101],
    ["an empty keyType", { keyType: "", keyValue: "a@b.c" }, 20101],
    ["an unknown keyType", { keyType: "PHONE", keyValue: "123" }, 20102],
    ["a missing keyValue", { keyType: "EMAIL" }, 20102],
    ["a nil keyValue", { keyType: "IDNUM", keyValue: null }, 20102],
    ["an empty keyValue", { keyType: "EMAIL", keyValue: "" }, 20102],
    ["a blank keyValue", { keyType: "EMAIL", keyValue: "   " }, 20102],
  ])("answers %s with %i", (_title, raw, code) => {
    expect(faultCode(() => decodeLeadKey(raw))).toBe(code);
  });
});
