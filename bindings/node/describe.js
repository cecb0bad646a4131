// How a wrong argument is named in a TypeError message ('null', 'an array', 'an object (Map)',
// 'number', ...): shared by every module of the package.
'use strict'

function describeType(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return `an object (${v.constructor?.name ?? 'Object'})`
  return typeof v
}

module.exports = { describeType }
