// The menu diagram: the DOT the server wrote, laid out by the vendored Graphviz (WebAssembly,
// @hpcc-js/wasm-graphviz, see vendor/graphviz/README) and shown as SVG. No network access.
import { Graphviz } from "./vendor/graphviz/graphviz.js";

async function draw(box) {
  const status = box.querySelector("[data-diagram-status]");
  try {
    const graphviz = await Graphviz.load();
    const svg = graphviz.dot(box.querySelector("[data-dot]").textContent);
    const holder = document.createElement("div");
    holder.innerHTML = svg;  // Graphviz's own output, from DOT whose strings the server quoted
    const picture = holder.querySelector("svg");
    picture.classList.add("diagram");
    // Fit the card's width (never larger than Graphviz drew it); the viewBox keeps the shape.
    // Never below three quarters of it either: a wide menu scrolls, its labels stay readable.
    picture.style.maxWidth = picture.getAttribute("width");
    picture.style.minWidth = `${Math.round(0.75 * parseFloat(picture.getAttribute("width")))}pt`;
    picture.removeAttribute("width");
    picture.removeAttribute("height");
    picture.setAttribute("role", "img");
    picture.setAttribute("aria-label", box.dataset.label);
    picture.querySelectorAll("g.node").forEach((node) => {
      const id = node.querySelector("title");
      if (id) { node.dataset.diagramNode = id.textContent; }
    });
    picture.querySelectorAll("g.edge").forEach((edge) => { edge.dataset.diagramEdge = ""; });
    box.appendChild(picture);
    status.remove();
    box.dataset.drawn = "yes";
  } catch (error) {
    status.textContent = "The diagram could not be drawn here (" + error + "). The tree below " +
      "shows the same menu.";
    box.dataset.drawn = "failed";
  }
  box.removeAttribute("aria-busy");
}

document.querySelectorAll("[data-diagram]").forEach(draw);
