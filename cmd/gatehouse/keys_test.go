package main

import (
	"regexp"
	"strings"
	"testing"
)

// keyLine matches a line of keys list: id, algorithm, state, then times.
var keyLine = regexp.MustCompile(`(?m)^(\S+)\s+(ES256|RS256)\s+(next|active|retiring)\s+\S+\s+\S+\s+(\S+)$`)

// listKeys runs keys list and returns each key's algorithm, state and
// retirement by id.
func listKeys(t *testing.T, e env) map[string][3]string {
	t.Helper()
	out, err := runCommand(t, e, "", "keys", "list")
	if err != nil {
		t.Fatalf("keys list: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ID  ") || !strings.Contains(out, "RETIRES") {
		t.Fatalf("keys list has no header:\n%s", out)
	}
	keys := map[string][3]string{}
	for _, m := range keyLine.FindAllStringSubmatch(out, -1) {
		keys[m[1]] = [3]string{m[2], m[3], m[4]}
	}
	return keys
}

func TestKeysRotateAndList(t *testing.T) {
	e := newEnv(t)
	keys := listKeys(t, e)
	if len(keys) != 1 {
		t.Fatalf("a fresh server has keys %v, want one", keys)
	}
	var first string
	for id, k := range keys {
		if k != [3]string{"ES256", "active", "-"} {
			t.Fatalf("the first key %s is %v, want an active ES256 key without retirement", id, k)
		}
		first = id
	}

	out, err := runCommand(t, e, "", "keys", "rotate")
	next := regexp.MustCompile(`ES256 key (\S+) is next: published in the JWKS now, it signs from \S+`).FindStringSubmatch(out)
	if err != nil || next == nil {
		t.Fatalf("keys rotate = %q, %v", out, err)
	}
	keys = listKeys(t, e)
	if keys[next[1]][1] != "next" || keys[first][1] != "active" || keys[first][2] == "-" {
		t.Fatalf("after keys rotate: %v; want %s next and %s active with a retirement time", keys, next[1], first)
	}
	if out, err := runCommand(t, e, "", "keys", "rotate"); err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "published already") {
		t.Fatalf("a second keys rotate = %q, %v; want it refused: a next key is published", out, err)
	}

	out, err = runCommand(t, e, "", "keys", "rotate", "--alg", "rs256")
	if err != nil || !regexp.MustCompile(`^RS256 key \S+ signs now\n$`).MatchString(lastLine(out)) {
		t.Fatalf("the first keys rotate --alg RS256 = %q, %v; want a key signing now", out, err)
	}

	out, err = runCommand(t, e, "", "keys", "rotate", "--now")
	if err != nil || !strings.Contains(out, "ES256 key "+next[1]+" signs now") || !strings.Contains(out, "warning: clients that fetched the JWKS") {
		t.Fatalf("keys rotate --now = %q, %v; want the next key signing now, with a warning", out, err)
	}
	keys = listKeys(t, e)
	if keys[next[1]][1] != "active" || keys[first][1] != "retiring" || len(keys) != 3 {
		t.Fatalf("after keys rotate --now: %v; want %s active, %s retiring, and the RS256 key", keys, next[1], first)
	}

	if _, err := runCommand(t, e, "", "keys", "rotate", "--alg", "HS256"); err == nil || exitCode(err) != 2 {
		t.Fatalf("keys rotate --alg HS256: %v, want a usage error", err)
	}
}

// lastLine is the last line of out, with its newline: what a command printed
// after the logs of opening the store.
func lastLine(out string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(out, "\n"), "\n")
	return lines[len(lines)-1] + "\n"
}
