/** Parsing node-soap's loosely typed arguments at the edge (xs:int, xs:boolean, xs:dateTime). */
import { MarketoFault } from "../../../../src/soap/faults";
import { asBool, asDate, asInt } from "../../../../src/soap/mappers/args";

function result<T>(fn: () => T): T | number {
  try {
    return fn();
  } catch (error) {
    if (error instanceof MarketoFault) return error.code;
    throw error;
  }
}

describe("asInt", () => {
  it.each<[unknown, number | undefined]>([
    ["42", 42],
    [" 42 ", 42],
    ["-7", -7],
    ["+7", 7],
    [42, 42],
    ["2147483647", 2147483647],
    ["-2147483648", -2147483648],
    [undefined, undefined],
    [null, undefined],
    ["", undefined],
    [{}, undefined],
    [{ attributes: { "xsi:type": "xsd:int" } }, undefined],
  ])("reads %j as %j", (input, expected) => {
    expect(result(() => asInt(input, "Id"))).toBe(expected);
  });

  it.each<[unknown]>([["abc"], ["12abc"], ["1.5"], ["1e2"], ["0x10"], ["2147483648"], ["-2147483649"], [1.5], [NaN], [true], [{ a: 1 }]])("refuses %j with 20110", (input) => {
    expect(result(() => asInt(input, "Id"))).toBe(20110);
  });
});

describe("asBool", () => {
  it.each<[unknown, boolean | undefined]>([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["false", false],
    ["False", false],
    ["0", false],
    [true, true],
    [false, false],
    [undefined, undefined],
    [null, undefined],
    ["", undefined],
  ])("reads %j as %j", (input, expected) => {
    expect(result(() => asBool(input, "returnLead"))).toBe(expected);
  });

  it.each<[unknown]>([["maybe"], ["yes"], ["2"], [{ a: 1 }]])("refuses %j with 20110", (input) => {
    expect(result(() => asBool(input, "returnLead"))).toBe(20110);
  });
});

describe("asDate", () => {
  it("reads a Date, dateTime text, and empty values as not given", () => {
    expect(result(() => asDate(new Date("2024-01-02T03:04:05Z"), "x"))).toEqual(new Date("2024-01-02T03:04:05Z"));
    expect(result(() => asDate("2024-01-02T03:04:05-07:00", "x"))).toEqual(new Date("2024-01-02T10:04:05Z"));
    expect(result(() => asDate(undefined, "x"))).toBeUndefined();
    expect(result(() => asDate(null, "x"))).toBeUndefined();
    expect(result(() => asDate("", "x"))).toBeUndefined();
    expect(result(() => asDate("  ", "x"))).toBeUndefined();
    expect(result(() => asDate({ attributes: { "xsi:type": "xsd:dateTime" } }, "x"))).toBeUndefined();
  });

  it("refuses an invalid date with 20110", () => {
    expect(result(() => asDate(new Date("nonsense"), "x"))).toBe(20110);
    expect(result(() => asDate("nonsense", "x"))).toBe(20110);
  });
});
