import type { CsvRecord } from "../../../src/cli/csv";
import { addressRows, ImportFileError, looksLikeEmail, mapLeadColumns, parseImportBoolean, toLeadRow } from "../../../src/cli/import-columns";
import { FieldCatalogue } from "../../../src/domain/lead-fields";

const catalogue = new FieldCatalogue([{ name: "PreferredLanguage", type: "string", displayName: "Preferred Language", custom: true }]);
const record = (fields: string[], line = 2): CsvRecord => ({ fields, line, bytesRead: 0 });

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of rows) out.push(r);
  return out;
}
async function* records(lines: string[][]): AsyncGenerator<CsvRecord> {
  let line = 1;
  for (const fields of lines) yield record(fields, line++);
}

describe("lead columns of a Marketo export", () => {
  it("maps Marketo's labels, SOAP attrNames and custom fields, ignoring case, spaces and punctuation", () => {
    const map = mapLeadColumns(["Id", "Email Address", "first name", "LastName", "Company Name", "Job Title", "lead_score", "Preferred Language", "Unsubscribed Reason"], catalogue);
    expect(map.ignored).toEqual([]);
    const row = toLeadRow(record(["7", "a@example.com", "Ann", "Lee", "Acme", "CTO", "12", "fr", "asked"]), map);
    expect(row).toEqual({
      line: 2,
      input: { id: 7, email: "a@example.com", fields: { FirstName: "Ann", LastName: "Lee", Company: "Acme", Title: "CTO", LeadScore: "12", PreferredLanguage: "fr", UnsubscribedReason: "asked" } },
    });
  });

  it("reports unknown and repeated columns once, and ignores them", () => {
    const map = mapLeadColumns(["Email", "Acquisition Program", "Email Address", "Favourite Colour"], catalogue);
    expect(map.ignored).toEqual([
      { name: "Acquisition Program", why: "not a lead field" },
      { name: "Email Address", why: "the same field as column 'Email'" },
      { name: "Favourite Colour", why: "not a lead field" },
    ]);
    expect(toLeadRow(record(["a@example.com", "Webinar", "b@example.com", "blue"]), map)).toEqual({ line: 2, input: { email: "a@example.com", fields: {} } });
  });

  it("refuses a header with nothing to match a lead by", () => {
    expect(() => mapLeadColumns(["First Name", "Last Name"], catalogue)).toThrow(ImportFileError);
    // Control characters in a header are shown, never printed raw to the terminal.
    expect(() => mapLeadColumns(["\u0000F\u0000i"], catalogue)).toThrow(/U\+0000FU\+0000i/);
  });

  it("refuses a header without an Email column unless allowed (issue 12), before any row is read", () => {
    expect(() => mapLeadColumns(["Id", "First Name"], catalogue)).toThrow(/no Email column[\s\S]*--allow-no-email/);
    // A semicolon file read with commas is one column: the same refusal names the delimiter.
    expect(() => mapLeadColumns(["Id;Email Address;First Name"], catalogue)).toThrow(/--delimiter/);
    expect(mapLeadColumns(["Id", "First Name"], catalogue, { allowNoEmail: true }).columns).toHaveLength(2);
  });

  it("keeps the SFDC id that SFDC Type names, and the type (issue 12)", () => {
    const map = mapLeadColumns(["Id", "SFDC Lead ID", "SFDC Contact ID", "SFDC Type"], catalogue, { allowNoEmail: true });
    expect(toLeadRow(record(["7", "00Q1", "0031", "Contact"]), map)).toMatchObject({ input: { id: 7, foreignSysPersonId: "0031", foreignSysType: "SFDC", fields: { SFDCType: "Contact" } } });
    expect(toLeadRow(record(["7", "00Q1", "0031", "lead"]), map)).toMatchObject({ input: { foreignSysPersonId: "00Q1", fields: { SFDCType: "Lead" } } });
    expect(toLeadRow(record(["7", "00Q1", "", "Lead"]), map)).toMatchObject({ input: { foreignSysPersonId: "00Q1", foreignSysType: "SFDC" } });
    // No SFDC Type: the contact id first, typed by its column.
    expect(toLeadRow(record(["7", "00Q1", "0031", ""]), map)).toMatchObject({ input: { foreignSysPersonId: "0031", fields: { SFDCType: "Contact" } } });
    // A type whose id is missing: the other id is kept, typed by its column, with a warning.
    const mismatch = toLeadRow(record(["7", "00Q1", "", "Contact"]), map);
    expect(mismatch).toMatchObject({ input: { foreignSysPersonId: "00Q1", fields: { SFDCType: "Lead" } }, warnings: [{ column: "SFDC Type", reason: expect.stringContaining("no SFDC Contact ID") }] });
    expect(toLeadRow(record(["7", "", "", "Account"]), map)).toMatchObject({ input: { id: 7, fields: {} }, warnings: [{ column: "SFDC Type", value: "Account" }] });
  });

  it("keeps Created At and Updated At as times (no zone: UTC), and warns of one that is not a time", () => {
    const map = mapLeadColumns(["Email Address", "Created At", "Updated At"], catalogue);
    const now = new Date("2025-06-01T00:00:00Z");
    expect(toLeadRow(record(["a@example.com", "2019-03-05 14:23:11", "2024-01-02T03:04:05+01:00"]), map, now)).toMatchObject({
      input: { createdAt: new Date("2019-03-05T14:23:11Z"), updatedAt: new Date("2024-01-02T02:04:05Z") },
    });
    expect(toLeadRow(record(["a@example.com", "3/5/2019 2:23 PM", "2020-01-01"]), map, now)).toMatchObject({ input: { createdAt: new Date("2019-03-05T14:23:00Z"), updatedAt: new Date("2020-01-01T00:00:00Z") } });
    const bad = toLeadRow(record(["a@example.com", "2019-02-30", "2030-01-01"]), map, now);
    expect(bad).toEqual({
      line: 2,
      input: { email: "a@example.com", fields: {} },
      warnings: [
        { column: "Created At", value: "2019-02-30", reason: expect.stringContaining("not a date and time") },
        { column: "Updated At", value: "2030-01-01", reason: "in the future: left out" },
      ],
    });
  });

  it("keeps the lead without a bad optional value, with a warning naming the column and the value (issue 12)", () => {
    const map = mapLeadColumns(["Id", "Email Address", "First Name", "Annual Revenue", "Num Employees", "Lead Score", "Date of Birth"], catalogue);
    const row = toLeadRow(record(["7", "a@example.com", "A\u0000B", "$1,250,000", "1,200", "lots", "1980-13-01"]), map);
    expect(row).toEqual({
      line: 2,
      input: { id: 7, email: "a@example.com", fields: { AnnualRevenue: "1250000", NumberOfEmployees: "1200" } },
      warnings: [
        { column: "First Name", value: "AU+0000B", reason: "contains the character U+0000, which is not accepted: left out" },
        { column: "Annual Revenue", value: "$1,250,000", reason: "read as 1250000" },
        { column: "Num Employees", value: "1,200", reason: "read as 1200" },
        { column: "Lead Score", value: "lots", reason: "'lots' is not an integer: left out" },
        { column: "Date of Birth", value: "1980-13-01", reason: "'1980-13-01' is not a date (YYYY-MM-DD): left out" },
      ],
    });
    expect(toLeadRow(record(["7", "a@example.com", "Ann", "about a million", "", "", ""]), map)).toMatchObject({ input: { fields: { FirstName: "Ann" } }, warnings: [{ column: "Annual Revenue", reason: "'about a million' is not a number: left out" }] });
  });

  it("keeps a row's Id when its email is not an address: the lead is created without one, warned", () => {
    const map = mapLeadColumns(["Id", "Email Address", "SFDC Lead ID"], catalogue);
    expect(toLeadRow(record(["1", "a@@example", ""]), map)).toEqual({
      line: 2,
      input: { id: 1, fields: {} },
      warnings: [{ column: "Email Address", value: "a@@example", reason: "not an email address: the lead is kept without one" }],
    });
    expect(toLeadRow(record(["", "a\u0000@example.com", "00Q1"]), map)).toMatchObject({ input: { foreignSysPersonId: "00Q1" }, warnings: [{ column: "Email Address" }] });
    expect(toLeadRow(record(["", "a@@example", ""]), map)).toMatchObject({ rejected: "Email Address: 'a@@example' is not an email address, and the row has no Id or SFDC id: no lead can be written without a key" });
  });

  it("refuses an unsubscribed row whose email is not an address: the unsubscribe must follow the address (D1)", () => {
    const map = mapLeadColumns(["Id", "Email Address", "Unsubscribed"], catalogue);
    expect(toLeadRow(record(["77", "Bob Smith <bob@example.com>", "true"]), map)).toMatchObject({ rejected: expect.stringContaining("the unsubscribe would not follow the address") });
    expect(toLeadRow(record(["78", "carol\u0000@example.com", "yes"]), map)).toMatchObject({ rejected: expect.stringContaining("the row is unsubscribed") });
    expect(toLeadRow(record(["79", "carol@example", "false"]), map)).toMatchObject({ input: { id: 79, unsubscribed: false }, warnings: [{ column: "Email Address" }] });
  });

  it("passes Unsubscribed on as given (the import service decides what false means) and reads yes/no", () => {
    const map = mapLeadColumns(["Email Address", "Unsubscribed", "Do Not Call"], catalogue);
    expect(toLeadRow(record(["a@example.com", "Yes", "no"]), map)).toMatchObject({ input: { unsubscribed: true, fields: { DoNotCall: "false" } } });
    expect(toLeadRow(record(["a@example.com", "FALSE", ""]), map)).toMatchObject({ input: { unsubscribed: false, fields: {} } });
    expect(toLeadRow(record(["a@example.com", "", ""]), map)).toEqual({ line: 2, input: { email: "a@example.com", fields: {} } });
  });

  it("rejects a row with a bad Id or Unsubscribed, a wrong number of fields, or no key, saying which", () => {
    const map = mapLeadColumns(["Id", "Email Address", "Unsubscribed"], catalogue);
    expect(toLeadRow(record(["12x", "a@example.com", ""]), map)).toEqual({ line: 2, rejected: "Id: '12x' is not a Marketo lead id" });
    expect(toLeadRow(record(["0", "a@example.com", ""]), map)).toMatchObject({ rejected: "Id: '0' is not a Marketo lead id" });
    expect(toLeadRow(record(["1\u0000", "a@example.com", ""]), map)).toMatchObject({ rejected: "Id: '1U+0000' contains the character U+0000" });
    expect(toLeadRow(record(["1", "a@example.com", "maybe"]), map)).toMatchObject({ rejected: expect.stringContaining("Unsubscribed: 'maybe' is not a boolean") });
    expect(toLeadRow(record(["1", "a@example.com"]), map)).toMatchObject({ rejected: "2 fields where the header has 3" });
    expect(toLeadRow(record(["", "", "true"]), map)).toMatchObject({ rejected: expect.stringContaining("no Id, SFDC id or email address") });
  });

  it("tells plausible addresses from others without being strict about what mail servers accept", () => {
    for (const ok of ["a@example.com", "First.Last+tag@sub.example.co.uk", "ü@exämple.de", "o'brien@example.ie"]) expect(looksLikeEmail(ok)).toBe(true);
    for (const bad of ["", "a", "a@b", "a@.com", "a b@example.com", "a@example.com,b@example.com", "<a@example.com>", "a@example."]) expect(looksLikeEmail(bad)).toBe(false);
    expect([parseImportBoolean("TRUE"), parseImportBoolean("0"), parseImportBoolean(" y "), parseImportBoolean("ja")]).toEqual([true, false, true, undefined]);
  });
});

describe("the unsubscribe list", () => {
  it("takes the Email column of a CSV with a header", async () => {
    const rows = await collect(addressRows(records([["Name", "E-mail Address"], ["Ann", "ann@example.com"], ["Bob", ""], ["Cy", "cy"]])));
    expect(rows).toEqual([
      { line: 2, email: "ann@example.com" },
      { line: 3, rejected: "no address" },
      { line: 4, rejected: "'cy' is not an email address" },
    ]);
  });

  it("takes one address per line when the first line is an address", async () => {
    expect(await collect(addressRows(records([["ann@example.com"], [" bob@example.com "]])))).toEqual([
      { line: 1, email: "ann@example.com" },
      { line: 2, email: "bob@example.com" },
    ]);
  });

  it("refuses a file with neither an Email column nor an address on its first line", async () => {
    await expect(collect(addressRows(records([["Name", "Phone"], ["Ann", "1"]])))).rejects.toThrow(ImportFileError);
  });
});
