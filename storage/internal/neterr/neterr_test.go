package neterr

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestCtxErr(t *testing.T) {
	if CtxErr(context.Background()) != nil {
		t.Error("live context reported an error")
	}
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if !errors.Is(CtxErr(past), context.DeadlineExceeded) {
		t.Error("a passed deadline is not DeadlineExceeded")
	}
	c, stop := context.WithCancel(context.Background())
	stop()
	if !errors.Is(CtxErr(c), context.Canceled) {
		t.Error("a cancelled context is not Canceled")
	}
}

func TestCertError(t *testing.T) {
	if !CertError(fmt.Errorf("dial: %w", x509.UnknownAuthorityError{})) {
		t.Error("unknown authority not recognised")
	}
	if CertError(errors.New("connection refused")) {
		t.Error("an outage taken for a certificate error")
	}
}
