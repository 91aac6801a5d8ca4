/** The bad-character check of src/domain/text.ts over an HTTP request: path, query and parsed body. */
import type { Request } from "express";
import { badCharacter, findBadText } from "../domain/text";

export function findBadRequestText(req: Request): { path: string; character: string } | undefined {
  for (const segment of req.path.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { path: "path", character: "an invalid percent-encoding" };
    }
    const character = badCharacter(decoded);
    if (character) return { path: "path", character };
  }
  return findBadText(req.query as unknown) ?? (req.body !== undefined && typeof req.body === "object" ? findBadText(req.body) : undefined);
}
