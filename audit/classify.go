package audit

import (
	"bytes"
	"path/filepath"
	"strings"
)

// classify decides what a file is from its name, its content and whether
// it sits in a mini-program project (client). docs/audit.md lists the
// rules.
func classify(name string, data []byte, client bool) role {
	base := strings.ToLower(filepath.Base(name))
	ext := strings.ToLower(filepath.Ext(base))
	if name == "-" {
		return roleLog
	}
	if strings.Contains(filepath.ToSlash(name), "/cloudfunctions/") || strings.HasPrefix(filepath.ToSlash(name), "cloudfunctions/") {
		return roleServer
	}
	switch ext {
	case ".log", ".out", ".trace", ".txt":
		return roleLog
	case ".wxml", ".wxs", ".wxss":
		return roleClient
	case ".json":
		switch base {
		case "app.json", "project.config.json", "project.private.config.json", "ext.json", "sitemap.json":
			return roleClient
		}
		if client {
			return roleClient
		}
		return roleServer
	case ".js", ".mjs", ".cjs", ".ts", ".jsx", ".tsx", ".vue", ".html", ".htm", ".svelte":
		head := data[:min(len(data), 16<<10)]
		if client {
			// A Node server kept inside the project (a monorepo's server/)
			// is still a server.
			if containsCode(head, nodeServerMarkers) {
				return roleServer
			}
			return roleClient
		}
		return classifyScript(ext, head)
	}
	if strings.Contains(base, ".log.") {
		return roleLog
	}
	return roleServer
}

var (
	miniProgramMarkers = []string{"wx.request(", "wx.login(", "wx.getStorageSync(", "wx.setStorageSync(", "wx.cloud.", "wx.getUserProfile(",
		"uni.request(", "uni.login(", "Taro.request(", "Taro.login(", "Page({", "Component({", "App({", "getApp()"}
	serverMarkers = []string{"require('express')", `require("express")`, "from 'express'", `from "express"`, "require('koa')", `require("koa")`,
		"from 'koa'", "fastify", "http.createServer", "process.env", "process.argv", "exports.main", "@nestjs/", "app.listen(",
		"require('node:", `require("node:`, "from 'node:", `from "node:`, "require('fs')", "require('http')", "#!/usr/bin/env node"}
	browserMarkers = []string{"document.", "window.", "localStorage"}
	// nodeServerMarkers say a script is a server even inside a
	// mini-program project.
	nodeServerMarkers = []string{"require('express')", `require("express")`, "from 'express'", `from "express"`, "require('koa')", `require("koa")`,
		"from 'koa'", "require('@koa/router')", "require('fastify')", "http.createServer", "@nestjs/", "app.listen(", "exports.main", "app.post(", "app.get("}
)

func classifyScript(ext string, data []byte) role {
	// Markers count in code only: a server SDK whose doc comments show
	// wx.login() is not client code.
	if containsCode(data, miniProgramMarkers) {
		return roleClient
	}
	switch ext {
	case ".html", ".htm", ".vue", ".svelte":
		return roleClient // pages and components
	case ".jsx", ".tsx":
		if containsCode(data, nodeServerMarkers) {
			return roleServer
		}
		return roleClient
	}
	if containsCode(data, serverMarkers) {
		return roleServer
	}
	if containsCode(data, browserMarkers) || minified(data) {
		return roleClient
	}
	return roleServer
}

func containsAny(data []byte, pats []string) bool {
	for _, p := range pats {
		if bytes.Contains(data, []byte(p)) {
			return true
		}
	}
	return false
}

// containsCode reports a pattern outside comments: not on a line starting
// with a comment marker, not after // on its line, not inside /* */.
func containsCode(data []byte, pats []string) bool {
	for _, p := range pats {
		found := false
		eachIndex(data, p, func(i int) {
			if !found && !inComment(data, i) {
				found = true
			}
		})
		if found {
			return true
		}
	}
	return false
}

// inComment reports whether offset p is in a comment: its line starts
// with a comment marker, // comes before it on the line, or it is inside
// a /* */ block (looking back at most 4 KiB).
func inComment(data []byte, p int) bool {
	if isCommentLine(data, p) {
		return true
	}
	s, _ := lineBoundsNear(data, p, 512)
	if i := bytes.Index(data[s:p], []byte("//")); i >= 0 && (i == 0 || data[s+i-1] != ':') {
		return true
	}
	a := max(0, p-4096)
	open := bytes.LastIndex(data[a:p], []byte("/*"))
	return open >= 0 && bytes.LastIndex(data[a:p], []byte("*/")) < open
}

// minified reports a line of more than 1000 characters in the first 64 KiB:
// a built bundle.
func minified(data []byte) bool {
	d := data[:min(len(data), 64<<10)]
	for len(d) > 0 {
		i := bytes.IndexByte(d, '\n')
		if i < 0 {
			return len(d) > 1000
		}
		if i > 1000 {
			return true
		}
		d = d[i+1:]
	}
	return false
}
