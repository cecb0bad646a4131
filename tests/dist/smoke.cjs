// `require('oneinbox-webhooks')` in a project that installed the packed tarballs.
'use strict'
require('./checks.cjs')(require('oneinbox-webhooks'), 'require')
