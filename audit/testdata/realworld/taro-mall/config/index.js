const config = {
  projectName: 'taro-mall',
  sourceRoot: 'src',
  outputRoot: 'dist',
  framework: 'react',
  defineConstants: { API_BASE: JSON.stringify(process.env.API_BASE || 'https://mall.example.com') },
};

module.exports = function (merge) {
  if (process.env.NODE_ENV === 'development') {
    return merge({}, config, require('./dev'));
  }
  return merge({}, config, require('./prod'));
};
