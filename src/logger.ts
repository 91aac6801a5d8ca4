/**
 * Structured JSON logs, one line per event, for operators (stdout), written by pino:
 * `{"level":"info","time":"<ISO>","message":"…",…fields}`. pino's serializer turns a circular
 * reference into "[Circular]" and a BigInt into a number; an Error in any top-level field is
 * written as {type, message, stack} (pino's own err serializer) instead of `{}`. Secrets are
 * never passed in; the redaction below is the net under that rule.
 */
import pino from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** Field names that would hold a secret, at the top level or one level down (e.g. `headers.authorization`). */
const SECRET_FIELDS = [
  "password",
  "token",
  "adminToken",
  "secret",
  "secretKey",
  "encryptionKey",
  "emailHashKey",
  "signature",
  "authorization",
  "cookie",
  "requestSignature",
];
export const REDACTED = "[redacted]";

function withErrors(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) (out ??= { ...fields })[k] = pino.stdSerializers.err(v);
  }
  return out ?? fields;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l + "\n")): Logger {
  const destination = { write: (chunk: string) => write(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk) };
  const log = pino(
    {
      level,
      base: undefined,
      messageKey: "message",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: withErrors },
      redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)], censor: REDACTED },
    },
    destination,
  );
  return {
    log(at, message, fields = {}) {
      log[at](fields, message);
    },
  };
}

export const silentLogger: Logger = { log() {} };
