// Package gorm is a stub of gorm.io/gorm for the analyzer tests.
package gorm

import "context"

type DB struct{ Error error }

func Open(dsn string) (*DB, error)                              { return &DB{}, nil }
func (db *DB) WithContext(ctx context.Context) *DB              { return db }
func (db *DB) Where(q interface{}, args ...interface{}) *DB     { return db }
func (db *DB) First(dest interface{}, conds ...interface{}) *DB { return db }
func (db *DB) Find(dest interface{}, conds ...interface{}) *DB  { return db }
func (db *DB) Create(v interface{}) *DB                         { return db }
func (db *DB) Transaction(fc func(tx *DB) error) error          { return fc(db) }
func (db *DB) Begin() *DB                                       { return db }
func (db *DB) Table(name string) *DB                            { return db }
func (db *DB) Exec(sql string, values ...interface{}) *DB       { return db }
