// The Uppy + tus contender of the hostile-link benchmark (hostile.bench.mjs): Uppy 6 with its
// tus plugin, every option at its default but the endpoint, as one function on the page.
import Uppy from '@uppy/core';
import Tus from '@uppy/tus';

/** Uploads `file` to the tus server at `endpoint`; resolves with its upload URL. */
window.uppyTusUpload = async (file, endpoint) => {
  const uppy = new Uppy();
  uppy.use(Tus, { endpoint });
  uppy.addFile({ name: file.name, type: file.type, data: file });
  try {
    const result = await uppy.upload();
    if (!result || result.failed?.length || !result.successful?.length) {
      throw new Error(String(result?.failed?.[0]?.error ?? 'the upload failed'));
    }
    return result.successful[0].uploadURL;
  } finally {
    uppy.destroy();
  }
};
