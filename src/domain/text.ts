/**
 * Text every channel may store: what XML 1.0 can carry (so that every value can be sent back in
 * a SOAP response) and what PostgreSQL can keep in a text column. Refused: NUL and the other C0
 * controls except tab, line feed and carriage return; U+FFFE and U+FFFF; a UTF-16 surrogate
 * without its pair (which would otherwise be stored as U+FFFD, silently).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BAD = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first character of `text` no channel accepts, as `U+0000`, or undefined. */
export function badCharacter(text: string): string | undefined {
  const m = BAD.exec(text);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}` : undefined;
}

/**
 * The first string inside a parsed JSON value (or a query object) holding such a character:
 * its path (`fields.FirstName`, keys included) and the character. Depth is bounded by the caller's parser.
 */
export function findBadText(value: unknown, path = ""): { path: string; character: string } | undefined {
  if (typeof value === "string") {
    const character = badCharacter(value);
    return character ? { path: path || "value", character } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      const inKey = badCharacter(key);
      if (inKey) return { path: at, character: inKey };
      const found = findBadText(inner, at);
      if (found) return found;
    }
  }
  return undefined;
}

/** The refusal's text, naming the field and the character. */
export function badTextMessage(found: { path: string; character: string }): string {
  const what = found.character.startsWith("U+") ? `the character ${found.character}` : found.character;
  return `${found.path.slice(0, 100)} contains ${what}, which is not accepted`;
}
