-- notary.c: one notary at a time looks at an application's held events, after the others'
-- signatures of its documents committed (two notaries may sign a license and its annex at once).
SELECT pg_advisory_xact_lock(28, hashtext($1));
