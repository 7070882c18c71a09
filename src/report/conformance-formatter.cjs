// cucumber loads formatters with import(); this shim lets it load the TypeScript formatter through tsx.
require('tsx/cjs');
module.exports = require('./conformance-formatter.ts');
