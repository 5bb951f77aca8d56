package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"time"
)

// measureOAuth loads the client credentials grant and token introspection
// at 4 and 32 connections, beside the bare handler answering the same
// paths in the same run. Every grant is audited, as in production.
func measureOAuth(cmd *exec.Cmd, bare string, d time.Duration) error {
	jwt, err := login()
	if err != nil {
		return err
	}
	app, err := createMachineApp(jwt)
	if err != nil {
		return err
	}
	baseline, err := startBaseline(bare)
	if err != nil {
		return err
	}
	defer stop(baseline)
	grant := url.Values{"grant_type": {"client_credentials"}}.Encode()
	issue := func(addr string) func(*http.Client) bool {
		return func(c *http.Client) bool { return postForm(c, "http://"+addr+"/oauth2/token", grant, app) }
	}
	c := &http.Client{}
	token, err := clientToken(c, app)
	if err != nil {
		return err
	}
	inspect := url.Values{"token": {token}}.Encode()
	introspect := func(addr string) func(*http.Client) bool {
		return func(c *http.Client) bool { return postForm(c, "http://"+addr+"/oauth2/introspect", inspect, app) }
	}
	for _, conns := range []int{4, 32} {
		fmt.Printf("OAuth, %d connections, %s each:\n", conns, d)
		bareIssue := load(conns, d, issue(bareAddr))
		issued := load(conns, d, issue(gatehouseAddr))
		fmt.Printf("  POST /oauth2/token (client_credentials), bare: %s\n", bareIssue)
		fmt.Printf("  POST /oauth2/token (client_credentials), gatehouse: %s (%.0f%% of bare; target 15,000/s at 4)\n",
			issued, 100*issued.rps()/bareIssue.rps())
		bareIntro := load(conns, d, introspect(bareAddr))
		intro := load(conns, d, introspect(gatehouseAddr))
		fmt.Printf("  POST /oauth2/introspect, bare: %s\n", bareIntro)
		fmt.Printf("  POST /oauth2/introspect, gatehouse: %s (%.0f%% of bare; target 18,000/s at 4)\n",
			intro, 100*intro.rps()/bareIntro.rps())
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		fmt.Printf("  (no wrk here: bench/run installs it with apt-get where it can)\n")
	} else if err := measureOAuthWrk(cmd.Process.Pid, baseline.Process.Pid, grant, inspect, app, d); err != nil {
		return err
	}
	fmt.Printf("  gatehouse RSS under load: %s\n\n", rss(cmd.Process.Pid))
	return nil
}

// measureOAuthWrk runs the same four loads with wrk as the load generator,
// and reads each server's CPU time per request.
func measureOAuthWrk(pid, barePid int, grant, inspect string, app *machineApp, d time.Duration) error {
	for _, conns := range []int{4, 32} {
		fmt.Printf("OAuth with wrk, %d connections:\n", conns)
		for _, run := range []struct{ name, path, form, target string }{
			{"POST /oauth2/token (client_credentials)", "/oauth2/token", grant, "15,000/s"},
			{"POST /oauth2/introspect", "/oauth2/introspect", inspect, "18,000/s"},
		} {
			bare, err := wrkLoad(barePid, conns, d, "http://"+bareAddr+run.path, run.form, app)
			if err != nil {
				return err
			}
			got, err := wrkLoad(pid, conns, d, "http://"+gatehouseAddr+run.path, run.form, app)
			if err != nil {
				return err
			}
			fmt.Printf("  %s, bare: %s\n", run.name, bare)
			fmt.Printf("  %s, gatehouse: %s (%.0f%% of bare; target %s at 4)\n", run.name, got, 100*got.rps/bare.rps, run.target)
		}
	}
	return nil
}

// machineApp is a client credentials application.
type machineApp struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

func createMachineApp(jwt string) (*machineApp, error) {
	body := []byte(`{"name":"bench-worker","type":"machine","allowed_scopes":["reports.read"]}`)
	req, _ := http.NewRequest(http.MethodPost, "http://"+gatehouseAddr+"/api/v1/applications", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var app machineApp
	if err := json.NewDecoder(res.Body).Decode(&app); err != nil || app.ClientSecret == "" {
		return nil, fmt.Errorf("create application: status %d, %v", res.StatusCode, err)
	}
	return &app, nil
}

func clientToken(c *http.Client, app *machineApp) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+gatehouseAddr+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, app.ClientSecret)
	res, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("client credentials: status %d, %v", res.StatusCode, err)
	}
	return out.AccessToken, nil
}

func postForm(c *http.Client, url, form string, app *machineApp) bool {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app.ClientID, app.ClientSecret)
	res, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}
