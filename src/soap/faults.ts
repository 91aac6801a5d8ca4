/**
 * The one translation of errors into Marketo faults (reference §3). Domain errors map to their
 * codes; anything else is logged by the caller and becomes an opaque 20011, never a message or
 * stack trace from inside.
 */
import { DomainError } from "../domain/errors";
import { escapeXml, MKTOWS_NS } from "./xml";

export const MarketoCodes = {
  internalError: 20011,
  requestNotUnderstood: 20012,
  accessDenied: 20013,
  authenticationFailed: 20014,
  requestExpired: 20016,
  unsupportedOperation: 20019,
  leadKeyRequired: 20101,
  inputError: 20102,
  leadNotFound: 20103,
  unknownLeadField: 20105,
  parameterRequired: 20109,
  badParameter: 20110,
  listNotFound: 20111,
  campaignNotFound: 20113,
  timeRangeTooLong: 20022,
  requestLimitExceeded: 20015,
  rateLimitExceeded: 20023,
  concurrencyLimitExceeded: 20024,
  badStreamPosition: 20122,
  streamAtEnd: 20123,
} as const;

export type MarketoCode = (typeof MarketoCodes)[keyof typeof MarketoCodes];

/** Short texts as seen on the wire where known (reference §3.1), else the docs' table. */
const shortText: Record<MarketoCode, string> = {
  20011: "Internal Error",
  20012: "Request Not Understood",
  20013: "Access Denied",
  20014: "Authentication failed",
  20016: "Request Expired",
  20019: "Unsupported Operation",
  20101: "Lead Key Required",
  20102: "Input error",
  20103: "Lead not found",
  20105: "Unknown lead field",
  20109: "Parameter Required",
  20110: "Bad Parameter",
  20111: "List Not Found",
  20113: "Campaign Not Found",
  20022: "Time range specified in query filter exceeded limit",
  20015: "Request Limit Exceeded",
  20023: "Rate Limit Exceeded",
  20024: "Concurrency Limit Exceeded",
  20122: "Bad Stream Position",
  20123: "Stream at End",
};

/** A fault to send. `message` is the detail text, without the "(code)" suffix. */
export class MarketoFault extends Error {
  constructor(
    readonly code: MarketoCode,
    message?: string,
  ) {
    super(message ?? shortText[code]);
  }

  get faultstring(): string {
    return `${this.code} - ${shortText[this.code]}`;
  }

  get detailMessage(): string {
    return `${this.message} (${this.code})`;
  }

  /** The object node-soap turns into a SOAP 1.1 fault (stack notes §2). */
  toNodeSoapFault(): { Fault: Record<string, unknown> } {
    return {
      Fault: {
        faultcode: "SOAP-ENV:Client",
        faultstring: this.faultstring,
        detail: {
          "ns1:serviceException": {
            attributes: { "xmlns:ns1": MKTOWS_NS },
            name: "mktServiceException",
            message: this.detailMessage,
            code: String(this.code),
          },
        },
        statusCode: 500,
      },
    };
  }

  /** The same fault as a whole envelope, for answers given before node-soap sees the request. */
  toEnvelope(): string {
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault>` +
      `<faultcode>SOAP-ENV:Client</faultcode><faultstring>${escapeXml(this.faultstring)}</faultstring>` +
      `<detail><ns1:serviceException xmlns:ns1="${MKTOWS_NS}"><name>mktServiceException</name>` +
      `<message>${escapeXml(this.detailMessage)}</message><code>${this.code}</code></ns1:serviceException></detail>` +
      `</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`
    );
  }
}

const domainCodes: Record<string, MarketoCode> = {
  leadNotFound: MarketoCodes.leadNotFound,
  invalidLeadKey: MarketoCodes.inputError,
  unknownField: MarketoCodes.unknownLeadField,
  invalidValue: MarketoCodes.badParameter,
  missingParameter: MarketoCodes.parameterRequired,
  listNotFound: MarketoCodes.listNotFound,
  campaignNotFound: MarketoCodes.campaignNotFound,
  timeRangeTooLong: MarketoCodes.timeRangeTooLong,
  accessDenied: MarketoCodes.accessDenied,
};

/** Maps any error to the fault to send; `internal` is true when the caller must log it. */
export function toMarketoFault(error: unknown, operation: string): { fault: MarketoFault; internal: boolean } {
  if (error instanceof MarketoFault) return { fault: error, internal: false };
  if (error instanceof DomainError && domainCodes[error.kind] !== undefined) {
    const code = domainCodes[error.kind];
    const message = code === MarketoCodes.unknownLeadField ? `${operation} operation failed: ${error.message}` : error.message;
    return { fault: new MarketoFault(code, message), internal: false };
  }
  return { fault: new MarketoFault(MarketoCodes.internalError, "Internal error"), internal: true };
}
