-- documents.c
INSERT INTO document_counters (licensor, kind, year, last_value)
VALUES ($1, $2, $3, $4) ON CONFLICT (licensor, kind, year)
DO UPDATE SET last_value = document_counters.last_value + $4
RETURNING last_value;
