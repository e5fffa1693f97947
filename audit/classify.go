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
		if client {
			return roleClient
		}
		return classifyScript(ext, data[:min(len(data), 16<<10)])
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
)

func classifyScript(ext string, data []byte) role {
	if containsAny(data, miniProgramMarkers) {
		return roleClient
	}
	if containsAny(data, serverMarkers) {
		return roleServer
	}
	switch ext {
	case ".html", ".htm", ".vue", ".jsx", ".tsx", ".svelte":
		return roleClient
	}
	if containsAny(data, browserMarkers) || minified(data) {
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
