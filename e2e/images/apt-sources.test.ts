import { describe, expect, test } from "vitest";
import { debianMirror } from "./apt-sources.ts";

const deb822 = `Types: deb
# a snapshot alternative
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
`;

describe("debianMirror", () => {
  test("reads the URI of the deb822 stanza serving the suite", () => {
    const files = [{ name: "/etc/apt/sources.list.d/debian.sources", text: deb822 }];
    expect(debianMirror(files, "bookworm")).toBe("http://mirror.example/debian");
    expect(debianMirror(files, "bookworm-security")).toBe("http://mirror.example/debian-security");
  });

  test("skips disabled stanzas, deb-src and other suites", () => {
    const text = [
      "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no",
      "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm",
      "Types: deb\nURIs: http://old.example/debian\nSuites: bullseye",
      "Types: deb deb-src\nURIs: http://on.example/debian\n  http://second.example/debian\nSuites: bookworm",
    ].join("\n\n");
    expect(debianMirror([{ name: "x.sources", text }], "bookworm")).toBe(
      "http://on.example/debian",
    );
  });

  test("reads one-line entries with options and comments", () => {
    const text = [
      "# deb http://commented.example/debian bookworm main",
      "deb-src http://src.example/debian bookworm main",
      "deb [arch=amd64 signed-by=/k.gpg] http://list.example/debian bookworm main # local",
    ].join("\n");
    expect(debianMirror([{ name: "/etc/apt/sources.list", text }], "bookworm")).toBe(
      "http://list.example/debian",
    );
  });

  test("takes the first file that has one, and undefined when none does", () => {
    const first = { name: "a.list", text: "deb http://a.example/debian bookworm main" };
    const second = { name: "b.sources", text: deb822 };
    expect(debianMirror([first, second], "bookworm")).toBe("http://a.example/debian");
    expect(debianMirror([first, second], "trixie")).toBeUndefined();
    expect(debianMirror([], "bookworm")).toBeUndefined();
  });
});
