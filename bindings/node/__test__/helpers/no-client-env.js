// Required first by the tests that build clients or run the commands that do (the Node side of
// the Python tests' autouse `_no_client_environment`): a client reads ONEINBOX_API_KEY and
// ONEINBOX_BASE_URL when not given a key or base URL, so a developer's exported values would
// point the tests (and the commands they spawn with process.env) at another server. Tests that
// want them set them.
'use strict'

for (const name of ['ONEINBOX_API_KEY', 'ONEINBOX_BASE_URL']) delete process.env[name]
