// The article's own script: the buttons in its prose drive a figure through the element's
// `state` (each button names its figure and the fields it changes), and the MiniLM figure is an
// iframe of embed.html, sized to its content by embed-host.js, talking only to this page's origin.
import "../js/embed-host.js";

/** Applies `patch` to a figure's state; a figure that has not started yet is brought into view first. */
async function drive(figure, patch) {
  if (!figure.state) {
    figure.scrollIntoView({ block: "center" });
    await new Promise((resolve) => figure.addEventListener("ready", resolve, { once: true }));
  }
  figure.state = { ...figure.state, ...patch };
}

for (const button of document.querySelectorAll("button[data-figure]")) {
  button.addEventListener("click", () => {
    const figure = document.getElementById(button.dataset.figure);
    drive(figure, JSON.parse(button.dataset.patch));
  });
}

for (const box of document.querySelectorAll(".frame[data-hash]")) {
  const frame = document.createElement("iframe");
  frame.src = `../embed.html#${box.dataset.hash}&origin=${encodeURIComponent(location.origin)}`;
  frame.title = box.dataset.title;
  frame.loading = "lazy";
  box.append(frame);
}
