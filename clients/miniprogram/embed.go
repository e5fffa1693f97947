// Package miniprogram holds the wxgate-miniprogram npm package (plain
// JavaScript, see README.md) and embeds its code, so that `wxgate demo`
// can serve it to a browser together with the wx shim of its tests.
package miniprogram

import _ "embed"

// Script is index.js, the package's CommonJS module.
//
//go:embed index.js
var Script []byte

// Shim is test/shim.js: a wx object whose wx.login asks the emulator for a
// code and whose wx.request does real HTTP (fetch).
//
//go:embed test/shim.js
var Shim []byte

// BrowserScript wraps a CommonJS module (Script or Shim) for a browser's
// <script> tag: its exports become the global variable name.
func BrowserScript(module []byte, name string) []byte {
	var b []byte
	b = append(b, "(function () {\nvar module = { exports: {} }, exports = module.exports;\n"...)
	b = append(b, module...)
	b = append(b, "\nwindow."+name+" = module.exports;\n})();\n"...)
	return b
}
