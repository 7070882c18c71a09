/**
 * cucumber-js configuration. `vmx-conform run` (npm run conformance) loads this file through cucumber's
 * API and adds the report formatters; plain `npx cucumber-js` uses it as is, with the implementation
 * chosen by VMX_IMPL (default: reference) and the profile by VMX_PROFILE.
 */
const SDM_URL = 'https://www.intel.com/content/www/us/en/developer/articles/technical/intel-sdm.html';

/** Allure: group by SDM area (@area:<name> on the feature), story by SDM section, link to the SDM. */
const allureOptions = (resultsDir) => ({
  resultsDir,
  labels: [
    { pattern: [/^@area:/], name: 'epic' },
    { pattern: [/^@sdm:/], name: 'story' },
  ],
  links: {
    sdm: {
      pattern: [/^@sdm:/],
      urlTemplate: (value) => `${SDM_URL}#section-${value.replace(/^@sdm:/, '')}`,
      nameTemplate: (value) => `SDM ${value.replace(/^@sdm:/, '')}`,
    },
  },
});

module.exports = {
  allureOptions,
  // No `paths`: cucumber's default is features/, and paths given on its command line would be added to
  // configured ones rather than replace them.
  default: {
    requireModule: ['tsx/cjs'],
    require: ['steps/**/*.ts'],
    format: ['progress'],
    formatOptions: { snippetInterface: 'async-await' },
  },
};
