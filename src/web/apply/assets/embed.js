// Helio intake form for a host site:
//   <div id="helio-apply"></div>
//   <script src="https://HELIO/apply/TENANT/embed.js" data-target="helio-apply" async></script>
// Puts the form in an iframe inside the target element (or right after this script) and keeps the
// iframe as tall as the form, from the height the form reports with postMessage.
(() => {
  const script = document.currentScript;
  if (!script?.src) return;
  const src = new URL(script.src);
  const match = /^(.*\/apply\/[^/]+)\/embed\.js$/.exec(src.pathname);
  if (!match) return;
  const frame = document.createElement('iframe');
  frame.src = `${src.origin}${match[1]}/embed`;
  frame.title = script.dataset.title || 'Get quotes for your home';
  frame.loading = 'eager';
  frame.style.cssText = 'display:block;width:100%;min-height:480px;border:0;overflow:hidden';
  frame.setAttribute('scrolling', 'no');
  frame.className = 'helio-apply-frame';
  const target = script.dataset.target ? document.getElementById(script.dataset.target) : null;
  if (target) target.append(frame);
  else script.after(frame);

  window.addEventListener('message', (event) => {
    if (event.origin !== src.origin || event.source !== frame.contentWindow) return;
    const data = event.data;
    if (data?.type !== 'helio-apply:height' || typeof data.height !== 'number') return;
    const height = Math.max(200, Math.min(Math.ceil(data.height), 20000));
    frame.style.height = `${height}px`;
    frame.style.minHeight = '0';
  });
})();
