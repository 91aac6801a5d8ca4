/**
 * Answers as node-soap's server wrote them, byte for byte (the golden tests and the clients
 * compare them): its XML declaration, the envelope with the namespaces of the version's WSDL
 * and xmlns:xsi, the operation's success element around the body the handler wrote, and SOAP
 * 1.1 faults through node-soap's own serializer. A request whose Header has a WS-Security
 * Timestamp gets one back, as node-soap did.
 */
import type { MarketoFault } from "./faults";
import type { WsdlModel } from "./request-schema";

const WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

export function successEnvelope(model: WsdlModel, requestElement: string, body: string, timestamped: boolean): string {
  const [open, close] = model.successElement(requestElement);
  return wrap(model, open + body + close, timestamped);
}

export function faultEnvelope(model: WsdlModel, fault: MarketoFault, timestamped: boolean): string {
  // node-soap took statusCode out of the fault (it is the HTTP status) and left the key undefined.
  return wrap(model, model.faultElement({ ...fault.toNodeSoapFault().Fault, statusCode: undefined }), timestamped);
}

function wrap(model: WsdlModel, body: string, timestamped: boolean): string {
  const header = timestamped ? `<SOAP-ENV:Header>${securityTimestamp(new Date())}</SOAP-ENV:Header>` : "";
  return `${model.envelopeOpen}${header}${body ? `<SOAP-ENV:Body>${body}</SOAP-ENV:Body>` : "<SOAP-ENV:Body/>"}</SOAP-ENV:Envelope>`;
}

function securityTimestamp(now: Date): string {
  const created = utc(now);
  const expires = utc(new Date(now.getTime() + 600_000));
  return (
    `<o:Security soap:mustUnderstand="1" xmlns:o="${WSSE}" xmlns:u="${WSU}">` +
    `    <u:Timestamp u:Id="_0">      <u:Created>${created}</u:Created>      <u:Expires>${expires}</u:Expires>    </u:Timestamp>  </o:Security>\n`
  );
}

/** YYYY-MM-DDTHH:MM:SSZ. */
function utc(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
