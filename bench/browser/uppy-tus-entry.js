// The Uppy + tus contender of the hostile-link benchmark (hostile.bench.mjs) and of the upload
// benchmark (peers-entry.js): Uppy 6 with its tus plugin, every option at its default but the
// endpoint, as one function on the page; and uppyUpload, one upload by a fresh Uppy with one
// uploader plugin, which the S3 contender shares.
import Uppy from '@uppy/core';
import Tus from '@uppy/tus';

/** Uploads `file` with a fresh Uppy using `plugin` (with `options`); resolves with Uppy's result for it. */
export async function uppyUpload(file, plugin, options) {
  const uppy = new Uppy();
  uppy.use(plugin, options);
  uppy.addFile({ name: file.name, type: file.type, data: file });
  try {
    const result = await uppy.upload();
    if (!result || result.failed?.length || !result.successful?.length) {
      throw new Error(String(result?.failed?.[0]?.error ?? 'the upload failed'));
    }
    return result.successful[0];
  } finally {
    uppy.destroy();
  }
}

/** Uploads `file` to the tus server at `endpoint`; resolves with its upload URL. */
window.uppyTusUpload = async (file, endpoint) => (await uppyUpload(file, Tus, { endpoint })).uploadURL;
