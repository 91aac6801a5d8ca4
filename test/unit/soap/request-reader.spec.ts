/**
 * The one parse (request-reader.ts) hands the handlers what node-soap's server parse handed
 * them: each request below is also parsed by node-soap 1.13's `xmlToObject`, set up as the
 * server used to set it up (handleNilAsNull, numbers and booleans kept as text), and the
 * arguments and headers must be deep-equal.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import * as sax from "sax";
import * as soap from "soap";
import { MarketoFault } from "../../../src/soap/faults";
import { readSoapRequest } from "../../../src/soap/request-reader";
import { WsdlModel } from "../../../src/soap/request-schema";

const ENV = "http://schemas.xmlsoap.org/soap/envelope/";
const M = "http://www.marketo.com/mktows/";
const user = { id: "u", encryptionKey: "k" };
const keepText = Object.fromEntries(["int", "integer", "short", "long", "double", "float", "decimal", "bool", "boolean"].map((t) => [t, (text: string) => text]));

function envelope(body: string, header = `<ns1:AuthenticationHeader><mktowsUserId>u</mktowsUserId><requestSignature>s</requestSignature><requestTimestamp>t</requestTimestamp></ns1:AuthenticationHeader>`): string {
  return `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${ENV}" xmlns:ns1="${M}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><SOAP-ENV:Header>${header}</SOAP-ENV:Header><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

const requests: [string, string][] = [
  ["getLead", envelope(`<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue> a@example.com </keyValue></leadKey></ns1:paramsGetLead>`)],
  ["typed values (SOAP::Lite)", envelope(`<ns1:paramsGetLead><leadKey><keyType xsi:type="xsd:string">EMAIL</keyType><keyValue xsi:type="xsd:string">a@example.com</keyValue></leadKey></ns1:paramsGetLead>`)],
  ["empty, nil, repeated and unknown elements", envelope(`<ns1:paramsSyncLead><leadRecord><Id></Id><Email/><ForeignSysPersonId xsi:nil="true"/><ForeignSysType xsi:nil="1"/><Email>x@example.com</Email><bogus>1</bogus><leadAttributeList><attribute><attrName>FirstName</attrName><attrValue></attrValue></attribute></leadAttributeList></leadRecord><returnLead> true </returnLead><marketoCookie></marketoCookie></ns1:paramsSyncLead>`)],
  ["text, CDATA, comments and processing instructions", envelope(`<ns1:paramsSyncLead><leadRecord><Email>a<!-- c -->b<?pi x?>c<![CDATA[ d ]]></Email><leadAttributeList><attribute a="1"><attrName a="1">A<![CDATA[B]]></attrName><attrValue>&lt;v&amp;</attrValue></attribute></leadAttributeList></leadRecord></ns1:paramsSyncLead>`)],
  ["arrays of one and of many", envelope(`<ns1:paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>a@example.com</Email></leadRecord></leadRecordList><dedupEnabled>false</dedupEnabled></ns1:paramsSyncMultipleLeads>`)],
  ["an xsi:type selector, dates and ints", envelope(`<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>2026-01-01T00:00:00Z</oldestUpdatedAt><latestUpdatedAt/></leadSelector><lastUpdatedAt>2026-01-02</lastUpdatedAt><batchSize>12abc</batchSize><includeAttributes><stringItem>FirstName</stringItem></includeAttributes></ns1:paramsGetMultipleLeads>`)],
  ["a key selector without xsi:type", envelope(`<ns1:paramsGetMultipleLeads><leadSelector><keyType>EMAIL</keyType><keyValues><stringItem>a</stringItem><stringItem>b</stringItem></keyValues></leadSelector></ns1:paramsGetMultipleLeads>`)],
  ["another xsi prefix, a default namespace, qualified children", envelope(`<paramsGetLeadActivity xmlns="${M}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ns1:leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></ns1:leadKey><startPosition><oldestCreatedAt i:type="xsd:dateTime"/><offset i:nil="true"/></startPosition><activityFilter><includeTypes><activityType>NewLead</activityType><activityType>VisitWebpage</activityType></includeTypes></activityFilter></paramsGetLeadActivity>`)],
  ["a context header and attributes on Body and operation", envelope(`<ns1:paramsSyncLead x="1"><leadRecord><Email>a@example.com</Email></leadRecord></ns1:paramsSyncLead>`, `<ns1:AuthenticationHeader><mktowsUserId>u</mktowsUserId></ns1:AuthenticationHeader><ns1:MktowsContextHeader><targetWorkspace> EMEA </targetWorkspace></ns1:MktowsContextHeader>`).replace("<SOAP-ENV:Body>", `<SOAP-ENV:Body xmlns:q="urn:q" q:a="b">`)],
  ["an empty operation element and a nil one", envelope(`<ns1:paramsListMObjects/>`)],
  ["a merge (lists of lists)", envelope(`<ns1:paramsMergeLeads><winningLeadKeyList><attribute><attrName>IDNUM</attrName><attrValue>1</attrValue></attribute></winningLeadKeyList><losingLeadKeyLists><keyList><attribute><attrName>IDNUM</attrName><attrValue>2</attrValue></attribute></keyList><keyList><attribute><attrName>EMAIL</attrName><attrValue>b@example.com</attrValue></attribute></keyList></losingLeadKeyLists></ns1:paramsMergeLeads>`)],
];

describe("readSoapRequest builds the arguments node-soap built", () => {
  let model: WsdlModel;
  let nodeSoap: { xmlToObject(xml: string): { Header?: unknown; Body: Record<string, unknown> } };

  beforeAll(async () => {
    const xml = readFileSync(path.resolve(__dirname, "../../../wsdl/mktows-2_2.wsdl"), "utf8");
    model = await WsdlModel.load(xml);
    nodeSoap = await new Promise((resolve, reject) => {
      const wsdl = new soap.WSDL(xml, "", { handleNilAsNull: true, customDeserializer: keepText } as soap.IOptions);
      wsdl.onReady((error) => {
        if (error) return reject(error);
        (wsdl.options as { attributesKey?: string }).attributesKey = "attributes";
        resolve(wsdl as never);
      });
    });
  });

  it.each(requests)("%s", (_title, xml) => {
    const ours = readSoapRequest(Buffer.from(xml, "utf8"), model, () => user);
    if (ours.refused) throw ours.fault;
    const theirs = nodeSoap.xmlToObject(xml);
    const body = theirs.Body;
    const first = Object.keys(body)[0] === "attributes" ? Object.keys(body)[1] : Object.keys(body)[0];
    expect(ours.requestElement).toBe(first);
    expect(ours.args).toEqual(body[first]);
    expect(ours.headers).toEqual(theirs.Header);
  });

  it("checks the signature when the Header ends, before the Body is read", () => {
    const seen: unknown[] = [];
    const r = readSoapRequest(Buffer.from(requests[0][1], "utf8"), model, (head) => {
      seen.push(head);
      return new MarketoFault(20014);
    });
    expect(seen).toEqual([{ mktowsUserId: "u", requestSignature: "s", requestTimestamp: "t" }]);
    expect(r.refused).toBe("unauthenticated");
  });

  it.each([
    ["an unbound element prefix", `<ns1:paramsGetLead><q:leadKey/></ns1:paramsGetLead>`],
    ["an unbound attribute prefix", `<ns1:paramsGetLead><leadKey q:a="1"/></ns1:paramsGetLead>`],
    ["a prefix declared on a sibling", `<ns1:paramsGetLead><a xmlns:q="urn:q"/><q:b/></ns1:paramsGetLead>`],
    ["xml bound elsewhere", `<ns1:paramsGetLead xmlns:xml="urn:x"/>`],
    ["xmlns bound", `<ns1:paramsGetLead xmlns:xmlns="urn:x"/>`],
  ])("refuses %s with sax's namespace-mode error", (_title, body) => {
    const xml = envelope(body);
    let saxError = "";
    const p = sax.parser(true, { xmlns: true });
    p.onerror = (e) => {
      saxError ||= e.message.split("\n")[0];
      throw e;
    };
    expect(() => p.write(xml).close()).toThrow();
    const r = readSoapRequest(Buffer.from(xml, "utf8"), model, () => user);
    expect(r.refused && r.fault.message).toBe(`Malformed XML: ${saxError}`);
  });
});
