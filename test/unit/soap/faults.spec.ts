/** The one translation of errors into Marketo faults (reference §3, STYLE habit 3). */
import { DOMParser } from "@xmldom/xmldom";
import {
  ConcurrentChangeError,
  InvalidLeadKeyError,
  InvalidValueError,
  InvalidWriteError,
  LeadNotFoundError,
  MissingParameterError,
  UnknownFieldError,
} from "../../../src/domain/errors";
import { CampaignNotFoundError } from "../../../src/domain/campaign.service";
import { TimeRangeTooLongError } from "../../../src/domain/lead-stream.service";
import { ListNotFoundError } from "../../../src/domain/list.service";
import { MarketoCodes, MarketoFault, toMarketoFault } from "../../../src/soap/faults";

interface Row {
  title: string;
  error: unknown;
  code: number;
  faultstring: string;
  message: string;
  internal: boolean;
}

const rows: Row[] = [
  { title: "LeadNotFoundError", error: new LeadNotFoundError("No lead found with EMAIL = pants@example.com"), code: 20103, faultstring: "20103 - Lead not found", message: "No lead found with EMAIL = pants@example.com (20103)", internal: false },
  { title: "InvalidLeadKeyError", error: new InvalidLeadKeyError("keyValue is empty"), code: 20102, faultstring: "20102 - Input error", message: "keyValue is empty (20102)", internal: false },
  { title: "UnknownFieldError", error: new UnknownFieldError(["pants"]), code: 20105, faultstring: "20105 - Unknown lead field", message: "syncLead operation failed: unknown fields for import: pants (20105)", internal: false },
  { title: "UnknownFieldError with several fields", error: new UnknownFieldError(["a", "b"]), code: 20105, faultstring: "20105 - Unknown lead field", message: "syncLead operation failed: unknown fields for import: a, b (20105)", internal: false },
  { title: "InvalidValueError", error: new InvalidValueError("Unsubscribed: 'maybe' is not a boolean"), code: 20110, faultstring: "20110 - Bad Parameter", message: "Unsubscribed: 'maybe' is not a boolean (20110)", internal: false },
  { title: "MissingParameterError", error: new MissingParameterError("leadRecord is required"), code: 20109, faultstring: "20109 - Parameter Required", message: "leadRecord is required (20109)", internal: false },
  { title: "ListNotFoundError", error: new ListNotFoundError("No list found with name Nope"), code: 20111, faultstring: "20111 - List Not Found", message: "No list found with name Nope (20111)", internal: false },
  { title: "CampaignNotFoundError", error: new CampaignNotFoundError("No campaign 99"), code: 20113, faultstring: "20113 - Campaign Not Found", message: "No campaign 99 (20113)", internal: false },
  {
    title: "TimeRangeTooLongError",
    error: new TimeRangeTooLongError("more than 30 days"),
    code: 20022,
    faultstring: "20022 - Time range specified in query filter exceeded limit",
    message: "more than 30 days (20022)",
    internal: false,
  },
  { title: "a MarketoFault passes through", error: new MarketoFault(MarketoCodes.requestExpired, "too old"), code: 20016, faultstring: "20016 - Request Expired", message: "too old (20016)", internal: false },
  { title: "a MarketoFault with the default text", error: new MarketoFault(MarketoCodes.authenticationFailed), code: 20014, faultstring: "20014 - Authentication failed", message: "Authentication failed (20014)", internal: false },
  { title: "InvalidWriteError (a bug, not bad input)", error: new InvalidWriteError("lead write without a channel"), code: 20011, faultstring: "20011 - Internal Error", message: "Internal error (20011)", internal: true },
  { title: "ConcurrentChangeError that escaped the retries", error: new ConcurrentChangeError("row changed under lock on lead 17"), code: 20011, faultstring: "20011 - Internal Error", message: "Internal error (20011)", internal: true },
  { title: "a plain Error", error: new Error("connect ECONNREFUSED 10.0.0.5:5432 password=hunter2"), code: 20011, faultstring: "20011 - Internal Error", message: "Internal error (20011)", internal: true },
  { title: "a TypeError", error: new TypeError("Cannot read properties of undefined (reading 'email')"), code: 20011, faultstring: "20011 - Internal Error", message: "Internal error (20011)", internal: true },
  { title: "a thrown string", error: "SELECT * FROM lead failed", code: 20011, faultstring: "20011 - Internal Error", message: "Internal error (20011)", internal: true },
  { title: "a thrown null", error: null, code: 20011, faultstring: "20011 - Internal Error", message: "Internal error (20011)", internal: true },
];

const NS_ENV = "http://schemas.xmlsoap.org/soap/envelope/";
const NS_MKTO = "http://www.marketo.com/mktows/";

describe("toMarketoFault", () => {
  it.each(rows.map((r) => [r.title, r] as const))("%s", (_title, row) => {
    const { fault, internal } = toMarketoFault(row.error, "syncLead");
    expect({ code: fault.code, faultstring: fault.faultstring, message: fault.detailMessage, internal }).toStrictEqual({
      code: row.code,
      faultstring: row.faultstring,
      message: row.message,
      internal: row.internal,
    });
  });

  it.each(rows.filter((r) => r.internal).map((r) => [r.title, r] as const))("%s: no internal text reaches the envelope", (_title, row) => {
    const envelope = toMarketoFault(row.error, "syncLead").fault.toEnvelope();
    expect(envelope).not.toMatch(/ECONNREFUSED|hunter2|Cannot read|SELECT|channel|lead 17|Error:|\bat .*\.ts:\d+/);
    expect(envelope).toContain("<faultstring>20011 - Internal Error</faultstring>");
  });
});

describe("MarketoFault", () => {
  it("writes the envelope exactly as Marketo's 'invalid credentials' sample", () => {
    expect(new MarketoFault(MarketoCodes.authenticationFailed).toEnvelope()).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
        `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault>` +
        `<faultcode>SOAP-ENV:Client</faultcode><faultstring>20014 - Authentication failed</faultstring>` +
        `<detail><ns1:serviceException xmlns:ns1="http://www.marketo.com/mktows/"><name>mktServiceException</name>` +
        `<message>Authentication failed (20014)</message><code>20014</code></ns1:serviceException></detail>` +
        `</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
    );
  });

  it("writes a well-formed envelope whose detail is ns1:serviceException {name, message, code}, escaping the text", () => {
    const fault = new MarketoFault(MarketoCodes.badParameter, `FirstName: '<b>&"x"' is bad`);
    const doc = new DOMParser().parseFromString(fault.toEnvelope(), "text/xml");
    const envelope = doc.documentElement;
    expect([envelope?.namespaceURI, envelope?.localName]).toEqual([NS_ENV, "Envelope"]);
    const faultEl = doc.getElementsByTagNameNS(NS_ENV, "Fault")[0];
    const children = Array.from(faultEl.childNodes).map((n) => n.nodeName);
    expect(children).toEqual(["faultcode", "faultstring", "detail"]);
    expect(doc.getElementsByTagName("faultcode")[0].textContent).toBe("SOAP-ENV:Client");
    expect(doc.getElementsByTagName("faultstring")[0].textContent).toBe("20110 - Bad Parameter");
    const exception = doc.getElementsByTagNameNS(NS_MKTO, "serviceException")[0];
    expect(exception.prefix).toBe("ns1");
    expect(Array.from(exception.childNodes).map((n) => [n.nodeName, n.textContent])).toEqual([
      ["name", "mktServiceException"],
      ["message", `FirstName: '<b>&"x"' is bad (20110)`],
      ["code", "20110"],
    ]);
  });

  it("gives node-soap a Client fault with HTTP 500 and the same detail", () => {
    expect(new MarketoFault(MarketoCodes.leadNotFound, "No lead found with EMAIL = a@b.c").toNodeSoapFault()).toStrictEqual({
      Fault: {
        faultcode: "SOAP-ENV:Client",
        faultstring: "20103 - Lead not found",
        detail: {
          "ns1:serviceException": {
            attributes: { "xmlns:ns1": NS_MKTO },
            name: "mktServiceException",
            message: "No lead found with EMAIL = a@b.c (20103)",
            code: "20103",
          },
        },
        statusCode: 500,
      },
    });
  });
});
