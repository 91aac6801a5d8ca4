/** The email key (SPEC §1): lowercase(NFC(trim(email))); empty means "no email"; nothing else folded. */
import { emailKey, isEmailGiven } from "../../../src/domain/email";

describe("emailKey", () => {
  it.each([
    ["surrounding spaces are trimmed", "  ann@example.com \t\n", "ann@example.com"],
    ["ASCII case is folded", "Ann.Lee@Example.COM", "ann.lee@example.com"],
    ["non-ASCII case is folded", "ÉLODIE@EXAMPLE.FR", "élodie@example.fr"],
    ["NFD is composed to NFC", "jose\u0301@example.com", "jos\u00e9@example.com"],
    ["NFD with upper case gives the same key as NFC", "JOSE\u0301@EXAMPLE.COM", "jos\u00e9@example.com"],
    ["dots are not folded", "first.last@gmail.com", "first.last@gmail.com"],
    ["plus tags are not folded", "first+news@gmail.com", "first+news@gmail.com"],
    ["inner spaces are kept", "a b@example.com", "a b@example.com"],
  ])("%s", (_title, input, expected) => {
    expect(emailKey(input)).toBe(expected);
  });

  it("gives NFC and NFD spellings of one address the same key", () => {
    const nfc = "Zoe\u0308@example.com".normalize("NFC");
    const nfd = "Zoe\u0308@example.com".normalize("NFD");
    expect(nfc).not.toBe(nfd);
    expect(emailKey(nfc)).toBe("zo\u00eb@example.com");
    expect(emailKey(nfd)).toBe("zo\u00eb@example.com");
  });

  it("keeps dotted and plus-tagged addresses distinct from the plain one", () => {
    expect(new Set(["firstlast@gmail.com", "first.last@gmail.com", "firstlast+x@gmail.com"].map(emailKey)).size).toBe(3);
  });

  it.each([
    ["empty string", ""],
    ["only spaces", "   "],
    ["only whitespace of several kinds", " \t\r\n "],
    ["null", null],
    ["undefined", undefined],
  ])("%s means no email (null)", (_title, input) => {
    expect(emailKey(input)).toBeNull();
    expect(isEmailGiven(input)).toBe(false);
  });

  it("treats a non-blank address as given", () => {
    expect(isEmailGiven(" a@example.com ")).toBe(true);
  });
});
