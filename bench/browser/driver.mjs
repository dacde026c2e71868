// Browser drivers. Both give pages as { evaluate(fn, arg), addScript(source), setInputFiles(id, paths),
// console, collectGarbage(), close() }.
//
// 'cdp' (default): cdp-browser.mjs, Chromium (same binary and flags as tests/e2e/support/browser.mjs)
// driven over --remote-debugging-pipe with the Target and Runtime domains only. Playwright always
// enables the Network domain, and then Chromium copies every in-memory request body (ArrayBuffer/typed
// array, which is how filestack-js sends its parts; Blob bodies are not copied) into a CDP event that
// the node process parses: measured here, 32 MiB of filestack-js parts cost ~1.2 s of node CPU plus
// as much in the browser process, which slows filestack-js down on a 2-CPU machine.
// 'playwright' (BENCH_DRIVER=playwright): the e2e helpers' launchBrowser()/openPage().

import { launchBrowser, openPage } from '../../tests/e2e/support/browser.mjs';
import { DRIVER } from './config.mjs';
import { launchCdpBrowser } from './cdp-browser.mjs';

export async function launchDriver(profileDir) {
  if (DRIVER === 'cdp') return launchCdpBrowser(profileDir);
  if (DRIVER !== 'playwright') throw new Error(`BENCH_DRIVER must be cdp or playwright, not ${DRIVER}`);
  const browser = await launchBrowser();
  return {
    version: () => browser.version(),
    newPage: async (url) => {
      const tab = await openPage(browser, url, () => []);
      return {
        console: tab.console,
        evaluate: (fn, arg) => tab.page.evaluate(fn, arg),
        addScript: (source) => tab.page.addScriptTag({ content: source }),
        setInputFiles: (id, paths) => tab.page.setInputFiles(`#${id}`, paths),
        collectGarbage: async () => (await tab.context.newCDPSession(tab.page)).send('HeapProfiler.collectGarbage'),
        close: () => tab.context.close(),
      };
    },
    close: () => browser.close(),
  };
}
