/** The console's frame: navigation, the signed-in token and the view the URL fragment names. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { href, type Location, parseLocation, type View } from "./route.ts";
import { forgetToken, readToken, saveToken } from "./session.ts";
import { Cluster } from "./views/cluster.ts";
import { Groups } from "./views/groups.ts";
import { Load } from "./views/load.ts";
import { Publish } from "./views/publish.ts";
import { SignIn } from "./views/signin.ts";
import { Subjects } from "./views/subjects.ts";
import { Tail } from "./views/tail.ts";

const navigation: readonly [View, string][] = [
  ["subjects", "Subjects"],
  ["cluster", "Cluster"],
  ["tail", "Live tail"],
  ["publish", "Publish"],
  ["groups", "Consumer groups"],
  ["load", "Load test"],
];

function page(location: Location, token: string): VNode {
  const { view, subject } = location;
  switch (view) {
    case "cluster":
      return html`<${Cluster} token=${token} />`;
    case "tail":
      return html`<${Tail} key=${subject} token=${token} subject=${subject} />`;
    case "publish":
      return html`<${Publish} key=${subject} token=${token} subject=${subject} />`;
    case "groups":
      return html`<${Groups} token=${token} />`;
    case "load":
      return html`<${Load} key=${subject} token=${token} subject=${subject} />`;
    case "subjects":
    case "signin":
      return html`<${Subjects} token=${token} />`;
  }
}

export function App(): VNode {
  const [token, setToken] = useState(readToken());
  const [location, setLocation] = useState(parseLocation(window.location.hash));
  useEffect(() => {
    const follow = () => setLocation(parseLocation(window.location.hash));
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  const signedIn = token !== undefined && location.view !== "signin";
  const signIn = (accepted: string) => {
    saveToken(accepted);
    setToken(accepted);
    window.location.hash = href("subjects");
  };
  const signOut = () => {
    forgetToken();
    setToken(undefined);
    window.location.hash = href("signin");
  };
  return html`<header>
      <h1>Herald</h1>
      <nav>
        ${navigation.map(
          ([view, label]) =>
            html`<a
              href=${href(view)}
              id=${`nav-${view}`}
              class=${signedIn && location.view === view ? "active" : ""}
              >${label}</a
            >`,
        )}
      </nav>
      ${
        token === undefined
          ? null
          : html`<button class="link" id="sign-out" onClick=${signOut}>Sign out</button>`
      }
    </header>
    <main>${signedIn ? page(location, token) : html`<${SignIn} onSignedIn=${signIn} />`}</main>`;
}
