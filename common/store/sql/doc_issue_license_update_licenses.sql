-- documents.c
UPDATE licenses SET holder_type = $2, holder_id = $3, holder_name = $4,
version = $5, updated_at = now() WHERE number = $1;
