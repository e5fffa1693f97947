// Package neterr classifies the failures of the networked backends
// (PostgreSQL, Redis) alike.
package neterr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"time"
)

// CtxErr is ctx.Err(), and DeadlineExceeded once the deadline has passed
// even if ctx does not say so yet: a connection deadline set to the
// context's may fire a moment before the context's own timer.
func CtxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// CertError reports whether err is a server certificate that failed
// verification: a mistake in the configuration (or an attack), not an
// outage.
func CertError(err error) bool {
	var verifyErr *tls.CertificateVerificationError
	var authorityErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	return errors.As(err, &verifyErr) || errors.As(err, &authorityErr) || errors.As(err, &hostErr) || errors.As(err, &invalidErr)
}
