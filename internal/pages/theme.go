package pages

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// defaultAccent is the accent of a tenant that chose none.
const defaultAccent = "#1a5fb4"

// theme answers the tenant's colours as CSS custom properties, so that the
// pages need no inline style. Text on the accent is black or white,
// whichever reads better; links take the accent only where it reads on
// white (WCAG 2 contrast 4.5:1), since a tenant may choose a pale one.
func (p *Pages) theme(w http.ResponseWriter, r *http.Request) {
	accent := defaultAccent
	if t := iam.TenantFrom(r.Context()); t != nil {
		if st, err := p.Settings.For(r.Context(), t.ID); err == nil && st.Branding.AccentColor != "" {
			accent = st.Branding.AccentColor
		}
	}
	onAccent, link := "#ffffff", accent
	if contrast(accent, "#ffffff") < 4.5 {
		onAccent, link = "#000000", "#1a1a1a"
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	fmt.Fprintf(w, ":root{--accent:%s;--on-accent:%s;--link:%s}\n", accent, onAccent, link)
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil || len(hex) != 7 {
		return 0
	}
	channel := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(v>>16&0xff) + 0.7152*channel(v>>8&0xff) + 0.0722*channel(v&0xff)
}
