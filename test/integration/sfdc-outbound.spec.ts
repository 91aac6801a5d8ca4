/**
 * The Salesforce sync channel (SPEC §4, §6) end to end over HTTP: outbound messages posted to
 * /sfdc/outbound/<token> as Salesforce sends them, checked by what a user sees (getLead and
 * getLeadActivity through SOAP, the admin email-status view) and, for refusals, by row counts.
 * After every test the invariant of SPEC §2 is checked in SQL.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import * as soap from "soap";
import { salesforceId18 } from "../../src/domain/sfdc-sync.policy";
import { assertInvariant } from "../support/invariant";
import { flagRow, LeadDriver, Reasons } from "../support/lead-driver";
import { startTestApp, type TestApp } from "../support/test-app";
import { describeWithTool, findTool } from "../support/test-env";

const openssl = findTool(["openssl"], ["version"]);

const ORG_15 = "00D5g000004XyZa";
const ORG_18 = salesforceId18(ORG_15);
const TOKEN = "sfdc-outbound-test-token-0123456789";
const SFDC = { reason: "Sync from SFDC", source: "Sales" } as const;

interface SObjectSpec {
  readonly type?: "Lead" | "Contact" | "Account";
  readonly id: string;
  /** null: xsi:nil. */
  readonly email?: string | null;
  readonly optedOut?: boolean;
  readonly firstName?: string;
  readonly modstamp?: string;
  /** The Notification Id; a fresh one when absent. */
  readonly notificationId?: string;
}

let sequence = 0;
const notificationId = (): string => salesforceId18(`04l5g${String(++sequence).padStart(10, "0")}`);
const leadId = (n: number): string => salesforceId18(`00Q5g${String(n).padStart(10, "0")}`);
const contactId = (n: number): string => salesforceId18(`0035g${String(n).padStart(10, "0")}`);

function sObjectXml(s: SObjectSpec): string {
  const field = (name: string, value: string | boolean | null | undefined) =>
    value === undefined ? "" : value === null ? `<sf:${name} xsi:nil="true"/>` : `<sf:${name}>${String(value)}</sf:${name}>`;
  return (
    `<Notification><Id>${s.notificationId ?? notificationId()}</Id>` +
    `<sObject xsi:type="sf:${s.type ?? "Lead"}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
    `<sf:Id>${s.id}</sf:Id>${field("Email", s.email)}${field("FirstName", s.firstName)}${field("HasOptedOutOfEmail", s.optedOut)}${field("SystemModstamp", s.modstamp)}` +
    `</sObject></Notification>`
  );
}

/** A whole outbound message, as Salesforce posts it. */
function outboundMessage(sObjects: SObjectSpec[], organizationId = ORG_18): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">` +
    `<OrganizationId>${organizationId}</OrganizationId><ActionId>04k5g000000AbCdAAE</ActionId>` +
    `<SessionId xsi:nil="true"/><EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/59.0/${ORG_15}</EnterpriseUrl>` +
    `<PartnerUrl>https://example.my.salesforce.com/services/Soap/u/59.0/${ORG_15}</PartnerUrl>` +
    sObjects.map(sObjectXml).join("") +
    `</notifications></soapenv:Body></soapenv:Envelope>`
  );
}

const ACK = /<soapenv:Body><notificationsResponse xmlns="http:\/\/soap\.sforce\.com\/2005\/09\/outbound"><Ack>true<\/Ack><\/notificationsResponse><\/soapenv:Body>/;

describe("Salesforce outbound messages (SPEC §4 Salesforce sync)", () => {
  let app: TestApp;
  let d: LeadDriver;

  beforeAll(async () => {
    app = await startTestApp({ SFDC_ORGANIZATION_ID: ORG_15, SFDC_OUTBOUND_TOKEN: TOKEN });
    d = new LeadDriver(app);
  });
  afterAll(async () => {
    await app.stop();
  });
  beforeEach(async () => {
    await app.reset();
    await app.dataSource.query(`TRUNCATE sfdc_record, sfdc_notification, sfdc_kept_notification`);
  });
  afterEach(async () => {
    await assertInvariant(app.dataSource);
  });

  const post = async (body: string, token = TOKEN): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${app.url}/sfdc/outbound/${token}`, { method: "POST", headers: { "content-type": "text/xml; charset=utf-8", soapaction: '""' }, body });
    return { status: res.status, body: await res.text() };
  };
  const deliver = async (...sObjects: SObjectSpec[]): Promise<void> => {
    const res = await post(outboundMessage(sObjects));
    expect(res).toEqual({ status: 200, body: expect.stringMatching(ACK) });
  };
  const counts = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const table of ["lead", "activity", "email_status", "email_status_history", "sfdc_record", "sfdc_notification"]) {
      const [row] = (await app.dataSource.query(`SELECT count(*) AS n FROM ${table}`)) as { n: string }[];
      out[table] = Number(row.n);
    }
    return out;
  };
  const linkedLead = async (keyType: "SFDCLEADID" | "SFDCCONTACTID", id: string): Promise<number> => {
    const client = await app.soapClient();
    const [out] = (await client.getLeadAsync({ leadKey: { keyType, keyValue: id } })) as [{ result: { count: number; leadRecordList: { leadRecord: { Id: number }[] } } }];
    expect(out.result.count).toBe(1);
    return Number(out.result.leadRecordList.leadRecord[0].Id);
  };

  it("an opt-out in Salesforce unsubscribes every lead with the address, with Sync from SFDC / Sales rows", async () => {
    const [l1, l2] = await d.createDuplicates([{ email: "ana@example.com" }, { email: "ana@example.com" }]);
    const l3 = await d.adminCreate({ email: "ANA@example.com", partition: "EMEA", createPartition: true });
    const [bystander] = await d.createDuplicates([{ email: "bob@example.com" }]);
    const sfId = leadId(1);

    await deliver({ id: sfId, email: "ana@example.com", optedOut: true });

    expect(await d.flagsOf([l1, l2, l3, bystander])).toEqual(["1", "1", "1", "0"]);
    const matched = await linkedLead("SFDCLEADID", sfId);
    expect([l1, l2, l3]).toContain(matched);
    for (const id of [l1, l2, l3]) {
      const reason = id === matched ? SFDC.reason : Reasons.propagate;
      expect(await d.flagRows(id)).toEqual([flagRow(false, true, reason, id, SFDC.source)]);
    }
    expect(await d.flagRows(bystander)).toEqual([]);
    expect((await d.historyOf("ana@example.com"))[0]).toEqual({ unsubscribed: true, channel: "sfdc", reason: SFDC.reason, source: SFDC.source, leadId: matched });
  });

  it("an unrelated edit that sends HasOptedOutOfEmail=false again re-subscribes nobody", async () => {
    const [l1, l2] = await d.createDuplicates([{ email: "cy@example.com" }, { email: "cy@example.com" }]);
    const sfId = leadId(2);
    await deliver({ id: sfId, email: "cy@example.com", optedOut: false });
    // Unsubscribed here, not in Salesforce.
    await d.syncLead({ id: l1, unsubscribed: true });
    const before = await counts();

    await deliver({ id: sfId, email: "cy@example.com", optedOut: false, firstName: "Cy" });

    expect(await d.flagsOf([l1, l2])).toEqual(["1", "1"]);
    expect(await counts()).toEqual({ ...before, sfdc_notification: before.sfdc_notification + 1 });
    expect((await d.emailStatus("cy@example.com")).unsubscribed).toBe(true);
  });

  it("a record seen for the first time with HasOptedOutOfEmail=false re-subscribes nobody", async () => {
    const [l1, l2] = await d.createDuplicates([{ email: "dee@example.com", unsubscribed: true }, { email: "dee@example.com" }]);
    await deliver({ id: leadId(3), email: "dee@example.com", optedOut: false });
    expect(await d.flagsOf([l1, l2])).toEqual(["1", "1"]);
  });

  it("HasOptedOutOfEmail true→false in Salesforce re-subscribes every lead with the address", async () => {
    const [l1, l2] = await d.createDuplicates([{ email: "eve@example.com" }, { email: "eve@example.com" }]);
    const sfId = leadId(4);
    await deliver({ id: sfId, email: "eve@example.com", optedOut: true });
    expect(await d.flagsOf([l1, l2])).toEqual(["1", "1"]);

    await deliver({ id: sfId, email: "eve@example.com", optedOut: false });

    expect(await d.flagsOf([l1, l2])).toEqual(["0", "0"]);
    const matched = await linkedLead("SFDCLEADID", sfId);
    for (const id of [l1, l2]) {
      const reason = id === matched ? SFDC.reason : Reasons.propagate;
      expect((await d.flagRows(id))[0]).toEqual(flagRow(true, false, reason, id, SFDC.source));
    }
    expect((await d.historyOf("eve@example.com"))[0]).toEqual({ unsubscribed: false, channel: "sfdc", reason: SFDC.reason, source: SFDC.source, leadId: matched });
  });

  it("a redelivered notification (same Notification Id) is acknowledged and applied once", async () => {
    const [l1, l2] = await d.createDuplicates([{ email: "fay@example.com" }, { email: "fay@example.com" }]);
    const sfId = leadId(5);
    const optOut = outboundMessage([{ id: sfId, email: "fay@example.com", optedOut: true, notificationId: notificationId() }]);
    expect((await post(optOut)).body).toMatch(ACK);
    // Cleared in Salesforce afterwards: a redelivery of the old opt-out, applied again, would
    // look like false→true and unsubscribe the address once more.
    await deliver({ id: sfId, email: "fay@example.com", optedOut: false });
    expect(await d.flagsOf([l1, l2])).toEqual(["0", "0"]);
    const before = await counts();

    const again = await Promise.all([post(optOut), post(optOut)]);

    expect(again.map((r) => r.status)).toEqual([200, 200]);
    for (const r of again) expect(r.body).toMatch(ACK);
    expect(await counts()).toEqual(before);
    expect(await d.flagsOf([l1, l2])).toEqual(["0", "0"]);
  });

  it("a first delivery sent twice at once is applied once", async () => {
    const [l1] = await d.createDuplicates([{ email: "gus@example.com" }]);
    const message = outboundMessage([{ id: leadId(6), email: "gus@example.com", optedOut: true, notificationId: notificationId() }]);
    const results = await Promise.all([post(message), post(message), post(message)]);
    for (const r of results) expect(r.body).toMatch(ACK);
    expect(await d.flagRows(l1)).toEqual([flagRow(false, true, SFDC.reason, l1, SFDC.source)]);
    expect((await counts()).sfdc_notification).toBe(1);
  });

  it("a wrong token answers 404 and changes nothing", async () => {
    await d.createDuplicates([{ email: "hal@example.com" }]);
    const before = await counts();
    const res = await post(outboundMessage([{ id: leadId(7), email: "hal@example.com", optedOut: true }]), `${TOKEN}x`);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain(TOKEN);
    expect((await fetch(`${app.url}/sfdc/outbound/${TOKEN.slice(0, -1)}?wsdl`)).status).toBe(404);
    expect(await counts()).toEqual(before);
  });

  it("another organization's message is refused with a SOAP fault and changes nothing", async () => {
    const [l1] = await d.createDuplicates([{ email: "ivy@example.com" }]);
    const before = await counts();
    for (const org of [salesforceId18("00D5g000004XyZb"), ORG_15.toLowerCase(), "00D5g000004XyZ"]) {
      const res = await post(outboundMessage([{ id: leadId(8), email: "ivy@example.com", optedOut: true }], org));
      expect(res.status).toBe(500);
      expect(res.body).toContain("<faultcode>soapenv:Client</faultcode>");
      expect(res.body).not.toMatch(/<Ack>/);
    }
    expect(await counts()).toEqual(before);
    expect(await d.unsubscribedOf(l1)).toBe("0");
  });

  it("accepts the organization id in its 15- and 18-character forms", async () => {
    const [l1, l2] = await d.createDuplicates([{ email: "jo@example.com" }, { email: "kim@example.com" }]);
    expect((await post(outboundMessage([{ id: leadId(9), email: "jo@example.com", optedOut: true }], ORG_15))).body).toMatch(ACK);
    expect((await post(outboundMessage([{ id: leadId(10), email: "kim@example.com", optedOut: true }], ORG_18))).body).toMatch(ACK);
    expect(await d.flagsOf([l1, l2])).toEqual(["1", "1"]);
  });

  it("a Contact opt-out works as a Lead's does, and a record with no lead creates one, linked", async () => {
    const [l1] = await d.createDuplicates([{ email: "lou@example.com" }]);
    const sfId = contactId(1);
    await deliver({ type: "Contact", id: sfId, email: "lou@example.com", optedOut: true }, { type: "Contact", id: contactId(2), email: "new@example.com", firstName: "Nia", optedOut: true });

    expect(await linkedLead("SFDCCONTACTID", sfId)).toBe(l1);
    expect(await d.flagRows(l1)).toEqual([flagRow(false, true, SFDC.reason, l1, SFDC.source)]);
    const [created] = await d.getLeadsByEmail("new@example.com");
    expect(await linkedLead("SFDCCONTACTID", contactId(2))).toBe(created.id);
    expect(created.attributes).toMatchObject({ FirstName: "Nia", Unsubscribed: "1" });
    expect(await d.activitySummary(created.id)).toEqual(["Change Data Value: Unsubscribed", "New Lead"]);
    expect(await d.flagRows(created.id)).toEqual([flagRow(false, true, SFDC.reason, created.id, SFDC.source)]);
  });

  it("an email changed in Salesforce follows D5: the lead adopts the new address's status", async () => {
    await d.createDuplicates([{ email: "new-addr@example.com", unsubscribed: true }]);
    const [l1] = await d.createDuplicates([{ email: "old-addr@example.com" }]);
    const sfId = leadId(11);
    await deliver({ id: sfId, email: "old-addr@example.com", optedOut: false });

    await deliver({ id: sfId, email: "new-addr@example.com", optedOut: false });

    const lead = await d.getLead(l1);
    expect(lead.email).toBe("new-addr@example.com");
    expect(lead.attributes.Unsubscribed).toBe("1");
    expect(await d.flagRows(l1)).toEqual([flagRow(false, true, Reasons.reset, l1, SFDC.source)]);
    const emailRow = (await d.activities(l1)).find((a) => a.asset === "Email Address");
    expect(emailRow?.attributes).toMatchObject({ "Old Value": "old-addr@example.com", "New Value": "new-addr@example.com", Reason: SFDC.reason, Source: SFDC.source });
  });

  it("an unrelated edit does not undo an email change made here", async () => {
    const [l1] = await d.createDuplicates([{ email: "pat@example.com" }]);
    const sfId = leadId(12);
    await deliver({ id: sfId, email: "pat@example.com", optedOut: false });
    await d.syncLead({ id: l1, email: "pat.new@example.com" });
    await deliver({ id: sfId, email: "pat@example.com", optedOut: false, firstName: "Pat" });
    expect((await d.getLead(l1)).email).toBe("pat.new@example.com");
  });

  it("a notification older than the last one applied (SystemModstamp) changes nothing", async () => {
    const [l1] = await d.createDuplicates([{ email: "quinn@example.com" }]);
    const sfId = leadId(13);
    await deliver({ id: sfId, email: "quinn@example.com", optedOut: true, modstamp: "2026-03-01T10:00:05.000Z" });
    await deliver({ id: sfId, email: "quinn@example.com", optedOut: false, modstamp: "2026-03-01T10:00:00.000Z" });
    expect(await d.unsubscribedOf(l1)).toBe("1");
  });

  it("refuses malformed XML, DTDs and oversized bodies with a fault, without stack traces", async () => {
    await d.createDuplicates([{ email: "rex@example.com" }]);
    const before = await counts();
    const bad = [
      "<notifications",
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&a;</soapenv:Body></soapenv:Envelope>`,
    ];
    for (const body of bad) {
      const res = await post(body);
      expect(res.status).toBe(500);
      expect(res.body).toContain("<faultcode>soapenv:Client</faultcode>");
      expect(res.body).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d/);
    }
    const huge = await post(`<x>${"a".repeat(app.config.maxBodyBytes + 10)}</x>`);
    expect(huge.status).toBe(413);
    expect(huge.body).toContain("<faultcode>soapenv:Client</faultcode>");
    expect(await counts()).toEqual(before);
  });

  // Issue 11 item 6: such a notification would be retried by Salesforce for 24 hours if faulted.
  it("a notification that can never apply (another sObject type, a bad id or boolean, a NUL) is acknowledged and kept for the operator; the rest of the message applies", async () => {
    const [rex] = await d.createDuplicates([{ email: "rex@example.com" }]);
    const [sam] = await d.createDuplicates([{ email: "sam@example.com" }]);
    const before = await counts();
    const res = await post(
      outboundMessage([
        { type: "Account", id: salesforceId18("0015g00000AbCdE"), email: "rex@example.com", optedOut: true },
        { id: "not-an-id", email: "rex@example.com", optedOut: true },
        { id: leadId(14), email: "rex@example.com", optedOut: "maybe" as unknown as boolean },
        { id: leadId(15), email: "rex\u0000@example.com", optedOut: true, notificationId: salesforceId18("04l5g0000099999") },
        { id: leadId(16), email: "sam@example.com", optedOut: true },
      ]),
    );
    expect(res).toEqual({ status: 200, body: expect.stringMatching(ACK) });
    expect(await d.flagsOf([rex, sam])).toEqual(["0", "1"]);
    const kept = await app.admin("GET", "/sfdc/kept-notifications");
    expect(kept.status).toBe(200);
    const reasons = (kept.body.notifications as { reason: string; excerpt: string; notificationId: string }[]).map((n) => n.reason);
    expect(reasons).toHaveLength(4);
    expect(reasons.join("\n")).toMatch(/only Lead and Contact notifications are accepted, not 'Account'/);
    expect(reasons.join("\n")).toMatch(/'not-an-id' is not a Salesforce id/);
    expect(reasons.join("\n")).toMatch(/HasOptedOutOfEmail 'maybe' is not a boolean/);
    expect(reasons.join("\n")).toMatch(/Email contains the character U\+0000/);
    const nul = (kept.body.notifications as { reason: string; excerpt: string }[]).find((n) => /U\+0000/.test(n.reason));
    // The address is masked in what is kept (erasure could not find it there).
    expect(nul?.excerpt).toContain('"Email":"r***@example.com"');
    // rex's rows are untouched; only sam's notification wrote anything.
    const after = await counts();
    expect(after.lead).toBe(before.lead);
    expect(after.sfdc_notification).toBe(before.sfdc_notification + 1);

    // A redelivery of the kept message is acknowledged again and kept once.
    const again = await post(outboundMessage([{ id: leadId(15), email: "rex\u0000@example.com", optedOut: true, notificationId: salesforceId18("04l5g0000099999") }]));
    expect(again.status).toBe(200);
    expect((await app.admin("GET", "/sfdc/kept-notifications")).body.notifications).toHaveLength(4);
  });

  it("a bad character in a name drops the name, not the notification: the opt-out applies", async () => {
    const [lead] = await d.createDuplicates([{ email: "vt@example.com" }]);
    await deliver({ id: leadId(41), email: "vt@example.com", optedOut: true, firstName: "Bad\u000bName" });
    expect(await d.flagsOf([lead])).toEqual(["1"]);
    expect((await app.admin("GET", "/sfdc/kept-notifications")).body.notifications).toEqual([]);
  });

  it("a new record cannot re-subscribe an address unsubscribed by another channel, even opted out then not in one message", async () => {
    const [lead] = await d.createDuplicates([{ email: "oc@example.com", unsubscribed: true }]);
    const made = leadId(42);
    const before = (await d.historyOf("oc@example.com")).length;
    await deliver({ id: made, email: "oc@example.com", optedOut: true, modstamp: "2026-03-01T10:00:00.000Z" }, { id: made, email: "oc@example.com", optedOut: false, modstamp: "2026-03-01T10:01:00.000Z" });
    expect(await d.flagsOf([lead])).toEqual(["1"]);
    expect((await d.historyOf("oc@example.com")).length).toBe(before);
    const kept = (await app.admin("GET", "/sfdc/kept-notifications")).body.notifications as { reason: string }[];
    expect(kept.map((k) => k.reason)).toEqual([expect.stringMatching(/may re-subscribe only an address it unsubscribed \(this one was unsubscribed by soap\)/)]);
  });

  it("a record no lead is linked to cannot re-subscribe an address unsubscribed elsewhere (opted out, then not)", async () => {
    // The lead belongs to another system, so a Salesforce record matched by email is not linked to it.
    const lead = await d.adminCreate({ email: "una@example.com", foreignSysPersonId: "crm-77", foreignSysType: "CUSTOM" });
    await d.syncLead({ id: lead, unsubscribed: true });
    const made = leadId(40);
    await deliver({ id: made, email: "una@example.com", optedOut: true });
    await deliver({ id: made, email: "una@example.com", optedOut: false });
    expect(await d.flagsOf([lead])).toEqual(["1"]);
    expect((await d.emailStatus("una@example.com")).unsubscribed).toBe(true);
  });

  it("serves the outbound-message WSDL at ?wsdl, with this endpoint as its address", async () => {
    for (const query of ["wsdl", "WSDL"]) {
      const res = await fetch(`${app.url}/sfdc/outbound/${TOKEN}?${query}`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('targetNamespace="http://soap.sforce.com/2005/09/outbound"');
      expect(text).toContain(`<soap:address location="${app.url}/sfdc/outbound/${TOKEN}"/>`);
    }
    const client = await soap.createClientAsync(`${app.url}/sfdc/outbound/${TOKEN}?wsdl`);
    const description = client.describe() as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(description.NotificationService.Notification)).toEqual(["notifications"]);
  });
});

describe("Salesforce outbound endpoint when not configured", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it("answers 404 (SFDC_ORGANIZATION_ID and SFDC_OUTBOUND_TOKEN unset)", async () => {
    const res = await fetch(`${app.url}/sfdc/outbound/${TOKEN}`, { method: "POST", headers: { "content-type": "text/xml" }, body: outboundMessage([{ id: leadId(1), email: "a@example.com", optedOut: true }]) });
    expect(res.status).toBe(404);
    expect((await fetch(`${app.url}/sfdc/outbound/${TOKEN}?wsdl`)).status).toBe(404);
    const [row] = (await app.dataSource.query(`SELECT count(*) AS n FROM lead`)) as { n: string }[];
    expect(Number(row.n)).toBe(0);
  });
});

describe("Salesforce sender authentication (issue 11 item 6)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ SFDC_ORGANIZATION_ID: ORG_15, SFDC_OUTBOUND_TOKEN: TOKEN, SFDC_ALLOWED_NETWORKS: "10.1.0.0/16, 192.0.2.7", TRUST_PROXY: "true" });
  });
  afterAll(async () => {
    await app.stop();
  });
  beforeEach(async () => {
    await app.reset();
  });

  const postFrom = (ip: string) =>
    fetch(`${app.url}/sfdc/outbound/${TOKEN}`, {
      method: "POST",
      headers: { "content-type": "text/xml; charset=utf-8", "x-forwarded-for": ip },
      body: outboundMessage([{ id: leadId(1), email: "net@example.com", optedOut: true }]),
    });

  it("a message with the right token from outside SFDC_ALLOWED_NETWORKS is refused (403) and changes nothing", async () => {
    const res = await postFrom("10.2.0.1");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("This sender is not allowed");
    expect(Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM lead`))[0].n)).toBe(0);
  });

  it("a client cannot choose its address with X-Forwarded-For: the proxy's hop decides", async () => {
    const res = await postFrom("10.1.0.5, 203.0.113.9");
    expect(res.status).toBe(403);
  });

  it("messages from an allowed network or address are applied", async () => {
    expect((await postFrom("10.1.200.3")).status).toBe(200);
    expect((await postFrom("192.0.2.7")).status).toBe(200);
    expect(Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM lead`))[0].n)).toBe(1);
  });

  it("a bad network in the configuration is refused at start", async () => {
    await expect(startTestApp({ SFDC_ORGANIZATION_ID: ORG_15, SFDC_OUTBOUND_TOKEN: TOKEN, SFDC_ALLOWED_NETWORKS: "10.1.0.0/40" })).rejects.toThrow(/SFDC_ALLOWED_NETWORKS/);
    await expect(startTestApp({ SFDC_ORGANIZATION_ID: ORG_15, SFDC_OUTBOUND_TOKEN: TOKEN, SFDC_CLIENT_CERT_SHA256: "ab".repeat(32) })).rejects.toThrow(/needs TLS_CERT_FILE/);
  });
});

describeWithTool("Salesforce client certificate (issue 11 item 6)", !!openssl, "openssl", () => {
  let dir: string;
  let app: TestApp;
  const pem = (name: string) => readFileSync(path.join(dir, name));
  const certificate = (name: string, cn: string, extra: string[] = []) =>
    execFileSync(openssl as string, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${cn}`, ...extra, "-keyout", path.join(dir, `${name}-key.pem`), "-out", path.join(dir, `${name}.pem`)], { stdio: "ignore" });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "mktows-sfdc-tls-"));
    certificate("server", "localhost", ["-addext", "subjectAltName=IP:127.0.0.1"]);
    certificate("salesforce", "proxy.salesforce.com");
    certificate("other", "someone-else");
    const fingerprint = new X509Certificate(pem("salesforce.pem")).fingerprint256;
    app = await startTestApp({
      SFDC_ORGANIZATION_ID: ORG_15,
      SFDC_OUTBOUND_TOKEN: TOKEN,
      TLS_CERT_FILE: path.join(dir, "server.pem"),
      TLS_KEY_FILE: path.join(dir, "server-key.pem"),
      SFDC_CLIENT_CERT_SHA256: fingerprint,
    });
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (client?: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `${app.url}/sfdc/outbound/${TOKEN}`,
        { method: "POST", ca: pem("server.pem"), headers: { "content-type": "text/xml" }, ...(client ? { cert: pem(`${client}.pem`), key: pem(`${client}-key.pem`) } : {}) },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(outboundMessage([{ id: leadId(2), email: "tls@example.com", optedOut: true }]));
    });

  it("without a client certificate, or with another one, the message is refused (403) and changes nothing", async () => {
    expect(await post()).toBe(403);
    expect(await post("other")).toBe(403);
    expect(Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM lead WHERE email = 'tls@example.com'`))[0].n)).toBe(0);
  });

  it("with Salesforce's certificate it is applied", async () => {
    expect(await post("salesforce")).toBe(200);
    expect(Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM lead WHERE email = 'tls@example.com'`))[0].n)).toBe(1);
  });
});
