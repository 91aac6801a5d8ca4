/**
 * How the import reads a file's bytes as text (issue 12). A byte order mark decides: UTF-8,
 * UTF-16 LE/BE (Excel's "Unicode text") or UTF-32 LE/BE. Without one the file is UTF-8 unless
 * `--encoding` names another (any label of the WHATWG Encoding Standard that Node's TextDecoder
 * knows, such as windows-1252, iso-8859-15, shift_jis, utf-16le; or utf-32le/utf-32be). Bytes that
 * are not valid in the encoding are an error, never U+FFFD: a replacement character stored in a
 * name is a silent loss that a later import would spread (the re-saved export).
 *
 * A decoder returns the text of the bytes it could decode and, at the first invalid byte, an
 * error instead of the rest, so that the reader can say on which line it is.
 */
import { isUtf8 } from "node:buffer";

export interface DecodeStep {
  /** The text of every byte before the first invalid one (or of the whole chunk). */
  readonly text: string;
  /** What is wrong at the first invalid byte; the decoder is finished then. */
  readonly error?: string;
}

export interface FileDecoder {
  write(chunk: Buffer): DecodeStep;
  end(): DecodeStep;
  /** The encoding in use, once the first bytes are read (its canonical name). */
  readonly encoding: string | undefined;
}

/** An --encoding label as the decoder will use it, or undefined when no decoder knows it. */
export function canonicalEncoding(label: string): string | undefined {
  const l = label.trim().toLowerCase();
  if (l === "utf-32" || l === "utf32" || l === "utf-32le" || l === "utf32le") return "utf-32le";
  if (l === "utf-32be" || l === "utf32be") return "utf-32be";
  try {
    return new TextDecoder(l).encoding;
  } catch {
    return undefined;
  }
}

interface Inner {
  write(chunk: Buffer): DecodeStep;
  end(): DecodeStep;
}

const BOMS: readonly { readonly bytes: readonly number[]; readonly encoding: string }[] = [
  // UTF-32 LE first: its mark starts with UTF-16 LE's.
  { bytes: [0xff, 0xfe, 0x00, 0x00], encoding: "utf-32le" },
  { bytes: [0x00, 0x00, 0xfe, 0xff], encoding: "utf-32be" },
  { bytes: [0xef, 0xbb, 0xbf], encoding: "utf-8" },
  { bytes: [0xff, 0xfe], encoding: "utf-16le" },
  { bytes: [0xfe, 0xff], encoding: "utf-16be" },
];

/**
 * A decoder for one file. `requested` is the --encoding label (already checked with
 * canonicalEncoding); a byte order mark that says otherwise is an error, as the two cannot both be right.
 */
export function fileDecoder(requested?: string): FileDecoder {
  let head: Buffer | undefined = Buffer.alloc(0);
  let inner: Inner | undefined;
  let encoding: string | undefined;
  let failed: string | undefined;

  const start = (bytes: Buffer, final: boolean): DecodeStep => {
    const bom = BOMS.find((b) => bytes.length >= b.bytes.length && b.bytes.every((x, i) => bytes[i] === x));
    const wanted = requested ? canonicalEncoding(requested) : undefined;
    if (bom && wanted && !sameFamily(bom.encoding, wanted)) {
      return { text: "", error: `the file starts with a ${label(bom.encoding)} byte order mark, but --encoding ${requested} was given: drop --encoding, or save the file again` };
    }
    encoding = bom?.encoding ?? wanted ?? "utf-8";
    if (!bom && encoding === "utf-8") {
      const guess = utf16Guess(bytes);
      if (guess) return { text: "", error: `the file looks like ${label(guess)} without a byte order mark (every other byte is 0): pass --encoding ${guess}` };
    }
    inner = decoderOf(encoding);
    const rest = bytes.subarray(bom ? bom.bytes.length : 0);
    const first = inner.write(rest);
    return final && !first.error ? concat(first, inner.end()) : first;
  };

  const guard = (step: DecodeStep): DecodeStep => {
    if (step.error) failed = step.error;
    return step;
  };

  return {
    get encoding() {
      return encoding;
    },
    write(chunk: Buffer): DecodeStep {
      if (failed) return { text: "", error: failed };
      if (inner) return guard(inner.write(chunk));
      head = Buffer.concat([head as Buffer, chunk]);
      // Four bytes tell every mark apart; 512 show UTF-16 without one.
      if (head.length < 512) return { text: "" };
      const bytes = head;
      head = undefined;
      return guard(start(bytes, false));
    },
    end(): DecodeStep {
      if (failed) return { text: "", error: failed };
      if (!inner) return guard(start(head ?? Buffer.alloc(0), true));
      return guard(inner.end());
    },
  };
}

/** A mark and an --encoding agree when they name the same encoding, or both UTF-16 (or UTF-32): then the mark tells the byte order. */
function sameFamily(mark: string, wanted: string): boolean {
  return mark === wanted || mark.slice(0, 6) === wanted.slice(0, 6);
}

function label(encoding: string): string {
  return encoding.toUpperCase().replace(/LE$/, " LE").replace(/BE$/, " BE");
}

function concat(a: DecodeStep, b: DecodeStep): DecodeStep {
  return { text: a.text + b.text, ...(b.error ? { error: b.error } : {}) };
}

/** UTF-16 without a mark shows as a 0 byte in every other position of ASCII text. */
function utf16Guess(bytes: Buffer): string | undefined {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 8) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  if (oddZeros > n / 4 && evenZeros < oddZeros / 8) return "utf-16le";
  if (evenZeros > n / 4 && oddZeros < evenZeros / 8) return "utf-16be";
  return undefined;
}

function decoderOf(encoding: string): Inner {
  if (encoding === "utf-8") return new Utf8Decoder();
  if (encoding === "utf-32le" || encoding === "utf-32be") return new Utf32Decoder(encoding === "utf-32be");
  return new WhatwgDecoder(encoding);
}

/** UTF-8 checked by Node's native isUtf8; the first invalid byte is found only when a chunk fails. */
class Utf8Decoder implements Inner {
  private carry: Buffer = Buffer.alloc(0);

  write(chunk: Buffer): DecodeStep {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = bytes.length - incompleteTail(bytes);
    const whole = bytes.subarray(0, cut);
    this.carry = Buffer.from(bytes.subarray(cut));
    if (isUtf8(whole)) return { text: whole.toString("utf8") };
    const bad = firstInvalidUtf8(whole);
    return { text: whole.subarray(0, bad).toString("utf8"), error: `byte 0x${hex(whole[bad])} is not valid UTF-8` };
  }

  end(): DecodeStep {
    if (this.carry.length === 0) return { text: "" };
    return { text: "", error: `the file ends inside a UTF-8 character (byte 0x${hex(this.carry[0])})` };
  }
}

/** How many bytes at the end start a UTF-8 sequence that the next chunk completes (0–3). */
function incompleteTail(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back];
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** The offset of the first byte that does not start (or continue) a valid UTF-8 sequence. */
export function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= b.length) return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return b.length;
}

/** UTF-16 and the single- and multi-byte encodings, by Node's TextDecoder in fatal mode. */
class WhatwgDecoder implements Inner {
  private readonly decoder: TextDecoder;

  constructor(private readonly encoding: string) {
    this.decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  }

  write(chunk: Buffer): DecodeStep {
    try {
      return { text: this.decoder.decode(chunk, { stream: true }) };
    } catch {
      return { text: "", error: `the bytes are not valid ${this.encoding}` };
    }
  }

  end(): DecodeStep {
    try {
      return { text: this.decoder.decode() };
    } catch {
      return { text: "", error: `the file ends inside a ${this.encoding} character` };
    }
  }
}

/** UTF-32, which TextDecoder does not know: four bytes a code point. */
class Utf32Decoder implements Inner {
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly bigEndian: boolean) {}

  write(chunk: Buffer): DecodeStep {
    const bytes = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 4);
    this.carry = Buffer.from(bytes.subarray(whole));
    const parts: string[] = [];
    for (let i = 0; i < whole; i += 4) {
      const cp = this.bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { text: parts.join(""), error: `0x${cp.toString(16)} is not a UTF-32 character` };
      parts.push(String.fromCodePoint(cp));
    }
    return { text: parts.join("") };
  }

  end(): DecodeStep {
    return this.carry.length ? { text: "", error: "the file ends inside a UTF-32 character" } : { text: "" };
  }
}

function hex(n: number | undefined): string {
  return (n ?? 0).toString(16).toUpperCase().padStart(2, "0");
}
