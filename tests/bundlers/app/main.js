// A small app as a user writes it: the package imported by name, a German picker shown inline.
import { init } from 'skiff-picker';

window.openPicker = (baseUrl, apikey) => {
  window.results = [];
  const picker = init(apikey, { baseUrl }).picker({
    displayMode: 'inline',
    container: '#app',
    lang: 'de',
    onUploadDone: (r) => window.results.push(r),
  });
  return picker.open();
};
window.appReady = true;
