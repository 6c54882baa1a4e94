// Mounts every explorable figure on the page (gradavg.site.explorables): reads the data the build wrote into it,
// loads the figure's own module, ./NAME.js, and calls its mount(root, data).
const NAME = /^[a-z][a-z0-9-]*$/;

for (const root of document.querySelectorAll("figure[data-explore]")) {
  const name = root.dataset.explore;
  if (!NAME.test(name)) continue;  // a name is a module's file name, never a path
  const data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  import(`./${name}.js`)
    .then((figure) => figure.mount(root, data))
    .catch((error) => {
      root.querySelector(".gradavg-explore-text").append(" (The interactive figure failed to load.)");
      console.error(error);
    });
}
