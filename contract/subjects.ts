/**
 * Subjects and subject patterns (broker/README.md#subjects). A subject is dot-separated tokens; in a
 * pattern, `*` stands for exactly one token and `>`, only as the last token, for one or more. So
 * `orders.>` matches `orders.eu` and `orders.eu.paid` but not `orders`. Permissions, pattern
 * subscriptions and consumer groups all match with this one definition, which the operator also uses
 * to validate the patterns of a MessageBrokerUser.
 */

/** Why `pattern` is not a valid pattern, or undefined when it is. */
export function patternProblem(pattern: string): string | undefined {
  const tokens = pattern.split(".");
  if (tokens.some((token) => token === "")) return `pattern "${pattern}" has an empty token`;
  const tail = tokens.indexOf(">");
  if (tail !== -1 && tail !== tokens.length - 1) {
    return `pattern "${pattern}": ">" may only be the last token`;
  }
  const mixed = tokens.find((token) => token.length > 1 && /[*>]/.test(token));
  if (mixed !== undefined) {
    return `pattern "${pattern}": "*" and ">" must be whole tokens, got "${mixed}"`;
  }
  return undefined;
}

/** True when `pattern` has a wildcard token, so it names many subjects. */
export const isPattern = (pattern: string): boolean =>
  pattern.split(".").some((token) => token === "*" || token === ">");

/** A matcher for one valid pattern; compile once, match many subjects. */
export function compilePattern(pattern: string): (subject: string) => boolean {
  const problem = patternProblem(pattern);
  if (problem !== undefined) throw new Error(problem);
  const tokens = pattern.split(".");
  const openTail = tokens.at(-1) === ">";
  const fixed = openTail ? tokens.slice(0, -1) : tokens;
  return (subject) => {
    const parts = subject.split(".");
    if (openTail ? parts.length <= fixed.length : parts.length !== fixed.length) return false;
    return fixed.every((token, index) => token === "*" || token === parts[index]);
  };
}

/** Whether `subject` matches `pattern` (compiles on every call; use compilePattern in loops). */
export const matchesPattern = (pattern: string, subject: string): boolean =>
  compilePattern(pattern)(subject);
