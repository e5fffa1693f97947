package emulator

import (
	"bytes"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"net/http"
)

// newAvatarID is the opaque part of an emulator-served avatar URL.
func newAvatarID() string { return randomAlnum(40) }

// avatarSizes are the sizes WeChat's avatar URLs end in; 0 is 640×640.
var avatarSizes = map[string]int{"0": 640, "46": 46, "64": 64, "96": 96, "132": 132}

// handleAvatar serves /mmopen/{id}/{size}: a small generated PNG while the
// avatar is the user's current one, 404 once they changed it.
func (e *Emulator) handleAvatar(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	px, ok := avatarSizes[r.PathValue("size")]
	e.usersMu.RLock()
	_, live := e.avatars[id]
	e.usersMu.RUnlock()
	if !ok || !live {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(identicon(id, px))
}

// identicon draws a 5×5 mirrored pattern coloured from a hash of id.
func identicon(id string, px int) []byte {
	h := sha256.Sum256([]byte(id))
	fg := color.RGBA{h[0]/2 + 64, h[1]/2 + 64, h[2]/2 + 64, 255}
	pal := color.Palette{color.RGBA{240, 240, 240, 255}, fg}
	img := image.NewPaletted(image.Rect(0, 0, px, px), pal)
	cell := px / 6
	margin := (px - cell*5) / 2
	for gy := 0; gy < 5; gy++ {
		for gx := 0; gx < 3; gx++ {
			if h[3+gy*3+gx]&1 == 0 {
				continue
			}
			for _, cx := range []int{gx, 4 - gx} {
				for y := margin + gy*cell; y < margin+(gy+1)*cell; y++ {
					for x := margin + cx*cell; x < margin+(cx+1)*cell; x++ {
						img.SetColorIndex(x, y, 1)
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
