package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// Pool exposes a store's pool to the tests.
func Pool(s *Store) *pgxpool.Pool { return s.pool }
