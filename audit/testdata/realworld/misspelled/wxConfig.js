module.exports = {
  miniProgram: {
    appId: 'wxee9cf451db985dd0',
    appScrect: 'cfcebe1609aa797c78b6c2837d296fc8',
    envVersion: 'release',
  },
  cdn: {
    // cache-busting version of the bundle, not a secret
    bundleVersion: '3b1f0e9c2d7a48e6a5c4b3f2e1d0c9b8',
  },
};
