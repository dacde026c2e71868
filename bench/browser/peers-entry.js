// The peers of the upload benchmark (upload.bench.mjs), bundled by esbuild into one script that
// the benchmark page loads, each with its library's defaults:
//   window.uppyTusUpload(file, endpoint)  Uppy 6 + @uppy/tus (uppy-tus-entry.js)
//   window.tusJsUpload(file, endpoint)    tus-js-client: one upload, no chunkSize (one PATCH)
//   window.uppyS3Upload(file, signer)     Uppy 6 + @uppy/aws-s3, multipart, every request signed
//                                         by the benchmark's signing endpoint (POST signer/sign)
// Each resolves with { url } (and the object's { key } for S3).
import AwsS3 from '@uppy/aws-s3';
import { Upload } from 'tus-js-client';
import { uppyUpload } from './uppy-tus-entry.js';

window.tusJsUpload = (file, endpoint) => new Promise((ok, fail) => {
  const upload = new Upload(file, {
    endpoint,
    metadata: { filename: file.name, filetype: file.type },
    onError: fail,
    onSuccess: () => ok({ url: upload.url }),
  });
  upload.start();
});

/** signRequest for @uppy/aws-s3: the presigned URL for one S3 request, from the signing endpoint. */
const signWith = (signer) => async (request) => {
  const r = await fetch(`${signer}/sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  if (!r.ok) throw new Error(`signing ${request.method} ${request.key}: ${r.status} ${await r.text()}`);
  return r.json();
};

window.uppyS3Upload = async (file, signer) => {
  // Multipart for every size (its default is multipart above 100 MiB; the shaped runs use less).
  const done = await uppyUpload(file, AwsS3, { shouldUseMultipart: true, signRequest: signWith(signer) });
  return { key: done.response?.body?.key, url: done.uploadURL };
};
