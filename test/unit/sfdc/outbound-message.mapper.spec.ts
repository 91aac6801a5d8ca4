/**
 * Reading Salesforce outbound messages and writing their answers: lenient about prefixes,
 * order and unknown children, strict about safety and bad values.
 */
import { ackEnvelope, faultEnvelope, OutboundMessageError, parseOutboundMessage } from "../../../src/sfdc/outbound-message.mapper";

const envelope = (notifications: string, org = "00D5g000004XyZaEAK"): Buffer =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
      `<S:Body><o:notifications xmlns:o="http://soap.sforce.com/2005/09/outbound"><o:ActionId>04k5g000000AbCdAAE</o:ActionId><o:OrganizationId>${org}</o:OrganizationId>` +
      `<o:SessionId xsi:nil="true"/><o:Extra>ignored</o:Extra>${notifications}</o:notifications></S:Body></S:Envelope>`,
  );

const notification = (sObject: string, type = "sf:Lead", id = "04l5g0000000001AAA"): string =>
  `<o:Notification><o:Id>${id}</o:Id><o:sObject xsi:type="${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${sObject}</o:sObject></o:Notification>`;

describe("parseOutboundMessage", () => {
  it("reads the organization and each notification's fields, with any prefixes and in any order", () => {
    const message = parseOutboundMessage(
      envelope(
        notification(`<sf:HasOptedOutOfEmail>true</sf:HasOptedOutOfEmail><sf:Email> ana@example.com </sf:Email><sf:Id>00Q5g00000AbCdEAAA</sf:Id><sf:Unknown>x</sf:Unknown>`) +
          notification(`<sf:Id>0035g00000AbCdEAAA</sf:Id><sf:Email xsi:nil="true"/><sf:FirstName>Nia</sf:FirstName><sf:SystemModstamp>2026-03-01T10:00:00.000Z</sf:SystemModstamp>`, "sf:Contact", "04l5g0000000002AAA"),
      ),
    );
    expect(message).toEqual({
      organizationId: "00D5g000004XyZaEAK",
      notifications: [
        { notificationId: "04l5g0000000001AAA", sobjectType: "Lead", sobjectId: "00Q5g00000AbCdEAAA", email: "ana@example.com", optedOut: true },
        { notificationId: "04l5g0000000002AAA", sobjectType: "Contact", sobjectId: "0035g00000AbCdEAAA", firstName: "Nia", modifiedAt: new Date("2026-03-01T10:00:00.000Z") },
      ],
      unusable: [],
    });
  });

  it("tells Lead from Contact by the id prefix when xsi:type is missing", () => {
    const xml = envelope(`<o:Notification><o:Id>04l5g0000000001AAA</o:Id><o:sObject><sf:Id xmlns:sf="urn:x">0035g00000AbCdEAAA</sf:Id></o:sObject></o:Notification>`);
    expect(parseOutboundMessage(xml).notifications[0].sobjectType).toBe("Contact");
  });

  it.each([
    ["an empty body", Buffer.alloc(0)],
    ["malformed XML", Buffer.from("<S:Envelope")],
    ["a DTD", Buffer.from(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`)],
    ["invalid UTF-8", Buffer.from([0x3c, 0x78, 0xff, 0x3e])],
    ["not a SOAP envelope", Buffer.from(`<notifications/>`)],
    ["no notifications element", Buffer.from(`<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><other/></S:Body></S:Envelope>`)],
    ["no OrganizationId", envelope("", "")],
    ["deep nesting", Buffer.from("<a>".repeat(100) + "</a>".repeat(100))],
  ])("refuses %s", (_title, body) => {
    expect(() => parseOutboundMessage(body)).toThrow(OutboundMessageError);
  });

  // Issue 11 item 6: a notification that can never apply is set aside (acknowledged and kept), not a fault.
  it.each([
    ["a notification without its Id", `<o:Notification><o:sObject><sf:Id xmlns:sf="urn:x">00Q5g00000AbCdEAAA</sf:Id></o:sObject></o:Notification>`, /Id is missing/],
    ["a bad boolean", notification(`<sf:Id>00Q5g00000AbCdEAAA</sf:Id><sf:HasOptedOutOfEmail>yes</sf:HasOptedOutOfEmail>`), /not a boolean/],
    ["a bad dateTime", notification(`<sf:Id>00Q5g00000AbCdEAAA</sf:Id><sf:SystemModstamp>yesterday</sf:SystemModstamp>`), /not a dateTime/],
    ["a NUL byte in the email", notification(`<sf:Id>00Q5g00000AbCdEAAA</sf:Id><sf:Email>a\u0000@example.com</sf:Email>`), /Email contains the character U\+0000/],
  ])("sets aside %s, keeping the others", (_title, bad, problem) => {
    const good = notification(`<sf:Id>00Q5g00000AbCdFAAA</sf:Id><sf:Email>ok@example.com</sf:Email>`, "sf:Lead", "04l5g0000000009AAA");
    const message = parseOutboundMessage(envelope(bad + good));
    expect(message.notifications.map((n) => n.notificationId)).toEqual(["04l5g0000000009AAA"]);
    expect(message.unusable).toHaveLength(1);
    expect(message.unusable?.[0].problem).toMatch(problem);
    expect(message.unusable?.[0].excerpt).not.toContain("\u0000");
  });
});

describe("answers", () => {
  it("acknowledges in the outbound namespace", () => {
    expect(ackEnvelope()).toContain(`<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>`);
  });

  it("escapes fault text", () => {
    expect(faultEnvelope("Client", `a <b> & "c"`)).toContain(`<faultcode>soapenv:Client</faultcode><faultstring>a &lt;b&gt; &amp; &quot;c&quot;</faultstring>`);
  });
});
