package config

// The mini-program's credentials. TODO: move to the environment.
const (
	mpAppID = "wxca3c7c14ad5d677c"
	mpKey   = "70c34fb66f32e03c383c9b45ee8d2ce6"
)

// requestIDSeed seeds request ids in the access log.
var requestIDSeed = "8a1c5e7f92b4d6e0f3a5c7e9b1d3f5a7"
