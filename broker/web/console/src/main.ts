/** The web console's entry point, bundled by esbuild (../build.ts) with its styles. */
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { html, render } from "htm/preact";
import { App } from "./app.ts";

const root = document.getElementById("app");
if (root !== null) render(html`<${App} />`, root);
