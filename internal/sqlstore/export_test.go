package sqlstore

import (
	"context"
	"database/sql"
)

// MigrateUpTo applies the migrations up to version, so that a test can
// write what that version's code wrote before migrating further.
func (s *Store) MigrateUpTo(ctx context.Context, version int64) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// MigrateDownTo rolls the migrations back to version.
func (s *Store) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := s.migrations()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// DB is the store's writing connection pool, for raw rows in tests.
func (s *Store) DB() *sql.DB { return s.writer }
