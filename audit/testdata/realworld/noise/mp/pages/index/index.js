const auth = require('../../utils/auth');

Page({
  data: {
    sessionKey: '',
    session_key: null,
    hasSessionKey: false,
    userInfo: null,
  },
  onLoad() {
    auth.checkSessionKey().then((ok) => this.setData({ hasSessionKey: ok }));
  },
  refreshSessionKey() {
    return auth.login().then(() => this.setData({ hasSessionKey: true }));
  },
});
