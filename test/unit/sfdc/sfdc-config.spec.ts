/** SFDC_ORGANIZATION_ID and SFDC_OUTBOUND_TOKEN (SPEC §6): both or neither, and well-formed. */
import { ConfigError, loadConfig } from "../../../src/config";

const load = (env: Record<string, string>) => loadConfig(env, "/nonexistent");

describe("Salesforce endpoint configuration", () => {
  it("is off when neither is set", () => {
    const config = load({});
    expect(config.sfdcOrganizationId).toBeUndefined();
    expect(config.sfdcOutboundToken).toBeUndefined();
  });

  it("takes a 15- or 18-character organization id and a URL-safe token", () => {
    for (const org of ["00D5g000004XyZa", "00D5g000004XyZaEAK"]) {
      expect(load({ SFDC_ORGANIZATION_ID: org, SFDC_OUTBOUND_TOKEN: "abcdefghijklmnop-_.~" })).toMatchObject({ sfdcOrganizationId: org, sfdcOutboundToken: "abcdefghijklmnop-_.~" });
    }
  });

  it.each([
    ["only the organization", { SFDC_ORGANIZATION_ID: "00D5g000004XyZa" }],
    ["only the token", { SFDC_OUTBOUND_TOKEN: "abcdefghijklmnop" }],
    ["an organization id that is not one", { SFDC_ORGANIZATION_ID: "001A000000ABCDe", SFDC_OUTBOUND_TOKEN: "abcdefghijklmnop" }],
    ["a short token", { SFDC_ORGANIZATION_ID: "00D5g000004XyZa", SFDC_OUTBOUND_TOKEN: "short" }],
    ["a token with a slash", { SFDC_ORGANIZATION_ID: "00D5g000004XyZa", SFDC_OUTBOUND_TOKEN: "abcdefgh/ijklmnop" }],
  ])("refuses %s", (_title, env) => {
    expect(() => load(env)).toThrow(ConfigError);
  });
});
