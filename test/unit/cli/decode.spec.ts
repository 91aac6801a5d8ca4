/** How the import reads bytes as text (issue 12): byte order marks, --encoding, and invalid bytes refused with their line. */
import { CsvSyntaxError, readCsv } from "../../../src/cli/csv";
import { canonicalEncoding, fileDecoder, firstInvalidUtf8 } from "../../../src/cli/decode";

async function* chunks(parts: Buffer[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield p;
}

async function rows(bytes: Buffer, options: { encoding?: string } = {}, chunkSize = 7): Promise<string[][]> {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) parts.push(bytes.subarray(i, i + chunkSize));
  const out: string[][] = [];
  for await (const r of readCsv(chunks(parts), options)) out.push(r.fields);
  return out;
}

const text = "Id,Email Address,First Name\r\n1,zoë@example.com,Zoë\r\n2,jiří@example.cz,Jiří 😀\r\n";
const expected = [
  ["Id", "Email Address", "First Name"],
  ["1", "zoë@example.com", "Zoë"],
  ["2", "jiří@example.cz", "Jiří 😀"],
];

function utf32(s: string, bigEndian: boolean): Buffer {
  const cps = [...s].map((c) => c.codePointAt(0) as number);
  const b = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => (bigEndian ? b.writeUInt32BE(cp, i * 4) : b.writeUInt32LE(cp, i * 4)));
  return b;
}

function utf16be(s: string): Buffer {
  const b = Buffer.from(s, "utf16le");
  for (let i = 0; i < b.length; i += 2) [b[i], b[i + 1]] = [b[i + 1], b[i]];
  return b;
}

describe("file decoding", () => {
  it.each([
    ["UTF-8 with a mark", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
    ["UTF-8 without one", Buffer.from(text)],
    ["UTF-16 LE", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])],
    ["UTF-16 BE", Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)])],
    ["UTF-32 LE", Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), utf32(text, false)])],
    ["UTF-32 BE", Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), utf32(text, true)])],
  ])("reads %s, split anywhere", async (_name, bytes) => {
    for (const size of [1, 3, 7, 64 * 1024]) expect(await rows(bytes, {}, size)).toEqual(expected);
  });

  it("refuses bytes that are not UTF-8, naming the line, even inside a quoted field", async () => {
    const latin = Buffer.from('Id,First Name\n1,Ann\n2,"Zo\xeb\nSmith"\n', "latin1");
    await expect(rows(latin)).rejects.toThrow(new CsvSyntaxError("line 3: byte 0xEB is not valid UTF-8 (reading it as utf-8)", 3, "encoding"));
    for (const size of [1, 2, 5]) await expect(rows(latin, {}, size)).rejects.toThrow(/^line 3: byte 0xEB/);
    // A file cut inside a character.
    await expect(rows(Buffer.from([0x61, 0x0a, 0xc3]))).rejects.toThrow(/line 2: the file ends inside a UTF-8 character/);
  });

  it("reads Windows-1252 when asked, € and smart quotes included", async () => {
    const bytes = Buffer.from([...Buffer.from("Name\n", "latin1"), 0x80, 0x20, 0x93, 0x5a, 0x6f, 0xeb, 0x94, 0x0a]);
    expect(await rows(bytes, { encoding: "windows-1252" })).toEqual([["Name"], ["€ “Zoë”"]]);
  });

  it("refuses a mark that contradicts --encoding, and UTF-16 without a mark with the option to pass", async () => {
    const marked = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    await expect(rows(marked, { encoding: "windows-1252" })).rejects.toThrow(/UTF-8 byte order mark, but --encoding windows-1252/);
    // Both name UTF-16: the mark tells the byte order.
    expect(await rows(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), { encoding: "utf-16le" })).toEqual(expected);
    await expect(rows(Buffer.from(text, "utf16le"))).rejects.toThrow(/looks like UTF-16 LE without a byte order mark[^]*--encoding utf-16le/);
    expect(await rows(Buffer.from(text, "utf16le"), { encoding: "utf-16le" })).toEqual(expected);
  });

  it("refuses an unpaired UTF-16 surrogate", async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("a\nb", "utf16le"), Buffer.from([0x00, 0xd8, 0x61, 0x00])]);
    await expect(rows(bytes)).rejects.toThrow(/not valid utf-16le/);
  });

  it("knows encodings by their labels", () => {
    expect(canonicalEncoding("Windows-1252")).toBe("windows-1252");
    expect(canonicalEncoding("latin1")).toBe("windows-1252");
    expect(canonicalEncoding("UTF-16")).toBe("utf-16le");
    expect(canonicalEncoding("utf-32be")).toBe("utf-32be");
    expect(canonicalEncoding("klingon")).toBeUndefined();
    expect(fileDecoder().encoding).toBeUndefined();
  });

  it("finds the first invalid UTF-8 byte: bad leads, overlongs, surrogates, cut sequences", () => {
    expect(firstInvalidUtf8(Buffer.from("aé😀"))).toBe(7);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe0, 0x80, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
  });
});
