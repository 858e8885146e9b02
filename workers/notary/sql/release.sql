-- notary.c: a held result event released with its documents' signatures in its payload; the
-- relay is woken as by an insert.
WITH u AS (UPDATE outbox SET payload = convert_to($2, 'UTF8'), held_by = NULL
           WHERE id = $1::bigint RETURNING 1)
SELECT pg_notify('lic_outbox', '') FROM u;
