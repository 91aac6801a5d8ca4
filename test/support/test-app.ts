/**
 * Starts the whole application in-process against the tests' database, with known secrets and
 * a random port, after emptying the tables. One app per test file (jest runs files in band).
 */
import * as soap from "soap";
import { startApplication, type Application } from "../../src/app";
import { loadConfig, type Config } from "../../src/config";
import { createLogger, silentLogger } from "../../src/logger";
import { sign } from "../../src/soap/auth";
import { onRealPostgres, testDatabaseUrl } from "./test-env";

export const TEST_USER_ID = "testuser1_ABCDEF0123456789";
export const TEST_ENCRYPTION_KEY = "899756834129871744AAEE88DDCC77CDEEDEC1AAAD66";
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789";
export const TEST_EMAIL_HASH_KEY = "test-email-hash-key-do-not-use-in-production";

export interface TestApp extends Application {
  readonly config: Config;
  /** Empties leads, statuses, history, activities and extra partitions. */
  reset(): Promise<void>;
  /** A node-soap client for /soap/mktows/<version>, loaded from the served WSDL, that signs every call. */
  soapClient(version?: string): Promise<soap.Client>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  postSoap(version: string, xml: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
}

export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig(
    {
      DATABASE_URL: testDatabaseUrl(),
      PORT: "0",
      HOST: "127.0.0.1",
      MKTOWS_USER_ID: TEST_USER_ID,
      MKTOWS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      EMAIL_HASH_KEY: TEST_EMAIL_HASH_KEY,
      // The embedded server (global setup) accepts 4 connections; more are reset (ECONNRESET → 20011).
      DB_POOL_SIZE: onRealPostgres() ? "20" : "4",
      // The suites send hundreds of bad signatures from 127.0.0.1 on purpose; the throttle of
      // failed authentications has its own tests (test/integration/hardening.spec.ts).
      AUTH_MAX_FAILURES: "1000000",
      ...env,
    },
    "/nonexistent",
  );
  const logger = process.env.TEST_LOG ? createLogger("debug") : silentLogger;
  const app = await startApplication(config, logger);
  const reset = async () => {
    await app.dataSource.query(`TRUNCATE lead, activity, email_status_history, email_status, static_list, campaign, lead_field, sfdc_record, sfdc_notification, sfdc_kept_notification, webhook_outbox, api_call_limit, api_call_in_flight RESTART IDENTITY CASCADE`);
    await app.dataSource.query(`DELETE FROM workspace WHERE name <> 'Default'`);
    await app.dataSource.query(`DELETE FROM partition WHERE name <> 'Default'`);
  };
  await reset();
  return {
    ...app,
    stop: () => app.stop(),
    config,
    reset,
    async soapClient(version = "2_2") {
      const client = await soap.createClientAsync(`${app.url}/soap/mktows/${version}?WSDL`);
      client.addSoapHeader(() => ({ AuthenticationHeader: signedHeader() }), "", "ns1", "http://www.marketo.com/mktows/");
      return client;
    },
    async admin(method, path, body) {
      const res = await fetch(`${app.url}/admin/api${path}`, {
        method,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async postSoap(version, xml, headers = {}) {
      const res = await fetch(`${app.url}/soap/mktows/${version}`, { method: "POST", headers: { "content-type": "text/xml; charset=utf-8", ...headers }, body: xml });
      return { status: res.status, body: await res.text() };
    },
  };
}

/** An AuthenticationHeader signed now (or at `now`) for the test user. */
export function signedHeader(options: { now?: Date; userId?: string; key?: string; timestamp?: string } = {}): {
  mktowsUserId: string;
  requestSignature: string;
  requestTimestamp: string;
} {
  const userId = options.userId ?? TEST_USER_ID;
  const timestamp = options.timestamp ?? (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "+00:00");
  return { mktowsUserId: userId, requestSignature: sign(timestamp, userId, options.key ?? TEST_ENCRYPTION_KEY), requestTimestamp: timestamp };
}

/** A whole SOAP envelope with a signed header around a body fragment, as PHP SoapClient writes it. */
export function envelope(body: string, header = signedHeader()): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://www.marketo.com/mktows/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<SOAP-ENV:Header><ns1:AuthenticationHeader><mktowsUserId>${header.mktowsUserId}</mktowsUserId>` +
    `<requestSignature>${header.requestSignature}</requestSignature><requestTimestamp>${header.requestTimestamp}</requestTimestamp>` +
    `</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}
