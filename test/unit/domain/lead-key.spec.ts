/** Reading a LeadKey (lead-key.ts): SFDCLEADID and SFDCCONTACTID tell a lead's SFDC Type apart (issue 12). */
import { isOfSfdcType, resolveLeadKey } from "../../../src/domain/lead-key";

const hasher = (key: string) => `h:${key}`;

describe("resolveLeadKey and SFDC Type", () => {
  it("reads SFDCLEADID and SFDCCONTACTID as the SFDC foreign id of a lead of that type", () => {
    expect(resolveLeadKey({ type: "SFDCLEADID", value: " 00Q1 " }, hasher)).toEqual({ by: "foreign", type: "SFDC", id: "00Q1", sfdcType: "Lead" });
    expect(resolveLeadKey({ type: "SFDCCONTACTID", value: "0031" }, hasher)).toEqual({ by: "foreign", type: "SFDC", id: "0031", sfdcType: "Contact" });
    expect(resolveLeadKey({ type: "FOREIGN", value: "x", foreignSysType: "NETSUITE" }, hasher)).toEqual({ by: "foreign", type: "NETSUITE", id: "x" });
  });

  it("a key of one type never finds a lead typed the other; an untyped lead is found by either", () => {
    const contact = { fields: { SFDCType: "Contact" } };
    const lead = { fields: { SFDCType: "lead" } };
    const untyped = { fields: {} };
    expect([isOfSfdcType(contact, "Lead"), isOfSfdcType(contact, "Contact"), isOfSfdcType(contact, undefined)]).toEqual([false, true, true]);
    expect([isOfSfdcType(lead, "Lead"), isOfSfdcType(lead, "Contact")]).toEqual([true, false]);
    expect([isOfSfdcType(untyped, "Lead"), isOfSfdcType(untyped, "Contact")]).toEqual([true, true]);
  });
});
