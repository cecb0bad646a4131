// `import` of oneinbox-webhooks (named exports of the CommonJS package) in a project that
// installed the packed tarballs.
import {
  Api,
  ApiError,
  AuthenticationError,
  OneInboxError,
  Receiver,
  ValidationError,
  addUrlToken,
  parseEvent,
  sign,
} from 'oneinbox-webhooks'
import check from './checks.cjs'

check({ Api, ApiError, AuthenticationError, OneInboxError, Receiver, ValidationError, addUrlToken, parseEvent, sign }, 'import')
