/** A lead's given times (the import's Created At / Updated At): a lead is never updated before it was created. */
import { FieldCatalogue } from "../../../src/domain/lead-fields";
import { normaliseLeadInput } from "../../../src/domain/lead-input";

const catalogue = new FieldCatalogue();

describe("normaliseLeadInput: given times", () => {
  it("takes an Updated At alone as the Created At too", () => {
    const at = new Date("2019-01-01T00:00:00Z");
    const out = normaliseLeadInput({ email: "c7@example.com", updatedAt: at }, catalogue);
    expect(out.createdAt).toEqual(at);
    expect(out.updatedAt).toEqual(at);
  });

  it("raises an Updated At before the Created At to it, and keeps both when in order", () => {
    const created = new Date("2020-05-01T00:00:00Z");
    expect(normaliseLeadInput({ email: "a@example.com", createdAt: created, updatedAt: new Date("2019-01-01T00:00:00Z") }, catalogue).updatedAt).toEqual(created);
    const later = new Date("2021-01-01T00:00:00Z");
    expect(normaliseLeadInput({ email: "a@example.com", createdAt: created, updatedAt: later }, catalogue)).toMatchObject({ createdAt: created, updatedAt: later });
  });
});
