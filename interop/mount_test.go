package interop

import (
	"github.com/wxgate/wxgate/gateway"
	"github.com/wxgate/wxgate/oidc"
)

// mountOIDC mounts wxgate's OpenID provider on gw, as `wxgate serve` does.
func mountOIDC(gw *gateway.Server) error {
	_, err := oidc.Mount(gw)
	return err
}
