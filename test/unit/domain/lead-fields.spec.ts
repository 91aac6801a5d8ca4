/** Field catalogue and value checks (SPEC §5 "Lead fields"). */
import { FieldCatalogue, normaliseFieldValue, parseBoolean, type FieldDefinition } from "../../../src/domain/lead-fields";

const catalogue = new FieldCatalogue([{ name: "Shoe_Size__c", type: "float", displayName: "Shoe Size", custom: true }]);
const def = (name: string): FieldDefinition => {
  const d = catalogue.find(name);
  if (!d) throw new Error(`no field ${name}`);
  return d;
};

describe("parseBoolean", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["True", true],
    ["tRuE", true],
    ["1", true],
    [" 1 ", true],
    ["false", false],
    ["FALSE", false],
    ["False", false],
    ["0", false],
    ["\t0\n", false],
  ])("reads %j as %s", (input, expected) => {
    expect(parseBoolean(input)).toBe(expected);
  });

  it.each(["maybe", "yes", "no", "on", "off", "2", "-1", "01", "t", "f", "truee", ""])("rejects %j", (input) => {
    expect(parseBoolean(input)).toBeUndefined();
  });
});

describe("FieldCatalogue", () => {
  it("finds fields by attrName exactly, then ignoring case", () => {
    expect(catalogue.find("Unsubscribed")).toMatchObject({ name: "Unsubscribed", type: "boolean", column: "unsubscribed" });
    expect(catalogue.find("unsubscribed")?.name).toBe("Unsubscribed");
    expect(catalogue.find("EMAIL")?.name).toBe("Email");
    expect(catalogue.find("shoe_size__C")?.name).toBe("Shoe_Size__c");
    expect(catalogue.find("pants")).toBeUndefined();
  });

  it("gives the display names activity rows use", () => {
    expect(catalogue.displayName("Email")).toBe("Email Address");
    expect(catalogue.displayName("Unsubscribed")).toBe("Unsubscribed");
    expect(catalogue.displayName("FirstName")).toBe("First Name");
    expect(catalogue.displayName("Shoe_Size__c")).toBe("Shoe Size");
    expect(catalogue.displayName("NotAField")).toBe("NotAField");
  });
});

describe("normaliseFieldValue", () => {
  it.each([
    ["Unsubscribed", "TRUE", "true"],
    ["Unsubscribed", "1", "true"],
    ["Unsubscribed", "False", "false"],
    ["Unsubscribed", "0", "false"],
    ["DoNotCall", "true", "true"],
    ["NumberOfEmployees", "42", "42"],
    ["NumberOfEmployees", " 7 ", "7"],
    ["NumberOfEmployees", "-3", "-3"],
    ["NumberOfEmployees", "+5", "5"],
    ["NumberOfEmployees", "007", "7"],
    ["LeadScore", "999999999999999", "999999999999999"],
    ["AnnualRevenue", "1500000.50", "1500000.50"],
    ["AnnualRevenue", " 12 ", "12"],
    ["Shoe_Size__c", "9.5", "9.5"],
    ["Shoe_Size__c", ".5", ".5"],
    ["Shoe_Size__c", "-1e3", "-1e3"],
    ["DateofBirth", "1980-02-29", "1980-02-29"],
    ["DateofBirth", " 2001-12-31 ", "2001-12-31"],
    ["FirstName", "  Ann  ", "  Ann  "],
    ["FirstName", "maybe", "maybe"],
    ["NumberOfEmployees", "", ""],
    ["Unsubscribed", "   ", ""],
  ])("%s %j is accepted as %j", (name, raw, expected) => {
    expect(normaliseFieldValue(def(name), raw)).toStrictEqual({ value: expected });
  });

  it.each([
    ["Unsubscribed", "maybe", "Unsubscribed: 'maybe' is not a boolean"],
    ["Unsubscribed", "yes", "Unsubscribed: 'yes' is not a boolean"],
    ["NumberOfEmployees", "4.2", "NumberOfEmployees: '4.2' is not an integer"],
    ["NumberOfEmployees", "abc", "NumberOfEmployees: 'abc' is not an integer"],
    ["NumberOfEmployees", "1e3", "NumberOfEmployees: '1e3' is not an integer"],
    ["NumberOfEmployees", "1 000", "NumberOfEmployees: '1 000' is not an integer"],
    ["LeadScore", "1234567890123456", "LeadScore: '1234567890123456' is not an integer"],
    ["AnnualRevenue", "abc", "AnnualRevenue: 'abc' is not a number"],
    ["AnnualRevenue", "1.2.3", "AnnualRevenue: '1.2.3' is not a number"],
    ["AnnualRevenue", "$100", "AnnualRevenue: '$100' is not a number"],
    ["Shoe_Size__c", "Infinity", "Shoe_Size__c: 'Infinity' is not a number"],
    ["Shoe_Size__c", "NaN", "Shoe_Size__c: 'NaN' is not a number"],
    ["Shoe_Size__c", "1e999", "Shoe_Size__c: '1e999' is not a number"],
    ["DateofBirth", "yesterday", "DateofBirth: 'yesterday' is not a date (YYYY-MM-DD)"],
    ["DateofBirth", "1980-2-1", "DateofBirth: '1980-2-1' is not a date (YYYY-MM-DD)"],
    ["DateofBirth", "02/01/1980", "DateofBirth: '02/01/1980' is not a date (YYYY-MM-DD)"],
    ["DateofBirth", "1980-13-01", "DateofBirth: '1980-13-01' is not a date (YYYY-MM-DD)"],
    ["DateofBirth", "1981-02-29", "DateofBirth: '1981-02-29' is not a date (YYYY-MM-DD)"],
    ["DateofBirth", "1980-04-31", "DateofBirth: '1980-04-31' is not a date (YYYY-MM-DD)"],
    ["DateofBirth", "1980-01-01T00:00:00Z", "DateofBirth: '1980-01-01T00:00:00Z' is not a date (YYYY-MM-DD)"],
  ])("%s %j is rejected", (name, raw, error) => {
    expect(normaliseFieldValue(def(name), raw)).toStrictEqual({ error });
  });

  it("clips long bad values in the error text", () => {
    expect(normaliseFieldValue(def("Unsubscribed"), "x".repeat(100))).toStrictEqual({ error: `Unsubscribed: '${"x".repeat(40)}…' is not a boolean` });
  });

  it("rejects text longer than 65535 characters and accepts 65535", () => {
    expect(normaliseFieldValue(def("MktoPersonNotes"), "a".repeat(65535))).toStrictEqual({ value: "a".repeat(65535) });
    expect(normaliseFieldValue(def("MktoPersonNotes"), "a".repeat(65536))).toStrictEqual({ error: "MktoPersonNotes: value longer than 65535 characters" });
  });
});
