// The native addon of `oneinbox-webhooks`, loaded once for every module of the package. The
// generated loader (`index.js`, written by napi) finds the per-platform package.
'use strict'

// The addon comes in a per-platform package (`oneinbox-webhooks-linux-x64-gnu`, ...) that npm
// installs as an optional dependency; the generated loader finds it. When none loads, say which
// package this machine needs (the loader's own error, with every attempt, is the `cause`).
/**
 * The generated exports, and `validateEventFast`, registered by hand (src/fast.rs).
 * @typedef {typeof import('./index') & {
 *   validateEventFast(body: Uint8Array, strict?: boolean, maxBodyBytes?: number, maxDepth?: number): import('./index').NativeIssue[] | true | null,
 *   validateEventFast(body: Uint8Array, options: unknown, strict: unknown, maxBodyBytes: unknown, maxDepth: unknown): import('./index').NativeIssue[] | true | null | undefined,
 * }} Native
 */

/** @returns {Native} */
function loadNative() {
  try {
    // The generated loader's exports; `validateEventFast` is added by the addon itself.
    return /** @type {Native} */ (require('./index.js'))
  } catch (err) {
    const { platform, arch } = process
    let suffix = `${platform}-${arch}`
    if (platform === 'linux') {
      // The report's header is not typed by @types/node.
      const report = /** @type {{ header?: { glibcVersionRuntime?: string } } | undefined} */ (process.report?.getReport?.())
      const glibc = report?.header?.glibcVersionRuntime
      suffix += glibc ? '-gnu' : '-musl'
    } else if (platform === 'win32') {
      suffix += '-msvc'
    }
    const error = /** @type {Error & { code?: string }} */ (
      new Error(
        `oneinbox-webhooks: no native addon for ${suffix}: the package oneinbox-webhooks-${suffix} ` +
          'is not installed. npm installs it as an optional dependency of oneinbox-webhooks on ' +
          'the platforms that have one (see the README); it is missing if optional dependencies ' +
          'were omitted (--omit=optional) or a lock file was made on another platform. ' +
          'Elsewhere, build the addon from source (README: "Build from source").',
      )
    )
    error.code = 'ERR_ONEINBOX_NO_ADDON'
    error.cause = err
    throw error
  }
}

module.exports = loadNative()
