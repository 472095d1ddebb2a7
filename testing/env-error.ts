/**
 * A failure of the test environment that the user can act on. Its message is
 * one line naming the missing or broken part and how to get it; the CLI prints
 * it alone, without a stack.
 */
export class EnvError extends Error {
  constructor(part: string, problem: string, remedy: string) {
    super(`${part}: ${problem} — ${remedy}`);
    this.name = "EnvError";
  }
}
