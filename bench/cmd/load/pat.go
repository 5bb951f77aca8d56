package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"time"
)

// measurePAT loads GET /api/v1/me with a personal access token against the
// same requests with a JWT, alternating two runs of each, and shows that the
// token's last use was written once, not on every request.
func measurePAT(cmd *exec.Cmd, d time.Duration, conns int) error {
	jwt, err := login()
	if err != nil {
		return err
	}
	pat, err := createPAT(jwt)
	if err != nil {
		return err
	}
	url := "http://" + gatehouseAddr + "/api/v1/me"
	firstUse := time.Now().UTC()
	if c := (&http.Client{}); !get(c, url, pat.Token) {
		return fmt.Errorf("GET /api/v1/me with the personal access token failed")
	}
	fmt.Printf("GET /api/v1/me, %d connections, %s each, JWT and personal access token alternating:\n", conns, d)
	var jwtRes, patRes []result
	for range 2 {
		jwtRes = append(jwtRes, load(conns, d, func(c *http.Client) bool { return get(c, url, jwt) }))
		fmt.Printf("  JWT: %s\n", jwtRes[len(jwtRes)-1])
		patRes = append(patRes, load(conns, d, func(c *http.Client) bool { return get(c, url, pat.Token) }))
		fmt.Printf("  PAT: %s\n", patRes[len(patRes)-1])
	}
	var requests int64
	for i := range patRes {
		requests += patRes[i].ok + patRes[i].failed
		fmt.Printf("  round %d: PAT cost ÷ JWT cost = %.2f by throughput, %.2f by p99 (target: at most 1.3)\n", i+1,
			jwtRes[i].rps()/patRes[i].rps(), float64(patRes[i].p99())/float64(jwtRes[i].p99()))
	}
	tokens, err := listPATs(jwt)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if t.ID == pat.ID && t.LastUsedAt != nil {
			fmt.Printf("  last_used_at after %d PAT requests: %s (first use %s): written once a minute at most, not per request\n",
				requests, t.LastUsedAt.Format(time.RFC3339Nano), firstUse.Format(time.RFC3339Nano))
		}
	}
	fmt.Printf("  gatehouse RSS under load: %s\n\n", rss(cmd.Process.Pid))
	return nil
}

type patInfo struct {
	ID         string     `json:"id"`
	Token      string     `json:"token"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func createPAT(jwt string) (*patInfo, error) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+gatehouseAddr+"/api/v1/me/tokens", bytes.NewReader([]byte(`{"name":"bench"}`)))
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var p patInfo
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || p.Token == "" {
		return nil, fmt.Errorf("create token: status %d, %v", res.StatusCode, err)
	}
	return &p, nil
}

func listPATs(jwt string) ([]patInfo, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+gatehouseAddr+"/api/v1/me/tokens", nil)
	req.Header.Set("Authorization", "Bearer "+jwt)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var page struct {
		Data []patInfo `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		return nil, fmt.Errorf("list tokens: status %d, %v", res.StatusCode, err)
	}
	return page.Data, nil
}
