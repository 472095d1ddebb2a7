/**
 * Pod addresses on loopback (127.0.10.x). Loopback is shared by every process on the machine,
 * so allocations are files in one directory, as CNI's host-local IPAM keeps them: one file per
 * address, created exclusively, naming the owning process. A file whose owner is dead is stale
 * and reused, so two kubelets (a test's and `make dev`'s) never hand out the same address.
 */
import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rmdir, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { isAlive } from "../env/daemon.ts";

export const defaultIpamDir = join(tmpdir(), "herald-kubelet-ipam");

export interface AddressPoolOptions {
  /** Shared by every kubelet on the machine. */
  dir?: string;
  /** The first three octets; hosts .2 to .254 are handed out. */
  prefix?: string;
  /** Who holds an allocation: alive ⇒ kept. */
  pid?: number;
  isAlive?: (pid: number) => boolean;
}

const leaseSchema = z.object({ pid: z.number().int(), owner: z.string() });

export class AddressPool {
  readonly #dir: string;
  readonly #prefix: string;
  readonly #pid: number;
  readonly #isAlive: (pid: number) => boolean;
  readonly #held = new Set<string>();

  constructor(options: AddressPoolOptions = {}) {
    this.#dir = options.dir ?? defaultIpamDir;
    this.#prefix = options.prefix ?? "127.0.10";
    this.#pid = options.pid ?? process.pid;
    this.#isAlive = options.isAlive ?? isAlive;
  }

  /** The lowest free address, recorded for `owner` (e.g. a pod's uid). */
  async allocate(owner: string): Promise<string> {
    await mkdir(this.#dir, { recursive: true });
    for (let host = 2; host <= 254; host++) {
      const address = `${this.#prefix}.${host}`;
      if (await this.#claim(address, owner)) {
        this.#held.add(address);
        return address;
      }
    }
    throw new Error(`no free pod address in ${this.#prefix}.0/24`);
  }

  async release(address: string): Promise<void> {
    if (!this.#held.delete(address)) return;
    await unlink(join(this.#dir, address)).catch(() => undefined);
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.#held].map((address) => this.release(address)));
  }

  async #claim(address: string, owner: string): Promise<boolean> {
    const path = join(this.#dir, address);
    // link(2) creates the file with its content in one step, so no reader sees it half written.
    const draft = join(this.#dir, `.${address}.${this.#pid}.${randomUUID()}`);
    await writeFile(draft, JSON.stringify({ pid: this.#pid, owner }));
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await link(draft, path);
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        }
        const state = await this.#holderState(path);
        if (state === "held") return false;
        // A vanished file was released and perhaps claimed again since: just retry the link.
        if (state === "stale") return await this.#takeOver(path, draft);
      }
      return false;
    } finally {
      await unlink(draft).catch(() => undefined);
    }
  }

  /**
   * Replace a dead holder's file. Two kubelets may find it stale at once, and one's unlink could
   * remove the other's fresh claim, so the takeover runs under an exclusive lock directory; the
   * loser moves on to the next address. (A kubelet killed inside this window leaves the lock, and
   * that one address unused until the directory is cleaned.)
   */
  async #takeOver(path: string, draft: string): Promise<boolean> {
    const lock = `${path}.takeover`;
    try {
      await mkdir(lock);
    } catch {
      return false;
    }
    try {
      if ((await this.#holderState(path)) !== "stale") return false;
      await unlink(path).catch(() => undefined);
      await link(draft, path);
      return true;
    } catch {
      return false;
    } finally {
      await rmdir(lock).catch(() => undefined);
    }
  }

  /** "vanished" when the holder released it meanwhile: retry the link, never unlink a newer claim. */
  async #holderState(path: string): Promise<"held" | "stale" | "vanished"> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      return "vanished";
    }
    let holder;
    try {
      holder = leaseSchema.safeParse(JSON.parse(text));
    } catch {
      return "stale";
    }
    if (!holder.success) return "stale";
    return holder.data.pid !== this.#pid && !this.#isAlive(holder.data.pid) ? "stale" : "held";
  }
}
