package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// Pool exposes a store's pool to the tests.
func Pool(s *Store) *pgxpool.Pool { return s.pool }

// ListenPID is the backend process of the store's listening connection (0 before it
// listens), so that a test can cut it.
func ListenPID(s *Store) uint32 { return s.listenPID.Load() }
