/** SOAP requests of the benchmark, signed like a client (the header is re-signed every minute). */
import { sign } from "../src/soap/auth";
import { post, type Reply } from "./net";

export interface Credentials {
  readonly userId: string;
  readonly encryptionKey: string;
}

export class SoapClient {
  private header = "";
  private signedAt = 0;
  readonly endpoint: URL;

  constructor(
    baseUrl: string,
    private readonly creds: Credentials,
  ) {
    this.endpoint = new URL("/soap/mktows/2_2", baseUrl);
  }

  private authHeader(): string {
    const now = Date.now();
    if (now - this.signedAt > 60000) {
      const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, "+00:00");
      this.header =
        `<ns1:AuthenticationHeader><mktowsUserId>${this.creds.userId}</mktowsUserId>` +
        `<requestSignature>${sign(ts, this.creds.userId, this.creds.encryptionKey)}</requestSignature>` +
        `<requestTimestamp>${ts}</requestTimestamp></ns1:AuthenticationHeader>`;
      this.signedAt = now;
    }
    return this.header;
  }

  envelope(body: string): string {
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://www.marketo.com/mktows/">` +
      `<SOAP-ENV:Header>${this.authHeader()}</SOAP-ENV:Header><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
    );
  }

  /** Posts one operation; throws on a non-200 answer or a fault. */
  async call(body: string): Promise<Reply> {
    const reply = await post(this.endpoint, this.envelope(body), "text/xml; charset=utf-8");
    if (reply.status !== 200 || reply.body.includes(":Fault>")) {
      throw new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 300)}`);
    }
    return reply;
  }
}

export interface RecordInput {
  readonly id?: number;
  readonly email?: string;
  readonly attributes?: Record<string, string>;
}

export function leadRecordXml(r: RecordInput): string {
  const attrs = Object.entries(r.attributes ?? {}).map(([n, v]) => `<attribute><attrName>${n}</attrName><attrValue>${escape(v)}</attrValue></attribute>`);
  return (
    `<leadRecord>${r.id !== undefined ? `<Id>${r.id}</Id>` : ""}${r.email !== undefined ? `<Email>${escape(r.email)}</Email>` : ""}` +
    `${attrs.length ? `<leadAttributeList>${attrs.join("")}</leadAttributeList>` : ""}</leadRecord>`
  );
}

export const getLeadByEmail = (email: string) => `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${escape(email)}</keyValue></leadKey></ns1:paramsGetLead>`;

export const syncLeadBody = (r: RecordInput) => `<ns1:paramsSyncLead>${leadRecordXml(r)}<returnLead>false</returnLead></ns1:paramsSyncLead>`;

export const syncMultipleBody = (records: RecordInput[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records.map(leadRecordXml).join("")}</leadRecordList></ns1:paramsSyncMultipleLeads>`;

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
