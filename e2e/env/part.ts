/**
 * One service of the test environment. `up` installs what is missing (cached
 * outside the repo, keyed by version), starts the service if it is not
 * running, waits until it answers, and returns its connection facts. `down`
 * stops it and leaves no process behind. Both are idempotent.
 */
export interface Part<Facts> {
  readonly name: string;
  up(): Promise<Facts>;
  down(): Promise<void>;
}
