/**
 * The log an operator reads: one JSON object per line whatever the fields hold (a BigInt, a
 * circular object, an Error), levels filtered, and secrets redacted if one ever reaches a field.
 */
import { createLogger, REDACTED } from "../../src/logger";

function capture(level: "debug" | "info" | "warn" | "error" = "debug") {
  const lines: string[] = [];
  const logger = createLogger(level, (line) => lines.push(line));
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("logger (pino)", () => {
  it("writes one JSON object per line with time, level and message", () => {
    const { logger, lines, parsed } = capture();
    logger.log("info", "mktows started", { url: "http://127.0.0.1:1" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    const [line] = parsed();
    expect(line).toMatchObject({ level: "info", message: "mktows started", url: "http://127.0.0.1:1" });
    expect(new Date(String(line.time)).toISOString()).toBe(line.time);
  });

  it("logs a BigInt field instead of throwing", () => {
    const { logger, parsed } = capture();
    expect(() => logger.log("info", "counted", { rows: 12345678901n })).not.toThrow();
    expect(parsed()[0].rows).toBe(12345678901);
  });

  it("logs a circular object instead of throwing", () => {
    const { logger, parsed } = capture();
    const loop: Record<string, unknown> = { name: "a" };
    loop.self = loop;
    expect(() => logger.log("warn", "loop", { loop })).not.toThrow();
    const line = parsed()[0];
    expect((line.loop as Record<string, unknown>).name).toBe("a");
    expect(JSON.stringify(line.loop)).toContain('"[Circular]"');
  });

  it("logs an Error with its type, message and stack, not as {}", () => {
    const { logger, parsed } = capture();
    logger.log("error", "failed", { error: new TypeError("bad input"), attempt: 2 });
    const error = parsed()[0].error as Record<string, unknown>;
    expect(error).toMatchObject({ type: "TypeError", message: "bad input" });
    expect(String(error.stack)).toContain("bad input");
    expect(parsed()[0].attempt).toBe(2);
  });

  it("redacts secret-named fields at the top level and one level down", () => {
    const { logger, lines, parsed } = capture();
    logger.log("info", "request", { token: "s3cret-token-value", headers: { authorization: "Bearer abcdef", host: "x" }, user: "u1" });
    expect(lines[0]).not.toContain("s3cret-token-value");
    expect(lines[0]).not.toContain("abcdef");
    expect(parsed()[0]).toMatchObject({ token: REDACTED, headers: { authorization: REDACTED, host: "x" }, user: "u1" });
  });

  it("filters below the configured level", () => {
    const { logger, parsed } = capture("warn");
    logger.log("debug", "d");
    logger.log("info", "i");
    logger.log("warn", "w");
    logger.log("error", "e");
    expect(parsed().map((l) => l.message)).toEqual(["w", "e"]);
  });
});
