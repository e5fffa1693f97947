package com.example.wx

object WxConfig {
    const val APP_ID = "wxfd56ac2ecac9080c"
    const val appSecrt = "d76fa55f9a94540cbb468ab115eb41c1"
    const val THEME_HASH = "0f9e8d7c6b5a49382716f5e4d3c2b1a0"
}
