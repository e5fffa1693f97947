package demo_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/wxgate/wxgate/demo"
)

// Run the demo until Ctrl+C, on free ports, printing where it is.
func ExampleRun() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := demo.Run(ctx, demo.Options{
		Addr:         "127.0.0.1:0",
		EmulatorAddr: "127.0.0.1:0",
		DataDir:      "./wxgate-demo",
		Ready: func(u demo.URLs) {
			fmt.Println("open", u.Site, "and scan with", u.Phone)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
}
