package main

import (
	"context"
	"errors"
	"io"
)

// Placeholder until the emulator package lands; replaced by its owner.
var emulatorCommand = command{
	summary: "run WeChat's login servers on localhost",
	run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return errors.New("not built yet")
	},
}
