// Runs before the page paints so a dark theme never flashes light.
(function () {
  var saved = null;
  try { saved = localStorage.getItem('switchyard-theme'); } catch (e) {}
  var dark = saved ? saved === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.classList.toggle('dark', dark);
})();
