package gateway

import "context"

// followCode draws the official account's parametric QR code of a scan.
func (s *Server) followCode(ctx context.Context, a *app, id string) ([]byte, error) {
	return nil, errNoScanLogin.Msg("follow-the-account login is not available in this version yet")
}
