package dbctx

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"

	"github.com/lib/pq"
	"gorm.io/gorm"
)

func open(host string) (*sql.DB, error) {
	return sql.Open("postgres", "host="+"db"+" sslmode=disable") // want `db-driver-no-ctx: lib/pq DSN without connect_timeout`
}

func openFormat(host string) (*sql.DB, error) {
	dsn := fmt.Sprintf("host=%s sslmode=disable", host)
	return sql.Open("postgres", dsn) // want `lib/pq DSN without connect_timeout`
}

func connector() {
	pq.NewConnector("postgres://app@db/app") // want `lib/pq DSN without connect_timeout`
}

func query(ctx context.Context, db *sql.DB) error {
	rows, err := db.Query("SELECT 1") // want `db-driver-no-ctx: sql.DB.Query runs on context.Background\(\) although ctx is in scope`
	if err != nil {
		return err
	}
	return rows.Close()
}

func handler(w http.ResponseWriter, r *http.Request, db *sql.DB) {
	db.Exec("DELETE FROM t WHERE id = $1", 1) // want `sql.DB.Exec runs on context.Background\(\) although r.Context\(\) is in scope`
}

func leakTx(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil) // want `resource-leak: transaction begun without a deferred tx.Rollback\(\)`
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE t SET x = 1"); err != nil {
		return err
	}
	return tx.Commit()
}

type repo struct{ db *gorm.DB }

func newRepo(db *gorm.DB) *repo { return &repo{db: db} }

func (r *repo) user(ctx context.Context, id int) error {
	var u struct{}
	return r.db.Where("id = ?", id).First(&u).Error // want `db-driver-no-ctx: GORM First on r.db, which does not come from WithContext`
}

// The correct forms.

func openGood(host string) (*sql.DB, error) {
	return sql.Open("postgres", fmt.Sprintf("host=%s connect_timeout=5", host))
}

func openUnknown(dsn string) (*sql.DB, error) {
	return sql.Open("postgres", dsn) // the DSN comes from elsewhere
}

func queryGood(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "SELECT 1")
	if err != nil {
		return err
	}
	return rows.Close()
}

func noCtx(db *sql.DB) {
	db.Exec("VACUUM") // no context to pass
}

func txGood(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return tx.Commit()
}

func txHandedOn(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	return tx, err
}

func (r *repo) userGood(ctx context.Context, id int) error {
	var u struct{}
	return r.db.WithContext(ctx).Where("id = ?", id).First(&u).Error
}

func (r *repo) derived(ctx context.Context) error {
	db := r.db.WithContext(ctx)
	var u struct{}
	return db.Find(&u).Error
}

func inTransaction(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Create(&struct{}{}).Error
	})
}

func explicitRollbacks(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM t"); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func oneMissedPath(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil) // want `resource-leak: transaction begun without a deferred tx.Rollback\(\)`
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM t"); err != nil {
		return err
	}
	return tx.Commit()
}

func backgroundOnly(db *sql.DB) error {
	ctx := context.Background()
	_ = ctx
	return db.Ping() // PingContext(ctx) would change nothing
}

func commitInIf(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM t"); err != nil {
		if errRollback := tx.Rollback(); errRollback != nil {
			return errRollback
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return nil
}

// Without a context in scope, a handle the owner was given runs on the
// context it was built with (the caller's WithContext survives Begin);
// one opened here runs on none.
type migrator struct{ db, tx *gorm.DB }

func newMigrator(db *gorm.DB) *migrator { return &migrator{db: db} }

func (m *migrator) begin() { m.tx = m.db.Begin() }

func (m *migrator) insert(id string) error {
	return m.tx.Table("migrations").Create(map[string]any{"id": id}).Error // the caller's context, if any
}

func createDatabase(dsn string) error {
	db, err := gorm.Open(dsn)
	if err != nil {
		return err
	}
	return db.Exec("CREATE DATABASE x").Error // want `GORM Exec on db, which does not come from WithContext`
}
