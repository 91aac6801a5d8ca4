import { CsvSyntaxError, readCsv, type CsvRecord } from "../../../src/cli/csv";

async function* chunksOf(parts: (string | Buffer)[]): AsyncGenerator<string | Buffer> {
  for (const p of parts) yield p;
}

async function parse(parts: (string | Buffer)[], options = {}): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsv(chunksOf(parts), options)) out.push(r);
  return out;
}

const rows = async (parts: (string | Buffer)[], options = {}) => (await parse(parts, options)).map((r) => r.fields);
const lines = async (parts: (string | Buffer)[]) => (await parse(parts)).map((r) => r.line);

/** The same bytes, one byte per chunk: every possible split point at once. */
const byteByByte = (text: string) => [...Buffer.from(text, "utf8")].map((b) => Buffer.from([b]));

describe("readCsv (RFC 4180)", () => {
  it("reads plain records and keeps empty fields, including a trailing one", async () => {
    expect(await rows(["Id,Email Address,First Name\n1,a@example.com,Ann\n2,,\n3,b@example.com,\n"])).toEqual([
      ["Id", "Email Address", "First Name"],
      ["1", "a@example.com", "Ann"],
      ["2", "", ""],
      ["3", "b@example.com", ""],
    ]);
  });

  it("reads quoted fields with delimiters, doubled quotes and empty quotes", async () => {
    expect(await rows(['"Smith, John","say ""hi""","",x\n'])).toEqual([["Smith, John", 'say "hi"', "", "x"]]);
  });

  it("keeps line breaks inside quotes (LF, CRLF, CR) and numbers records by the line they start on", async () => {
    const text = 'a,"line1\nline2",b\r\nc,"x\r\ny\rz",d\r\ne,f,g\r\n';
    expect(await rows([text])).toEqual([
      ["a", "line1\nline2", "b"],
      ["c", "x\r\ny\rz", "d"],
      ["e", "f", "g"],
    ]);
    expect(await lines([text])).toEqual([1, 3, 6]);
  });

  it("accepts CRLF, LF and lone CR line ends, mixed", async () => {
    expect(await rows(["a,b\r\nc,d\ne,f\rg,h"])).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e", "f"],
      ["g", "h"],
    ]);
  });

  it("strips a UTF-8 byte order mark, as a string or as bytes split across chunks", async () => {
    expect(await rows(["\ufeffId,Email\n1,a@x.io\n"])).toEqual([
      ["Id", "Email"],
      ["1", "a@x.io"],
    ]);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("Id\n7\n")]);
    expect(await rows([bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)])).toEqual([["Id"], ["7"]]);
  });

  it("gives the same records whatever the chunk boundaries (multi-byte characters, CRLF and quotes split)", async () => {
    const text = '\ufeffName,Note\r\n"Zoë ""Z"" Ångström","multi\r\nline, with comma"\r\n日本語,"😀"\r\n';
    const whole = await parse([text]);
    expect(whole.map((r) => r.fields)).toEqual([
      ["Name", "Note"],
      ['Zoë "Z" Ångström', "multi\r\nline, with comma"],
      ["日本語", "😀"],
    ]);
    const split = await parse(byteByByte(text));
    expect(split.map((r) => [r.fields, r.line])).toEqual(whole.map((r) => [r.fields, r.line]));
  });

  it("skips blank lines but keeps a line holding only an empty quoted field; no record for the final line end", async () => {
    expect(await rows(["a\n\n\r\n\"\"\nb\n\n"])).toEqual([["a"], [""], ["b"]]);
    expect(await lines(["a\n\n\r\n\"\"\nb\n\n"])).toEqual([1, 4, 5]);
  });

  it("reads a last record with no line end", async () => {
    expect(await rows(["a,b\nc,"])).toEqual([
      ["a", "b"],
      ["c", ""],
    ]);
    expect(await rows(['a,"b"'])).toEqual([["a", "b"]]);
  });

  it("reads nothing from empty input or a lone byte order mark", async () => {
    expect(await rows([])).toEqual([]);
    expect(await rows([""])).toEqual([]);
    expect(await rows(["\ufeff"])).toEqual([]);
  });

  it("is lenient with stray quotes: inside an unquoted field, and text after a closing quote, stay text", async () => {
    expect(await rows(['5" disk,"ab"cd,e\n'])).toEqual([['5" disk', "abcd", "e"]]);
  });

  it("refuses a quote that is never closed, naming the line it opened on", async () => {
    const run = rows(['a,b\nc,"open\nstill open\n']);
    await expect(run).rejects.toBeInstanceOf(CsvSyntaxError);
    await expect(rows(['a,b\nc,"open\nstill open\n'])).rejects.toMatchObject({ line: 2, message: expect.stringContaining("line 2") });
  });

  it("refuses a field longer than the limit (a runaway quote fails early)", async () => {
    await expect(rows(['a,"' + "x".repeat(100)], { maxFieldLength: 50 })).rejects.toBeInstanceOf(CsvSyntaxError);
  });

  it("takes another delimiter", async () => {
    expect(await rows(['a;"b;c";d\n'], { delimiter: ";" })).toEqual([["a", "b;c", "d"]]);
  });

  it("reports bytes read, growing to the input's size", async () => {
    const parts = [Buffer.from("Id\n1\n"), Buffer.from("2\n3\n")];
    const records = await parse(parts);
    const read = records.map((r) => r.bytesRead);
    expect(read).toEqual([...read].sort((a, b) => a - b));
    expect(read[read.length - 1]).toBe(9);
  });
});
