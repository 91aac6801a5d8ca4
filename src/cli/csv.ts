/**
 * A streaming CSV reader (RFC 4180): fields in double quotes with "" for a quote, line breaks
 * inside quotes, CRLF, LF or lone CR line ends, a UTF-8 byte order mark, chunks split anywhere
 * (even inside a multi-byte character). Blank lines are skipped. Lenient where exports are
 * sloppy: a quote inside an unquoted field, or text after a closing quote, is kept as text.
 * Strict where data would be lost: a quote still open at the end of the input is an error that
 * names the line it opened on, and so is a byte that is not valid in the file's encoding
 * (decode.ts: a byte order mark, else UTF-8 or the encoding asked for).
 */
import { fileDecoder, type DecodeStep } from "./decode";

export interface CsvRecord {
  readonly fields: string[];
  /** The 1-based line the record starts on. */
  readonly line: number;
  /** Bytes of input read when the record was returned (for progress). */
  readonly bytesRead: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    /** "encoding": the bytes are not text in the file's encoding; "structure": quotes, lengths. */
    readonly kind: "structure" | "encoding" = "structure",
  ) {
    super(message);
    this.name = "CsvSyntaxError";
  }
}

export interface CsvOptions {
  readonly delimiter?: string;
  /** Longest field accepted, in characters (default 1 MiB): a runaway quote fails early. */
  readonly maxFieldLength?: number;
  /** The --encoding label, for a file without a byte order mark (default UTF-8). */
  readonly encoding?: string;
}

enum State {
  /** At the start of a field. */
  Start,
  Unquoted,
  Quoted,
  /** Saw a quote inside a quoted field: the field ends, or "" is one quote. */
  QuoteInQuoted,
  /** After the closing quote. */
  AfterQuoted,
}

const CR = 13;
const LF = 10;
const QUOTE = 34;

export async function* readCsv(input: AsyncIterable<Buffer | string>, options: CsvOptions = {}): AsyncGenerator<CsvRecord> {
  const delimiter = (options.delimiter ?? ",").charCodeAt(0);
  const maxField = options.maxFieldLength ?? 1 << 20;
  const decoder = fileDecoder(options.encoding);
  let state = State.Start;
  let field = "";
  let fields: string[] = [];
  let quotedRecord = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  let previousWasCR = false;
  let atStart = true;
  let bytes = 0;
  let ready: CsvRecord[] = [];

  const endRecord = () => {
    fields.push(field);
    // A blank line is no record; a line holding only "" is one empty field.
    if (fields.length > 1 || fields[0] !== "" || quotedRecord) ready.push({ fields, line: recordLine, bytesRead: bytes });
    field = "";
    fields = [];
    quotedRecord = false;
    state = State.Start;
  };

  const consume = (text: string) => {
    let i = 0;
    if (atStart && text.length > 0) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const lfOfCrlf = c === LF && previousWasCR;
      previousWasCR = c === CR;
      if (state === State.Quoted) {
        if (c === QUOTE) state = State.QuoteInQuoted;
        else {
          field += text[i];
          if (c === CR || (c === LF && !lfOfCrlf)) line++;
        }
        continue;
      }
      if (state === State.QuoteInQuoted) {
        if (c === QUOTE) {
          field += '"';
          state = State.Quoted;
          continue;
        }
        state = State.AfterQuoted;
      }
      if (c === delimiter) {
        fields.push(field);
        field = "";
        state = State.Start;
      } else if (c === CR || c === LF) {
        if (lfOfCrlf) continue; // the record ended at the CR
        line++;
        endRecord();
        recordLine = line;
      } else if (c === QUOTE && state === State.Start) {
        state = State.Quoted;
        quotedRecord = true;
        quoteLine = line;
      } else {
        field += text[i];
        if (state === State.Start) state = State.Unquoted;
      }
    }
    if (field.length > maxField) {
      const from = state === State.Quoted ? quoteLine : recordLine;
      throw new CsvSyntaxError(`a field longer than ${maxField} characters (an unclosed quote?) starts on line ${from}`, from);
    }
  };

  /** Text up to an invalid byte is read first, so the error names the line the byte is on. */
  const decoded = (step: DecodeStep) => {
    consume(step.text);
    if (step.error) {
      const where = decoder.encoding ? ` (reading it as ${decoder.encoding})` : "";
      throw new CsvSyntaxError(`line ${line}: ${step.error}${where}`, line, "encoding");
    }
  };

  for await (const chunk of input) {
    if (typeof chunk === "string") {
      bytes += Buffer.byteLength(chunk);
      consume(chunk);
    } else {
      bytes += chunk.length;
      decoded(decoder.write(chunk));
    }
    if (ready.length > 0) {
      const out = ready;
      ready = [];
      yield* out;
    }
  }
  decoded(decoder.end());
  // (consume() moves `state`; the casts keep TypeScript from narrowing it to its initial value.)
  if ((state as State) === State.Quoted) throw new CsvSyntaxError(`the quote opened on line ${quoteLine} is never closed`, quoteLine);
  if ((state as State) !== State.Start || fields.length > 0) endRecord();
  yield* ready;
}
