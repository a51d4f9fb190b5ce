// Jest only. content-disposition 3 (required by @fastify/static, which mercurius loads) is an
// ES module, and Jest's CommonJS loader cannot `require` ES modules (Node 20.19+ can, so the
// apps run unshimmed). This serves the same API from the CommonJS content-disposition 1 that
// is installed at the top level: `create` is v1's default export, `parse` is unchanged.
const v1 = require('../../node_modules/content-disposition/index.js');

function contentDisposition(filename, options) {
  return v1(filename, options);
}
module.exports = Object.assign(contentDisposition, { create: contentDisposition, parse: v1.parse });
