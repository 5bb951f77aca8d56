package browsertest

import (
	"context"
	"math"
	"os"
	"path/filepath"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// viewportHeight is the window height while capturing; the screenshots
// cover the whole page whatever its height.
const viewportHeight = 800

// Screenshot saves the whole page as PNGs at 1280 and 375 CSS pixels wide,
// <name>-1280.png and <name>-375.png in the test's artifact folder (kept
// with go test -artifacts), and logs their paths.
func (tab *Tab) Screenshot(name string) {
	tab.t.Helper()
	tab.capture(name+"-1280.png", 1280, 1)
	tab.capture(name+"-375.png", 375, 1)
}

// CheckReflow saves the whole page as it shows at 200% zoom in a
// 1280-pixel window (640 CSS pixels at scale 2), <name>-zoom200.png, and at
// 320 CSS pixels wide (WCAG 1.4.10's 400% zoom), <name>-320.png, and fails
// the test when the page scrolls sideways at either.
func (tab *Tab) CheckReflow(name string) {
	tab.t.Helper()
	for _, view := range []struct {
		file  string
		width int64
		scale float64
	}{
		{name + "-zoom200.png", 640, 2},
		{name + "-320.png", 320, 1},
	} {
		if shot := tab.capture(view.file, view.width, view.scale); shot.ScrollWidth > shot.ClientWidth {
			tab.t.Errorf("browsertest: %s scrolls sideways at %d CSS pixels wide: %d pixels of content in %d (see %s)",
				tab.URL(), view.width, shot.ScrollWidth, shot.ClientWidth, view.file)
		}
	}
}

// pageShot is a full-page PNG and how wide the page was against the width
// it had.
type pageShot struct {
	PNG         []byte `json:"-"`
	ScrollWidth int64  `json:"scrollWidth"`
	ClientWidth int64  `json:"clientWidth"`
}

// capture lays the page out width CSS pixels wide at the given device
// scale, writes a full-page PNG of it to file in the artifact folder, and
// restores the window size.
func (tab *Tab) capture(file string, width int64, scale float64) pageShot {
	tab.t.Helper()
	shot := run(tab, "capturing "+file, func(ctx context.Context, t *chromedp.Target) (pageShot, error) {
		if _, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: width, Height: viewportHeight, DeviceScaleFactor: scale,
		}); err != nil {
			return pageShot{}, err
		}
		shot, err := capturePage(ctx, t, width)
		if _, clearErr := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err == nil {
			err = clearErr
		}
		return shot, err
	})
	path := filepath.Join(tab.t.ArtifactDir(), file)
	if err := os.WriteFile(path, shot.PNG, 0o644); err != nil {
		tab.t.Fatalf("browsertest: saving a screenshot: %v", err)
	}
	tab.t.Logf("screenshot: %s", path)
	return shot
}

// capturePage measures the page's width and takes a PNG of the whole page,
// width CSS pixels wide, as it is laid out now.
func capturePage(ctx context.Context, t *chromedp.Target, width int64) (pageShot, error) {
	shot, err := chromedp.Evaluate[pageShot](
		`({scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth})`)(ctx, t)
	if err != nil {
		return shot, err
	}
	metrics, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return shot, err
	}
	res, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format: page.CaptureScreenshotFormatPng,
		Clip: &page.Viewport{
			Width:  float64(width),
			Height: math.Ceil(max(metrics.CSSContentSize.Height, viewportHeight)),
			Scale:  1,
		},
		CaptureBeyondViewport: new(true),
	})
	shot.PNG = res.Data
	return shot, err
}
