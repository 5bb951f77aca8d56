package sqlstore_test

import (
	"os"
	"path/filepath"
	"testing"
)

// The SQLite files are the owner's alone, whatever the umask: they hold
// password hashes and, in the outbox, reset links (found by a review). A
// file left readable by an older version is tightened at the next start.
func TestSQLiteFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	wantPrivate := func(when string, names ...string) {
		t.Helper()
		for _, p := range names {
			fi, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %s: %v", when, filepath.Base(p), err)
				continue
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s has mode %v; want 0600", when, filepath.Base(p), fi.Mode().Perm())
			}
		}
	}
	s := migrated(t, "sqlite://"+path)
	wantPrivate("new", path, path+"-wal")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	migrated(t, "sqlite://"+path)
	wantPrivate("restarted", path)
}
