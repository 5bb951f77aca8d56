package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse-iam/gatehouse/internal/emailaddr"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// normalizeAddresses is migration 00006, in Go because neither SQL dialect
// knows NFC and IDNA: it rewrites every stored email address into its normal
// form (emailaddr.Normalize), the form the services now store and look up.
// An address it cannot rewrite stays as it is and is recorded in
// email_address_conflicts: one that the rule refuses, or one whose normal
// form another row of a table with unique addresses already holds or would
// hold. Merging two accounts is a decision for an admin, not a migration.
//
// Each provider gets its own *goose.Migration, which goose fills in.
func normalizeAddresses() *goose.Migration {
	return goose.NewGoMigration(6, &goose.GoFunc{RunTx: rewriteAddresses},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DROP TABLE email_address_conflicts`)
			return err
		}})
}

// addressColumn is a column holding addresses: rows are found by key (one or
// more columns, joined with "/" in the report) and, where unique is set,
// addresses are unique per tenant.
type addressColumn struct {
	table, column, key, where string
	unique                    bool
}

var addressColumns = []addressColumn{
	{table: "users", column: "email", key: "id", unique: true},
	{table: "login_failures", column: "email", key: "email", unique: true},
	{table: "invitations", column: "email", key: "id"},
	{table: "one_time_tokens", column: "email", key: "id"},
	// Mails already sent keep the address they went to.
	{table: "mail_outbox", column: "recipient", key: "id", where: " AND status <> 'sent'"},
}

type addressRow struct {
	tenantID, key, address, normal, problem string
}

func rewriteAddresses(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `CREATE TABLE email_address_conflicts (
		tenant_id   TEXT NOT NULL,
		source      TEXT NOT NULL,
		row_key     TEXT NOT NULL,
		address     TEXT NOT NULL,
		problem     TEXT NOT NULL,
		PRIMARY KEY (source, tenant_id, row_key)
	)`)
	if err != nil {
		return err
	}
	for _, c := range addressColumns {
		rows, err := readAddresses(ctx, tx, c)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", c.table, c.column, err)
		}
		holders := map[[2]string][]string{}
		for _, r := range rows {
			if r.problem == "" {
				k := [2]string{r.tenantID, r.normal}
				holders[k] = append(holders[k], r.key)
			}
		}
		for _, r := range rows {
			if r.problem == "" && r.address == r.normal {
				continue
			}
			if others := holders[[2]string{r.tenantID, r.normal}]; r.problem == "" && c.unique && len(others) > 1 {
				others = slices.DeleteFunc(slices.Clone(others), func(k string) bool { return k == r.key })
				r.problem = fmt.Sprintf("its normal form %s is also the address of %s %s", r.normal, c.table, strings.Join(others, ", "))
			}
			if r.problem != "" {
				_, err = tx.ExecContext(ctx, `INSERT INTO email_address_conflicts (tenant_id, source, row_key, address, problem)
					VALUES ($1, $2, $3, $4, $5)`, r.tenantID, c.table, r.key, r.address, r.problem)
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE `+c.table+` SET `+c.column+` = $1 WHERE tenant_id = $2 AND `+c.key+` = $3`,
					r.normal, r.tenantID, r.key)
			}
			if err != nil {
				return fmt.Errorf("%s.%s: %w", c.table, c.column, err)
			}
		}
	}
	return nil
}

// readAddresses reads every address of c with its normal form, or the
// reason it has none.
func readAddresses(ctx context.Context, tx *sql.Tx, c addressColumn) ([]addressRow, error) {
	rs, err := tx.QueryContext(ctx, `SELECT tenant_id, `+c.key+`, `+c.column+` FROM `+c.table+` WHERE TRUE`+c.where+` ORDER BY tenant_id, `+c.key)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var rows []addressRow
	for rs.Next() {
		var r addressRow
		if err := rs.Scan(&r.tenantID, &r.key, &r.address); err != nil {
			return nil, err
		}
		if r.normal, err = emailaddr.Normalize(r.address); err != nil {
			r.problem = "the address " + err.Error()
		}
		rows = append(rows, r)
	}
	return rows, rs.Err()
}

// EmailAddressConflict is a stored address that migration 00006 left as it
// was, and why.
type EmailAddressConflict struct {
	TenantID string
	// Source is the table, Key the row's id (the address itself for
	// login_failures).
	Source, Key string
	Address     string
	Problem     string
}

// EmailAddressConflicts lists the stored addresses that could not be
// normalised; an admin resolves each (renames or deletes one of two
// accounts) and deletes its row.
func (s *Store) EmailAddressConflicts(ctx context.Context) ([]EmailAddressConflict, error) {
	rs, err := s.reader.QueryContext(ctx, `SELECT tenant_id, source, row_key, address, problem
		FROM email_address_conflicts ORDER BY tenant_id, source, row_key`)
	if err != nil {
		return nil, iam.Internal(err)
	}
	defer rs.Close()
	var out []EmailAddressConflict
	for rs.Next() {
		var c EmailAddressConflict
		if err := rs.Scan(&c.TenantID, &c.Source, &c.Key, &c.Address, &c.Problem); err != nil {
			return nil, iam.Internal(err)
		}
		out = append(out, c)
	}
	if err := rs.Err(); err != nil {
		return nil, iam.Internal(err)
	}
	return out, nil
}
